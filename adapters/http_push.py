"""http-push: the hub POSTs each task to the unit's own system.

The request goes as the court sent it, as
`application/xml`, with headers X-Hub-Task-Id and X-Hub-Request-No and `Authorization: Bearer <secret>`,
the secret read from the environment variable the directory names in `token_env`.

- 2xx: served. When the body is an AssistanceReceipt (a registry answering queries by itself), it is
  returned with the outcome and the hub applies it as the unit's receipt; otherwise the unit posts its
  receipt later through the API with its unit token, and fetches the listed files with that token.
- 408, 425, 429, 5xx, a timeout, a refused or broken connection: retry later (Retry-After is honoured).
- Any other status: refused by this channel for good; the hub goes on to the unit's fallback.

The answer is read as it comes, never past the hub's max_document_bytes (counted after gzip or deflate
is undone, so a small compressed answer cannot grow in memory) and never longer than `timeout_s` after
its headers; an answer past either is noted, unread: the unit was served. An error answer is read only
for the 200 characters kept of it.
The directory refuses a URL with a user name or password: the secret is the bearer token of `token_env`.
"""

import os
import time
import zlib
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Literal

import httpx
from pydantic import AnyHttpUrl, Field, field_validator

from adapters.base import (
    Adapter,
    ChannelConfig,
    Delivery,
    Misconfigured,
    Outcome,
    Refused,
    RetryLater,
    Served,
)
from hub.clock import now
from hub.standard import NS
from hub.standard.xml import DocumentError, parse

RETRYABLE = {408, 425, 429}
RECEIPT = f"{{{NS}}}AssistanceReceipt"
EXCERPT_BYTES = 4096  # read of an error answer, for the 200 characters kept of it
READ_BYTES = 65536  # one network read


def _retry_after(response: httpx.Response) -> float:
    value = response.headers.get("retry-after", "").strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        return max((parsedate_to_datetime(value) - now()).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return 0.0


class HttpPushChannel(ChannelConfig):
    kind: Literal["http-push"]
    url: AnyHttpUrl = Field(title="Endpoint", description="URL the hub POSTs tasks to.")
    token_env: str = Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        title="Token variable",
        description="Name of the environment variable holding the bearer token (never the token itself).",
    )
    timeout_s: float = Field(10, gt=0, le=300, title="Timeout (s)")
    format: Literal["standard"] = Field(
        "standard",
        title="Format",
        description="The standard's XML, the only one pushed (a registry's or bank's own system polls: ckw).",
    )

    @field_validator("url")
    @classmethod
    def _no_credentials(cls, url: AnyHttpUrl) -> AnyHttpUrl:
        # httpx would send them as Basic auth in place of the bearer token, and a URL is shown and logged
        if url.username or url.password:
            raise ValueError(
                "the URL carries a user name or password: give the unit's secret in token_env instead"
            )
        return url


class _Unreadable(Exception):
    """The answer cannot be taken (too large, too slow, not XML...): the unit was served, this is noted."""


def _inflater(encoding: str) -> Callable[[bytes, int], bytes]:
    """feed(data, most) -> at most `most` bytes of the answer as sent, for its Content-Encoding.

    httpx's own decoders inflate a whole network read at once: 64 KiB of gzip to 64 MiB."""
    if encoding in ("", "identity"):
        return lambda data, most: data
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise _Unreadable(f"the answer's Content-Encoding {encoding[:40]!r} is not one the hub reads")
    # gzip, or deflate zlib-wrapped as RFC 9110 says (32: either header); raw deflate as some servers send it
    state = {"inflate": zlib.decompressobj(zlib.MAX_WBITS | (16 if "gzip" in encoding else 32)), "fed": False}

    def feed(data: bytes, most: int) -> bytes:
        try:
            out = state["inflate"].decompress(data, most)
        except zlib.error:
            if encoding != "deflate" or state["fed"]:
                raise
            state["inflate"] = zlib.decompressobj(-zlib.MAX_WBITS)
            out = state["inflate"].decompress(data, most)
        state["fed"] = True
        return out

    return feed


def _read(response: httpx.Response, limit: int, deadline: float, *, prefix: bool = False) -> bytes:
    """The answer's body, its encoding undone, at most `limit` bytes (network or inflated); read until
    `deadline` (time.monotonic). Past either: _Unreadable, or with `prefix` what came until then."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    declared = response.headers.get("content-length", "").strip()
    if not prefix and declared.isdigit() and int(declared) > limit:
        raise _Unreadable(f"the answer declares {declared} bytes, more than the limit of {limit}: not read")
    feed, body, network = _inflater(encoding), bytearray(), 0
    try:
        for data in response.iter_raw(READ_BYTES):
            network += len(data)
            body += feed(data, limit + 1 - len(body))
            if len(body) > limit or network > limit:
                if prefix:
                    return bytes(body[:limit])
                raise _Unreadable(f"the answer is larger than the limit of {limit} bytes: not read")
            if time.monotonic() > deadline:
                if prefix:
                    return bytes(body)
                raise _Unreadable("the answer did not arrive whole in the channel's timeout: not read")
    except zlib.error as exc:
        if prefix:
            return bytes(body)
        raise _Unreadable(f"the answer's {encoding} encoding is broken ({exc}): not read") from None
    return bytes(body)


def _excerpt(response: httpx.Response, deadline: float) -> str:
    try:
        data = _read(response, EXCERPT_BYTES, deadline, prefix=True)
    except _Unreadable:  # an encoding the hub does not read
        data = b""
    try:
        text = data.decode(response.charset_encoding or "utf-8", errors="replace")
    except LookupError:
        text = data.decode("utf-8", errors="replace")
    text = text.strip().replace("\n", " ")
    return f"HTTP {response.status_code}" + (f": {text[:200]}" if text else "")


class HttpPushAdapter(Adapter):
    kind = "http-push"
    config_model = HttpPushChannel
    config: HttpPushChannel

    def serve(self, delivery: Delivery) -> Outcome:
        secret = os.environ.get(self.config.token_env, "").strip()  # an env file saved on Windows ends in \r
        if not secret:
            raise Misconfigured(
                f"the environment variable {self.config.token_env} (the bearer secret) is not set"
            )
        if not (secret.isascii() and secret.isprintable()):
            raise Misconfigured(
                f"the environment variable {self.config.token_env} holds characters an HTTP header cannot carry"
            )
        url = str(self.config.url)
        try:
            with httpx.stream(
                "POST",
                url,
                content=delivery.document,
                headers={
                    "Content-Type": "application/xml",
                    "Accept-Encoding": "gzip, deflate",  # what _inflater reads
                    "X-Hub-Task-Id": str(delivery.task_id),
                    "X-Hub-Request-No": delivery.request_no,
                    "Authorization": f"Bearer {secret}",
                },
                timeout=self.config.timeout_s,
            ) as response:
                deadline = time.monotonic() + self.config.timeout_s
                if response.is_success:
                    try:
                        return Served(at=now(), receipt=self._answer(response, deadline))
                    except _Unreadable as exc:
                        return Served(at=now(), note=str(exc))
                excerpt = _excerpt(response, deadline)
        except httpx.TimeoutException:
            return RetryLater(0, f"{url}: no answer within {self.config.timeout_s:g} s")
        except httpx.HTTPError as exc:  # never echo the secret, whatever the transport says
            return RetryLater(0, f"{url}: {type(exc).__name__}: {str(exc).replace(secret, '***')}")
        if response.status_code in RETRYABLE or response.status_code >= 500:
            return RetryLater(_retry_after(response), f"{url}: {excerpt}")
        return Refused(f"{url}: {excerpt}")

    def _answer(self, response: httpx.Response, deadline: float) -> bytes | None:
        """The receipt the unit answered with at once, in the standard; None for a plain acknowledgement."""
        if "xml" not in response.headers.get("content-type", ""):
            return None  # not read at all
        content = _read(response, self.context.settings.max_document_bytes, deadline)
        if not content.strip():
            return None
        try:
            root = parse(content).getroot()
        except DocumentError as exc:
            raise _Unreadable(f"the answer is not readable XML: {exc}") from exc
        return content if root.tag == RECEIPT else None
