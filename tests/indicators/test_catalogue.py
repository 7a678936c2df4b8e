"""The catalogue files fail loudly: a typo in indicators.yaml, targets.yaml or network.yaml stops
loading with a message naming the entry and the allowed values, and nothing is published."""

from __future__ import annotations

import re
from importlib.resources import files

import pytest
import yaml

from inclusion_data.contracts.network import NetworkError, parse_network
from inclusion_data.indicators.catalogue import CatalogueError, catalogue, parse_catalogue
from inclusion_data.indicators.targets import parse_targets
from inclusion_data.orchestration.tasks import build_and_publish
from sample_warehouse import load_small_network


def _packaged(package: str, name: str) -> str:
    return files(package).joinpath(name).read_text("utf-8")


INDICATORS = _packaged("inclusion_data.indicators", "indicators.yaml")
TARGETS = _packaged("inclusion_data.indicators", "targets.yaml")
NETWORK = _packaged("inclusion_data.contracts", "network.yaml")


def _typo(text: str, old: str, new: str) -> dict:
    assert old in text, old
    return yaml.safe_load(text.replace(old, new, 1))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "filters: {completed: true}",
            "filters: {completed: true, vulnerable_group: child_at_rsk}",
            "entry 'persons_trained': filter column 'vulnerable_group' is not a list or yes/no column of "
            "trainings; allowed: sex, ethnicity, activity_type",
        ),
        (
            "dataset: volunteers",
            "dataset: volunter",
            "entry 'volunteers': dataset 'volunter' does not exist; "
            "allowed: beneficiaries, trainings, volunteers",
        ),
        (
            "measure: distinct_localities",
            "measure: distinct_locality",
            "entry 'localities_reached': measure 'distinct_locality' does not exist; "
            "allowed: distinct_persons",
        ),
        (
            "measure: sum:hours",
            "measure: sum:hour",
            "entry 'volunteer_hours': measure 'sum:hour' sums no number column of volunteers; "
            "allowed: sum:age, sum:hours",
        ),
        (
            "participant_category: [specialist, decision_maker]",
            "participant_category: [specialist, decision_makr]",
            "entry 'professionals_trained': filter participant_category = 'decision_makr' is not an allowed "
            "value; allowed: beneficiary, specialist, decision_maker",
        ),
        (
            "ethnicity, vulnerable_group, service",
            "ethnicity, vulnerable_grup, service",
            "entry 'persons_assisted': dimension 'vulnerable_grup' does not exist for beneficiaries; "
            "allowed: project, partner, month, age_group, county, locality, sex",
        ),
        (
            "  counts_persons: true\n  dimensions: [project, partner, month, sex, age_group, role]",
            "  dimensions: [project, partner, month, sex, age_group, role]",
            "entry 'volunteers': missing counts_persons",
        ),
    ],
)
def test_a_typo_in_the_indicator_catalogue_names_the_entry_and_the_allowed_values(old, new, message):
    with pytest.raises(CatalogueError, match=re.escape(message)):
        parse_catalogue(_typo(INDICATORS, old, new))


def test_the_issues_typo_in_a_filter_value_is_caught():
    raw = _typo(
        INDICATORS,
        "dataset: beneficiaries\n  measure: distinct_persons\n",
        "dataset: beneficiaries\n  measure: distinct_persons\n  filters: {vulnerable_group: child_at_rsk}\n",
    )
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(raw)
    assert str(caught.value) == (
        "indicators.yaml, entry 'persons_assisted': filter vulnerable_group = 'child_at_rsk' is not an "
        "allowed value; allowed: child_at_risk, parent, unemployed_adult, young_mother, other_vulnerable"
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("ALBA:", "ALBAA:", "entry 'ALBAA': unknown project; allowed: TWAM, ALBA, NETW, PNCR"),
        (
            "volunteers: 11",
            "volunters: 11",
            "entry 'TWAM.volunters': unknown indicator; allowed: persons_assisted",
        ),
        (
            "{study_visit: 2,",
            "{study_vist: 2,",
            "entry 'TWAM.events_held.activity_type.study_vist': 'study_vist' is not a category of "
            "activity_type; allowed: qualification_course, specialist_training, seminar",
        ),
        (
            "institution_type: {public",
            "institution: {public",
            "entry 'ALBA.professionals_trained': 'institution' is not a breakdown of professionals_trained; "
            "allowed: total, sex, participant_category, institution_type, activity_type",
        ),
        (
            "persons_assisted: 500",
            "persons_assisted: 5OO",
            "entry 'ALBA.persons_assisted': a target is a positive",
        ),
    ],
)
def test_a_typo_in_the_targets_names_the_entry_and_the_allowed_values(old, new, message):
    with pytest.raises(CatalogueError, match=re.escape(message)):
        parse_targets(_typo(TARGETS, old, new))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "NETW: {from: 2016-02, to: 2016-12, reports: [trainings]}",
            "NETX: {from: 2016-02, to: 2016-12, reports: [trainings]}",
            "partner 'asoc-cluj', project 'NETX': unknown project; allowed: TWAM, ALBA, NETW, PNCR",
        ),
        (
            "reports: [beneficiaries, trainings]}",
            "reports: [beneficiaries, training]}",
            "partner 'primaria-alba-iulia', project 'ALBA': reports 'training', not a dataset; "
            "allowed: beneficiaries, trainings, volunteers",
        ),
        ("start: 2016-01\n    end: 2016-12", "start: 2016-13\n    end: 2016-12", "project 'NETW': '2016-13'"),
        (
            "    county: Bihor\n",
            "    conty: Bihor\n",
            "partner 'asoc-bihor': unknown key conty; allowed keys: name",
        ),
    ],
)
def test_a_typo_in_the_network_names_the_entry_and_the_allowed_values(old, new, message):
    with pytest.raises(NetworkError, match=re.escape(message)):
        parse_network(_typo(NETWORK, old, new))


@pytest.mark.parametrize(
    ("variable", "text", "old", "new"),
    [
        ("INCLUSION_INDICATORS", INDICATORS, "filters: {certified: true}", "filters: {certified: ture}"),
        ("INCLUSION_TARGETS", TARGETS, "volunteers: 11", "volunteer: 11"),
    ],
)
def test_a_catalogue_typo_stops_the_publication(
    settings, engine, tmp_path, monkeypatch, variable, text, old, new
):
    load_small_network(settings, engine)
    broken = tmp_path / "broken.yaml"
    broken.write_text(text.replace(old, new, 1), "utf-8")
    monkeypatch.setenv(variable, str(broken))
    with pytest.raises(CatalogueError, match="entry '(persons_certified|TWAM.volunteer)'"):
        build_and_publish()
    assert not any(settings.published.iterdir())
    monkeypatch.delenv(variable)
    assert len(catalogue()) == 11  # the packaged files are untouched
