"""Run a dataset's Great Expectations suite on a parsed sheet and turn the result into findings.

GX is imported here, inside the task that validates, never when Airflow parses a DAG file.
One ephemeral context is kept per process, because creating it (and importing GX) costs
seconds while a validation costs a fraction of one. The frame handed to GX has no personal
columns, and results are asked for row numbers only (``exclude_unexpected_values``), so no
value of a cell reaches XCom, logs or reports.
"""

from __future__ import annotations

import copy
import logging
import os
from dataclasses import replace
from functools import cache

import pandas as pd

from inclusion_data.contracts.datasets import Dataset
from inclusion_data.intake.parsing import ROW
from inclusion_data.quality.findings import ERROR, WARNING, Finding
from inclusion_data.quality.suites import load_suite

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": [ROW],
    "exclude_unexpected_values": True,
    "return_unexpected_index_query": False,
}


@cache
def _batch_definition():
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every pandas batch smaller than this many bytes (an md5 over
    # pandas' hash of every cell, kept as a batch marker): nothing here reads it, and it was
    # half of a 1M-row sheet's validation (1.3 of 2.6 CPU-s). GX has no setting for it.
    pandas_execution_engine.HASH_THRESHOLD = 0
    # this module sets its own level to INFO on import
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("submissions")
    return source.add_dataframe_asset("sheet").add_batch_definition_whole_dataframe("whole_sheet")


@cache
def _suite(dataset_name: str, together: bool = False):
    """The dataset's suite; ``together``: for sheets validated in one frame, where a row is
    unique within its own sheet (``PART`` joins every compound key)."""
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    spec = load_suite(dataset_name)
    if together:
        spec = copy.deepcopy(spec)
        for expectation in spec["expectations"]:
            if "column_list" in expectation["kwargs"]:
                expectation["kwargs"]["column_list"] = [*expectation["kwargs"]["column_list"], PART]
    for expectation in spec["expectations"]:  # raises where ExpectationSuite would silently drop
        ExpectationConfiguration(**expectation).to_domain_obj()
    return gx.ExpectationSuite(**spec)


# Sheets validated together are told apart by their rows: sheet k's row r is k * STRIDE + r,
# STRIDE being more rows than a sheet can have (Excel's limit is 1,048,576)
PART, STRIDE = "_part", 1 << 21


def warm_up() -> None:
    """The checks' one-off start-up, paid now rather than by the first file: GX's import and
    context, every dataset's suites (alone and together), the SIRUTA localities' index. For
    a process that forks the ones that validate (a Celery worker) or serves uploads (the
    portal)."""
    from inclusion_data.contracts.datasets import DATASETS
    from inclusion_data.intake.localities import localities

    _batch_definition()
    for name in DATASETS:
        _suite(name)
        _suite(name, together=True)
    localities()


def severity_of(gx_severity: str) -> str:
    """GX's severity of an expectation as the pipeline's policy: critical rejects."""
    return ERROR if gx_severity == "critical" else WARNING


def _rows(result: dict) -> list[int]:
    rows: list[int] = []
    for entry in result.get("unexpected_index_list") or []:
        value = entry[ROW] if isinstance(entry, dict) else entry  # ROW: the index column asked for
        rows.extend(int(v) for v in (value if isinstance(value, list) else [value]))
    return sorted(set(rows))


def validate_frame(dataset: Dataset, frame: pd.DataFrame) -> list[Finding]:
    """Findings of every failed expectation, pointing at the contract field and rows."""
    return _one_finding_per_cell(_failed(dataset, frame, _suite(dataset.name)))


def validate_frames(dataset: Dataset, frames: list[pd.DataFrame]) -> list[list[Finding]]:
    """``validate_frame`` of each frame, in as few validations as give the same findings: GX
    costs about half a second a call whatever the rows, so a batch's small sheets of the same
    columns are validated in one frame (rows renumbered apart, compound keys within a sheet),
    and the findings split back. If that fails, each frame is validated alone."""
    found: list[list[Finding]] = [[] for _ in frames]
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, frame in enumerate(frames):  # a column missing from one sheet must fail it alone
        groups.setdefault(tuple(frame.columns), []).append(i)
    for members in groups.values():
        if len(members) == 1 or len(members) * STRIDE >= 2**62:
            for i in members:
                found[i] = validate_frame(dataset, frames[i])
            continue
        together = pd.concat(
            [frames[i].assign(**{ROW: frames[i][ROW] + k * STRIDE, PART: k}) for k, i in enumerate(members)],
            ignore_index=True,
        )
        try:
            failed = _failed(dataset, together, _suite(dataset.name, together=True))
        except Exception:  # whatever went wrong, it may be one sheet's doing: each on its own
            for i in members:
                found[i] = validate_frame(dataset, frames[i])
            continue
        for k, i in enumerate(members):
            mine = []
            for f in failed:
                rows = [r - k * STRIDE for r in f.rows if k * STRIDE <= r < (k + 1) * STRIDE]
                if rows or not f.rows:  # no rows: about the columns, which the group shares
                    mine.append(replace(f, rows=rows))
            found[i] = _one_finding_per_cell(mine)
    return found


def _failed(dataset: Dataset, frame: pd.DataFrame, suite) -> list[Finding]:
    result = (
        _batch_definition()
        # the row numbers as the frame's named index: GX then hands them back as one list,
        # where as a column it looks each failing row's number up one by one
        .get_batch(batch_parameters={"dataframe": frame.set_index(ROW)})
        .validate(suite, result_format=RESULT_FORMAT)
    )
    findings = []
    present = set(frame.columns)
    for outcome in result.results:
        if outcome.success:
            continue
        config = outcome.expectation_config
        meta = config.meta
        column = config.kwargs.get("column")
        if config.type != "expect_column_to_exist" and column is not None and column not in present:
            continue  # a missing required column is reported once, by its own rule
        findings.append(
            Finding(
                rule=meta["rule"],
                severity=severity_of(config.severity.value),
                message_en=meta["message_en"],
                message_ro=meta["message_ro"],
                field=meta["field"],
                rows=_rows(outcome.result),
            )
        )
    return findings


# rule -> the rule it makes redundant on the same cell
_SUPERSEDES = {
    "format": "required_value",  # unreadable, hence empty after parsing
    "range": "unusual_value",
}  # out of range, hence also unusually high


def _one_finding_per_cell(findings: list[Finding]) -> list[Finding]:
    """Each cell is reported by its most specific rule only."""
    covered = {
        (_SUPERSEDES[f.rule], f.field, row) for f in findings if f.rule in _SUPERSEDES for row in f.rows
    }
    kept = []
    for finding in findings:
        finding.rows = [r for r in finding.rows if (finding.rule, finding.field, r) not in covered]
        if finding.rows or finding.rule == "required_column":
            kept.append(finding)
    return kept
