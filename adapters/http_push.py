"""http-push: the hub POSTs each task to the unit's own system.

The request goes as the court sent it (or in the unit's own format, adapters/formats), as
`application/xml`, with headers X-Hub-Task-Id and X-Hub-Request-No and `Authorization: Bearer <secret>`,
the secret read from the environment variable the directory names in `token_env`.

- 2xx: served. When the body is an AssistanceReceipt (a registry answering queries by itself), it is
  returned with the outcome and the hub applies it as the unit's receipt; otherwise the unit posts its
  receipt later through the API with its unit token, and fetches the listed files with that token.
- 408, 425, 429, 5xx, a timeout, a refused or broken connection: retry later (Retry-After is honoured).
- Any other status: refused by this channel for good; the hub goes on to the unit's fallback.
"""

import os
from email.utils import parsedate_to_datetime

import httpx

from adapters.base import Adapter, Delivery, Misconfigured, Outcome, Refused, RetryLater, Served
from adapters.formats import FORMATS, FormatError
from hub.clock import now
from hub.directory.loader import HttpPushChannel
from hub.standard import NS
from hub.standard.xml import DocumentError, parse

RETRYABLE = {408, 425, 429}
RECEIPT = f"{{{NS}}}AssistanceReceipt"


def _retry_after(response: httpx.Response) -> float:
    value = response.headers.get("retry-after", "").strip()
    if value.isdigit():
        return float(value)
    try:
        return max((parsedate_to_datetime(value) - now()).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return 0.0


def _excerpt(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return f"HTTP {response.status_code}" + (f": {text[:200]}" if text else "")


class _Unreadable(Exception):
    pass


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
        unit_format = FORMATS.get(self.config.format) if self.config.format != "standard" else None
        body = delivery.document
        if unit_format is not None:
            try:
                body = unit_format.encode_request(delivery.document)
            except FormatError as exc:
                return Refused(f"the request cannot be written in the {self.config.format} format: {exc}")
        url = str(self.config.url)
        try:
            response = httpx.post(
                url,
                content=body,
                headers={
                    "Content-Type": "application/xml",
                    "X-Hub-Task-Id": str(delivery.task_id),
                    "X-Hub-Request-No": delivery.request_no,
                    "Authorization": f"Bearer {secret}",
                },
                timeout=self.config.timeout_s,
            )
        except httpx.TimeoutException:
            return RetryLater(0, f"{url}: no answer within {self.config.timeout_s:g} s")
        except httpx.HTTPError as exc:  # never echo the secret, whatever the transport says
            return RetryLater(0, f"{url}: {type(exc).__name__}: {str(exc).replace(secret, '***')}")
        if response.is_success:
            try:
                return Served(at=now(), receipt=self._answer(response, delivery, unit_format))
            except _Unreadable as exc:
                return Served(at=now(), note=str(exc))
        if response.status_code in RETRYABLE or response.status_code >= 500:
            return RetryLater(_retry_after(response), f"{url}: {_excerpt(response)}")
        return Refused(f"{url}: {_excerpt(response)}")

    def _answer(self, response: httpx.Response, delivery: Delivery, unit_format) -> bytes | None:
        """The receipt the unit answered with at once, in the standard; None for a plain acknowledgement."""
        if "xml" not in response.headers.get("content-type", "") or not response.content.strip():
            return None
        if unit_format is None:
            try:
                root = parse(response.content).getroot()
            except DocumentError as exc:
                raise _Unreadable(f"the answer is not readable XML: {exc}") from exc
            return response.content if root.tag == RECEIPT else None
        try:
            return unit_format.decode_answer(
                response.content,
                request=delivery.document,
                unit_code=delivery.unit_code,
                receipt_no=f"{delivery.unit_code}-{delivery.task_id}",
            )
        except FormatError as exc:
            raise _Unreadable(f"the answer is not a readable {self.config.format} document: {exc}") from exc
