"""Database errors in logs carry no partner values: engines hide the statement's parameters,
and ``loggable_error`` leaves out messages, which quote values (PostgreSQL's DETAIL, Python's
``invalid literal``)."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, MetaData, String, Table, insert
from sqlalchemy.exc import IntegrityError

from inclusion_data.warehouse.engine import loggable_error, make_engine
from workbooks import CNP_M_1985


def test_a_failed_insert_shows_neither_its_parameters_nor_the_value_in_the_log(settings):
    engine = make_engine(settings.warehouse_url)
    table = Table("people_probe", MetaData(), Column("cnp", String(13), primary_key=True))
    try:
        table.create(engine)
        with engine.begin() as conn:
            conn.execute(insert(table).values(cnp=CNP_M_1985))
        with pytest.raises(IntegrityError) as raised, engine.begin() as conn:
            conn.execute(insert(table).values(cnp=CNP_M_1985))
        assert "parameters hidden" in str(raised.value)
        if engine.dialect.name == "postgresql":  # the server's own message quotes the key
            assert CNP_M_1985 in str(raised.value)
        logged = loggable_error(raised.value)
        assert CNP_M_1985 not in logged and "IntegrityError" in logged
        assert "test_error_privacy.py" in logged  # where it happened is kept
        if engine.dialect.name == "postgresql":
            assert "SQLSTATE 23505" in logged
    finally:
        table.drop(engine, checkfirst=True)
        engine.dispose()


def test_a_python_error_quoting_a_value_is_logged_without_it():
    try:
        try:
            int(f"CNP {CNP_M_1985}")
        except ValueError as exc:
            raise RuntimeError("while parsing") from exc
    except RuntimeError as exc:
        logged = loggable_error(exc)
    assert CNP_M_1985 not in logged
    assert "builtins.RuntimeError" in logged and "caused by:" in logged and "builtins.ValueError" in logged
