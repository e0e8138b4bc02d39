"""Check digits of the identity numbers the standard verifies (DOMAIN.md, "Identity numbers")."""

import re
from datetime import date

_RESIDENT_WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]
_RESIDENT_CHECK = "10X98765432"
_RESIDENT_RE = re.compile(r"[0-9]{17}[0-9X]")

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
_USCC_RE = re.compile(f"[{USCC_CHARSET}]{{18}}")


def not_ascii_problem(number: str) -> str | None:
    """Why `number`, written with characters outside ASCII (full-width ２, Arabic-Indic ٢), is not the
    number as registries hold it, or None: an identity number is checked and stored in ASCII only."""
    if number.isascii():
        return None
    first = next(c for c in number if not c.isascii())
    return (
        f"the number holds {first!r} (U+{ord(first):04X}), not an ASCII character: write it with the "
        "half-width digits 0-9 and letters A-Z"
    )


def resident_id_problem(number: str) -> str | None:
    """Why `number` is not a valid resident ID (GB 11643), or None. Lower-case x is accepted."""
    if why := not_ascii_problem(number):
        return why
    number = number.upper()
    if not _RESIDENT_RE.fullmatch(number):
        return "a resident ID has 17 digits and a check digit (0-9 or X)"
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return f"the birth date {number[6:14]} in the resident ID does not exist"
    if born.year < 1880 or born > date.today():
        return f"the birth date {born.isoformat()} in the resident ID is impossible"
    total = sum(int(d) * w for d, w in zip(number[:17], _RESIDENT_WEIGHTS, strict=True))
    expected = _RESIDENT_CHECK[total % 11]
    if number[17] != expected:
        return f"wrong check digit: {number[17]}, expected {expected} (ISO 7064 MOD 11-2)"
    return None


def uscc_problem(code: str) -> str | None:
    """Why `code` is not a valid unified social credit code (GB 32100), or None."""
    if why := not_ascii_problem(code):
        return why
    if not _USCC_RE.fullmatch(code):
        return "a unified social credit code has 18 characters from 0-9 and A-Z without I, O, Z, S, V"
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(code[:17], _USCC_WEIGHTS, strict=True))
    expected = USCC_CHARSET[(31 - total % 31) % 31]
    if code[17] != expected:
        return f"wrong check character: {code[17]}, expected {expected} (GB 32100)"
    return None
