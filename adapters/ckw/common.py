"""What the 查控 profiles share: their units' values decoded, numbers read strictly, texts clipped, the
digest of a feedback as received, and the rule that makes a control receipt's outcome of its items'
results. Each profile keeps its wire (names, shapes, encodings) in its own module.

Numbers are read by pattern, never handed whole to Decimal or Fraction: an exponent such as 1e10000000
would cost seconds of CPU to expand, and an amount the standard cannot hold would fail later, when the
receipt is written. What does not match is a FormatError naming the field, and that request's feedback
fails alone.
"""

import base64
import binascii
import copy
import hashlib
import re
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from pathlib import PurePosixPath
from typing import TypeVar

from lxml import etree

from adapters.ckw.profile import File, FormatError
from hub.standard.codes import Action
from hub.standard.codes import Outcome as Result

NOT_XML_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
MAX_DESCRIPTION = 500  # of an asset's or an encumbrance's Description
MAX_REASON = 4000  # of a receipt's reason

_T = TypeVar("_T")
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
# An amount as DecimalFormat's 0.00 writes it, at most what the standard holds (18 digits, 2 of them
# decimals). No sign, exponent or separator: a comma may be a thousands or a decimal separator, and no
# client of the spec writes either.
_MONEY = re.compile(r"[0-9]{1,16}(?:\.[0-9]{1,2})?")
_PERCENT = re.compile(r"([0-9]{1,3}(?:\.[0-9]{1,6})?)[%％]")
_DECIMAL = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,6})?")
_FRACTION = re.compile(r"([0-9]{1,9})/([0-9]{1,9})")
_SHOWN = 40  # characters of a refused value repeated in the message


def money(text: str | None, *, field: str, where: str | None = None) -> Decimal | None:
    """An amount as the clients write it (digits, at most two decimals: 2345.67), to two decimals; None
    when empty; FormatError naming the field for anything else."""
    text = (text or "").strip()
    if not text:
        return None
    if not _MONEY.fullmatch(text):
        why = f"expected an amount such as 2345.67 (at most 16 digits and 2 decimals), got {shown(text)!r}"
        raise FormatError(field, why, where=where)
    return Decimal(text).quantize(Decimal("0.01"))


def share(text: str | None) -> str | None:
    """A share of a whole as the registries write it (QLBL, free text): "50%", "50", "0.5" and "1/2" are all
    "1/2". None when it is none of these forms (共同共有...) or no share of a whole (0, more than all)."""
    text = (text or "").strip()
    if percent := _PERCENT.fullmatch(text):
        value = Fraction(percent.group(1)) / 100
    elif fraction := _FRACTION.fullmatch(text):
        if int(fraction.group(2)) == 0:
            return None
        value = Fraction(int(fraction.group(1)), int(fraction.group(2)))
    elif _DECIMAL.fullmatch(text):
        value = Fraction(text)
        value = value / 100 if 1 < value <= 100 else value
    else:
        return None
    return f"{value.numerator}/{value.denominator}" if 0 < value <= 1 else None


def decode_value(raw: str, charsets: tuple[str, ...]) -> str | None:
    """A value as the clients encode it: base64 (line breaks and spaces anywhere) of its text in the first
    of `charsets` that reads it. The text stripped, or None when it is not one."""
    compact = "".join(raw.split())
    if not compact or len(compact) % 4 or not _BASE64.fullmatch(compact):
        return None
    try:
        data = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None
    for charset in charsets:
        try:
            return data.decode(charset).strip()
        except UnicodeDecodeError:
            continue
    return None


def digest(
    elements: Iterable[etree._Element], *, leave_out: Iterable[str] = (), compact: bool = False
) -> str:
    """sha256 of the elements in canonical XML, as received but for what does not change what they report:
    comments and the whitespace between elements; with `compact` (values in base64) the whitespace inside
    values, where base64 breaks its lines; and the attributes and elements named in `leave_out` (in any
    case): when the unit sent them. The same results sent again later have the same digest."""
    names = {name.upper() for name in leave_out}
    sha = hashlib.sha256()
    for element in elements:
        alone = copy.deepcopy(element)
        alone.tail = None
        for each in list(alone.iter()):
            if each is not alone and (
                not isinstance(each.tag, str) or etree.QName(each).localname.upper() in names
            ):
                each.getparent().remove(each)
                continue
            for name in list(each.attrib):
                if etree.QName(name).localname.upper() in names:
                    del each.attrib[name]
                elif compact:
                    each.set(name, "".join(each.get(name, "").split()))
            each.text = _kept(each.text, compact=compact and len(each) == 0)
            each.tail = _kept(each.tail, compact=False)
        sha.update(etree.tostring(alone, method="c14n", with_comments=False) + b"\n")
    return sha.hexdigest()


def control_outcome(action: Action, *, done: int, whole: bool) -> Result:
    """A control request's outcome from its items' results. Nothing done: UNABLE. A release: RELEASED,
    naming the items released (the standard has no partial release: the reason names the rest). Every item
    done, in full: CONTROLLED. Else (an item not done, not answered, or done for less than asked): PARTIAL.
    `done` counts the items done; `whole` says that every item of the request was, in full."""
    if not done:
        return Result.UNABLE
    if action is Action.RELEASE:
        return Result.RELEASED
    return Result.CONTROLLED if whole else Result.PARTIAL


def reasons(parts: Iterable[str | None]) -> str | None:
    """The reasons of a receipt in one text, each once, in order; None when there are none."""
    texts = unique(part.strip() for part in parts if part and part.strip())
    return clip("；".join(texts), MAX_REASON) if texts else None


def named(file: File) -> tuple[str, str]:
    """A file's name without extension and its extension (WJMC, WJLX), the extension from its first bytes
    when the name has none."""
    path = PurePosixPath(file.filename)
    return path.stem or file.filename, path.suffix[1:].lower() or _kind_of(file.data)


def clip(text: str, limit: int = MAX_DESCRIPTION) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def labelled(label: str, value: str | None) -> str | None:
    return f"{label}：{value}" if value else None


def shown(text: str) -> str:
    """A unit's value as a message repeats it: clipped."""
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def unique(values: Iterable[_T]) -> list[_T]:
    return list(dict.fromkeys(values))


def _kept(text: str | None, *, compact: bool) -> str | None:
    if not text or not text.strip():
        return None
    return "".join(text.split()) if compact else text


def _kind_of(data: bytes) -> str:
    for magic, kind in ((b"%PDF", "pdf"), (b"\x89PNG", "png"), (b"\xff\xd8\xff", "jpg")):
        if data.startswith(magic):
            return kind
    return "bin"
