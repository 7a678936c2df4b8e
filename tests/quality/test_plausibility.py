"""A month far from the partner's own history is a warning with its numbers, never a rejection."""

import math

from inclusion_data.quality.plausibility import modified_z, volume_finding


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
