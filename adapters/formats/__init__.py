"""Member units' own formats: the mapping between the standard and a unit's document format.

The http-push adapter looks a unit's `format` (directory, channel entry) up in `FORMATS`. For any format
but "standard" it sends `encode_request(document)` instead of the request as received, and turns the
unit's answer into a standard AssistanceReceipt with `decode_answer`, which it then hands to the hub as if
the unit had sent it. Both functions are pure (no database, no HTTP, no clock).

No unit format is mapped today: the real-estate registries' systems speak the court-side 查控 service
(adapters/ckw), which replaced a made-up registry format here. `FormatError` is the mapping error of both.
"""

from dataclasses import dataclass
from typing import Literal, Protocol

from hub.standard.codes import Action


class FormatError(ValueError):
    """A document cannot be mapped. `field` names the offending field, and the message says why.

    The message reads "<field>: <why>", e.g. "KZZT: expected 1 or 2, got '9' (KZJG/KZ[1])".
    An adapter should treat it as a refusal of this document (no retry changes the bytes).
    """

    def __init__(self, field: str, why: str, *, where: str | None = None) -> None:
        super().__init__(f"{field}: {why}" + (f" ({where})" if where else ""))
        self.field = field


class EncodeRequest(Protocol):
    def __call__(self, document: bytes) -> bytes:
        """A standard AssistanceRequest, as the court sent it, in the unit's request format."""
        ...


class DecodeAnswer(Protocol):
    def __call__(self, answer: bytes, *, request: bytes, unit_code: str, receipt_no: str) -> bytes:
        """The unit's answer to `request` as a standard AssistanceReceipt from `unit_code`.

        The receipt passes `hub.standard.rules.inspect(..., expect="receipt")` and
        `receipt_problems(..., action=<the request's action>)`. How the ReceiptNo is chosen (and when
        `receipt_no` is used) is each format's to document.
        """
        ...


@dataclass(frozen=True)
class UnitFormat:
    """One unit format: its name (the directory's `format`), the actions it carries, and the mapping."""

    name: str
    actions: frozenset[Action]
    encode_request: EncodeRequest
    decode_answer: DecodeAnswer


FORMATS: dict[str, UnitFormat] = {}

# A unit's `format` in the directory: the standard's XML, or one of FORMATS.
Format = Literal["standard"]

__all__ = ["FORMATS", "DecodeAnswer", "EncodeRequest", "Format", "FormatError", "UnitFormat"]
