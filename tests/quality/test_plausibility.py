"""A month far from the partner's own history is a warning with its numbers, never a rejection."""

import datetime as dt
import math

from inclusion_data.contracts.network import load_network
from inclusion_data.orchestration.ingest import discover, process_file
from inclusion_data.quality.plausibility import modified_z, volume_finding
from workbooks import beneficiary, write_xlsx


def test_modified_z_score():
    assert modified_z([10, 12, 11], 11) == 0
    assert modified_z([10, 12], 500) is None  # too little history
    assert abs(modified_z([10, 12, 11, 13, 9], 40)) > 3.5
    assert abs(modified_z([10, 12, 11, 13, 9], 14)) < 3.5
    assert math.isinf(modified_z([10, 10, 10], 11)) and modified_z([10, 10, 10], 10) is None


def test_the_warning_shows_the_numbers():
    finding = volume_finding({"2016-01": 10, "2016-02": 12, "2016-03": 11}, 60, "Beneficiari")
    assert finding.severity == "warning" and finding.rule == "unusual_volume"
    assert "60 rows" in finding.message_en and "median of 11" in finding.message_en
    assert volume_finding({"2016-01": 10, "2016-02": 12, "2016-03": 11}, 12, "Beneficiari") is None


def _month(settings, engine, month: int, people: int):
    rows = [
        beneficiary(cnp=None, person_code=f"K{i}", birth_date=None, service_date=dt.date(2016, month, 3))
        for i in range(people)
    ]
    write_xlsx(settings.inbox / "TWAM/asoc-cluj" / f"b_2016-{month:02d}.xlsx", {"Beneficiari": rows})
    [relative] = discover(settings)
    return process_file(relative, settings, engine, load_network(), b"k")


def test_a_month_far_from_history_loads_with_a_warning(settings, engine):
    for month, people in ((1, 5), (2, 6), (3, 5)):
        assert _month(settings, engine, month, people).status == "accepted"
    outcome = _month(settings, engine, 4, 40)
    [sheet] = outcome.submissions
    assert outcome.status == "accepted" and sheet.warnings == 1 and sheet.errors == 0
    [finding] = outcome.sheet_findings["Beneficiari"]
    assert finding.rule == "unusual_volume" and "40 rows" in finding.message_en
