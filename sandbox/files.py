"""Files the fake Telegram keeps: uploads by the bot and photos or documents sent by people."""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass
from typing import Any

# A valid 1x1 PNG, the default photo a person sends.
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # getFile refuses larger files
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
_EXTENSIONS = {"photo": "jpg", "sticker": "webp"}
_FOLDERS = {"photo": "photos", "document": "documents", "sticker": "stickers"}


@dataclass
class StoredFile:
    """One file as Telegram stores it; the same file_id is reused when a file is resent."""

    file_id: str
    file_unique_id: str
    kind: str  # photo | document | sticker
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0
    source_url: str | None = None

    @property
    def file_size(self) -> int:
        return len(self.data)

    def file_dict(self) -> dict[str, Any]:
        """The Bot API ``File`` object returned by getFile."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "file_path": self.file_path,
        }

    def photo_sizes(self) -> list[dict[str, Any]]:
        """The Bot API ``PhotoSize`` list (one size: the sandbox does not make thumbnails)."""
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "width": self.width,
                "height": self.height,
                "file_size": self.file_size,
            }
        ]

    def document_dict(self) -> dict[str, Any]:
        """The Bot API ``Document`` object."""
        document: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
        }
        if self.file_name is not None:
            document["file_name"] = self.file_name
        if self.mime_type is not None:
            document["mime_type"] = self.mime_type
        return document


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF or JPEG image, or None when unrecognised."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        pos = 2
        while pos + 9 < len(data):
            if data[pos] != 0xFF:
                return None
            marker = data[pos + 1]
            (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
                return int(width), int(height)
            pos += 2 + int(length)
    return None


class FileStore:
    """File ids, unique ids and paths handed out in a deterministic order."""

    def __init__(self) -> None:
        self.by_id: dict[str, StoredFile] = {}
        self.by_path: dict[str, StoredFile] = {}
        self._counter = 0

    def add(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        source_url: str | None = None,
    ) -> StoredFile:
        number = self._counter
        self._counter += 1
        extension = _EXTENSIONS.get(kind)
        if extension is None:
            extension = file_name.rsplit(".", 1)[-1] if file_name and "." in file_name else "bin"
        width, height = image_size(data) or ((512, 512) if kind == "sticker" else (0, 0))
        stored = StoredFile(
            file_id=f"{kind}-{number}",
            file_unique_id=f"u{kind[0]}{number}",
            kind=kind,
            data=data,
            file_path=f"{_FOLDERS.get(kind, 'documents')}/file_{number}.{extension}",
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
            source_url=source_url,
        )
        self.by_id[stored.file_id] = stored
        self.by_path[stored.file_path] = stored
        return stored
