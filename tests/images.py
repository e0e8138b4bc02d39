"""Small real images for the tests, made here (the venv has no imaging library): a PNG of any size with a
pattern, and a baseline JPEG of uniform grey. Both decode in a browser."""

import struct
import zlib


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png(width: int = 64, height: int = 40, *, shade: int = 0, interlaced: bool = False) -> bytes:
    """An 8-bit RGB PNG: a blue card with a light band; `shade` makes another image of the same size."""
    rows = []
    for y in range(height):
        band = height // 4 <= y < height // 2
        pixel = bytes((230, 230, 230)) if band else bytes((40, (90 + shade) % 256, 180))
        rows.append(b"\x00" + pixel * width)
    if interlaced:  # the same pixels in Adam7's seven passes
        passes = (
            (0, 0, 8, 8),
            (4, 0, 8, 8),
            (0, 4, 4, 8),
            (2, 0, 4, 4),
            (0, 2, 2, 4),
            (1, 0, 2, 2),
            (0, 1, 1, 2),
        )
        raw = b""
        for x0, y0, dx, dy in passes:
            columns = range(x0, width, dx)
            if not columns:
                continue
            for y in range(y0, height, dy):
                raw += b"\x00" + b"".join(rows[y][1 + 3 * x : 4 + 3 * x] for x in columns)
    else:
        raw = b"".join(rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 1 if interlaced else 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def jpeg(width: int = 64, height: int = 40) -> bytes:
    """A baseline greyscale JPEG, uniform mid-grey: every 8 x 8 block a DC of 0 and at once its end
    (Huffman tables of one 1-bit code each)."""

    def segment(marker: int, body: bytes) -> bytes:
        return struct.pack(">BBH", 0xFF, marker, len(body) + 2) + body

    one_code = bytes([1] + [0] * 15) + b"\x00"  # one code of 1 bit, for the symbol 0
    blocks = ((width + 7) // 8) * ((height + 7) // 8)
    bits = "00" * blocks  # DC category 0, then end of block
    bits += "1" * (-len(bits) % 8)
    scan = bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits), 8))
    return (
        b"\xff\xd8"
        + segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        + segment(0xDB, b"\x00" + b"\x01" * 64)
        + segment(0xC0, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")
        + segment(0xC4, b"\x00" + one_code)
        + segment(0xC4, b"\x10" + one_code)
        + segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
        + scan
        + b"\xff\xd9"
    )
