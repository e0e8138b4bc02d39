"""Archives built to exhaust the checker: `hub evidence verify` refuses them at once, in little memory.

A ZIP bomb here is one megabyte of deflate data that inflates to a gibibyte: the same block of a
mebibyte of spaces, compressed once and repeated (each block starts afresh after a full flush).
"""

import hashlib
import json
import struct
import time
import tracemalloc
import zlib
from pathlib import Path

from evidence_case import invoke

from hub.evidence import layout
from hub.evidence.verify import verify_archive

MIB = 1024 * 1024
GIB = 1024 * MIB


def _bomb(size: int) -> tuple[bytes, int]:
    """Raw deflate data inflating to `size` spaces (a multiple of 1 MiB), and the CRC-32 of those spaces."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(b" " * MIB) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc, piece = 0, b" " * MIB
    for _ in range(size // MIB):
        crc = zlib.crc32(piece, crc)
    return block * (size // MIB) + compressor.flush(), crc


def _zip(path: Path, members: list[tuple[str, bytes, int, int, int]]) -> Path:
    """A ZIP written by hand: (name, stored data, method, crc, declared size) per member, as a forger may."""
    local, central = bytearray(), bytearray()
    for name, data, method, crc, size in members:
        encoded, offset = name.encode(), len(local)
        fields = struct.pack("<HHHHIII", 0, method, 0, 0x21, crc, len(data), size)
        local += b"PK\x03\x04" + struct.pack("<H", 20) + fields + struct.pack("<HH", len(encoded), 0)
        local += encoded + data
        central += b"PK\x01\x02" + struct.pack("<HH", 20, 20) + fields
        central += struct.pack("<HHHHHII", len(encoded), 0, 0, 0, 0, 0, offset) + encoded
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(local), 0)
    path.write_bytes(bytes(local + central + end))
    return path


def _stored(name: str, data: bytes) -> tuple[str, bytes, int, int, int]:
    return name, data, 0, zlib.crc32(data), len(data)


def _manifest(*members: dict) -> bytes:
    return json.dumps(
        {
            "format": layout.FORMAT,
            "members": list(members),
            "audit_head": {"seq": 0, "hash": "0" * 64},
            "signature": None,
        }
    ).encode()


def _checked(path: Path):
    """verify_archive(path), with the seconds it took and the most memory it held (tracemalloc)."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        verdict = verify_archive(path, allow_unsigned=True)
        return verdict, time.perf_counter() - started, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_manifest_that_inflates_to_a_gibibyte_is_refused_unread(tmp_path):
    data, crc = _bomb(GIB)
    assert len(data) < 1.1 * MIB
    path = _zip(tmp_path / "bomb.zip", [(layout.MANIFEST, data, 8, crc, GIB)])

    verdict, seconds, peak = _checked(path)
    assert not verdict.ok and verdict.member == layout.MANIFEST
    assert "declares 1073741824 bytes" in verdict.reason and "not read" in verdict.reason
    assert seconds < 0.5 and peak < 8 * MIB

    result = invoke(None, "evidence", "verify", str(path), "--allow-unsigned")
    assert result.exit_code == 1
    assert result.output.startswith("evidence NOT intact: manifest.json: declares 1073741824 bytes")


def test_a_listed_member_that_inflates_to_a_gibibyte_is_refused_unread(tmp_path):
    """The manifest lists the bomb with its true size and sha256, as a forger signing with his own key would."""
    data, crc = _bomb(GIB)
    digest = hashlib.sha256()
    for _ in range(GIB // MIB):
        digest.update(b" " * MIB)
    name = "requests/AT-2026-000123/files/notice.pdf"
    manifest = _manifest({"path": name, "size": GIB, "sha256": digest.hexdigest(), "kind": "request-file"})
    path = _zip(tmp_path / "bomb.zip", [_stored(layout.MANIFEST, manifest), (name, data, 8, crc, GIB)])

    verdict, seconds, peak = _checked(path)
    assert not verdict.ok and verdict.member == name
    assert "declares 1073741824 bytes" in verdict.reason and "256" in verdict.reason
    assert seconds < 0.5 and peak < 8 * MIB


def test_a_member_whose_size_in_the_zip_is_not_the_manifests_is_not_inflated(tmp_path):
    """The ZIP declares 200 MiB where the manifest says 1 KiB: refused without inflating anything."""
    data, crc = _bomb(200 * MIB)
    name = "audit.jsonl"
    manifest = _manifest({"path": name, "size": 1024, "sha256": "0" * 64, "kind": "audit"})
    path = _zip(tmp_path / "bomb.zip", [_stored(layout.MANIFEST, manifest), (name, data, 8, crc, 200 * MIB)])

    verdict, seconds, peak = _checked(path)
    assert not verdict.ok and verdict.member == name
    assert verdict.reason == f"is {200 * MIB} bytes, the manifest says 1024: it was changed"
    assert seconds < 0.1 and peak < 4 * MIB
