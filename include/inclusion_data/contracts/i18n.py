"""One language at a time: Romanian and English message catalogues (gettext through Babel).

The catalogues are the ``.po`` files under ``contracts/locale/``, read at run time with Babel
(no compile step, so a clean checkout works): English source strings are the message ids. They
sit in ``contracts`` because every stage shows text to people (pre-check, file report, feedback
workbook, template, portal, mails). ``python -m inclusion_data.contracts.i18n`` extracts the
strings of the whole package (templates and modules) and merges them into both catalogues;
``tests/contracts/test_translations.py`` fails while one of them lacks a translation.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.support import Translations

LANGUAGES = ("ro", "en")
DEFAULT_LANGUAGE = "ro"  # partners are Romanian data officers; each user may choose
PACKAGE = Path(__file__).parent.parent  # inclusion_data: every stage's templates and modules
LOCALE = Path(__file__).parent / "locale"
METHODS = [("**/templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}


def N_(message: str) -> str:
    """Marks a string for extraction where it is defined; translated where it is shown."""
    return message


def language_or_default(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def catalogue_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "messages.po"


def read_catalogue(language: str) -> Catalog:
    with catalogue_path(language).open("rb") as handle:
        return read_po(handle, locale=language)


@cache
def translations(language: str) -> Translations:
    buffer = io.BytesIO()
    write_mo(buffer, read_catalogue(language_or_default(language)))
    buffer.seek(0)
    return Translations(buffer)


def gettext(language: str, message: str) -> str:
    return translations(language).gettext(message)


def translator(language: str) -> Callable[[str], str]:
    """``_ = translator(language)``: strings written as ``_("...")`` are extracted."""
    return translations(language_or_default(language)).gettext


def extract() -> Catalog:
    """Every string shown to people, from the package's templates and modules."""
    catalog = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
        str(PACKAGE), METHODS, OPTIONS, keywords={"_": None, "gettext": None, "N_": None}
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def update() -> None:
    """Merge the extracted strings into both catalogues; English ones get their own text."""
    template = extract()
    for language in LANGUAGES:
        path = catalogue_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = read_catalogue(language) if path.exists() else Catalog(locale=language)
        catalog.update(template, no_fuzzy_matching=True)
        for message in catalog:
            if message.id and language == "en" and not message.string:
                message.string = message.id
        catalog.obsolete.clear()
        catalog.project, catalog.fuzzy = "inclusion-data", False
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, sort_output=True, include_lineno=False)


if __name__ == "__main__":
    update()
    missing = [m.id for m in read_catalogue("ro") if m.id and not m.string]
    print(f"{len(missing)} Romanian translations missing", *missing, sep="\n")
    sys.exit(0)
