"""The 查控 service's hostile-input corpus (issue 14): every entry of tests/corpus/ckw/manifest.toml posted to
one served hub, as a unit's system or a stranger on the network would post it.

An `envelope` entry is the raw body of POST /ws/ckw/{unit}; an `inner` entry is a well-made call whose
usermarker or payload decodes to the entry's document (base64 is no way around the parser). Each one gets
the HTTP status and the SOAP Fault or the business answer its entry names, read as the unit's client reads
it, and never a traceback. Then: nothing is stored (no receipt, blob, control: at most the call's own audit
event, of bounded size), no failed sign-in is counted unless the entry's usermarker is the hostile part,
the hub's memory and its log stay clean, and the unit's system still lists its standing request.
"""

import base64
import gzip
import re
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import httpx
import pytest
from conftest import EXCHANGE_TABLES, cloned_database, edit, example, multipart, token_issuer
from live import Server, free_port, hub_env
from lxml import etree
from registry_side import b64, decode_answer
from sqlalchemy import text

from adapters.ckw.bank import BankProfile
from adapters.ckw.profile import Role
from adapters.ckw.real_estate import RealEstateProfile
from hub.config import Settings
from hub.context import Hub
from hub.limits import envelope_limit

pytestmark = pytest.mark.db  # one served hub per module, over a database cloned like database_url's
HUB = Path(sys.executable).parent / "hub"
CORPUS = Path(__file__).parent.parent / "corpus" / "ckw"
MANIFEST = tomllib.loads((CORPUS / "manifest.toml").read_text("utf-8"))["entry"]
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
MIB = 1024 * 1024
# What one call may add to the audit log (its own event): a stranger must not fill it with his bytes.
AUDIT_BYTES_PER_CALL = 16 * 1024
# How much the hub's peak memory may grow over the whole corpus (the largest body is 20 MiB).
MEMORY_GROWTH = 300 * MIB
SLOW = 5  # seconds: an entry answered later than this is a finding, whatever it answers


# --- the units' clients, as they build calls and read answers -------------------------------------------------


def _gbk64(value: str) -> str:
    return base64.b64encode(value.encode("gbk")).decode("ascii")


def _safe(data: bytes) -> etree._Element:
    """The test's own reading of the hub's output: no DTD, no entities, no network."""
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)
    return etree.fromstring(data, parser)


@dataclass(frozen=True)
class Answer:
    errors: list[str]  # the call's error (ErrorMSG, errMsg, errorMsg) and each failed request's MSG
    succeeded: list[str]  # the request nos. a feedback answer reports as a success
    listed: list[str]  # the request nos. a list answer holds


def _answer(errors: list[str], results: list[tuple], listed: list) -> Answer:
    """`results`: (request no., RESULT, MSG) per request of a feedback answer."""
    failed = [msg or "(no message)" for _, result, msg in results if result != "success"]
    succeeded = [no for no, result, _ in results if result == "success"]
    return Answer([e for e in errors if e] + failed, succeeded, [no for no in listed if no])


class RealEstateClient:
    """The registry's Axis 1 client (yanFranklin/bdc20230104): RPC/encoded, values base64 inside base64."""

    unit, username, password = "real-estate", "bdc-antu", "ckw-corpus-registry"
    namespace = "http://ip.service.webService.ckw.tdh/"
    list_operation = "kzBdcQL"

    def usermarker(self) -> str:
        condition = f"<PASSWORD>{self.password}</PASSWORD><USERNAME>{self.username}</USERNAME>"
        return self.encoded(f"<USERMARKER><CONDITION>{condition}</CONDITION></USERMARKER>".encode())

    def encoded(self, document: bytes) -> str:
        """Every non-empty leaf's text base64 (UTF-8), then the whole document base64."""
        root = _safe(document)
        for element in root.iter():
            if isinstance(element.tag, str) and len(element) == 0 and element.text:
                element.text = b64(element.text)
        return base64.b64encode(etree.tostring(root, encoding="UTF-8", xml_declaration=False)).decode()

    def envelope(self, operation: str, arguments: list[str]) -> bytes:
        names = ["usermarker", "wsbhinfo" if operation in ("kzwsInfo", "zjInfo") else "feedbackinfo"]
        args = "".join(
            f'<{name} xsi:type="xsd:string">{escape(value)}</{name}>'
            for name, value in zip(names, arguments, strict=False)
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/'
            'soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/'
            f'XMLSchema-instance"><soapenv:Body><ns1:{operation} soapenv:encodingStyle="http://schemas.xmlsoap'
            f'.org/soap/encoding/" xmlns:ns1="{self.namespace}">{args}</ns1:{operation}></soapenv:Body>'
            "</soapenv:Envelope>"
        ).encode()

    def read(self, value: str) -> Answer:
        root = decode_answer(value)
        errors = [root.get("ErrorMSG") or "", root.findtext("errMsg") or ""]
        results = [
            (jg.findtext("CXQQDH"), jg.findtext("RESULT"), jg.findtext("MSG")) for jg in root.iter("JG")
        ]
        listed = [q.findtext("CXQQDH") for q in root.iter("BDCKZQQ", "BDCCXQQ")]
        return _answer(errors, results, listed)


class BankClient:
    """The banks' generated clients (CXF, Axis2): document/literal, attribute values base64 (GBK) inside base64."""

    unit, username, password = "rural-bank", "YH242601", "ckw-corpus-bank"
    namespace = "http://syyh.service.webService.ckw.tdh/"
    list_operation = "getXzkzList"

    def usermarker(self) -> str:
        return self.encoded(
            f'<usermarker><condition username="{self.username}" password="{self.password}"/></usermarker>'.encode()
        )

    def encoded(self, document: bytes) -> str:
        """Every attribute value base64 (GBK), the UTF-8 prolog as CITIC writes it, the whole base64 (GBK)."""
        root = _safe(document)
        for element in root.iter():
            if isinstance(element.tag, str):
                for name, value in element.attrib.items():
                    element.set(name, _gbk64(value) if value else "")
        return _gbk64('<?xml version="1.0" encoding="UTF-8"?>' + etree.tostring(root, encoding="unicode"))

    def envelope(self, operation: str, arguments: list[str]) -> bytes:
        args = "".join(f"<arg{i}>{escape(value)}</arg{i}>" for i, value in enumerate(arguments))
        return (
            f'<soapenv:Envelope xmlns:soapenv="{SOAP}" xmlns:syyh="{self.namespace}"><soapenv:Header/>'
            f"<soapenv:Body><syyh:{operation}>{args}</syyh:{operation}></soapenv:Body></soapenv:Envelope>"
        ).encode()

    def read(self, value: str) -> Answer:
        text = base64.b64decode(value).decode("gb18030")
        root = _safe(re.sub(r"^<\?xml[^>]*\?>", "", text).strip().encode("utf-8"))
        for element in root.iter():
            for name, attribute in element.attrib.items():
                element.set(name, base64.b64decode(attribute).decode("gb18030"))
        errors = [root.get(name) or "" for name in ("errorMsg", "errMsg", "ErrorMSG")]
        results = [(jg.get("bdhm"), jg.get("result"), jg.get("msg")) for jg in root.iter("jg")]
        return _answer(errors, results, [q.get("BDHM") for q in root.iter("kzqq", "cxqq")])


CLIENTS = {client.unit: client for client in (RealEstateClient(), BankClient())}
PROFILES = {"real-estate": RealEstateProfile, "rural-bank": BankProfile}
LISTS = (Role.CONTROL_LIST, Role.QUERY_LIST)  # operations of the usermarker alone
# Requests put on the units' lists before the corpus runs, by RequestNo; the first of each unit must stay
# listed after every entry. The inner documents name them.
STANDING = {"real-estate": "AT-2026-000102", "rural-bank": "AT-2026-000201"}


def _bank_freeze(request_no: str) -> bytes:
    return edit(
        "request-freeze.xml",
        ("AT-2026-000123", request_no),
        ('<Unit code="housing-fund"/>', '<Unit code="rural-bank"/>'),
        ("<AssetClass>FUND_ACCOUNT</AssetClass>", "<AssetClass>DEPOSIT</AssetClass>"),
        ("<AssetId>220100123456789</AssetId>", "<AssetId>07020122000012345</AssetId>"),
        ("<Description>住房公积金账户</Description>", "<Description>活期储蓄账户</Description>"),
    )


REQUESTS = [
    example("request-seal.xml"),  # AT-2026-000102, standing
    edit("request-seal.xml", ("AT-2026-000102", "AT-2026-000103")),  # fed back, then fed back otherwise
    edit("request-seal.xml", ("AT-2026-000102", "AT-2026-000104")),  # named by hostile feedback
    example("request-query.xml"),  # AT-2026-000101: a control's feedback for it is refused
    _bank_freeze("AT-2026-000201"),  # standing
    _bank_freeze("AT-2026-000202"),  # named by hostile feedback
    _bank_freeze("AT-2026-000203"),  # fed back, then fed back otherwise
    _bank_freeze("AT-2026-000204"),  # fed back, then "not done"
]


# --- bodies the files cannot hold: megabytes, streams --------------------------------------------------------


@dataclass
class Body:
    content: bytes | Callable[[], Iterator[bytes]]
    headers: dict[str, str] = field(default_factory=dict)


def _padded_envelope(size: int) -> bytes:
    """The registry's list call with a comment that takes it to `size` bytes: well-formed, just too large."""
    envelope = CLIENTS["real-estate"].envelope("kzBdcQL", [CLIENTS["real-estate"].usermarker()])
    padding = size - len(envelope) - len(b"<!---->")
    return envelope.replace(b"<soapenv:Body>", b"<!--" + b"x" * padding + b"-->" + b"<soapenv:Body>")


def _chunks(data: bytes, size: int = MIB) -> Callable[[], Iterator[bytes]]:
    return lambda: (data[i : i + size] for i in range(0, len(data), size))


def _gzip_bomb() -> Body:
    """A few hundred kB that inflate to 64 MB of a well-formed envelope, sent as Content-Encoding: gzip."""
    envelope = CLIENTS["real-estate"].envelope("kzBdcQL", [CLIENTS["real-estate"].usermarker()])
    inflated = envelope.replace(b"<soapenv:Body>", b" " * (64 * MIB) + b"<soapenv:Body>")
    return Body(gzip.compress(inflated, compresslevel=1), {"Content-Encoding": "gzip"})


def _argument_of(size: int) -> Body:
    client = CLIENTS["real-estate"]
    return Body(client.envelope("kzBdcQL", ["A" * size]))


def _many_arguments() -> Body:
    client = CLIENTS["rural-bank"]
    envelope = client.envelope("getXzkzList", [client.usermarker()])
    return Body(envelope.replace(b"</arg0>", b"</arg0>" + b"<a/>" * 100_000))


def _namespaces() -> Body:
    client = CLIENTS["real-estate"]
    envelope = client.envelope("kzBdcQL", [client.usermarker()])
    declarations = b"".join(b' xmlns:p%d="urn:x-%d"' % (n, n) for n in range(300_000))
    return Body(envelope.replace(b"<soapenv:Envelope", b"<soapenv:Envelope" + declarations, 1))


def _long_operation() -> Body:
    """An operation named by 40,000 letters (libxml2 reads names up to 50,000), no credentials needed."""
    client = CLIENTS["real-estate"]
    return Body(client.envelope("q" * 40_000, [client.usermarker()]))


ENVELOPE_GENERATORS: dict[str, Callable[[Settings], Body]] = {
    "oversize-body": lambda s: Body(_padded_envelope(envelope_limit(s) + 1)),
    "oversize-chunked": lambda s: Body(_chunks(_padded_envelope(envelope_limit(s) + MIB))),
    "gzip-bomb": lambda s: _gzip_bomb(),
    "argument-past-libxml2-text-limit": lambda s: _argument_of(10_000_001),
    "100000-arguments": lambda s: _many_arguments(),
    "300000-namespace-declarations": lambda s: _namespaces(),
    "operation-named-by-40000-letters": lambda s: _long_operation(),
}


def _feedback(*results: str, sign: str = "digitalsign") -> bytes:
    head = (
        f"<Message><Head><CREATETIME>2026/11/30 10:20:30</CREATETIME><DIGITALSIGN>{sign}</DIGITALSIGN>"
        "<RESPONSECODE>0000</RESPONSECODE></Head><Data><BDCFKLIST>"
    )
    return (head + "".join(results) + "</BDCFKLIST></Data></Message>").encode()


def _seal_done(request_no: str) -> str:
    return (
        f"<BDCKZJG><CXQQDH>{request_no}</CXQQDH><RESULT>0000</RESULT><KZXXLIST><KZXX><BDCQLLX>3</BDCQLLX>"
        "<BDCDYH>222426001001GB00012F00010023</BDCDYH><KZZT>1</KZZT><CSKSRQ>2026/11/30</CSKSRQ>"
        "<CSJSRQ>2029/11/29</CSJSRQ><CFYWH>CF2026113000021</CFYWH></KZXX></KZXXLIST></BDCKZJG>"
    )


# Inner generators give the document an argument decodes to (the entry's encode_values applies to it).
INNER_GENERATORS: dict[str, Callable[[Settings], bytes]] = {
    # 20 MB of a document: its base64 is past the envelope's limit, whatever the inner one is
    "inner-base64-of-20mb": lambda s: _feedback(_seal_done("AT-2026-999999"), sign="x" * (20 * 1000 * 1000)),
    # about 7 MB (its values encoded, 9 MB of base64): as large as an argument gets under libxml2's
    # 10,000,000 characters of text
    "inner-base64-of-7mb": lambda s: _feedback(_seal_done("AT-2026-999999"), sign="x" * (5 * 1000 * 1000)),
    "inner-request-no-of-1mb": lambda s: _feedback(_seal_done("AT-" + "9" * MIB)),
    "inner-batch-of-2000-unknown-requests": lambda s: _feedback(
        *(_seal_done(f"AT-2026-9{n:05d}") for n in range(2000))
    ),
}


# --- the runner --------------------------------------------------------------------------------------------------


def _id(entry: dict) -> str:
    return entry["file"].rsplit(".", 1)[0] if "file" in entry else entry["generator"]


def _params() -> list:
    params = []
    for entry in MANIFEST:
        marks = []
        if "xfail_reason" in entry:
            marks.append(pytest.mark.xfail(strict=True, reason=entry["xfail_reason"]))
        params.append(pytest.param(entry, id=_id(entry), marks=marks))
    return params


def _steps(entry: dict) -> list[str]:
    before = entry.get("before", [])
    return [before] if isinstance(before, str) else list(before)


@dataclass
class Served:
    http: httpx.Client  # on the hub's base address
    hub: Hub
    server: Server
    log: Path
    memory_at_start: int


def _peak_memory(server: Server) -> int:
    """The hub process's peak resident memory (VmHWM), in bytes."""
    assert server.process is not None
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status)[1]) * 1024


@pytest.fixture(scope="module")
def served(template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("ckw-hostile")
    port = free_port()
    with cloned_database(template, folder) as url:
        env = hub_env(
            url,
            folder / "data",
            HUB_CKW_REAL_ESTATE_PASSWORD=RealEstateClient.password,
            HUB_CKW_RURAL_BANK_PASSWORD=BankClient.password,
            HUB_PUBLIC_URL=f"http://127.0.0.1:{port}",
        )
        hub = Hub.from_settings(Settings(database_url=url, data_dir=folder / "data", demo=True))
        server = Server([HUB, "serve", "--no-worker"], env, folder / "hub.log", port=port)
        server.start()
        try:
            officer = token_issuer(hub)("officer")
            with httpx.Client(base_url=server.base, timeout=30) as http:
                for document in REQUESTS:
                    files = [name.decode() for name in re.findall(rb'filename="([^"]+)"', document)]
                    response = http.post(
                        "/api/v1/requests", files=multipart(document, *files), headers=officer
                    )
                    assert response.status_code == 201, response.text
                yield Served(http, hub, server, folder / "hub.log", _peak_memory(server))
        finally:
            server.stop()
            hub.engine.dispose()


def _post(served: Served, unit: str, body: Body) -> httpx.Response:
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""', **body.headers}
    content = body.content() if callable(body.content) else body.content
    return served.http.post(f"/ws/ckw/{unit}", content=content, headers=headers)


def _returned(response: httpx.Response) -> str:
    """The string the operation returned (the Body's first element's first child)."""
    envelope = _safe(response.content)
    [call] = envelope.find(f"{{{SOAP}}}Body")
    assert call.tag != f"{{{SOAP}}}Fault", response.text
    return call[0].text or ""


def _call(served: Served, unit: str, operation: str, arguments: list[str]) -> Answer:
    client = CLIENTS[unit]
    response = _post(served, unit, Body(client.envelope(operation, arguments)))
    assert response.status_code == 200, response.text
    return client.read(_returned(response))


def _document(entry: dict, settings: Settings) -> bytes:
    if "generator" in entry:
        return INNER_GENERATORS[entry["generator"]](settings)
    return (CORPUS / entry["file"]).read_bytes()


def _argument(client, entry: dict, document: bytes) -> str:
    """What the inner document travels as: its text as it is (`raw`), else base64 of it, its values encoded
    first as the client encodes them (`encode_values`)."""
    if entry.get("raw"):
        return document.decode("utf-8")
    if entry.get("encode_values"):
        return client.encoded(document)
    return base64.b64encode(document).decode("ascii")


def _inner_body(entry: dict, settings: Settings) -> Body:
    client = CLIENTS[entry["unit"]]
    hostile = _argument(client, entry, _document(entry, settings))
    if entry["argument"] == "usermarker":
        return Body(client.envelope(entry["operation"], [hostile]))
    return Body(client.envelope(entry["operation"], [client.usermarker(), hostile]))


def _body(entry: dict, settings: Settings) -> Body:
    if entry["kind"] == "inner":
        return _inner_body(entry, settings)
    if "generator" in entry:
        return ENVELOPE_GENERATORS[entry["generator"]](settings)
    return Body((CORPUS / entry["file"]).read_bytes())


@dataclass(frozen=True)
class State:
    stored: dict[str, int]  # rows of each exchange table but the audit log, and the blob store's files
    events: int  # audit events, and the characters of their data
    audited: int
    failures: int  # failed sign-ins counted (login_failures)


STORED_TABLES = [table for table in EXCHANGE_TABLES if table != "audit_events"]


def _state(hub: Hub) -> State:
    """What the hub holds, in one query: every call is audited, so its event is counted on its own."""
    counts = ", ".join(f"(SELECT count(*) FROM {table})" for table in STORED_TABLES)
    query = (
        f"SELECT {counts}, (SELECT count(*) FROM audit_events), "
        "(SELECT coalesce(sum(length(data)), 0) FROM audit_events), (SELECT count(*) FROM login_failures)"
    )
    with hub.engine.connect() as conn:
        *rows, events, audited, failures = conn.execute(text(query)).one()
    root = hub.blobs.files.root
    files = sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0
    return State(
        {**dict(zip(STORED_TABLES, rows, strict=True)), "blob_files": files}, events, audited, failures
    )


def _new_log(served: Served, offset: int) -> str:
    with open(served.log, "rb") as log:
        log.seek(offset)
        return log.read().decode("utf-8", "replace")


def _fault(response: httpx.Response) -> tuple[str, str]:
    assert response.headers["content-type"].startswith("text/xml"), response.headers
    fault = _safe(response.content).find(f"{{{SOAP}}}Body/{{{SOAP}}}Fault")
    assert fault is not None, response.text[:1000]
    return fault.findtext("faultcode") or "", fault.findtext("faultstring") or ""


def test_the_manifest_names_every_file_and_each_entry_is_complete():
    named = {e["file"] for e in MANIFEST if "file" in e} | {ref for e in MANIFEST for ref in _steps(e)}
    present = {p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*") if p.is_file()} - {"manifest.toml"}
    assert named == present
    answers = ("fault", "says", "ok")
    for entry in MANIFEST:
        assert ("file" in entry) != ("generator" in entry), entry
        assert entry["kind"] in ("envelope", "inner") and entry["why"] and entry["category"], entry
        assert isinstance(entry["status"], int) and entry["unit"], entry
        assert sum(name in entry for name in answers) == 1, f"one of {answers}: {entry}"
        assert ("fault" in entry) == (entry["status"] != 200), entry
        assert entry.get("ok", True) is True, entry
        generators = ENVELOPE_GENERATORS if entry["kind"] == "envelope" else INNER_GENERATORS
        assert "generator" not in entry or entry["generator"] in generators, entry
        if entry["kind"] == "inner":
            assert entry["unit"] in CLIENTS and entry["argument"] in ("usermarker", "payload"), entry
            role = PROFILES[entry["unit"]].roles[entry["operation"]]
            assert (entry["argument"] == "usermarker") == (role in LISTS), entry
            assert not (entry.get("raw") and entry.get("encode_values")), entry
            assert entry["argument"] == "payload" or not _steps(entry), entry
        else:
            assert not {"operation", "argument", "raw", "encode_values", "before"} & set(entry), entry
        assert not entry.get("counts_failure") or entry["unit"] in CLIENTS, entry
        assert set(entry) <= {
            *("file", "generator", "kind", "unit", "category", "status", "why", "fault", "says", "ok"),
            *("operation", "argument", "raw", "encode_values", "before", "counts_failure", "xfail_reason"),
        }, entry
    assert len({_id(e) for e in MANIFEST}) == len(MANIFEST)


def test_the_table_atop_the_manifest_counts_the_entries():
    """The comment table of categories says how many envelopes and inner documents each has."""
    text_ = (CORPUS / "manifest.toml").read_text("utf-8")
    table = {
        match[1]: (int(match[2]), int(match[3]))
        for match in re.finditer(r"^# (\w+) +(\d+) +(\d+)  ", text_, flags=re.M)
    }
    counts = {name: [0, 0] for name in table}
    for entry in MANIFEST:
        counts[entry["category"]][entry["kind"] == "inner"] += 1
        if not entry.get("ok"):
            counts["refused"][entry["kind"] == "inner"] += 1
    assert {name: tuple(n) for name, n in counts.items()} == table


@pytest.mark.parametrize("entry", _params())
def test_hostile_ckw_call(entry: dict, served: Served):
    hub, unit = served.hub, entry["unit"]
    client = CLIENTS.get(unit)
    for ref in _steps(entry):  # a feedback accepted first: the entry is the same request's feedback again
        document = (CORPUS / ref).read_bytes()
        answer = _call(served, unit, entry["operation"], [client.usermarker(), client.encoded(document)])
        assert not answer.errors and answer.succeeded, answer
    body = _body(entry, hub.settings)
    before, log_offset = _state(hub), served.log.stat().st_size

    started = time.monotonic()
    response = _post(served, unit, body)
    took = time.monotonic() - started

    assert "Traceback" not in response.text and "root:x:0:0" not in response.text, response.text[:2000]
    assert response.status_code == entry["status"], (
        f"{entry['why']}: {response.status_code} {response.text[:800]}"
    )
    if "fault" in entry:
        code, string = _fault(response)
        assert code.startswith("soapenv:") and entry["fault"] in string, (code, string)
    else:
        answer = client.read(_returned(response))
        if entry.get("ok"):
            assert not answer.errors, answer
        else:
            assert any(entry["says"] in error for error in answer.errors), answer
            assert not answer.succeeded, answer
    assert took < SLOW, f"answered in {took:.1f} s"

    after = _state(hub)
    assert after.stored == before.stored, "the call left rows or files behind"
    assert after.events - before.events <= 1, "more than the call's own audit event"
    assert after.audited - before.audited <= AUDIT_BYTES_PER_CALL, (
        f"{after.audited - before.audited} characters audited"
    )
    counted = after.failures - before.failures
    assert counted == (1 if entry.get("counts_failure") else 0), f"{counted} failed sign-ins counted"

    if client is not None:  # the unit's system still signs in and lists its standing request
        answer = _call(served, unit, client.list_operation, [client.usermarker()])
        assert not answer.errors and STANDING[unit] in answer.listed, answer
    else:
        assert served.http.get("/healthz").status_code == 200
    log = _new_log(served, log_offset)
    assert "Traceback" not in log, log[-3000:]
    assert _peak_memory(served.server) - served.memory_at_start < MEMORY_GROWTH
