"""A small warehouse that the indicator and publication tests share (people served by several
partners and projects, with and without a CNP), and what the ingest tests count in one."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from inclusion_data.contracts.network import load_network
from inclusion_data.indicators.incremental import build_indicator_values
from inclusion_data.orchestration.ingest import discover, process_file
from inclusion_data.warehouse import schema
from workbooks import CNP_F_2008, CNP_M_1985, beneficiary, write_xlsx

CHILD = {"cnp": CNP_F_2008, "sex": "F", "birth_date": 2008, "vulnerable_group": "Copil în situație de risc"}


def load_small_network(settings, engine) -> None:
    """Four files from three partners of two projects, loaded, with indicators built."""
    inbox = settings.inbox
    write_xlsx(
        inbox / "TWAM/asoc-cluj/a_2016-02.xlsx",
        {
            "Beneficiari": [
                beneficiary(service_date=dt.date(2016, 2, 3)),
                beneficiary(**CHILD, service_date=dt.date(2016, 2, 3)),
            ]
        },
    )
    write_xlsx(
        inbox / "TWAM/asoc-cluj/a_2016-03.xlsx",
        {
            "Beneficiari": [
                beneficiary(),
                beneficiary(service="Logopedie"),
                beneficiary(cnp=None, person_code="K9", sex="F", birth_date=None, locality="Huedin"),
            ]
        },
    )
    write_xlsx(
        inbox / "TWAM/asoc-bihor/b_2016-03.xlsx",
        {
            "Beneficiari": [
                beneficiary(**CHILD, locality="Oradea"),
                beneficiary(cnp=None, person_code="K9", sex="F", birth_date=None, locality="Diosig"),
            ]
        },
    )
    write_xlsx(
        inbox / "ALBA/speromax/c_2016-03.xlsx",
        {
            "Beneficiari": [beneficiary(locality="Alba Iulia", service="Servicii ale centrului de resurse")],
            "Voluntari": [
                {
                    "person_code": "V1",
                    "sex": "F",
                    "age": 30,
                    "locality": "Alba Iulia",
                    "role": "Altele",
                    "hours": "2,5",
                },
                {"cnp": CNP_M_1985, "sex": "M", "age": 31, "locality": "Oarda", "role": "Altele", "hours": 4},
            ],
        },
    )
    for relative in discover(settings):
        assert process_file(relative, settings, engine, load_network(), b"k").status == "accepted"
    build_indicator_values(engine)


def old_suppression(frame):
    """The suppression the disclosure audit replaced (kept to show the audit can fail): 1-4
    in breakdowns, plus the next smallest cell of a breakdown where only one was withheld."""
    from inclusion_data.indicators.catalogue import TOTAL
    from inclusion_data.indicators.disclosure_audit import person_rows

    out = frame.copy()
    persons = person_rows(out) & (out.dimension != TOTAL)
    out["suppressed"] = persons & out.value.between(1, 4)
    keys = ["indicator_id", "project", "partner", "period", "dimension"]
    for _, group in out[persons].groupby(keys):
        if out.loc[group.index, "suppressed"].sum() == 1:
            shown = group[~out.loc[group.index, "suppressed"] & (group.value > 0)]
            if len(shown):
                out.loc[shown.value.idxmin(), "suppressed"] = True
    return out


def accepted_beneficiary_rows(engine) -> int:
    """Beneficiary rows of accepted submissions: what indicators read."""
    b, s = schema.dataset_tables["beneficiaries"], schema.submissions
    with engine.connect() as conn:
        return conn.scalar(
            select(func.count())
            .select_from(b.join(s, s.c.id == b.c.submission_id))
            .where(s.c.status == "accepted")
        )
