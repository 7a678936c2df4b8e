"""Approving closes a project's month, reopening needs a reason, and the history keeps both."""

import pytest

from inclusion_data.warehouse.engine import make_engine, migrate
from inclusion_data.warehouse.review import (
    APPROVED,
    REOPENED,
    ReviewError,
    approve_month,
    closed_months,
    mark_published,
    reopen_month,
    review_history,
)


def test_a_month_is_closed_by_approval_and_open_again_after_a_reopening(warehouse_url):
    migrate(warehouse_url)
    engine = make_engine(warehouse_url)
    approve_month(engine, "TWAM", "2016-02", by="coord@example.org", note="all four partners in")
    approve_month(engine, "TWAM", "2016-03", by="coord@example.org")
    with engine.connect() as conn:
        assert closed_months(conn) == {("TWAM", "2016-02"), ("TWAM", "2016-03")}
    with pytest.raises(ReviewError, match="already approved"):
        approve_month(engine, "TWAM", "2016-02", by="coord@example.org")
    with pytest.raises(ReviewError, match="reason"):
        reopen_month(engine, "TWAM", "2016-02", by="coord@example.org", note="  ")
    with pytest.raises(ReviewError, match="nothing to reopen"):
        reopen_month(engine, "TWAM", "2016-04", by="coord@example.org", note="late file")

    reopen_month(engine, "TWAM", "2016-02", by="other@example.org", note="a partner re-sent February")
    with engine.begin() as conn:
        assert closed_months(conn) == {("TWAM", "2016-03")}
        assert mark_published(conn, "pub-1") == 3
        assert mark_published(conn, "pub-2") == 0
        history = review_history(conn, "TWAM", "2016-02")
    assert [(r.action, r.by, r.note, r.publication) for r in history] == [
        (APPROVED, "coord@example.org", "all four partners in", "pub-1"),
        (REOPENED, "other@example.org", "a partner re-sent February", "pub-1"),
    ]
