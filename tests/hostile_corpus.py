"""A corpus of hostile and messy partner files, each with the fate the pipeline must give it.

Every case writes real bytes: workbooks by openpyxl, xlwt and pandas' odf writer, a password
set by msoffcrypto-tool (what Excel's "Encrypt with Password" produces), zip bombs and XML
entity bombs built member by member, links and a named pipe made by the operating system.
``CASES`` is run through the ingest task, the pre-check and one DAG run.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd
import xlwt

from inclusion_data.contracts.datasets import DATASETS
from workbooks import beneficiary, write_xlsx

PARTNER = "TWAM/asoc-cluj"
OTHER_PARTNER = "TWAM/asoc-bihor"
MAX_FILE_MB = 1  # the corpus runs with this limit, so "too big" stays cheap to make
BOMB_XML_BYTES = 64 * 2**20  # sheet XML of whitespace: compresses about 1000 to 1
FIELDS = DATASETS["beneficiaries"].fields


@dataclass(frozen=True)
class Case:
    name: str  # what it is, for the test id
    relative: str  # where it is dropped in the inbox
    make: Callable[[Path, Path], None]  # (path to write, the inbox) -> writes it
    fate: str  # "accepted" or "rejected"
    rule: str | None = None  # the file-level rule a rejection names (None: row-level findings)
    row: int | None = None  # a row the findings must point at


def _rows(path: Path, rows: list[dict], **kw) -> None:
    write_xlsx(path, {"Beneficiari": rows}, **kw)


def _good(path: Path, _inbox: Path) -> None:
    _rows(path, [beneficiary()])


def _csv(rows: list[list[object]], encoding: str = "utf-8", separator: str = ";") -> bytes:
    text = "\n".join(separator.join("" if v is None else str(v) for v in row) for row in rows) + "\n"
    if encoding == "cp1250":  # Windows-1250 has only the cedilla forms: what such files hold
        text = text.translate(str.maketrans("șțȘȚ", "şţŞŢ"))
    return text.encode(encoding)


def _header() -> list[str]:
    return [f.ro for f in FIELDS if f.name in beneficiary()]


def _values(**overrides) -> list[object]:
    row = beneficiary(**overrides)
    return [row[f.name] for f in FIELDS if f.name in row]


def _bytes_of_good_xlsx() -> bytes:
    buffer = io.BytesIO()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Beneficiari"
    sheet.append(_header())
    sheet.append(_values())
    book.save(buffer)
    return buffer.getvalue()


def _write(data: bytes) -> Callable[[Path, Path], None]:
    def make(path: Path, _inbox: Path) -> None:
        path.write_bytes(data)

    return make


def _xlsx_with(extra: dict[str, bytes], replace: dict[str, bytes] | None = None) -> bytes:
    """A good workbook with members added or replaced, zipped again."""
    source = zipfile.ZipFile(io.BytesIO(_bytes_of_good_xlsx()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for item in source.infolist():
            target.writestr(item.filename, (replace or {}).get(item.filename, source.read(item.filename)))
        for name, data in extra.items():
            target.writestr(name, data)
    return buffer.getvalue()


def _zip_bomb(path: Path, _inbox: Path) -> None:
    source = zipfile.ZipFile(io.BytesIO(_bytes_of_good_xlsx()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for item in source.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                target.writestr(item.filename, source.read(item.filename))
        with target.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0"?><worksheet><sheetData>')
            chunk = b" " * 2**20
            for _ in range(BOMB_XML_BYTES // len(chunk)):
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")


_ENTITY_BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10 if i else b"&lol;" * 10) for i in range(9)
    )
    + b']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol8;</t></is></c></row></sheetData></worksheet>'
)


def _encrypted(path: Path, _inbox: Path) -> None:
    import msoffcrypto.format.ooxml as ooxml

    plain = io.BytesIO(_bytes_of_good_xlsx())
    with path.open("wb") as out:
        ooxml.OOXMLFile(plain).encrypt("parola123", out)


def _zip_encrypted(data: bytes) -> bytes:
    """A workbook whose zip members are marked encrypted (a zip tool's password, not Excel's):
    Python's zipfile refuses to open them without the password."""
    marked = bytearray(data)
    for signature, flags in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # local, central headers
        at = marked.find(signature)
        while at != -1:
            marked[at + flags] |= 1
            at = marked.find(signature, at + 4)
    return bytes(marked)


def _xls_bytes(rows: list[list[object]]) -> bytes:
    book = xlwt.Workbook()
    sheet = book.add_sheet("Beneficiari")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _ods_bytes() -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="odf") as writer:
        pd.DataFrame([_values()], columns=_header()).to_excel(writer, sheet_name="Beneficiari", index=False)
    return buffer.getvalue()


def _docx_like(path: Path, _inbox: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")


def _link_to(target: Callable[[Path], Path]) -> Callable[[Path, Path], None]:
    def make(path: Path, inbox: Path) -> None:
        path.symlink_to(target(inbox))

    return make


def _secret(inbox: Path) -> Path:
    secret = inbox.parent / "secrets" / "pseudonym.key"
    secret.parent.mkdir(parents=True, exist_ok=True)
    if not secret.exists():
        secret.write_bytes(b"x" * 32)
    return secret


def _other_partners_file(inbox: Path) -> Path:
    other = inbox / OTHER_PARTNER / "their_2016-03.xlsx"
    other.parent.mkdir(parents=True, exist_ok=True)
    _rows(other, [beneficiary(locality="Oradea")])
    return other


def _fifo(path: Path, _inbox: Path) -> None:
    os.mkfifo(path)


def _general_serial_date(path: Path, _inbox: Path) -> None:
    _rows(path, [beneficiary(service_date=42443)])  # 2016-03-14 as Excel stores it in a General cell


def _formula_rows(path: Path, _inbox: Path) -> None:
    _rows(
        path,
        [
            beneficiary(name='=HYPERLINK("http://x","click")'),
            beneficiary(name="=cmd|' /C calc'!A0", locality="Atlantida"),  # an error: feedback is written
            beneficiary(name="@SUM(1+1)*cmd|' /C calc'!A0", sessions="+1"),
        ],
    )


def _live_formula(path: Path, _inbox: Path) -> None:
    _rows(path, [beneficiary(locality="Atlantida"), beneficiary()])
    book = openpyxl.load_workbook(path)
    book["Beneficiari"]["B3"] = '=HYPERLINK("http://x","click")'  # a real formula cell
    book.save(path)


def _unknown_sheet(path: Path, _inbox: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Foaie1"
    book.active.append(["Ceva", "Altceva"])
    book.active.append([1, 2])
    book.save(path)


def _titled(path: Path, _inbox: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Beneficiari"
    sheet.append(["Raport lunar - Asociația Cluj"])
    sheet.merge_cells("A1:F1")
    sheet.append([])
    sheet.append(_header())
    sheet.append(_values())
    book.save(path)


def _repeated_header(path: Path, _inbox: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Beneficiari"
    for row in (_header(), _values(), _header(), _values(service="Logopedie")):
        sheet.append(row)
    book.save(path)


def _totals_row(path: Path, _inbox: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Beneficiari"
    sheet.append(_header())
    sheet.append(_values())
    sheet.append(_values(service="Logopedie"))
    total = [None] * len(_header())
    total[0], total[-1] = "TOTAL", 4
    sheet.append(total)
    book.save(path)


def _too_big(path: Path, _inbox: Path) -> None:
    rows = [_header()] + [_values(name=f"Persoana {i}") for i in range(20000)]
    path.write_bytes(_csv(rows))
    assert path.stat().st_size > MAX_FILE_MB * 2**20


def _diacritics(**overrides) -> Callable[[Path, Path], None]:
    def make(path: Path, _inbox: Path) -> None:
        _rows(path, [beneficiary(**overrides)])

    return make


def _csv_case(rows: list[list[object]], encoding: str = "utf-8", separator: str = ";"):
    return _write(_csv(rows, encoding, separator))


GOOD_ROW = _values()
DATE_COLUMN = next(
    i for i, f in enumerate(f for f in FIELDS if f.name in beneficiary()) if f.name == "service_date"
)


def _with_date(value: object) -> list[object]:
    row = list(GOOD_ROW)
    row[DATE_COLUMN] = value
    return row


CASES: list[Case] = [
    # files that cannot be read, each with its own message
    Case("empty xlsx", f"{PARTNER}/gol_2016-03.xlsx", _write(b""), "rejected", "empty_file"),
    Case("empty csv", f"{PARTNER}/gol_2016-03.csv", _write(b""), "rejected", "empty_file"),
    Case(
        "truncated xlsx",
        f"{PARTNER}/trunchiat_2016-03.xlsx",
        _write(_bytes_of_good_xlsx()[:3000]),
        "rejected",
        "corrupt_file",
    ),
    Case(
        "password-protected xlsx",
        f"{PARTNER}/parola_2016-03.xlsx",
        _encrypted,
        "rejected",
        "password_protected",
    ),
    Case(
        "xlsx with zip-encrypted members",
        f"{PARTNER}/arhiva_parola_2016-03.xlsx",
        _write(_zip_encrypted(_bytes_of_good_xlsx())),
        "rejected",
        "password_protected",
    ),
    Case("zip bomb", f"{PARTNER}/bomba_2016-03.xlsx", _zip_bomb, "rejected", "too_big_unpacked"),
    Case(
        "XML entity bomb",
        f"{PARTNER}/entitati_2016-03.xlsx",
        _write(_xlsx_with({}, {"xl/worksheets/sheet1.xml": _ENTITY_BOMB})),
        "rejected",
        "xml_entities",
    ),
    Case(
        "xlsm with a VBA project",
        f"{PARTNER}/macro_2016-03.xlsm",
        _write(_xlsx_with({"xl/vbaProject.bin": b"\x00" * 512})),
        "rejected",
        "macro_enabled",
    ),
    Case(
        "xlsx hiding a VBA project",
        f"{PARTNER}/macro_ascuns_2016-03.xlsx",
        _write(_xlsx_with({"xl/vbaProject.bin": b"\x00" * 512})),
        "rejected",
        "macro_enabled",
    ),
    Case(
        "xls named .xlsx",
        f"{PARTNER}/vechi_2016-03.xlsx",
        _write(_xls_bytes([_header(), GOOD_ROW])),
        "rejected",
        "wrong_extension",
    ),
    Case(
        "xlsx named .xls",
        f"{PARTNER}/nou_2016-03.xls",
        _write(_bytes_of_good_xlsx()),
        "rejected",
        "wrong_extension",
    ),
    Case(
        "ods named .xlsx", f"{PARTNER}/calc_2016-03.xlsx", _write(_ods_bytes()), "rejected", "wrong_extension"
    ),
    Case(
        "binary named .csv",
        f"{PARTNER}/binar_2016-03.csv",
        _write(_bytes_of_good_xlsx()),
        "rejected",
        "wrong_extension",
    ),
    Case(
        "PDF named .xlsx",
        f"{PARTNER}/scan_2016-03.xlsx",
        _write(b"%PDF-1.7\n" + b"0" * 100),
        "rejected",
        "not_a_spreadsheet",
    ),
    Case(
        "Word document named .xlsx",
        f"{PARTNER}/doc_2016-03.xlsx",
        _docx_like,
        "rejected",
        "not_a_spreadsheet",
    ),
    Case("PDF", f"{PARTNER}/raport_2016-03.pdf", _write(b"%PDF-1.7\n"), "rejected", "unsupported_type"),
    Case("text file", f"{PARTNER}/note_2016-03.txt", _write(b"note"), "rejected", "unsupported_type"),
    Case("no extension", f"{PARTNER}/raport_2016-03", _write(b"x"), "rejected", "unsupported_type"),
    Case("named pipe", f"{PARTNER}/pipe_2016-03.csv", _fifo, "rejected", "unsupported_type"),
    Case("too big", f"{PARTNER}/mare_2016-03.csv", _too_big, "rejected", "too_big"),
    # paths and names
    Case("link to the key", f"{PARTNER}/cheie_2016-03.xlsx", _link_to(_secret), "rejected", "link_refused"),
    Case(
        "link to another partner's file",
        f"{PARTNER}/al_lor_2016-03.xlsx",
        _link_to(_other_partners_file),
        "rejected",
        "link_refused",
    ),
    Case("control character in name", f"{PARTNER}/rap\x07ort_2016-03.xlsx", _good, "rejected", "unsafe_name"),
    Case("newline in name", f"{PARTNER}/rap\nort_2016-03.xlsx", _good, "rejected", "unsafe_name"),
    Case("not in a partner folder", "raport_2016-03.xlsx", _good, "rejected", "misplaced_file"),
    Case("unknown partner", "TWAM/asoc-nimeni/raport_2016-03.xlsx", _good, "rejected", "unknown_partner"),
    # files that contradict themselves or their folder
    Case(
        "month in workbook and name differ",
        f"{PARTNER}/raport_2016-04.xlsx",
        lambda p, _i: _rows(p, [beneficiary()], info_month="2016-03"),
        "rejected",
        "conflicting_month",
    ),
    Case("no month anywhere", f"{PARTNER}/raport.xlsx", _good, "rejected", "unknown_month"),
    Case(
        "month outside the project",
        f"{PARTNER}/raport_2030-01.xlsx",
        _good,
        "rejected",
        "month_outside_project",
    ),
    Case(
        "no recognisable sheet", f"{PARTNER}/foaie_2016-03.xlsx", _unknown_sheet, "rejected", "no_header_row"
    ),
    # what cells hold
    Case("serial date in a General cell", f"{PARTNER}/serial_2016-03.xlsx", _general_serial_date, "accepted"),
    Case(
        "serial date as text in a CSV",
        f"{PARTNER}/serial_2016-03.csv",
        _csv_case([_header(), _with_date("42443")]),
        "accepted",
    ),
    Case(
        "date with time in a CSV",
        f"{PARTNER}/ora_2016-03.csv",
        _csv_case([_header(), _with_date("2016-03-14 00:00:00")]),
        "accepted",
    ),
    Case(
        "CNP as a number cell",
        f"{PARTNER}/cnp_numar_2016-03.xlsx",
        _diacritics(cnp=int(beneficiary()["cnp"])),
        "accepted",
    ),
    Case("number typed as text", f"{PARTNER}/text_2016-03.xlsx", _diacritics(sessions="2"), "accepted"),
    Case(
        "cedilla diacritics",
        f"{PARTNER}/sedila_2016-03.xlsx",
        _diacritics(service="Şcoala părinţilor", locality="Cojocna"),
        "accepted",
    ),
    Case(
        "no diacritics",
        f"{PARTNER}/fara_2016-03.xlsx",
        _diacritics(service="Scoala parintilor", ethnicity="Roma", vulnerable_group="Parinte"),
        "accepted",
    ),
    Case(
        "Windows-1250 CSV",
        f"{PARTNER}/win_2016-03.csv",
        _csv_case([_header(), GOOD_ROW], encoding="cp1250"),
        "accepted",
    ),
    Case(
        "UTF-8 CSV with BOM",
        f"{PARTNER}/bom_2016-03.csv",
        _csv_case([_header(), GOOD_ROW], encoding="utf-8-sig"),
        "accepted",
    ),
    Case(
        "comma-separated CSV",
        f"{PARTNER}/virgula_2016-03.csv",
        _csv_case([_header(), GOOD_ROW], separator=","),
        "accepted",
    ),
    Case("title and merged cells above the header", f"{PARTNER}/titlu_2016-03.xlsx", _titled, "accepted"),
    Case("header row repeated", f"{PARTNER}/antet_dublu_2016-03.xlsx", _repeated_header, "rejected", None, 3),
    Case("totals row", f"{PARTNER}/total_2016-03.xlsx", _totals_row, "rejected", None, 4),
    Case(
        "xls from Excel 97-2003",
        f"{PARTNER}/vechi_2016-03.xls",
        _write(_xls_bytes([_header(), GOOD_ROW])),
        "accepted",
    ),
    Case("ods", f"{PARTNER}/calc_2016-03.ods", _write(_ods_bytes()), "accepted"),
    # values that would come back active
    Case("formulas typed as names", f"{PARTNER}/formule_2016-03.xlsx", _formula_rows, "rejected", None, 3),
    Case("a live formula cell", f"{PARTNER}/formula_vie_2016-03.xlsx", _live_formula, "rejected", None, 2),
    Case(
        "formula in a CSV with a bad row",
        f"{PARTNER}/formula_2016-03.csv",
        _csv_case([_header(), _values(name="=cmd|' /C calc'!A0", locality="Atlantida")]),
        "rejected",
        None,
        2,
    ),
    Case(
        "sheet name Excel refuses",
        f"{PARTNER}/a[1]?_2016-03.csv",
        _csv_case([_header(), _values(locality="Atlantida")]),
        "rejected",
        None,
        2,
    ),
]


def drop(case: Case, inbox: Path) -> Path:
    path = inbox / case.relative
    path.parent.mkdir(parents=True, exist_ok=True)
    case.make(path, inbox)
    return path
