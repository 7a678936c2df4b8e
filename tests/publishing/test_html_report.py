"""The static indicator page: written once per test module, then opened in headless Chromium to
prove the charts really render from the file system (the JS ran and drew SVG), offline."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image, ImageColor
from plotly.colors import qualitative

from inclusion_data.publishing.html_report import write_html_report

INSTALL = "apt-get update && apt-get install -y chromium"
CHROMIUM = "/usr/bin/chromium"
MONTHS = ["2016-01", "2016-02", "2016-03"]
NAMES = {
    "persons_assisted": ("Persoane asistate", "Persons assisted"),
    "persons_trained": ("Persoane instruite", "Persons trained"),
    "volunteer_hours": ("Ore de voluntariat", "Volunteer hours"),
}
BREAKDOWNS = {
    "persons_assisted": {"sex": {"M": 40, "F": 55}, "ethnicity": {"roma": 60, "other": 32, "undeclared": 3}},
    "persons_trained": {"institution_type": {"ngo": 12, "school": 9, "public": 7}},
    "volunteer_hours": {},
}
TARGETS = {
    ("TWAM", "persons_assisted"): 120,
    ("ALBA", "persons_assisted"): 80,
    ("TWAM", "persons_trained"): 20,
}
EXPECTED_CHARTS = [
    "achievement",
    *(f"trend-{i}" for i in NAMES),
    "breakdown-persons_assisted-sex",
    "breakdown-persons_assisted-ethnicity",
    "breakdown-persons_trained-institution_type",
]


def indicator_frame() -> pd.DataFrame:
    """Two projects and the network (ALL), two partners each, three months, breakdowns, targets,
    and a suppressed cell (TWAM, ethnicity "undeclared": 3 persons) with its complement ("other")."""
    rows = []

    def add(indicator, project, partner, period, value, dimension="total", category="total"):
        target = (
            TARGETS.get((project, indicator))
            if (partner, period, dimension) == ("ALL", "total", "total")
            else None
        )
        # 1..4 persons in a breakdown, plus the one cell that would give it away by subtraction
        suppressed = (
            value < 5
            and dimension != "total"
            and indicator != "volunteer_hours"
            or (project, category) == ("TWAM", "other")
        )
        rows.append(
            {
                "indicator_id": indicator,
                "name_ro": NAMES[indicator][0],
                "name_en": NAMES[indicator][1],
                "project": project,
                "partner": partner,
                "period": period,
                "dimension": dimension,
                "category": category,
                "value": math.nan if suppressed else float(value),
                "target": math.nan if target is None else float(target),
                "achievement_pct": math.nan if target is None else 100.0 * value / target,
                "suppressed": suppressed,
            }
        )

    for indicator in NAMES:
        for scale, project, partners in (
            (1.0, "TWAM", ["asoc-cluj", "asoc-bihor"]),
            (0.7, "ALBA", ["scoala-1", "primaria-2"]),
        ):
            total = sum(next(iter(BREAKDOWNS[indicator].values()), {"x": 30}).values()) * scale
            add(indicator, project, "ALL", "total", round(total))
            for k, month in enumerate(MONTHS):
                add(indicator, project, "ALL", month, round(total * (0.4 + 0.2 * k)))
                for j, partner in enumerate(partners):
                    add(indicator, project, partner, month, round(total * (0.2 + 0.1 * k + 0.05 * j)))
            for dimension, cells in BREAKDOWNS[indicator].items():
                for category, value in cells.items():
                    add(
                        indicator,
                        project,
                        "ALL",
                        "total",
                        value if scale == 1 else round(value * scale) + 5,
                        dimension,
                        category,
                    )
        add(indicator, "ALL", "ALL", "total", 150)
    return pd.DataFrame(rows)


class _Tables(HTMLParser):
    """Collects every table's rows as lists of cell texts, keyed by the table's id / data-indicator."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table = self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("id") or attrs.get("data-indicator", ""), [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._table[-1].append(" ".join(" ".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail(f"headless Chromium is needed to check that the charts render: {INSTALL}")
    return found


def _run_chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    command = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--host-resolver-rules=MAP * ~NOTFOUND",  # offline: no name resolves
        f"--user-data-dir={profile}",
        "--virtual-time-budget=10000",
        *args,
        page.as_uri(),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    return write_html_report(indicator_frame(), tmp_path_factory.mktemp("report") / "site")


@pytest.fixture(scope="module")
def rendered_dom(report, tmp_path_factory) -> str:
    return _run_chromium(report, tmp_path_factory.mktemp("profile"), "--dump-dom").stdout


def _chart_fragments(dom: str) -> dict[str, str]:
    """Each chart div's rendered content: from its opening tag to its figure's JSON block."""
    pattern = r'<div class="chart[^"]*" data-chart="([^"]+)".*?<script type="application/json"'
    return {m.group(1): m.group(0) for m in re.finditer(pattern, dom, re.DOTALL)}


def test_page_is_self_contained(report):
    site = report.parent
    assert report.name == "index.html"
    assert sorted(p.name for p in site.iterdir()) == ["index.html", "plotly.min.js"]
    assert (site / "plotly.min.js").stat().st_size > 1_000_000
    page = report.read_text("utf-8")
    assert page.count('<script src="plotly.min.js"></script>') == 1
    assert report.stat().st_size < 500_000, "plotly.js must not be inlined in the page"
    assert not re.search(r'(src|href)="(https?:)?//', page), "nothing may be fetched from the network"
    for key in EXPECTED_CHARTS:
        assert f'data-chart="{key}"' in page


@pytest.mark.slow
def test_charts_render_in_chromium(rendered_dom):
    charts = _chart_fragments(rendered_dom)
    assert sorted(charts) == sorted(EXPECTED_CHARTS)
    for key, fragment in charts.items():
        assert "main-svg" in fragment and "<svg" in fragment, f"chart {key} did not render"
        assert 'class="fallback"' not in fragment, key
    assert 'class="trace bars"' in charts["achievement"]
    for indicator in NAMES:
        assert "js-line" in charts[f"trend-{indicator}"], indicator
    # the suppressed bar is labelled, not numbered; the others carry their values
    ethnicity = charts["breakdown-persons_assisted-ethnicity"]
    assert re.search(r"<text[^>]*>suppressed</text>", ethnicity)
    assert re.search(r"<text[^>]*>60</text>", ethnicity)


@pytest.mark.slow
def test_screenshot_shows_the_charts(report, tmp_path):
    """Pixels, not just markup: both projects' bar colours fill a visible area of the first screen."""
    shot = tmp_path / "shot.png"
    _run_chromium(
        report, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,2000", "--hide-scrollbars"
    )
    with Image.open(shot) as image:
        assert image.size == (1280, 2000)
        counts = {colour: n for n, colour in image.convert("RGB").getcolors(maxcolors=1 << 20)}
    for colour in qualitative.Safe[:2]:  # the two projects' colours, in the order of their codes
        assert counts.get(ImageColor.getrgb(colour), 0) > 5_000, colour


def test_suppressed_cell_shows_as_suppressed(report):
    page = report.read_text("utf-8")
    assert 'id="suppression-note"' in page
    assert "Person counts from 1 to 4 in disaggregated cells are suppressed" in page
    assert "any cell from which such a count could be recomputed" in page
    parser = _Tables()
    parser.feed(page)
    header, *rows = parser.tables["TWAM:persons_assisted"]
    value = header.index("Valoare / Value")
    cells = dict(re.findall(r'<tr data-key="([^"]+)">(.*?)</tr>', page, re.S))
    assert "suprimat / suppressed" in cells["persons_assisted|TWAM|ALL|total|ethnicity|undeclared"]
    roma = [r for r in rows if r[3] == "roma"]
    assert len(roma) == 1 and roma[0][value] == "60"
    assert roma[0][:3] == [
        "Toți partenerii / All partners",
        "Întreaga perioadă / Whole period",
        "Etnie / Ethnicity",
    ]
    # bilingual labels, targets and achievement in the target table
    header, *targets = parser.tables["targets"]
    assert "Țintă / Target" in header and "Realizare / Achievement" in header
    assert [
        "TWAM",
        "Persoane asistate Persons assisted",
        "Toți partenerii / All partners",
        "Întreaga perioadă / Whole period",
        "Total",
        "total",
        "95",
        "120",
        "79.2 %",
    ] in targets


def test_frame_text_is_escaped(tmp_path):
    frame = indicator_frame()
    frame.loc[frame["indicator_id"] == "volunteer_hours", "name_en"] = (
        "Hours <img src=x onerror=alert(1)> & co"
    )
    frame.loc[frame["category"] == "roma", "category"] = "</script><b>x</b>"
    page = write_html_report(frame, tmp_path).read_text("utf-8")
    assert "<img src=x" not in page and "</script><b>" not in page
    assert "Hours &lt;img src=x onerror=alert(1)&gt; &amp; co" in page  # in the tables
    assert "\\u0026lt;\\u002fscript\\u0026gt;" in page  # in the chart JSON, as text for plotly


def test_missing_column_is_refused(tmp_path):
    with pytest.raises(ValueError, match="suppressed"):
        write_html_report(indicator_frame().drop(columns="suppressed"), tmp_path)


def _edition():
    import datetime as dt

    from inclusion_data.publishing.status import Coverage, Edition

    coverage = [
        Coverage("ALBA", "2016-01", "2016-03", 12, 10, 1, 6, 2),
        Coverage("TWAM", "2016-01", "2016-03", 18, 17, 2, 9, 1),
        Coverage("ALL", "2016-01", "2016-03", 30, 27, 3, 15, 3),
    ]
    return Edition(
        "2016-04-20.2",
        dt.datetime(2016, 4, 20, 22, 0, tzinfo=dt.UTC),
        dt.datetime(2016, 4, 11, 9, 30, tzinfo=dt.UTC),
        coverage,
        "2016-04-12.1",
    )


def _with_status(frame: pd.DataFrame) -> pd.DataFrame:
    """March is not final: TWAM's is incomplete (a partner did not report), ALBA's provisional."""
    march = frame["period"] == MONTHS[-1]
    status = pd.Series("final", index=frame.index)
    status[march & (frame["project"] == "ALBA")] = "provisional"
    status[march & (frame["project"] != "ALBA")] = "incomplete"
    status[frame["period"] == "total"] = "incomplete"
    return frame.assign(status=status)


@pytest.fixture(scope="module")
def full_report(tmp_path_factory) -> Path:
    from inclusion_data.publishing.html_report import Context
    from inclusion_data.publishing.revisions import CHANGE_COLUMNS

    change = {
        "indicator_id": "persons_assisted",
        "project": "TWAM",
        "partner": "asoc-cluj",
        "period": "2016-02",
        "dimension": "total",
        "category": "total",
        "old_value": 20.0,
        "new_value": 26.0,
        "old_state": "provisional",
        "new_state": "provisional",
        "causes": [
            {"submission": 7, "project": "TWAM", "partner": "asoc-cluj", "dataset": "beneficiaries",
             "period": "2016-02", "change": "loaded"},
        ],
    }  # fmt: skip
    context = Context(_edition(), pd.DataFrame([change], columns=CHANGE_COLUMNS))
    return write_html_report(
        _with_status(indicator_frame()), tmp_path_factory.mktemp("full") / "site", context
    )


@pytest.mark.slow
def test_the_report_states_its_data_date_contents_and_completeness_in_chromium(full_report, tmp_path):
    """Debian's Chromium driven by Playwright: what a reader sees, as text and as pixels."""
    from playwright.sync_api import sync_playwright

    edition = _edition()
    shot = tmp_path / "report.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(full_report.as_uri())
        page.wait_for_selector("div.chart .main-svg")
        assert page.inner_text("#data-date") == "2016-04-11 09:30 UTC" == edition.data_date
        assert page.inner_text("#period") == "2016-01 – 2016-03"
        assert "27 of 30 expected submissions received (3 nil returns), 15 approved" in page.inner_text(
            "#coverage-line"
        )
        contents = page.locator("nav#contents a")
        targets = [contents.nth(i).get_attribute("href") for i in range(contents.count())]
        assert {
            "#summary-section",
            "#changes-section",
            "#project-TWAM",
            "#project-ALBA",
            "#project-ALL",
        } <= set(targets)
        for target in targets:  # every entry leads somewhere on the page
            assert page.locator(target).count() == 1, target
        note = page.inner_text("#completeness-note")
        assert "incomplete = at least one submission is missing or was rejected" in note
        assert "it is not a real drop" in note
        assert "1 values changed since publication 2016-04-12.1" in page.inner_text("#changes-note")
        assert "#7 TWAM/asoc-cluj/beneficiaries/2016-02 loaded" in page.inner_text("#changes")
        # an incomplete value says so where it is shown
        assert page.locator("#summary td.status-incomplete .mark").count() > 0
        # the unfinished month is drawn dotted, apart from the solid line
        dotted = page.evaluate(
            """() => [...document.querySelectorAll('div[data-chart="trend-persons_assisted"] path.js-line')]
                 .filter(p => (p.style.strokeDasharray || '') !== '' && p.style.strokeDasharray !== 'none')
                 .length"""
        )
        assert dotted >= 2  # one per project
        # no axis label is cut off: every tick label lies inside its chart
        clipped = page.evaluate(
            """() => [...document.querySelectorAll('div.chart')].flatMap(div => {
                 const box = div.querySelector('.main-svg').getBoundingClientRect();
                 return [...div.querySelectorAll('.xtick text, .ytick text')].filter(t => {
                   const r = t.getBoundingClientRect();
                   return r.width > 0 && (r.left < box.left - 1 || r.right > box.right + 1 ||
                                          r.top < box.top - 1 || r.bottom > box.bottom + 1);
                 }).map(t => div.dataset.chart + ': ' + t.textContent);
               })"""
        )
        assert clipped == []
        page.screenshot(path=str(shot), full_page=False)
        browser.close()
    with Image.open(shot) as image:
        assert image.size == (1280, 900)
        pixels = image.convert("L").getdata()
        dark = sum(1 for v in pixels if v < 128)
        assert dark > 5_000, "the first screen shows text"
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 20)) > 50
