"""A tool's result as rigtui uses it: text for the model, and the binary parts (images, audio,
embedded blobs) as files to save. Reads the SDK's result objects by their fields only."""

from __future__ import annotations

import base64
import binascii
import json
import mimetypes
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Blob:
    """A binary part of a result: what it is and its bytes."""

    kind: str  # image | audio | resource
    mime_type: str
    data: bytes
    uri: str = ""

    def file_name(self, index: int) -> str:
        ext = mimetypes.guess_extension(self.mime_type or "") or ".bin"
        return f"{index}-{self.kind}{ext}"


@dataclass(frozen=True)
class ToolResult:
    """The text parts in order (a binary part leaves a `[[blob N]]` marker where it was),
    the binary parts, and whether the server said the call failed."""

    text: str
    blobs: tuple[Blob, ...] = ()
    is_error: bool = False

    def with_files(self, names: list[str]) -> str:
        """The text with each binary part's marker replaced by what became of it."""
        text = self.text
        for n, (blob, name) in enumerate(zip(self.blobs, names, strict=True), 1):
            what = f"{blob.kind} {blob.mime_type or 'of unknown type'}, {len(blob.data)} bytes"
            text = text.replace(f"[[blob {n}]]", f"[{what}: saved as {name}]")
        return text


def _decode(data: str) -> bytes:
    try:
        return base64.b64decode(data, validate=False)
    except (binascii.Error, ValueError):
        return data.encode("utf-8", "replace")


def tool_result(result: Any) -> ToolResult:
    """From the SDK's CallToolResult (content blocks, structured content, is_error)."""
    parts: list[str] = []
    blobs: list[Blob] = []

    def blob(kind: str, mime: str, data: str, uri: str = "") -> None:
        blobs.append(Blob(kind, mime, _decode(data), uri))
        parts.append(f"[[blob {len(blobs)}]]")

    for block in result.content or []:
        kind = getattr(block, "type", "")
        if kind == "text":
            parts.append(block.text)
        elif kind in ("image", "audio"):
            blob(kind, block.mime_type, block.data)
        elif kind == "resource_link":
            title = f" ({block.description})" if getattr(block, "description", None) else ""
            parts.append(f"[resource link: {block.name} {block.uri}{title}]")
        elif kind == "resource":
            resource = block.resource
            if getattr(resource, "text", None) is not None:
                parts.append(f"[resource {resource.uri}]\n{resource.text}")
            else:
                blob("resource", resource.mime_type or "", resource.blob, str(resource.uri))
        else:
            parts.append(f"[a {kind or 'content'} block rigtui does not read]")
    structured = getattr(result, "structured_content", None)
    if structured is not None and not any(
        getattr(b, "type", "") == "text" for b in result.content or []
    ):
        parts.append(json.dumps(structured, ensure_ascii=False, indent=1))
    text = "\n".join(parts) if parts else "(the tool returned nothing)"
    return ToolResult(text, tuple(blobs), bool(getattr(result, "is_error", False)))


def prompt_messages(result: Any) -> list[tuple[str, str]]:
    """(role, text) for each message of the SDK's GetPromptResult; non-text parts named."""
    out: list[tuple[str, str]] = []
    for message in result.messages:
        content = message.content
        kind = getattr(content, "type", "")
        if kind == "text":
            text = content.text
        elif kind == "resource" and getattr(content.resource, "text", None) is not None:
            text = f"[resource {content.resource.uri}]\n{content.resource.text}"
        else:
            text = f"[{kind or 'content'} left out]"
        out.append((str(message.role), text))
    return out
