"""Is a partner's monthly count far from its own history? A warning, never a rejection.

Uses the modified z-score (Iglewicz and Hoaglin): 0.6745 · (x − median) / MAD over the
partner's other accepted months, flagged beyond 3.5. It needs a few months of history. The
warehouse decides it after each run over all accepted months (``warehouse.volumes``), so the
order files come in does not change it.
"""

from __future__ import annotations

from statistics import median

from scipy.stats import median_abs_deviation

from inclusion_data.quality.findings import WARNING, Finding

THRESHOLD = 3.5
MIN_MONTHS = 3


def modified_z(history: list[float], value: float) -> float | None:
    """None when the history cannot judge (too short, or no spread and no change)."""
    if len(history) < MIN_MONTHS:
        return None
    centre = median(history)
    mad = median_abs_deviation(history)
    if mad == 0:  # most months identical: fall back to the mean absolute deviation
        mad = sum(abs(h - centre) for h in history) / len(history) * 1.253314 / 0.6745
    if mad == 0:
        return None if value == centre else float("inf")
    return 0.6745 * (value - centre) / mad


def volume_finding(counts: dict[str, int], rows: int, sheet: str) -> Finding | None:
    """The warning for a month of ``rows`` rows against ``counts``, the other months' rows."""
    z = modified_z(list(counts.values()), rows)
    if z is None or abs(z) <= THRESHOLD:
        return None
    typical = median(counts.values())
    months = f"{min(counts)}–{max(counts)}"
    z_text = "∞" if z == float("inf") else f"{z:.1f}"
    return Finding(
        "unusual_volume",
        WARNING,
        f"{rows} rows this month, against a median of {typical:g} in your {len(counts)} other "
        f"months ({months}); modified z-score {z_text}. Please check nothing is missing or doubled.",
        f"{rows} rânduri în această lună, față de o mediană de {typical:g} în celelalte {len(counts)} "
        f"luni ({months}); scor z modificat {z_text}. Verificați să nu lipsească sau "
        f"să se repete ceva.",
        sheet=sheet,
    )
