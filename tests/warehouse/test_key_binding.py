"""The warehouse keeps its key's fingerprint and refuses any other key; rotating the key
re-keys every person in one transaction, and people are still recognised afterwards."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from sqlalchemy import func, select

from inclusion_data.intake import pseudonym
from inclusion_data.orchestration import tasks
from inclusion_data.settings import Settings
from inclusion_data.warehouse import rotate_key, schema
from inclusion_data.warehouse.key_binding import KeyMismatchError, bind_key, load_bound_key
from workbooks import CNP_F_2008, beneficiary, write_xlsx


def _strong() -> str:
    return secrets.token_hex(32)


def _fingerprints(engine) -> list[tuple[str, int, bool]]:
    t = schema.pseudonym_keys
    with engine.connect() as conn:
        rows = conn.execute(select(t.c.fingerprint, t.c.key_count, t.c.retired_at.is_(None))).all()
    return sorted((f, n, bool(active)) for f, n, active in rows)


def test_the_first_key_is_bound_and_another_fails_closed_naming_the_fix(settings, engine, monkeypatch):
    first = _strong()
    monkeypatch.setenv(pseudonym.ENV_VAR, first)
    assert load_bound_key(settings, engine) == first.encode()
    assert load_bound_key(settings, engine) == first.encode()  # the same key again: fine
    assert _fingerprints(engine) == [(pseudonym.fingerprint(first.encode()), 1, True)]
    monkeypatch.setenv(pseudonym.ENV_VAR, _strong())
    with pytest.raises(KeyMismatchError) as raised:
        load_bound_key(settings, engine)
    message = str(raised.value)
    for needed in (pseudonym.ENV_VAR, pseudonym.AIRFLOW_VARIABLE, str(settings.key_file), "rotate_key"):
        assert needed in message
    assert first not in message
    monkeypatch.setenv(pseudonym.ENV_VAR, first + " ")  # the same key with a space: refused too
    with pytest.raises(pseudonym.KeyProblem):
        load_bound_key(settings, engine)
    assert len(_fingerprints(engine)) == 1


def _persons(engine) -> dict[str, set[str]]:
    out = {}
    for name, table in schema.dataset_tables.items():
        with engine.connect() as conn:
            out[name] = set(conn.scalars(select(table.c.person_key).distinct()))
    return out


def _distinct_persons(engine) -> int:
    b = schema.dataset_tables["beneficiaries"]
    with engine.connect() as conn:
        return conn.scalar(select(func.count(b.c.person_key.distinct())))


def _load(settings: Settings, name: str, rows: list[dict], month: str) -> list[dict]:
    write_xlsx(settings.inbox / "TWAM" / "asoc-cluj" / name, {"Beneficiari": rows}, info_month=month)
    [batch] = tasks.find_batches()
    return tasks.process_batch(batch)


PEOPLE = [
    beneficiary(),
    beneficiary(cnp=CNP_F_2008, sex="F", birth_date=2008, vulnerable_group="Copil în situație de risc"),
    beneficiary(cnp=None, person_code="P-17", name="Fără Cnp"),
]


def test_rotation_rekeys_every_person_in_one_go_and_new_files_still_meet_them(
    settings, engine, monkeypatch, tmp_path
):
    old = _strong()
    monkeypatch.setenv(pseudonym.ENV_VAR, old)
    bind_key(engine, old.encode(), "test")
    [loaded] = _load(settings, "martie.xlsx", PEOPLE, "2016-03")
    assert loaded["status"] == "accepted", loaded
    before, persons_before = _persons(engine), _distinct_persons(engine)
    assert persons_before == 3

    new_file, keyring_file = tmp_path / "new.key", tmp_path / "keyring"
    new_file.write_text(_strong() + "\n")
    assert rotate_key.main(["--new-key-file", str(new_file), "--out", str(keyring_file)]) == 0
    keyring = keyring_file.read_text().removesuffix("\n")
    assert keyring == old + "\n" + new_file.read_text().removesuffix("\n")
    assert oct(keyring_file.stat().st_mode & 0o777) == "0o600"

    after = _persons(engine)
    new_key = keyring.split("\n")[1].encode()
    assert after["beneficiaries"] == {pseudonym.rekey(p, new_key) for p in before["beneficiaries"]}
    assert not after["beneficiaries"] & before["beneficiaries"]
    assert _distinct_persons(engine) == persons_before
    assert [(n, active) for _, n, active in _fingerprints(engine)] in (
        [(1, False), (2, True)],
        [(2, True), (1, False)],
    )

    # the old key now fails closed, saying it was rotated away
    with pytest.raises(KeyMismatchError, match="rotated"):
        load_bound_key(settings, engine)
    # with the new keyring installed, a new month about the same people meets them
    monkeypatch.setenv(pseudonym.ENV_VAR, keyring)
    assert load_bound_key(settings, engine) == keyring.encode()
    [loaded] = _load(
        settings, "aprilie.xlsx", [{**p, "service_date": dt.date(2016, 4, 5)} for p in PEOPLE], "2016-04"
    )
    assert loaded["status"] == "accepted", loaded
    assert _persons(engine)["beneficiaries"] == after["beneficiaries"]
    assert _distinct_persons(engine) == persons_before


def test_rotating_a_weak_legacy_key_from_the_key_file_replaces_the_file(
    settings, engine, monkeypatch, tmp_path
):
    monkeypatch.delenv(pseudonym.ENV_VAR)
    settings.key_file.parent.mkdir(parents=True, exist_ok=True)
    settings.key_file.write_text("weak\n")  # an installation from before the strength rules
    with pytest.raises(pseudonym.WeakKeyError, match="rotate_key"):
        load_bound_key(settings, engine)
    new_file = tmp_path / "new.key"
    new_file.write_text(_strong())
    assert rotate_key.main(["--new-key-file", str(new_file)]) == 0
    assert settings.key_file.read_text() == "weak\n" + new_file.read_text() + "\n"
    assert oct(settings.key_file.stat().st_mode & 0o777) == "0o600"
    assert not settings.key_file.with_name("pseudonym.key.new").exists()
    assert load_bound_key(settings, engine) == b"weak\n" + new_file.read_bytes()


def test_rotation_refuses_a_weak_new_key_and_a_warehouse_of_another_key(
    settings, engine, monkeypatch, tmp_path
):
    current = _strong()
    monkeypatch.setenv(pseudonym.ENV_VAR, current)
    bind_key(engine, _strong().encode(), "another")
    weak, strong = tmp_path / "weak.key", tmp_path / "strong.key"
    weak.write_text("password1")
    strong.write_text(_strong())
    assert rotate_key.main(["--new-key-file", str(weak), "--out", str(tmp_path / "a")]) == 2
    assert rotate_key.main(["--new-key-file", str(strong), "--out", str(tmp_path / "b")]) == 2
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    assert [active for *_, active in _fingerprints(engine)] == [True]


def test_a_batch_with_another_key_fails_and_leaves_its_files_in_the_inbox(settings, engine, monkeypatch):
    bind_key(engine, _strong().encode(), "the first load")
    monkeypatch.setenv(pseudonym.ENV_VAR, _strong())
    path = write_xlsx(
        settings.inbox / "TWAM" / "asoc-cluj" / "martie.xlsx", {"Beneficiari": PEOPLE}, info_month="2016-03"
    )
    [batch] = tasks.find_batches()
    with pytest.raises(KeyMismatchError):
        tasks.process_batch(batch)
    assert path.exists()
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(schema.submissions)) == 0
