"""Where a sheet's used range starts, without reading the sheet twice.

fastexcel hands back the used range without saying where it starts; python-calamine says
so, but only after parsing the whole sheet again (as long as fastexcel's own read). For an
.xlsx the first row is found in the sheet's XML itself: rows come in order, so the first cell
holding a value (``<v>`` or an inline string) is on the used range's first row, and reading
stops there, a few kilobytes in. The first column is fastexcel's (``absolute_index``). Any
doubt (no ``r`` attribute, an empty ``<v>``, another format) returns None, and the caller
asks calamine.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET  # the guard has refused any DOCTYPE (so any entity) already
import zipfile
from pathlib import Path

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATIONSHIP = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(/?)>")
_CELL_END = re.compile(rb"</(?:\w+:)?c>")
_VALUE = re.compile(rb"<(?:\w+:)?(v|is)\b[^>]*?(/?)>([^<]*)")
_REFERENCE = re.compile(rb'\br\s*=\s*["\']([A-Z]{1,3})([0-9]{1,7})["\']')
_CHUNK = 1 << 16
_MAX_SCAN = 1 << 20  # past 1 MB of XML without a value (empty styled rows): let calamine decide


def _sheet_parts(book: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its XML member, from the workbook and its relationships."""
    workbook = ET.fromstring(book.read("xl/workbook.xml"))
    rels = ET.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    parts = {}
    for sheet in workbook.iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(_RELATIONSHIP))
        if target:
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            parts[sheet.get("name", "")] = path
    return parts


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number


def _first_cell(stream) -> tuple[int, int] | None:
    """The first cell with a value (row and column, 1-based); None when unsure or none."""
    buffer, scanned = b"", 0
    while scanned < _MAX_SCAN:
        chunk = stream.read(_CHUNK)
        scanned += len(chunk)
        buffer += chunk
        position, pending = 0, None
        while match := _CELL.search(buffer, position):
            if match.group(2):  # <c r="A1" s="1"/>: formatted, no value
                position = match.end()
                continue
            end = _CELL_END.search(buffer, match.end())
            if end is None:
                pending = match.start()  # the cell goes on in the next chunk
                break
            content = buffer[match.end() : end.start()]
            position = end.end()
            value = _VALUE.search(content)
            if value is None:
                continue  # a formula without a cached value, say
            reference = _REFERENCE.search(match.group(1))
            if reference is None or value.group(2) or (value.group(1) == b"v" and not value.group(3)):
                return None
            return int(reference.group(2)), _column_number(reference.group(1))
        if not chunk:
            return None
        buffer = buffer[pending if pending is not None else max(position, buffer.rfind(b"<")) :]
    return None


def first_cell(path: Path, sheet_name: str) -> tuple[int, int] | None:
    """The first cell with a value of an .xlsx sheet (0-based row and column): on the used
    range's first row. None: ask calamine."""
    if path.suffix.lower() != ".xlsx":
        return None
    try:
        with zipfile.ZipFile(path) as book:
            part = _sheet_parts(book).get(sheet_name)
            if part is None:
                return None
            with book.open(part) as stream:
                cell = _first_cell(stream)
    except Exception:  # any doubt about the XML: calamine reads the sheet and decides
        return None
    return None if cell is None else (cell[0] - 1, cell[1] - 1)
