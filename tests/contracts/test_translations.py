"""Every string shown to people (portal pages and mails, pre-check, file report, feedback
workbook, template) is extracted from the whole package with Babel's own extractors and must
have a Romanian and an English translation; codes shown to people (statuses, severities, rule
names) have a translated label."""

from __future__ import annotations

import re

from babel.messages.catalog import Catalog

from inclusion_data.contracts import i18n
from inclusion_data.contracts.datasets import DATASETS
from inclusion_data.contracts.labels import RULES, SEVERITIES, STATUSES, Labels
from inclusion_data.quality.suites import load_suite
from inclusion_data.submissions import outcome

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _untranslated(extracted: Catalog, language: str) -> list[str]:
    catalogue = i18n.read_catalogue(language)
    missing = []
    for message in extracted:
        if not message.id:
            continue
        found = catalogue.get(message.id)
        if found is None or not found.string or found.fuzzy:
            missing.append(message.id)
        elif set(_PLACEHOLDER.findall(message.id)) != set(_PLACEHOLDER.findall(found.string)):
            missing.append(f"{message.id} (placeholders differ)")
    return missing


def test_every_string_shown_has_a_romanian_and_an_english_translation():
    extracted = i18n.extract()
    assert len(extracted) > 150  # templates, pages and mails were all read
    assert extracted.get("Download the feedback workbook") is not None  # a template's
    assert extracted.get("Wrong e-mail address or password.") is not None  # a page's
    assert extracted.get("Problems found:") is not None  # a mail's
    assert extracted.get("This report contains no cell values.") is not None  # the file report's
    assert extracted.get("Monthly reporting template") is not None  # the template's
    assert extracted.get("Feedback workbook: %(path)s") is not None  # the pre-check's
    for language in i18n.LANGUAGES:
        assert _untranslated(extracted, language) == [], (
            f"run python -m inclusion_data.contracts.i18n ({language})"
        )


def test_the_check_fails_on_a_string_without_translation():
    extracted = Catalog()
    extracted.add("A sentence nobody has translated yet.")
    assert _untranslated(extracted, "ro") == ["A sentence nobody has translated yet."]


def test_every_rule_status_and_severity_has_a_label_in_both_languages():
    rules = {e["meta"]["rule"] for d in DATASETS for e in load_suite(d)["expectations"]}
    assert rules <= set(RULES)
    statuses = {outcome.ACCEPTED, outcome.REJECTED, outcome.SUPERSEDED, outcome.DUPLICATE, "missing"}
    assert statuses <= set(STATUSES) and {"error", "warning"} == set(SEVERITIES)
    ro, en = Labels("ro"), Labels("en")
    assert ro.rule("cnp_matches_birth") == "CNP-ul nu corespunde datei nașterii"
    assert en.rule("cnp_matches_birth") == "CNP does not match the birth date"
    assert (ro.status("rejected"), en.status("rejected")) == ("respins", "rejected")
    assert (ro.dataset("trainings"), en.dataset("trainings")) == ("Instruiri", "Trainings")
    assert (ro.value("service", "parents_school"), en.value("service", "parents_school")) == (
        "Școala părinților",
        "Parents' school",
    )
