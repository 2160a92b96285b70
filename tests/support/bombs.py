"""Decompression bombs, built when a test needs one (no binaries are kept): a DOCX whose
``word/document.xml`` repeats one paragraph until it unpacks to many megabytes."""

from __future__ import annotations

import io
import zipfile

SENTENCE = "The quick brown fox jumps over the lazy dog near the riverbank at dawn."


def docx_bomb(paragraphs: int = 200_000, text: str = SENTENCE) -> bytes:
    """A valid Word document of ``paragraphs`` copies of ``text`` (about 100 bytes of XML each),
    packed as tightly as zip allows: the default is about 100 KB that unpacks to over 20 MB."""
    import docx

    seed = io.BytesIO()
    docx.Document().save(seed)
    source = zipfile.ZipFile(io.BytesIO(seed.getvalue()))
    xml = source.read("word/document.xml").decode("utf-8")
    body = xml.index("<w:body>") + len("<w:body>")
    xml = xml[:body] + f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>" * paragraphs + xml[body:]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for info in source.infolist():
            data = xml.encode("utf-8") if info.filename == "word/document.xml" else source.read(info.filename)
            archive.writestr(info.filename, data)
    return out.getvalue()


def unpacked_size(data: bytes) -> int:
    """What a zip archive declares it unpacks to."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sum(info.file_size for info in archive.infolist())
