"""Routes of the court-side 查控 service: `POST /ws/ckw/{unit code}` (SOAP 1.1) and `GET ...?wsdl`.

A unit's front-end system is pointed at its own address; the address names the unit, the usermarker
proves it. Whatever goes wrong with the envelope is a SOAP Fault (HTTP 500, text/xml, the only form the
Axis client reads); whatever goes wrong with the business is the operation's own error answer, which the
clients show their operators (hub/ckw/service.py).
"""

import logging
import re
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urljoin

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from lxml import etree
from starlette.concurrency import run_in_threadpool

from hub.auth.lockout import locked, source_of
from hub.ckw import soap
from hub.ckw.service import LOCKED, Caller, NotCkw, answer_call, ckw_caller
from hub.clock import now
from hub.db import reading
from hub.deps import HubDep, SessionDep, _read_limited
from hub.errors import TooLarge
from hub.limits import envelope_limit, size_text
from hub.standard.xml import parse_file
from schemas import SCHEMA_DIR

log = logging.getLogger("hub.ckw")
router = APIRouter(include_in_schema=False)
UNIT_CODE = re.compile(r"[a-z0-9-]{2,40}")
WSDL = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"


def _fault(error: soap.Fault, status: int = 500) -> Response:
    return Response(soap.fault(error), status_code=status, media_type=soap.CONTENT_TYPE)


def _not_here(unit_code: str) -> Response:
    return _fault(soap.Fault(f"此地址没有查控服务：{unit_code[:40]}"), 404)


@dataclass(frozen=True)
class Call:
    caller: Caller
    body: bytes


async def ckw_call(unit_code: str, request: Request, hub: HubDep) -> Call | Response:
    """The unit the address names and the body, read only once the unit serves the 查控 service and its
    name is not locked from this address: a stranger gets no further than that for free."""
    source = source_of(request.client.host if request.client else None)
    if not UNIT_CODE.fullmatch(unit_code):
        return _not_here(unit_code)

    def look() -> tuple[Caller, bool] | None:
        with reading(hub.readers) as session:
            try:
                caller = ckw_caller(session, unit_code=unit_code, source=source)
            except NotCkw:
                return None
            name = f"ckw:{unit_code}"
            return caller, locked(session, settings=hub.settings, username=name, source=source, at=now())

    found = await run_in_threadpool(look)
    if found is None:
        return _not_here(unit_code)
    caller, is_locked = found
    if is_locked:
        return _fault(soap.Fault(LOCKED))
    try:
        body = await _read_limited(request, envelope_limit(hub.settings))
    except TooLarge:
        return _fault(soap.Fault(f"报文超过 {size_text(envelope_limit(hub.settings))} 的上限，未予接收"), 413)
    return Call(caller, body)


@router.post("/ws/ckw/{unit_code}")
def soap_call(
    call: Annotated[Call | Response, Depends(ckw_call)], hub: HubDep, session: SessionDep
) -> Response:
    if isinstance(call, Response):
        return call
    try:
        parsed = soap.read_call(call.body, max_bytes=envelope_limit(hub.settings))
    except soap.Fault as exc:
        return _fault(exc)
    try:
        value = answer_call(
            session,
            settings=hub.settings,
            blobs=hub.blobs,
            caller=call.caller,
            operation=parsed.operation,
            arguments=parsed.arguments,
        )
    except Exception:  # a Fault the client reads, not a plain 500; nothing of the call is kept
        log.exception("the 查控 call %s of unit %s failed", parsed.operation[:60], call.caller.unit.code)
        session.rollback()
        return _fault(soap.Fault("平台内部错误，请稍后重试", code="Server"))
    answer = soap.answer(parsed, value, namespace=call.caller.profile.namespace)
    return Response(answer, media_type=soap.CONTENT_TYPE)


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
