"""``Upload``: an uploaded file as the faces hand it to the domain, never read into memory.

A face passes the file object its server already holds (Starlette's ``UploadFile.file``: a
spooled temporary file, on disk past 1 MB) with its size, learned by seeking to its end. The
domain decides everything about the content (empty, too large, not an image) from that file;
Pillow reads it lazily and the media store reads it in chunks, so a 10 MB photo is never held
as a second copy in memory. The face owns the file and closes it when the request ends.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from typing import BinaryIO


@dataclass(frozen=True, slots=True)
class Upload:
    """An uploaded file: its binary file object (read from its start), size and name."""

    file: BinaryIO
    size: int
    filename: str = ""

    @classmethod
    def of(cls, file: BinaryIO, filename: str = "") -> Upload:
        """The upload held in ``file``; its size comes from seeking to its end, not reading."""
        size = file.seek(0, os.SEEK_END)
        file.seek(0)
        return cls(file, size, filename)

    @classmethod
    def from_bytes(cls, data: bytes, filename: str = "") -> Upload:
        """An upload of ``data`` (the command line, the demo data, tests): no copy is made."""
        return cls(io.BytesIO(data), len(data), filename)

    def rewind(self) -> BinaryIO:
        """The file at its start (a check and a write each read it from the beginning)."""
        self.file.seek(0)
        return self.file


def as_upload(raw: object) -> Upload:
    """An image field's value as the faces hand it over: an ``Upload`` or bytes."""
    if isinstance(raw, Upload):
        return raw
    if isinstance(raw, bytes):
        return Upload.from_bytes(raw)
    raise TypeError(f"an upload is an Upload or bytes, not {type(raw).__name__}")


def as_uploads(raw: object) -> tuple[Upload, ...]:
    """Several uploaded files (a form with many file inputs), as the faces hand them over."""
    if not isinstance(raw, tuple | list):
        raise TypeError(f"expected a sequence of uploads, not {type(raw).__name__}")
    return tuple(as_upload(item) for item in raw)
