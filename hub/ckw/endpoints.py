"""Routes of the court-side 查控 service: `POST /ws/ckw/{unit code}` (SOAP 1.1) and `GET ...?wsdl`.

A unit's front-end system is pointed at its own address; the address names the unit, the usermarker
proves it. Whatever goes wrong with the envelope is a SOAP Fault (HTTP 500, text/xml, the only form the
Axis client reads); whatever goes wrong with the business is the operation's own error answer, which the
clients show their operators (hub/ckw/service.py).
"""

import re
from typing import Annotated
from urllib.parse import urljoin

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from lxml import etree

from hub.auth.lockout import source_of
from hub.ckw import soap
from hub.ckw.service import NotCkw, answer_call, ckw_caller
from hub.db import reading
from hub.deps import HubDep, SessionDep, _read_limited
from hub.errors import TooLarge
from hub.standard.xml import parse_file
from schemas import SCHEMA_DIR

router = APIRouter(include_in_schema=False)
UNIT_CODE = re.compile(r"[a-z0-9-]{2,40}")
WSDL = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"


def _fault(error: soap.Fault, status: int = 500) -> Response:
    return Response(soap.fault(error), status_code=status, media_type=soap.CONTENT_TYPE)


async def soap_body(request: Request, hub: HubDep) -> bytes | soap.Fault:
    """The body, read up to the envelope limit (several base64 documents inside: 4 documents' worth)."""
    try:
        return await _read_limited(request, envelope_limit(hub.settings.max_document_bytes))
    except TooLarge:
        return soap.Fault("报文过大，超出平台的限制")


def envelope_limit(max_document_bytes: int) -> int:
    return 4 * max_document_bytes


@router.post("/ws/ckw/{unit_code}")
def soap_call(
    unit_code: str,
    request: Request,
    body: Annotated[bytes | soap.Fault, Depends(soap_body)],
    hub: HubDep,
    session: SessionDep,
) -> Response:
    if isinstance(body, soap.Fault):
        return _fault(body, 413)
    source = source_of(request.client.host if request.client else None)
    try:
        caller = (
            ckw_caller(session, unit_code=unit_code, source=source)
            if UNIT_CODE.fullmatch(unit_code)
            else None
        )
    except NotCkw:
        caller = None
    if caller is None:
        return _fault(soap.Fault(f"此地址没有查控服务：{unit_code[:40]}"), 404)
    try:
        call = soap.read_call(body, max_bytes=envelope_limit(hub.settings.max_document_bytes))
    except soap.Fault as exc:
        return _fault(exc)
    value = answer_call(
        session,
        settings=hub.settings,
        blobs=hub.blobs,
        caller=caller,
        operation=call.operation,
        arguments=call.arguments,
    )
    return Response(
        soap.answer(call, value, namespace=caller.profile.namespace), media_type=soap.CONTENT_TYPE
    )


@router.get("/ws/ckw/{unit_code}")
def wsdl(unit_code: str, request: Request, hub: HubDep) -> Response:
    """The unit's WSDL (`?wsdl`), its address this hub's: a generated client (CXF, Axis2, zeep) works from it."""
    if "wsdl" not in {key.lower() for key in request.query_params}:
        return Response(
            "查控服务：请以 SOAP 1.1 调用，WSDL 见 ?wsdl\n", media_type="text/plain; charset=utf-8"
        )
    with reading(hub.readers) as session:
        try:
            caller = (
                ckw_caller(session, unit_code=unit_code, source="")
                if UNIT_CODE.fullmatch(unit_code)
                else None
            )
        except NotCkw:
            caller = None
    if caller is None:
        return _fault(soap.Fault(f"此地址没有查控服务：{unit_code[:40]}"), 404)
    tree = parse_file(SCHEMA_DIR / caller.profile.wsdl)
    location = urljoin(hub.settings.public_url.rstrip("/") + "/", f"ws/ckw/{unit_code}")
    for address in tree.iter(f"{{{WSDL_SOAP}}}address"):
        address.set("location", location)
    return Response(
        etree.tostring(tree, xml_declaration=True, encoding="UTF-8"), media_type=soap.CONTENT_TYPE
    )
