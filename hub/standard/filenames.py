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


def safe_name(name: str, *, taken: set[str], extra: int = 0) -> str:
    """`name` when every file system takes it and no name in `taken` is the same to Windows (case and
    Unicode normalization aside); else a name close to it that is. The name chosen joins `taken`."""
    cleaned, safe = name, name_problem(name, extra=extra) is None
    if not safe:
        cleaned = "".join(
            "_" if c in FORBIDDEN or unicodedata.category(c) in BAD_CATEGORIES else c for c in name
        )
        cleaned = cleaned.strip(". ") or "file"
    head, dot, tail = cleaned.rpartition(".")
    stem, ext = (head, f".{tail}") if dot and head and len(tail.encode()) <= 16 else (cleaned, "")
    candidate, n = (name if safe else _fit(stem, ext, extra)), 1
    while key_of(candidate) in taken or name_problem(candidate, extra=extra) is not None:
        n += 1
        candidate = _fit(stem, f"-{n}{ext}", extra)
    taken.add(key_of(candidate))
    return candidate


def _fit(stem: str, tail: str, extra: int) -> str:
    """stem + tail within MAX_FILENAME_BYTES - extra bytes, cut at a character; a device name gets a "_" before it."""
    if is_device(stem + tail):
        stem = f"_{stem}"
    room = MAX_FILENAME_BYTES - extra - len(tail.encode())
    return (stem.encode()[:room].decode(errors="ignore").rstrip(". ") or "file") + tail


def key_of(name: str) -> str:
    """The name as Windows and a zip extractor compare it: two names with one key collide."""
    return unicodedata.normalize("NFC", name).casefold()
