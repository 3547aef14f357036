"""Deterministic zip bytes from the standard library's struct and zlib only.

Shared by the full build (:mod:`sls_neutral.core.artifacts`) and the incremental fast path
(:mod:`sls_neutral.core.replay`), which must rebuild a zip byte for byte without importing ``zipfile``
and the rest of the framework. The layout is exactly what ``zipfile.ZipFile.writestr`` writes for a
``ZipInfo`` with the 1980-01-01 timestamp, ``create_system`` 3 (Unix), deflate at the default level and
no extra fields (tests/unit/core/test_zip_bytes.py compares the two).
"""

from __future__ import annotations

import struct
import zlib

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
# Archives bigger than this need ZIP64 records, which only the zipfile writer produces.
ZIP64_LIMIT = (1 << 31) - 1
_VERSION = 20  # zipfile.DEFAULT_VERSION: what zipfile writes as the create and extract versions
_DEFLATED = 8
_S_IFREG = 0o100000
_LOCAL = struct.Struct("<4s2B4HL2L2H")  # zipfile.structFileHeader
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")  # zipfile.structCentralDir
_END = struct.Struct("<4s4H2LH")  # zipfile.structEndArchive
_DOSDATE = (ZIP_EPOCH[0] - 1980) << 9 | ZIP_EPOCH[1] << 5 | ZIP_EPOCH[2]
_DOSTIME = ZIP_EPOCH[3] << 11 | ZIP_EPOCH[4] << 5 | (ZIP_EPOCH[5] // 2)

MEMBER_CACHE: dict[tuple[str, int, str], tuple[bytes, bytes]] = {}


def member(name: str, data: bytes, mode: int, digest: str) -> tuple[bytes, bytes]:
    """(local header + deflated data, central directory record with offset 0) of one entry, compressed once
    per process: the runtime and shared sources are in every function's zip."""
    key = (name, mode, digest)
    cached = MEMBER_CACHE.get(key)
    if cached is not None:
        return cached
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    body = compressor.compress(data) + compressor.flush()
    try:
        filename, flags = name.encode("ascii"), 0
    except UnicodeEncodeError:
        filename, flags = name.encode("utf-8"), 0x800
    crc = zlib.crc32(data)
    local = _LOCAL.pack(b"PK\003\004", _VERSION, 0, flags, _DEFLATED, _DOSTIME, _DOSDATE, crc, len(body), len(data),
                        len(filename), 0) + filename + body
    attributes = ((_S_IFREG | mode) & 0xFFFF) << 16
    central = _CENTRAL.pack(b"PK\001\002", _VERSION, 3, _VERSION, 0, flags, _DEFLATED, _DOSTIME, _DOSDATE, crc,
                            len(body), len(data), len(filename), 0, 0, 0, 0, attributes, 0) + filename
    MEMBER_CACHE[key] = (local, central)
    return local, central


def assemble(entries: list[tuple[str, bytes, int, str]]) -> bytes:
    """The archive of ``(name, data, mode, sha256 of data)`` entries, in the order given."""
    parts: list[bytes] = []
    centrals: list[bytes] = []
    offset = 0
    cut = _CENTRAL.size - 4
    for name, data, mode, digest in entries:
        local, central = member(name, data, mode, digest)
        parts.append(local)
        centrals.append(central[:cut] + struct.pack("<L", offset) + central[_CENTRAL.size:])
        offset += len(local)
    directory = b"".join(centrals)
    count = len(entries)
    return b"".join(parts) + directory + _END.pack(b"PK\005\006", 0, 0, count, count, len(directory), offset, 0)


def members_of(archive: bytes) -> dict[str, tuple[bytes, bytes, int, int]]:
    """``name -> (local header + deflated data, central record with offset 0, uncompressed size, mode)`` of
    an archive :func:`assemble` wrote: what :func:`member` would return for each entry, so an archive rebuilt
    with one changed member copies the others instead of compressing them again. Empty when the archive
    is not laid out exactly so (then everything is compressed, as in a full build): every header must be
    the one :func:`member` writes. The deflated data is taken as it is: the caller has checked that the
    file is the one the last build wrote (core/replay.py compares its signature with the build record)."""
    end = len(archive) - _END.size
    if end < 0 or archive[end:end + 4] != b"PK\005\006":
        return {}
    _sig, _disk, _start, _here, count, size, start, _comment = _END.unpack_from(archive, end)
    if start + size != end:
        return {}
    out: dict[str, tuple[bytes, bytes, int, int]] = {}
    position = start
    cut = _CENTRAL.size - 4
    for _ in range(count):
        if archive[position:position + 4] != b"PK\001\002":
            return {}
        fields = _CENTRAL.unpack_from(archive, position)
        flags, crc, compressed, uncompressed, name_length, offset = \
            fields[5], fields[9], fields[10], fields[11], fields[12], fields[18]
        if fields[1:5] != (_VERSION, 3, _VERSION, 0) or fields[6:9] != (_DEFLATED, _DOSTIME, _DOSDATE) \
                or fields[13:17] != (0, 0, 0, 0):
            return {}
        record_end = position + _CENTRAL.size + name_length
        name_bytes = archive[position + _CENTRAL.size:record_end]
        local = _LOCAL.pack(b"PK\003\004", _VERSION, 0, flags, _DEFLATED, _DOSTIME, _DOSDATE, crc, compressed,
                            uncompressed, name_length, 0) + name_bytes
        local_end = offset + len(local) + compressed
        if archive[offset:offset + len(local)] != local or local_end > start:
            return {}
        central = archive[position:position + cut] + b"\0\0\0\0" + archive[position + _CENTRAL.size:record_end]
        mode = (fields[17] >> 16) & 0o7777
        out[name_bytes.decode("utf-8" if fields[5] & 0x800 else "ascii")] = (archive[offset:local_end], central,
                                                                              uncompressed, mode)
        position = record_end
    return out


def fits_plain(total_bytes: int, count: int) -> bool:
    """Whether :func:`assemble` can write the archive (no ZIP64 records needed)."""
    return total_bytes * 1.05 + 64 * count + 4096 <= ZIP64_LIMIT and count < 0xFFFF


def content_key(entries: list[tuple[str, bytes, int, str]]) -> str:
    """The key an archive is memoized under: names, modes and member digests."""
    import hashlib

    digest = hashlib.sha256()
    for name, _data, mode, member_digest in entries:
        digest.update(name.encode() + b"\0" + oct(mode).encode() + b"\0" + member_digest.encode() + b"\n")
    return digest.hexdigest()
