"""Make an Office file (.xlsx written by openpyxl, .docx written by docxtpl) reproducible: the same
content gives the same bytes.

Both stamp the save time into docProps/core.xml and every zip entry; both are replaced here by a
time taken from the inputs.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

from .atomic import atomic_path

_STAMP = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)")


def normalize_package(path: Path, moment: datetime) -> None:
    data = normalized_package(Path(path).read_bytes(), moment)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def normalized_package(package: bytes, moment: datetime) -> bytes:
    stamp = moment.replace(tzinfo=None, microsecond=0).isoformat().encode() + b"Z"
    zip_time = (max(1980, moment.year), moment.month, moment.day, moment.hour, moment.minute, moment.second)
    result = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _STAMP.sub(rb"\g<1>" + stamp + rb"\g<2>", data)
            entry = zipfile.ZipInfo(info.filename, date_time=zip_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            target.writestr(entry, data)
    return result.getvalue()
