"""Whose fault is an exception: the infrastructure's (retry later, the file stays in the
inbox) or the file's (answer the partner)? Decided here only.

The infrastructure: a warehouse that cannot be reached, is read-only, refuses the user
(privileges), is out of resources or shutting down, or a deadlock or serialisation failure;
and storage that fails (``OSError``: a full disk, a folder that cannot be written). Partner
files never raise these: what a partner sends is refused by ``intake.guard`` and the
contracts before anything is written, and everything the warehouse enforces (lengths,
ranges) is checked by the suites first.
"""

from __future__ import annotations

import sqlite3

import psycopg
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

# SQLSTATE classes and codes (PostgreSQL appendix A) that say the database, not the row, failed
_RETRY_CLASSES = (
    "08",
    "40",
    "53",
    "55",
    "57",
    "58",
)  # connection, rollback, resources, state, operator, system
_RETRY_CODES = {"25006", "42501", "28000", "28P01", "3D000"}  # read-only, privilege, auth, no database


def is_infrastructure_fault(exc: BaseException) -> bool:
    """True when the task should fail for Airflow to retry it, leaving the file where it is.
    The driver's own errors count as SQLAlchemy's do: a COPY is written to psycopg directly
    (``warehouse.load``), so what fails in it comes unwrapped."""
    if isinstance(exc, OSError | OperationalError | InterfaceError):
        return True
    original = exc.orig if isinstance(exc, DBAPIError) else exc
    if isinstance(original, _DRIVER_FAULTS):
        return True
    if isinstance(exc, DBAPIError | psycopg.Error):
        state = getattr(original, "sqlstate", None) or ""
        return state in _RETRY_CODES or state[:2] in _RETRY_CLASSES
    return False


_DRIVER_FAULTS = (
    sqlite3.OperationalError,
    sqlite3.InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)
