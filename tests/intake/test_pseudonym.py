"""The pseudonymisation key as configured: strong, never trimmed, masked by Airflow's name,
and the keyring chain a rotation builds."""

from __future__ import annotations

import secrets

import pytest

from inclusion_data.intake import pseudonym
from inclusion_data.settings import Settings
from workbooks import CNP_M_1985

STRONG = secrets.token_hex(32)


@pytest.fixture
def home(tmp_path, monkeypatch) -> Settings:
    monkeypatch.setenv("INCLUSION_HOME", str(tmp_path / "var"))
    monkeypatch.delenv(pseudonym.ENV_VAR, raising=False)
    return Settings.from_env()


@pytest.mark.parametrize(
    "weak",
    ["x", "test-key-not-secret", "a" * 64, "ab" * 32, "0123456" * 5, ""],
    ids=["one character", "short", "one character repeated", "two repeated", "seven different", "empty"],
)
def test_a_weak_key_fails_closed(home, monkeypatch, weak):
    monkeypatch.setenv(pseudonym.ENV_VAR, weak)
    with pytest.raises(pseudonym.KeyProblem) as raised:
        pseudonym.load_key(home)
    if weak:  # an empty variable is no key at all: the message says where to put one
        assert "rotate_key" in str(raised.value) and "token_hex" in str(raised.value)


@pytest.mark.parametrize(
    "padded",
    [STRONG + " ", " " + STRONG, STRONG + "\n", STRONG + "\t", STRONG[:20] + "\u200b" + STRONG[20:]],
    ids=["trailing space", "leading space", "trailing newline", "trailing tab", "zero-width space"],
)
def test_a_key_with_a_stray_space_or_invisible_character_is_refused_never_trimmed(home, monkeypatch, padded):
    monkeypatch.setenv(pseudonym.ENV_VAR, padded)
    with pytest.raises(pseudonym.WeakKeyError, match="never trimmed"):
        pseudonym.load_key(home)


def test_a_key_file_may_end_with_one_newline_and_nothing_more(home):
    home.key_file.parent.mkdir(parents=True)
    home.key_file.write_text(STRONG + "\n")
    assert pseudonym.load_key(home) == STRONG.encode()
    for padded in (STRONG + " \n", STRONG + "\n\n", STRONG + " "):
        home.key_file.write_text(padded)
        with pytest.raises(pseudonym.KeyProblem):
            pseudonym.load_key(home)


def test_the_demo_key_is_strong(home):
    pseudonym.create_local_key(home)
    assert pseudonym.load_key(home) == home.key_file.read_text().removesuffix("\n").encode()
    assert oct(home.key_file.stat().st_mode & 0o777) == "0o600"


def test_the_test_suite_key_passes_the_rules(monkeypatch, home):
    from conftest import TEST_KEY

    monkeypatch.setenv(pseudonym.ENV_VAR, TEST_KEY)
    assert pseudonym.load_key(home) == TEST_KEY.encode()


def test_the_airflow_variable_has_a_name_airflow_masks():
    from airflow._shared.secrets_masker import should_hide_value_for_key

    assert should_hide_value_for_key(pseudonym.AIRFLOW_VARIABLE)
    assert not should_hide_value_for_key(pseudonym.LEGACY_AIRFLOW_VARIABLE)  # why it was renamed


def test_the_old_variable_name_is_refused_with_the_commands_to_move_it(home, monkeypatch):
    values = {pseudonym.LEGACY_AIRFLOW_VARIABLE: STRONG}
    monkeypatch.setattr(pseudonym, "_airflow_variable", values.get)
    with pytest.raises(pseudonym.KeyProblem, match="airflow variables set inclusion_pseudonym_secret"):
        pseudonym.load_key(home)
    values[pseudonym.AIRFLOW_VARIABLE] = STRONG
    assert pseudonym.load_key(home) == STRONG.encode()


def test_a_keyring_chains_its_keys_and_a_rekeyed_person_key_meets_a_new_one():
    old, new = secrets.token_hex(32).encode(), secrets.token_hex(32).encode()
    before = pseudonym.person_key(old, "asoc-cluj", CNP_M_1985, None, None, None)
    after = pseudonym.person_key(old + b"\n" + new, "asoc-cluj", CNP_M_1985, None, None, None)
    assert before is not None and after == pseudonym.rekey(before, new) != before
    assert pseudonym.fingerprint(old) != pseudonym.fingerprint(old + b"\n" + new)
    assert pseudonym.fingerprint(old) == pseudonym.fingerprint(old)
    assert old.decode() not in pseudonym.fingerprint(old)


def test_only_the_newest_key_of_a_keyring_must_be_strong(home, monkeypatch):
    monkeypatch.setenv(pseudonym.ENV_VAR, "legacy weak\n" + STRONG)
    assert pseudonym.load_key(home) == b"legacy weak\n" + STRONG.encode()
    monkeypatch.setenv(pseudonym.ENV_VAR, STRONG + "\nlegacy weak")
    with pytest.raises(pseudonym.WeakKeyError):
        pseudonym.load_key(home)
    assert pseudonym.load_key(home, strict=False) == STRONG.encode() + b"\nlegacy weak"


def test_person_keys_are_the_documented_hmac_whichever_keys_came_before():
    """Stored person keys must meet the ones new files make: the key set up once per key
    (``_keyed``) gives HMAC-SHA256 itself, for each of several keys used in turn."""
    import hashlib
    import hmac

    keys = [secrets.token_hex(32).encode() for _ in range(3)]
    for key in [*keys, *reversed(keys)]:
        expected = hmac.new(key, f"cnp:{CNP_M_1985}".encode(), hashlib.sha256).hexdigest()[:32]
        assert pseudonym.person_key(key, "asoc-cluj", CNP_M_1985, None, None, None) == expected
    old, new = keys[:2]
    first = hmac.new(old, b"code:asoc cluj:b 17", hashlib.sha256).hexdigest()[:32]  # both folded
    chained = hmac.new(new, first.encode(), hashlib.sha256).hexdigest()[:32]
    assert pseudonym.person_key(old + b"\n" + new, "asoc-cluj", None, "B-17", None, None) == chained
