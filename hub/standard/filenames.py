"""File names that every place the hub writes a file takes: Linux and Windows folders (a unit's share, a
township PC), zip archives (the evidence export) and e-mail attachments.

The XSD's FileName pattern already refuses the characters no filesystem takes and names that begin or end
with a dot or a space; what a pattern cannot say is checked here: the names Windows reserves for devices,
and the length in bytes (a folder entry holds 255 bytes of UTF-8; the hub adds prefixes and suffixes such as
`<claim>-<name>.error.txt`, so a listed name keeps 200 of them).
"""

import re
import unicodedata

MAX_FILENAME_BYTES = 200
# CON, PRN, AUX, NUL, COM0-9, LPT0-9 (and superscript digits): the part before the first dot
_RESERVED = re.compile(r"CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|(COM|LPT)[0-9¹²³]", re.IGNORECASE)
_FORBIDDEN = frozenset('/\\:*?"<>|')


def filename_problem(name: str) -> str | None:
    """Why `name` cannot be a file's name on every target, or None when it can."""
    for char in name:
        if char in _FORBIDDEN or unicodedata.category(char) in ("Cc", "Cf"):
            shown = char if char in _FORBIDDEN else f"U+{ord(char):04X}"
            return f"the file name {name!r} holds {shown}, which a file name cannot hold on every system"
    if not name or name[0] in ". " or name[-1] in ". ":
        return f"the file name {name!r} cannot begin or end with a dot or a space"
    if _RESERVED.fullmatch(name.split(".", 1)[0].rstrip(" ")):
        return f"the file name {name!r} is reserved for a device on Windows: rename the file"
    size = len(name.encode("utf-8"))
    if size > MAX_FILENAME_BYTES:
        return (
            f"the file name is {size} bytes in UTF-8, more than the {MAX_FILENAME_BYTES} a file name may have "
            f"(about {MAX_FILENAME_BYTES // 3} Chinese characters): shorten it"
        )
    return None
