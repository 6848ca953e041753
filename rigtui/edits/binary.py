"""Git's binary patches (`git diff --binary`): the `GIT binary patch` block of a diff, whose
`literal N` or `delta N` sections carry zlib-deflated bytes in git's base85, one line per up
to 52 bytes (the first character says how many: A-Z 1-26, a-z 27-52). The first section
turns the old file into the new one, the optional second the new into the old.

A delta is git's pack delta: the source and target sizes as varints, then instructions that
copy a range of the source or insert literal bytes.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from dataclasses import dataclass
from typing import Literal

from rigtui.edits.errors import PatchRefused, PatchSyntaxError

Kind = Literal["literal", "delta"]
LINE_BYTES = 52


@dataclass(frozen=True)
class BinaryData:
    kind: Kind
    data: bytes  # inflated: the file's bytes (literal) or delta instructions (delta)


@dataclass(frozen=True)
class BinaryPatch:
    forward: BinaryData
    reverse: BinaryData | None = None
    old_id: str = ""  # blob ids from the `index` line, maybe abbreviated ("" when absent)
    new_id: str = ""


def blob_id(data: bytes) -> str:
    """Git's object id of a file with these bytes."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _line_length(char: str, lineno: int) -> int:
    if "A" <= char <= "Z":
        return ord(char) - ord("A") + 1
    if "a" <= char <= "z":
        return ord(char) - ord("a") + 27
    raise PatchSyntaxError(f"line {lineno}: not a line of a git binary patch")


def parse_section(lines: list[str], i: int) -> tuple[BinaryData | None, int]:
    """The `literal N`/`delta N` section starting at line i (None when there is none), and
    the index after it (past its blank line)."""
    if i >= len(lines):
        return None, i
    head = lines[i].split()
    if len(head) != 2 or head[0] not in ("literal", "delta") or not head[1].isdigit():
        return None, i
    kind, size = head[0], int(head[1])
    encoded = bytearray()
    i += 1
    while i < len(lines) and lines[i]:
        line = lines[i]
        length = _line_length(line[0], i + 1)
        try:
            chunk = base64.b85decode(line[1:])
        except ValueError:
            raise PatchSyntaxError(f"line {i + 1}: broken base85 in a git binary patch") from None
        if len(chunk) < length:
            raise PatchSyntaxError(f"line {i + 1}: a git binary patch line is too short")
        encoded += chunk[:length]
        i += 1
    try:
        data = zlib.decompress(bytes(encoded))
    except zlib.error as exc:
        raise PatchSyntaxError(f"line {i}: a git binary patch does not inflate ({exc})") from None
    if len(data) != size:
        raise PatchSyntaxError(
            f"line {i}: a git binary patch says {size} bytes but holds {len(data)}"
        )
    return BinaryData(kind, data), i + 1  # type: ignore[arg-type]


def encode_section(data: bytes) -> list[str]:
    """`data` as a `literal N` section (what `git diff --binary` writes), blank line ended."""
    packed = zlib.compress(data, 9)
    out = [f"literal {len(data)}"]
    for start in range(0, len(packed), LINE_BYTES):
        chunk = packed[start : start + LINE_BYTES]
        n = len(chunk)
        mark = chr(ord("A") + n - 1) if n <= 26 else chr(ord("a") + n - 27)
        out.append(mark + base64.b85encode(chunk, pad=True).decode())
    out.append("")
    return out


def result(section: BinaryData, source: bytes | None, path: str) -> bytes:
    """The bytes a section makes from `source` (a literal ignores it)."""
    if section.kind == "literal":
        return section.data
    if source is None:
        raise PatchRefused(f"{path}: a binary delta needs the file it changes, which is absent")
    return apply_delta(source, section.data, path)


def _varint(data: bytes, pos: int, path: str) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise PatchRefused(f"{path}: the binary delta is cut short")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def apply_delta(source: bytes, delta: bytes, path: str) -> bytes:
    """Git's delta applied to `source`; refused when it was made from other bytes."""
    expected, pos = _varint(delta, 0, path)
    if expected != len(source):
        raise PatchRefused(
            f"{path}: the binary patch was made from a {expected}-byte file, this one has"
            f" {len(source)} bytes",
            fix="ask for a patch made against the current file",
        )
    size, pos = _varint(delta, pos, path)
    out = bytearray()
    while pos < len(delta):
        op = delta[pos]
        pos += 1
        if op & 0x80:  # copy from the source: offset and size bytes present per the low bits
            offset = length = 0
            for bit in range(4):
                if op & (1 << bit):
                    offset |= delta[pos] << (8 * bit)
                    pos += 1
            for bit in range(3):
                if op & (1 << (4 + bit)):
                    length |= delta[pos] << (8 * bit)
                    pos += 1
            length = length or 0x10000
            if offset + length > len(source):
                raise PatchRefused(f"{path}: the binary delta reads past the end of the file")
            out += source[offset : offset + length]
        elif op:  # insert the next `op` bytes
            out += delta[pos : pos + op]
            pos += op
        else:
            raise PatchRefused(f"{path}: the binary delta has an unknown instruction")
    if len(out) != size:
        raise PatchRefused(f"{path}: the binary delta made {len(out)} bytes, not {size}")
    return bytes(out)
