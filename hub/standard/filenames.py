"""File names that every place the hub writes a file takes: Linux and Windows folders (a unit's share, a
township PC), zip archives (the evidence export) and e-mail attachments.

The XSD's FileName pattern already refuses the characters no filesystem takes and names that begin or end
with a dot or a space; what a pattern cannot say is checked here too: the names Windows reserves for
devices, and the length in bytes (a folder entry holds 255 bytes of UTF-8; the hub adds prefixes and
suffixes such as `<claim>-<name>.error.txt`, so a listed name keeps 200 of them).
"""

import unicodedata

MAX_FILENAME_BYTES = 200
FORBIDDEN = frozenset('/\\:*?"<>|')  # Windows refuses these; / and \ are separators in a zip too
# control, format (bidirectional overrides, zero-width), lone surrogates, line and paragraph separators
BAD_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"{port}{n}" for port in ("COM", "LPT") for n in "123456789¹²³")}
)


def is_device(name: str) -> bool:
    """A Windows device name (CON, COM1...): the part before the first dot, whatever the extension."""
    return name.split(".")[0].rstrip(" ").upper() in DEVICES


def name_problem(name: str, *, extra: int = 0) -> str | None:
    """What keeps `name` from being a file's name everywhere once the hub adds `extra` bytes of its own
    to it (a prefix, a suffix), as a phrase ("is a Windows device name"); None when nothing does."""
    if not name:
        return "is empty"
    if any(c in FORBIDDEN for c in name):
        return 'holds one of the characters / \\ : * ? " < > |'
    if bad := next((c for c in name if unicodedata.category(c) in BAD_CATEGORIES), None):
        return f"holds U+{ord(bad):04X}, a control character (a line break, a tab, a direction mark)"
    if name[0] in ". " or name[-1] in ". ":
        return "begins or ends with a dot or a space"
    if is_device(name):
        return "is a Windows device name (CON, PRN, AUX, NUL, COM1-9, LPT1-9, with or without an extension)"
    if (size := len(name.encode()) + extra) > MAX_FILENAME_BYTES:
        return (
            f"is {size - extra} bytes of UTF-8, longer than the {MAX_FILENAME_BYTES - extra} a file name may "
            f"have (about {(MAX_FILENAME_BYTES - extra) // 3} Chinese characters)"
        )
    return None


def filename_problem(name: str) -> str | None:
    """Why a document cannot list a file named `name`, as a sentence; None when it can."""
    why = name_problem(name)
    return f"the file name {name!r} {why}: rename the file" if why else None
