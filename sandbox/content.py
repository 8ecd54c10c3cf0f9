"""What a send carries, checked as Telegram checks it: text or caption with its parse_mode
and entities, and the file a send method names."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from sandbox.files import MAX_UPLOAD_BYTES, FileStore, StoredFile
from sandbox.html_entities import EntityParseError, FormattedText, parse_html, strip_text, utf16_len
from sandbox.params import ApiError, Params, bad_request

logger = logging.getLogger(__name__)

UploadedFiles = Mapping[str, tuple[str, bytes, str]]
"""Multipart uploads by field name: (file name, content, MIME type)."""

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024


def formatted_text(
    params: Params,
    field: str,
    entities_field: str,
    *,
    limit: int,
    too_long: str,
    empty: str | None,
) -> tuple[FormattedText, str | None]:
    """Apply parse_mode to a text or caption; returns it and its HTML source (if HTML)."""
    source = params.text(field) or ""
    parse_mode = (params.text("parse_mode") or "").lower()
    html: str | None = None
    if parse_mode == "html":
        try:
            formatted = parse_html(source)
        except EntityParseError as error:
            raise bad_request(f"can't parse entities: {error}") from None
        html = source
    elif parse_mode in {"markdown", "markdownv2"}:
        logger.warning(
            "parse_mode %s is not modelled by the sandbox: text kept as sent", parse_mode
        )
        formatted = FormattedText(source)
    elif parse_mode:
        raise bad_request("unsupported parse_mode")
    else:
        explicit = params.raw(entities_field)
        formatted = FormattedText(source, list(explicit) if isinstance(explicit, list) else [])
    formatted = strip_text(formatted)
    if not formatted.text and empty is not None:
        raise bad_request(empty)
    if utf16_len(formatted.text) > limit:
        raise bad_request(too_long)
    return formatted, html


def message_text(params: Params) -> tuple[FormattedText, str | None]:
    return formatted_text(
        params,
        "text",
        "entities",
        limit=MAX_TEXT_LENGTH,
        too_long="message is too long",
        empty="message text is empty",
    )


def caption_fields(params: Params) -> dict[str, Any]:
    formatted, html = formatted_text(
        params,
        "caption",
        "caption_entities",
        limit=MAX_CAPTION_LENGTH,
        too_long="message caption is too long",
        empty=None,
    )
    return {
        "caption": formatted.text or None,
        "caption_html": html,
        "caption_entities": formatted.entities,
    }


def input_file(
    params: Params, files: UploadedFiles, store: FileStore, field: str, kind: str
) -> StoredFile:
    """The file a send method names: an upload, a known file_id or an HTTP URL."""
    value = params.raw(field)
    upload = files.get(field)
    if isinstance(value, str) and value.startswith("attach://"):
        upload = files.get(value.removeprefix("attach://"))
    if upload is not None:
        file_name, data, mime_type = upload
        if not data:
            raise bad_request("file must be non-empty")
        if len(data) > MAX_UPLOAD_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        name = file_name if kind == "document" else None
        return store.add(kind, data, file_name=name, mime_type=mime_type)
    if isinstance(value, str) and value:
        known = store.by_id.get(value)
        if known is not None:
            return known
        if value.startswith(("http://", "https://")):
            # The sandbox never fetches: the file exists, with empty content.
            name = urlsplit(value).path.rsplit("/", 1)[-1] or None
            return store.add(kind, b"", file_name=name, source_url=value)
        raise bad_request("wrong file identifier/HTTP URL specified")
    raise bad_request(f"there is no {field} in the request")
