"""Text files as lines plus the exact bytes around them: line endings (per line, so mixed files
survive), a missing final newline, a UTF-8 BOM. Bytes that are not UTF-8 (a Latin-1 file, one
stray byte) are kept as surrogate escapes, so every file round-trips byte for byte; files with
NUL bytes are binary and refused as text."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from rigtui.edits.errors import PatchRefused

BOM = b"\xef\xbb\xbf"
SURROGATES = "surrogateescape"  # undecodable bytes as U+DC80..U+DCFF, encoded back exactly


def sha256(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


@dataclass
class TextFile:
    lines: list[str]  # without their endings
    endings: list[str]  # "\n", "\r\n", or "" for a last line with no final newline
    eol: str = "\n"  # the dominant ending, given to new lines
    bom: bool = False

    @property
    def final_newline(self) -> bool:
        return not self.endings or self.endings[-1] != ""

    @property
    def plain(self) -> bool:
        """Every line ends in LF, but maybe the last (which has none): the endings carry
        nothing but the final newline."""
        last = self.endings[-1] if self.endings else None
        return self.endings.count("\n") == len(self.endings) - (last == "")

    @classmethod
    def decode(cls, data: bytes, path: str = "file") -> TextFile:
        bom = data.startswith(BOM)
        body = data[len(BOM) :] if bom else data
        if b"\x00" in body[:8192]:
            raise PatchRefused(
                f"{path}: binary file (it contains NUL bytes); rigtui only patches text files",
                fix="edit binary files outside rigtui",
            )
        return cls.from_text(body.decode("utf-8", SURROGATES), bom=bom)

    @classmethod
    def from_text(cls, text: str, *, bom: bool = False) -> TextFile:
        parts = text.split("\n")
        if "\r" not in text:  # the common case, without a per-line test
            lines = parts[:-1]
            endings = ["\n"] * len(lines)
            if parts[-1]:
                lines.append(parts[-1])
                endings.append("")
            return cls(lines, endings, "\n", bom)
        lines = []
        endings = []
        for part in parts[:-1]:
            if part.endswith("\r"):
                lines.append(part[:-1])
                endings.append("\r\n")
            else:
                lines.append(part)
                endings.append("\n")
        if parts[-1]:
            lines.append(parts[-1])
            endings.append("")
        crlf = endings.count("\r\n")
        eol = "\r\n" if crlf > endings.count("\n") else "\n"
        return cls(lines, endings, eol, bom)

    def encode(self) -> bytes:
        if self.endings and self.plain:
            text = "\n".join(self.lines) + self.endings[-1]  # LF only (maybe no final newline)
        else:
            pairs = zip(self.lines, self.endings, strict=True)
            text = "".join(f"{line}{end}" for line, end in pairs)
        return (BOM if self.bom else b"") + text.encode("utf-8", SURROGATES)

    def rebuilt(self, lines: list[str], endings: list[str], final_newline: bool) -> TextFile:
        """A new file with these lines: every line but the last gets an ending, and the last one
        has one exactly when `final_newline`."""
        endings = [end or self.eol for end in endings]
        if lines:
            endings[-1] = (endings[-1] or self.eol) if final_newline else ""
        return TextFile(lines, endings, self.eol, self.bom)
