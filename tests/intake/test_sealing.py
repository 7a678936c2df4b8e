"""Sealed file names: nothing of the name shows, the keyring opens them after a rotation, and
a foreign or legacy value never fails a page."""

from inclusion_data.intake.sealing import LEGACY_PREFIX, NameSeal

KEY = b"0123456789abcdef0123456789abcdef"
NAME = "Popescu Ion 1850101123456.xlsx"


def test_a_sealed_name_shows_nothing_of_it_and_opens_again():
    seal = NameSeal(KEY)
    token = seal.seal(NAME)
    assert "Popescu" not in token and "1850101123456" not in token and seal.seal(NAME) != token
    assert seal.open(token) == NAME


def test_names_sealed_before_a_rotation_open_after_it():
    token = NameSeal(KEY).seal(NAME)
    assert NameSeal(KEY + b"\n" + b"f" * 32 + b"0123456789").open(token) == NAME


def test_another_keyring_cannot_open_it_and_legacy_labels_stay_as_they_are():
    token = NameSeal(KEY).seal(NAME)
    assert NameSeal(b"another key entirely, 32 chars long").open(token) == "(sealed)"
    assert NameSeal(KEY).open(LEGACY_PREFIX + "3f9a1c2b7d4e") == LEGACY_PREFIX + "3f9a1c2b7d4e"


def test_the_lookup_digest_is_repeatable_and_keyed():
    assert NameSeal(KEY).digest("TWAM/x/a.xlsx") == NameSeal(KEY).digest("TWAM/x/a.xlsx")
    assert NameSeal(KEY).digest("TWAM/x/a.xlsx") != NameSeal(b"k" * 32).digest("TWAM/x/a.xlsx")
