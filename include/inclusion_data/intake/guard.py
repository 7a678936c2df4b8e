"""What a partner's file is, checked before any parser sees it, and the reader run where a
crash costs only that file.

Partner files are untrusted input. A parser is only given a file that is a regular file (not
a link), within the size limit, of the container its extension promises (a zip for .xlsx and
.ods, an OLE compound file for .xls, text for .csv), not encrypted, without macros, and whose
zip members would not unpack beyond the limits (a zip bomb is refused from its directory,
without inflating anything). Then the spreadsheet reader runs in a forked child with a cap on
its memory (``intake.isolation``).

Each refusal is an ``UnreadableFile`` with its own rule and a message in both languages that
says what to send instead. No library does this triage: ``zipfile`` reads the directory and
the magic numbers are the formats' own (ECMA-376, ISO 26300, MS-CFB).
"""

from __future__ import annotations

import stat
import zipfile
import zlib
from pathlib import Path

from inclusion_data.settings import ReadingLimits

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
SUFFIXES = (".xlsx", ".xls", ".ods", ".csv")  # what partners may send: the one place it is said
SPREADSHEETS = ", ".join(SUFFIXES[:-1])
_ENCRYPTED_OOXML = "EncryptionInfo".encode("utf-16-le")  # an OLE stream of password-protected .xlsx
_VBA_STREAM = "_VBA_PROJECT_CUR".encode("utf-16-le")
_XML_PREFIX_BYTES = 4096  # a DOCTYPE (and so any entity) must come before the root element


class UnreadableFile(Exception):
    """The file cannot be read at all; the messages say why and what to send instead."""

    def __init__(self, rule: str, message_en: str, message_ro: str):
        super().__init__(message_en)
        self.rule, self.message_en, self.message_ro = rule, message_en, message_ro

    def __reduce__(self):  # comes back whole from the reader's child process
        return (UnreadableFile, (self.rule, self.message_en, self.message_ro))


def _save_as_xlsx(en: str, ro: str) -> tuple[str, str]:
    return (
        f"{en} Open it in Excel or LibreOffice and save it as 'Excel Workbook (.xlsx)', then send that.",
        f"{ro} Deschideți-l în Excel sau LibreOffice, salvați-l ca „Registru de lucru Excel (.xlsx)” "
        "și trimiteți acel fișier.",
    )


def inspect(path: Path, limits: ReadingLimits) -> None:
    """Raise ``UnreadableFile`` unless ``path`` is a file a reader may be given."""
    name, suffix = path.name, path.suffix.lower()
    try:
        info = path.lstat()
    except OSError as exc:
        raise UnreadableFile(
            "unreadable_file",
            f"The file could not be opened ({exc.strerror}).",
            f"Fișierul nu a putut fi deschis ({exc.strerror}).",
        ) from exc
    if stat.S_ISLNK(info.st_mode):
        raise UnreadableFile(
            "link_refused",
            "This is a link to another file, not a file: links are not followed. Send the file itself.",
            "Aceasta este o legătură (link) către alt fișier: legăturile nu sunt urmate. "
            "Trimiteți fișierul însuși.",
        )
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableFile(
            "unsupported_type", "This is not a regular file.", "Acesta nu este un fișier obișnuit."
        )
    if suffix == ".xlsm":
        raise UnreadableFile(
            "macro_enabled",
            *_save_as_xlsx(
                "Macro-enabled workbooks (.xlsm) are not accepted.",
                "Registrele cu macrocomenzi (.xlsm) nu sunt acceptate.",
            ),
        )
    if suffix not in SUFFIXES:
        raise UnreadableFile(
            "unsupported_type",
            f"'{suffix or name}' files are not read here; send {SPREADSHEETS} or .csv.",
            f"Fișierele „{suffix or name}” nu sunt citite; trimiteți {SPREADSHEETS} sau .csv.",
        )
    if info.st_size == 0:
        raise UnreadableFile(
            "empty_file",
            "The file is empty (0 bytes): it was probably not saved completely. Save it again and "
            "re-send it.",
            "Fișierul este gol (0 octeți): probabil nu a fost salvat complet. Salvați-l din nou și "
            "retrimiteți-l.",
        )
    if info.st_size > limits.max_file_bytes:
        mb = limits.max_file_bytes // 2**20
        raise UnreadableFile(
            "too_big",
            f"The file is {info.st_size / 2**20:.0f} MB; the limit is {mb} MB. Split it by month or sheet.",
            f"Fișierul are {info.st_size / 2**20:.0f} MB; limita este {mb} MB. Împărțiți-l pe luni sau foi.",
        )
    try:
        with path.open("rb") as handle:
            head = handle.read(max(_XML_PREFIX_BYTES, 8))
    except OSError as exc:  # e.g. permission 000
        raise UnreadableFile(
            "unreadable_file",
            f"The file could not be opened ({exc.strerror}). Re-send it.",
            f"Fișierul nu a putut fi deschis ({exc.strerror}). Retrimiteți-l.",
        ) from exc
    if head.startswith(ZIP_MAGIC):
        _inspect_zip(path, suffix, limits)
    elif head.startswith(OLE_MAGIC):
        _inspect_ole(path, suffix)
    elif suffix == ".csv":
        if b"\x00" in head:
            raise UnreadableFile(
                "wrong_extension",
                "The file is named .csv but is not text. Save the sheet as CSV, or send the workbook.",
                "Fișierul se numește .csv, dar nu este text. Salvați foaia ca CSV sau trimiteți registrul.",
            )
    else:
        raise UnreadableFile(
            "not_a_spreadsheet",
            f"The file is named {suffix} but is not a spreadsheet (it may be damaged, or another kind "
            f"of document renamed). Send {SPREADSHEETS} or .csv saved from Excel or LibreOffice.",
            f"Fișierul se numește {suffix}, dar nu este o foaie de calcul (poate fi deteriorat sau alt "
            f"tip de document redenumit). Trimiteți {SPREADSHEETS} sau .csv salvat din Excel sau "
            "LibreOffice.",
        )


_ENCRYPTED = 0x1  # bit 0 of a zip member's general-purpose flags (APPNOTE 4.4.4)


def _inspect_zip(path: Path, suffix: str, limits: ReadingLimits) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if any(m.flag_bits & _ENCRYPTED for m in members):  # a zip tool's password on it
                raise password_protected()
            names = {m.filename for m in members}
            _check_unpacked_size(members, limits)
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                raise _vba_project()
            kind = ".ods" if "content.xml" in names else ".xlsx" if "[Content_Types].xml" in names else None
            if kind is None or (kind == ".xlsx" and not any(n.startswith("xl/") for n in names)):
                raise UnreadableFile(
                    "not_a_spreadsheet",
                    f"The file is a zip archive but not a spreadsheet. Send {SPREADSHEETS} or .csv.",
                    f"Fișierul este o arhivă zip, dar nu o foaie de calcul. Trimiteți {SPREADSHEETS} "
                    "sau .csv.",
                )
            if kind != suffix:
                raise UnreadableFile(
                    "wrong_extension",
                    f"The file is a {kind} workbook saved under a {suffix} name. Rename it to {kind} "
                    "or save it again as .xlsx.",
                    f"Fișierul este un registru {kind} salvat cu numele {suffix}. Redenumiți-l {kind} "
                    "sau salvați-l din nou ca .xlsx.",
                )
            for member in members:
                if member.filename.endswith((".xml", ".rels")) and member.file_size:
                    with archive.open(member) as stream:
                        prefix = stream.read(_XML_PREFIX_BYTES)
                    if b"<!DOCTYPE" in prefix or b"<!ENTITY" in prefix:
                        raise UnreadableFile(
                            "xml_entities",
                            "The workbook's XML declares entities, which spreadsheet programs never "
                            "write; it was refused as possibly hostile. Save it again from Excel or "
                            "LibreOffice.",
                            "XML-ul registrului declară entități, pe care programele de calcul tabelar "
                            "nu le scriu; a fost refuzat ca posibil periculos. Salvați-l din nou din "
                            "Excel sau LibreOffice.",
                        )
    except (
        zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError, zlib.error
    ) as exc:  # fmt: skip
        raise UnreadableFile(
            "corrupt_file",
            "The file is damaged (it may have been cut off while uploading). Save it again from Excel "
            "or LibreOffice and re-send it.",
            "Fișierul este deteriorat (poate s-a întrerupt încărcarea). Salvați-l din nou din Excel sau "
            "LibreOffice și retrimiteți-l.",
        ) from exc


def _check_unpacked_size(members: list[zipfile.ZipInfo], limits: ReadingLimits) -> None:
    unpacked = sum(m.file_size for m in members)
    worst = max(
        (m.file_size / max(m.compress_size, 1) for m in members if m.file_size > 2**20),
        default=0.0,
    )
    if unpacked > limits.max_unpacked_bytes or worst > limits.max_compression_ratio:
        raise UnreadableFile(
            "too_big_unpacked",
            f"The file would unpack to {unpacked / 2**20:,.0f} MB (compressed {worst:,.0f} to 1), beyond "
            f"what a monthly report can hold (limits: {limits.max_unpacked_bytes // 2**20} MB, "
            f"{limits.max_compression_ratio:.0f} to 1). Send the data only, one month per file.",
            f"Fișierul s-ar dezarhiva la {unpacked / 2**20:,.0f} MB (comprimat {worst:,.0f} la 1), peste "
            f"ce poate conține un raport lunar (limite: {limits.max_unpacked_bytes // 2**20} MB, "
            f"{limits.max_compression_ratio:.0f} la 1). Trimiteți doar datele, o lună pe fișier.",
        )


def _inspect_ole(path: Path, suffix: str) -> None:
    # the OLE directory is small and near the start or end; the limit on file size bounds this read
    data = path.read_bytes()
    if _ENCRYPTED_OOXML in data:
        raise password_protected()
    if _VBA_STREAM in data:
        raise _vba_project()
    if suffix != ".xls":
        raise UnreadableFile(
            "wrong_extension",
            f"The file is an Excel 97-2003 (.xls) workbook saved under a {suffix} name. Rename it to "
            ".xls or save it again as .xlsx.",
            f"Fișierul este un registru Excel 97-2003 (.xls) salvat cu numele {suffix}. Redenumiți-l "
            ".xls sau salvați-l din nou ca .xlsx.",
        )


def _vba_project() -> UnreadableFile:
    return UnreadableFile(
        "macro_enabled",
        *_save_as_xlsx(
            "The workbook contains macros (a VBA project), which are not accepted.",
            "Registrul conține macrocomenzi (un proiect VBA), care nu sunt acceptate.",
        ),
    )


def password_protected() -> UnreadableFile:
    return UnreadableFile(
        "password_protected",
        "The file is protected by a password, so it cannot be read. Remove the password (File > Info > "
        "Protect Workbook > Encrypt with Password, empty) and send it again.",
        "Fișierul este protejat cu parolă și nu poate fi citit. Eliminați parola (Fișier > Informații > "
        "Protejare registru > Criptare cu parolă, goală) și trimiteți-l din nou.",
    )


def reader_stopped() -> UnreadableFile:
    return UnreadableFile(
        "corrupt_file",
        "The spreadsheet reader stopped on this file (it may be damaged, or unpack to more than a "
        "monthly report can hold). Save it again from Excel or LibreOffice and re-send it.",
        "Cititorul de foi de calcul s-a oprit la acest fișier (poate fi deteriorat sau prea mare "
        "dezarhivat). Salvați-l din nou din Excel sau LibreOffice și retrimiteți-l.",
    )


def too_big_in_memory() -> UnreadableFile:
    return UnreadableFile(
        "too_big_unpacked",
        "Reading the file needed more memory than a monthly report can take; it may hold far more "
        "cells than it shows. Send the data only, one month per file.",
        "Citirea fișierului a cerut mai multă memorie decât un raport lunar; poate conține mult mai "
        "multe celule decât arată. Trimiteți doar datele, o lună pe fișier.",
    )
