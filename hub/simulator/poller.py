"""A member unit's own system that polls the hub's 查控 service, simulated: `hub simulate-unit CODE --poll`.

Units whose directory channel is `kind = "ckw"` are not pushed their tasks: their front-end system
(前置机) calls the court side's SOAP service (`POST {hub}/ws/ckw/{code}`) every few seconds, fetches the
pending requests, their documents and the officer's cards, and feeds the results back. This module is
that system's loop and its wire; what it says follows the unit's profile, as the public clients do:

- real-estate (poll_real_estate.py): the registry's Apache Axis 1 client, RPC/encoded, every argument
  base64 of a UTF-8 document whose every value is base64 again;
- bank (poll_bank.py): CITIC's Axis2 client, document/literal `arg0`/`arg1`, values and documents
  base64 of GBK, MIME line breaks, chunked bodies.

Each system decides from the simulator's generated register (register.py) and remembers what it fed
back: a request listed again is not processed twice (the clients de-duplicate by request no.).
Alongside the loop, a small HTTP service answers GET /healthz and GET /register (the register and
what was fed back). For trying and testing the hub end to end; never for production.
"""

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import import_module
from typing import Protocol
from xml.sax.saxutils import escape

import httpx
from fastapi import FastAPI
from lxml import etree

from adapters.ckw import CkwChannel
from hub.clock import SHANGHAI, now
from hub.directory.loader import UnitEntry
from hub.simulator.register import Register
from hub.standard.xml import DocumentError, parse

log = logging.getLogger("hub.simulator")

ENVELOPE = "http://schemas.xmlsoap.org/soap/envelope/"
ENCODING = "http://schemas.xmlsoap.org/soap/encoding/"
MAX_ANSWER_BYTES = 256 * 1024 * 1024
SYSTEMS = {
    "real-estate": "hub.simulator.poll_real_estate:RegistrySystem",
    "bank": "hub.simulator.poll_bank:BankSystem",
}


class CallFailed(Exception):
    """A call that brought no usable answer: the hub unreachable, an HTTP error, a SOAP Fault, an answer
    the client cannot read. The message says which, for the log."""


@dataclass(frozen=True)
class PollConfig:
    """How the polling system behaves (the options of `hub simulate-unit --poll`)."""

    unit: UnitEntry
    channel: CkwChannel
    hub_url: str
    password: str
    every: float = 2.0  # seconds between two rounds of polling
    seed: int = 0
    timeout: float = 30.0

    @property
    def endpoint(self) -> str:
        return f"{self.hub_url.rstrip('/')}/ws/ckw/{self.unit.code}"


class Soap:
    """Calls to the hub's 查控 service, put on the wire as one family of clients puts them.

    `rpc` (Apache Axis 1): `<ns1:op soapenv:encodingStyle=...>` with unqualified arguments named by the
    client, each `xsi:type="xsd:string"`, SOAPAction `""`, a Content-Length. Otherwise (Axis2 ADB):
    `<ns1:op>` with `arg0`, `arg1`..., SOAPAction `{namespace}SyyhConvertDataHandle/{op}`, a chunked body.
    The answer is the text of the first child of the Body's first element, as both clients read it.
    """

    def __init__(self, url: str, *, namespace: str, rpc: bool, client: httpx.Client) -> None:
        self.url, self.namespace, self.rpc, self.client = url, namespace, rpc, client

    def envelope(self, operation: str, arguments: list[tuple[str, str]]) -> bytes:
        if self.rpc:
            parts = "".join(
                f'<{name} xsi:type="xsd:string">{escape(value)}</{name}>' for name, value in arguments
            )
            return (
                '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope'
                f' xmlns:soapenv="{ENVELOPE}" xmlns:xsd="http://www.w3.org/2001/XMLSchema"'
                ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
                f'<ns1:{operation} soapenv:encodingStyle="{ENCODING}" xmlns:ns1="{self.namespace}">'
                f"{parts}</ns1:{operation}></soapenv:Body></soapenv:Envelope>"
            ).encode()
        parts = "".join(f"<arg{i}>{escape(value)}</arg{i}>" for i, (_, value) in enumerate(arguments))
        return (
            f"<?xml version='1.0' encoding='UTF-8'?><soapenv:Envelope xmlns:soapenv=\"{ENVELOPE}\">"
            f'<soapenv:Body><ns1:{operation} xmlns:ns1="{self.namespace}">{parts}</ns1:{operation}>'
            "</soapenv:Body></soapenv:Envelope>"
        ).encode()

    def call(self, operation: str, *arguments: tuple[str, str]) -> str:
        """The string the operation returned; CallFailed when none came."""
        body = self.envelope(operation, list(arguments))
        if self.rpc:
            headers = {
                "Content-Type": "text/xml; charset=utf-8",
                "Accept": "application/soap+xml, application/dime, multipart/related, text/*",
                "User-Agent": "Axis/1.4",
                "Cache-Control": "no-cache",
                "Pragma": "no-cache",
                "SOAPAction": '""',
            }
            content: bytes | list[bytes] = body
        else:
            headers = {
                "Content-Type": "text/xml; charset=UTF-8",
                "SOAPAction": f'"{self.namespace}SyyhConvertDataHandle/{operation}"',
                "User-Agent": "Axis2",
            }
            content = [body]  # an iterable: sent chunked, as Axis2 sends by default
        try:
            response = self.client.post(self.url, content=content, headers=headers)
        except httpx.TransportError as exc:
            raise CallFailed(f"{operation}: the hub is unreachable ({type(exc).__name__}: {exc})") from None
        return read_answer(operation, response)


def read_answer(operation: str, response: httpx.Response) -> str:
    """The returned string of a SOAP 1.1 answer; CallFailed for an HTTP error, a Fault or no answer.

    As Axis reads it: a Fault is read with a 5xx or 2xx status only, any other status is an HTTP error."""
    status, kind = response.status_code, response.headers.get("content-type", "")
    if not (200 <= status < 300 or status >= 500) or "html" in kind:
        raise CallFailed(f"{operation}: HTTP {status}: {response.text[:200]}")
    try:
        envelope = parse(response.content, max_bytes=MAX_ANSWER_BYTES).getroot()
    except DocumentError as exc:
        raise CallFailed(f"{operation}: HTTP {status}, no SOAP answer: {exc.problems[0].message}") from None
    body = envelope.find(f"{{{ENVELOPE}}}Body")
    first = next((e for e in body if isinstance(e.tag, str)), None) if body is not None else None
    if first is None:
        raise CallFailed(f"{operation}: HTTP {status}, an empty SOAP Body")
    if first.tag == f"{{{ENVELOPE}}}Fault":
        code, text = first.findtext("faultcode") or "", first.findtext("faultstring") or ""
        raise CallFailed(f"{operation}: SOAP Fault {code}: {text}")
    result = next((e for e in first if isinstance(e.tag, str)), None)
    if result is None or not (result.text or "").strip():
        raise CallFailed(f"{operation}: the answer returned nothing")
    return result.text


def element_values(element: etree._Element) -> dict[str, str]:
    """The element's leaf children, by name: its single values."""
    return {
        child.tag: child.text or "" for child in element if isinstance(child.tag, str) and len(child) == 0
    }


def in_force(start: date, term: Callable[[date], date]) -> date:
    """The end of a control begun on `start` for `term`, renewed term after term until it ends after today."""
    end, today = term(start), now().astimezone(SHANGHAI).date()
    while end < today:
        end = term(end + timedelta(days=1))
    return end


class Memory:
    """What the unit's system took and fed back, by request no. Thread-safe (the loop and /register)."""

    def __init__(self) -> None:
        self._fed: dict[str, str] = {}
        self._relisted: set[str] = set()
        self._lock = threading.Lock()

    def fed(self, request_no: str) -> bool:
        with self._lock:
            return request_no in self._fed

    def remember(self, request_no: str, summary: str) -> None:
        with self._lock:
            self._fed[request_no] = summary

    def listed_again(self, request_no: str) -> bool:
        """Whether this is the first time a request fed back was listed again (say so once, not every poll)."""
        with self._lock:
            first = request_no not in self._relisted
            self._relisted.add(request_no)
            return first

    def as_json(self) -> dict[str, str]:
        with self._lock:
            return dict(self._fed)


class UnitSystem(Protocol):
    """One family's client: a round of polling, as `every` seconds apart the loop calls it."""

    def __init__(self, config: PollConfig, *, soap: Soap, register: Register, memory: Memory) -> None: ...

    def poll(self) -> None: ...


def unit_system(
    config: PollConfig, *, client: httpx.Client, register: Register, memory: Memory
) -> UnitSystem:
    """The client of the unit's profile, talking to the hub through `client`."""
    module, name = SYSTEMS[config.channel.profile].split(":")
    system = getattr(import_module(module), name)
    soap = Soap(config.endpoint, namespace=system.namespace, rpc=system.rpc, client=client)
    return system(config, soap=soap, register=register, memory=memory)


class Poller:
    """Runs the unit system's rounds from one background thread, `every` seconds apart, until stop()."""

    def __init__(self, config: PollConfig, *, register: Register, memory: Memory) -> None:
        self.config = config
        self._client = httpx.Client(timeout=config.timeout)
        self.system = unit_system(config, client=self._client, register=register, memory=memory)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ckw-poller", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
        self._client.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.system.poll()
            except Exception:  # a bug must not stop the polling: log it, poll again next round
                log.exception("a round of polling failed")
            self._stop.wait(self.config.every)


def create_poll_app(config: PollConfig) -> FastAPI:
    """The polling system's own service: GET /healthz, GET /register; the loop runs while it does."""
    unit = config.unit
    register, memory = Register(unit, seed=config.seed), Memory()
    poller = Poller(config, register=register, memory=memory)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        log.info(
            "simulating %s (%s), profile %s as user %s: polling %s every %g s (polls with nothing new are not logged)",
            unit.code,
            unit.name,
            config.channel.profile,
            config.channel.username,
            config.endpoint,
            config.every,
        )
        poller.start()
        try:
            yield
        finally:
            poller.stop()

    app = FastAPI(title=f"Simulated unit {unit.code} (polling)", lifespan=lifespan)
    app.state.register, app.state.memory = register, memory

    @app.get("/register")
    def get_register() -> dict:
        """The generated register (invented data), and what the system fed back, by request no."""
        return {**register.as_json(), "fed_back": memory.as_json()}

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "unit": unit.code, "mode": "poll"}

    return app
