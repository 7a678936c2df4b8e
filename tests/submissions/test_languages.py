"""One language at a time: the pre-check, the feedback workbook, the file report and the
template speak Romanian or English throughout, never a mix, and never a bare code; files
dropped in the inbox are answered in the partner's language (``network.yaml``)."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest

from inclusion_data.contracts import network as network_module
from inclusion_data.contracts.datasets import DATASETS
from inclusion_data.contracts.labels import RULES
from inclusion_data.contracts.network import NetworkError, load_network, parse_network
from inclusion_data.contracts.vocabularies import vocabulary
from inclusion_data.orchestration.ingest import discover, process_file
from inclusion_data.settings import ReadingLimits
from inclusion_data.submissions.evaluation import evaluate_file
from inclusion_data.submissions.feedback import errors_sheet, write_feedback_workbook
from inclusion_data.submissions.file_report import report_in, report_paths, write_file_report
from inclusion_data.submissions.precheck import main as precheck
from inclusion_data.submissions.template_workbook import write_template
from workbooks import CNP_M_1985, beneficiary, write_xlsx

# the words the issue found left in English in a Romanian output, and their Romanian
# counterparts, which must not reach an English one
ENGLISH = {"rejected", "accepted", "sheet", "rows", "row", "errors", "error", "warning", "warnings"}
ENGLISH |= {"severity", "rule", "message", "column", "header", "expected", "received", "file"}
ROMANIAN = {"respins", "acceptat", "foaia", "foaie", "rânduri", "rând", "erori", "eroare"}
ROMANIAN |= {"avertisment", "avertismente", "gravitate", "regulă", "mesaj", "coloana", "antet", "fișier"}
FOREIGN = {"ro": ENGLISH, "en": ROMANIAN}
CODES = set(RULES) | {"cnp_valid", "allowed_value"}  # a rule is shown by its name, not its code

BAD_CNP = CNP_M_1985[:-1] + str((int(CNP_M_1985[-1]) + 1) % 10)
ROWS = [
    beneficiary(),
    beneficiary(cnp=BAD_CNP),  # cnp_valid
    beneficiary(birth_date="15.03.1985"),  # cnp_matches_birth
    beneficiary(locality="Oradea", service="Dans", sessions=25),  # locality, allowed_value, unusual
]


def _words(text: str) -> set[str]:
    return set(re.findall(r"[^\W\d]+(?:_[^\W\d]+)*", text.lower()))


def _foreign(text: str, language: str) -> set[str]:
    """Words of the other language, and rule codes, in ``text``."""
    words = _words(text)
    return (words & FOREIGN[language]) | {code for code in CODES if code in text}


class _Text(HTMLParser):
    """The text a reader sees (no tags, attributes or style)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._style = False

    def handle_starttag(self, tag, attrs):
        self._style = tag == "style"

    def handle_endtag(self, tag):
        self._style = False

    def handle_data(self, data):
        if not self._style:
            self.parts.append(data)


def _visible(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


@pytest.fixture
def evaluated(tmp_path):
    path = write_xlsx(tmp_path / "TWAM" / "asoc-cluj" / "b_2016-03.xlsx", {"Beneficiari": ROWS})
    book = openpyxl.load_workbook(path)
    book.create_sheet("Altceva").append(["x"])  # an unknown sheet: a finding about the file
    book["Altceva"].append(["y"])
    book.save(path)
    evaluation = evaluate_file(path, "TWAM", "asoc-cluj", load_network(), b"k" * 32, limits=ReadingLimits())
    rules = {f.rule for fs in evaluation.outcome.sheet_findings.values() for f in fs}
    assert {"cnp_valid", "cnp_matches_birth", "allowed_value", "locality_in_county"} <= rules
    assert evaluation.outcome.findings and evaluation.outcome.status == "rejected"
    return path, evaluation


def _feedback_text(path: Path, partner_sheets: set[str]) -> str:
    """Every string of the feedback workbook but the partner's own (their sheets' cells, and
    the sheet and header they typed, columns B and E of the first sheet)."""
    book = openpyxl.load_workbook(path)
    texts = [title for title in book.sheetnames if title not in partner_sheets]
    first = book.worksheets[0]
    for row in first.iter_rows(values_only=True):
        texts += [str(v) for i, v in enumerate(row) if v is not None and i not in (1, 4)]
    for sheet in book.worksheets[1:]:
        texts += [c.comment.text for r in sheet.iter_rows() for c in r if c.comment]
    return "\n".join(texts)


@pytest.mark.parametrize("language", ["ro", "en"])
def test_the_feedback_workbook_and_the_report_speak_one_language(evaluated, tmp_path, language):
    path, evaluation = evaluated
    outcome = evaluation.outcome
    feedback = write_feedback_workbook(evaluation.sheets, outcome, tmp_path / f"{language}.xlsx", language)
    book = openpyxl.load_workbook(feedback)
    assert book.sheetnames[0] == errors_sheet(language) == {"ro": "Erori", "en": "Errors"}[language]
    text = _feedback_text(feedback, {"Beneficiari", "Altceva"})
    assert _foreign(text, language) == set()
    expected = {
        "ro": ["Gravitate", "CNP-ul nu corespunde datei nașterii", "eroare", "avertisment", "Se așteaptă"],
        "en": ["Severity", "CNP does not match the birth date", "error", "warning", "Expected one of"],
    }[language]
    assert all(word in text for word in expected), text

    stored = tmp_path / language / path.name
    stored.parent.mkdir()
    html = write_file_report(outcome, stored, dt.datetime(2016, 4, 2, tzinfo=dt.UTC), language).read_text()
    assert f'<html lang="{language}">' in html
    shown = _visible(html)
    assert _foreign(shown.replace(path.name, ""), language) == set(), shown
    expected = {
        "ro": ["Raportul de calitate a datelor", "respins", "Gravitate", "CNP invalid", "rânduri"],
        "en": ["Data-quality report", "rejected", "Severity", "CNP not valid", "rows"],
    }[language]
    assert all(word in shown for word in expected), shown
    assert 'title="cnp_valid"' in html  # the code is there for whoever points at the rule


def test_a_written_report_is_rendered_again_in_the_other_language(evaluated, tmp_path):
    """The portal and the mail show a report in their reader's language, from its JSON."""
    path, evaluation = evaluated
    received = dt.datetime(2016, 4, 2, tzinfo=dt.UTC)
    (tmp_path / "en").mkdir()
    english = write_file_report(evaluation.outcome, tmp_path / "en" / path.name, received, "en")
    romanian = write_file_report(evaluation.outcome, tmp_path / path.name, received, "ro")
    written = report_paths(tmp_path / path.name)[1]
    assert report_in(written, "en") == english.read_text("utf-8") != romanian.read_text("utf-8")


def test_the_check_finds_a_foreign_word():
    assert _foreign("Foaia Beneficiari: respins, 3 rows", "ro") == {"rows"}
    assert _foreign("Sheet Beneficiari: cnp_matches_birth", "en") == {"cnp_matches_birth"}
    assert _foreign("Sheet Beneficiari: 2 erori", "en") == {"erori"}


@pytest.mark.parametrize("language", ["ro", "en", None])
def test_the_precheck_prints_one_language(evaluated, tmp_path, capsys, language):
    path, _ = evaluated
    arguments = [str(path), "--feedback", str(tmp_path / "f.xlsx")]
    assert precheck(arguments + (["--lang", language] if language else [])) == 1
    printed = capsys.readouterr().out.replace(str(tmp_path), "").replace(path.name, "")
    language = language or "ro"  # asoc-cluj states no language: Romanian
    assert _foreign(printed, language) == set(), printed
    expected = {
        "ro": ["respins", "gravitate", "foaie", "rânduri", "Foaia Beneficiari (Beneficiari)", "erori"],
        "en": ["rejected", "severity", "sheet", "rows", "Sheet Beneficiari (Beneficiaries)", "errors"],
    }[language]
    assert all(word in printed for word in expected), printed
    assert openpyxl.load_workbook(tmp_path / "f.xlsx").sheetnames[0] == errors_sheet(language)


@pytest.mark.parametrize("language", ["ro", "en"])
def test_a_wrong_value_is_told_with_the_values_the_templates_drop_down_offers(tmp_path, language):
    """The message lists exactly what the template's list offers, in the template's language."""
    dataset = DATASETS["beneficiaries"]
    path = write_template("TWAM", "asoc-cluj", "2016-03", tmp_path / "t.xlsx", language=language)
    book = openpyxl.load_workbook(path)
    sheet = book[dataset.sheet_names[language == "en"]]
    column = [f.name for f in dataset.fields].index("service") + 1
    cell = sheet.cell(2, column).coordinate
    [validation] = [v for v in sheet.data_validations.dataValidation if cell in str(v.sqref)]
    lists, cells = validation.formula1.split("!")
    offered = [r[0].value for r in book[lists.strip("'")][cells.replace("$", "")]]
    row = beneficiary(service="Dans", sex="M", ethnicity="roma", vulnerable_group="parent")
    for position, f in enumerate(dataset.fields, start=1):
        sheet.cell(2, position, row.get(f.name))
    book.save(path)
    outcome = evaluate_file(path, "TWAM", "asoc-cluj", load_network(), b"k" * 32).outcome
    findings = [*outcome.findings, *(f for fs in outcome.sheet_findings.values() for f in fs)]
    errors = [f for f in findings if f.severity == "error"]
    assert [(f.rule, f.field) for f in errors] == [("allowed_value", "service")]  # the rest was read
    [finding] = errors
    message = finding.message_ro if language == "ro" else finding.message_en
    listed = message.split(": ", 1)[1].removesuffix(".").split(", ")
    assert listed == offered == [getattr(t, language) for t in vocabulary("service").terms]


def test_a_partner_states_its_language_in_the_network():
    raw = {
        "projects": {"P": {"name_ro": "P", "name_en": "P", "start": "2016-01", "end": "2016-12"}},
        "partners": {"a": {"name": "A", "language": "en"}, "b": {"name": "B"}},
    }
    network = parse_network(raw)
    assert (network.language("a"), network.language("b"), network.language("nobody")) == ("en", "ro", "ro")
    raw["partners"]["a"]["language"] = "fr"
    with pytest.raises(NetworkError, match="language 'fr'; allowed: ro, en"):
        parse_network(raw)


def test_a_file_dropped_in_the_inbox_is_answered_in_the_partners_language(
    settings, engine, tmp_path, monkeypatch
):
    text = Path(network_module.__file__).with_name("network.yaml").read_text("utf-8")
    english = text.replace("    county: Cluj\n", "    county: Cluj\n    language: en\n", 1)
    assert english != text
    (tmp_path / "network.yaml").write_text(english, "utf-8")
    monkeypatch.setenv("INCLUSION_NETWORK", str(tmp_path / "network.yaml"))
    load_network.cache_clear()
    try:
        network = load_network()
        assert network.partners["asoc-cluj"].language == "en"
        write_xlsx(settings.inbox / "TWAM" / "asoc-cluj" / "b_2016-03.xlsx", {"Beneficiari": ROWS})
        write_xlsx(settings.inbox / "TWAM" / "asoc-bihor" / "b_2016-03.xlsx", {"Beneficiari": ROWS[:2]})
        processed = [process_file(r, settings, engine, network, b"k") for r in discover(settings)]
        outcomes = {o.partner: o for o in processed}
    finally:
        load_network.cache_clear()
    for partner, language in (("asoc-cluj", "en"), ("asoc-bihor", "ro")):
        outcome = outcomes[partner]
        html = (settings.home / outcome.report).read_text("utf-8")
        assert f'<html lang="{language}">' in html
        book = openpyxl.load_workbook(settings.home / outcome.feedback)
        assert book.sheetnames[0] == errors_sheet(language)


@pytest.mark.parametrize("language", ["ro", "en"])
def test_the_template_speaks_one_language(tmp_path, language):
    path = write_template("TWAM", "asoc-cluj", "2016-03", tmp_path / "t.xlsx", language=language)
    book = openpyxl.load_workbook(path)
    shown = [s for s in book.worksheets if s.sheet_state == "visible"]
    texts = [s.title for s in shown]
    texts += [str(v) for s in shown for r in s.iter_rows(values_only=True) for v in r if v is not None]
    texts += [c.comment.text for s in shown for c in s[1] if c.comment]
    texts += [v.prompt or "" for s in shown for v in s.data_validations.dataValidation]
    text = "\n".join(texts).replace(path.name, "")
    assert _foreign(text, language) == set()
    assert ("Yes/No" in text) == (language == "en") and ("Da/Nu" in text) == (language == "ro")
