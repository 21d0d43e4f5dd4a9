"""Report files, and the HTML page rendered by headless Chromium (sorting driven by a script)."""

from __future__ import annotations

import csv
import json
import re
import subprocess
from pathlib import Path

import pytest

from wmoe.benchmarks.leaderboard import build_leaderboard
from wmoe.benchmarks.report import write_report
from wmoe.benchmarks.store import ResultStore
from wmoe.benchmarks.suite import Suite
from wmoe.envs.multi_bs_reception.baselines import BASELINES as RECEPTION_BASELINES

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Clicks the "policy" heading of the first table twice (ascending, then descending) and
# writes the row order after each click into the DOM.
SORT_DRIVER = """<script>
var table = document.getElementById("table-0");
function order() {
  return Array.prototype.map.call(table.tBodies[0].rows, function (r) {
    return r.cells[0].textContent; }).join("|");
}
var heading = table.tHead.rows[0].cells[0];
heading.click();
document.body.setAttribute("data-ascending", order());
heading.click();
document.body.setAttribute("data-descending", order());
</script>
</body>"""


@pytest.fixture(scope="module")
def report_folder(
    tmp_path_factory: pytest.TempPathFactory, tiny_suite: Suite, finished_store: ResultStore
) -> Path:
    folder = tmp_path_factory.mktemp("report")
    stored = finished_store.read()
    write_report(build_leaderboard(tiny_suite, stored, reps=200), stored, folder)
    return folder


def test_report_files(report_folder: Path) -> None:
    names = {path.name for path in report_folder.iterdir()}
    assert names >= {"README.md", "index.html", "cells.csv", "curves.csv", "results.json"}
    assert {"intervals.png", "curves.png"} <= names
    readme = (report_folder / "README.md").read_text()
    assert "### MultiBSReception-v0/default" in readme and "R_ref = " in readme
    assert "ppo: moe-top2 vs mlp-matched: not resolved at this budget" in readme
    rows = list(csv.DictReader((report_folder / "cells.csv").open()))
    assert len(rows) == 4 + len(RECEPTION_BASELINES)  # 4 agent runs, then the baselines
    oracle = next(row for row in rows if row["policy"] == "oracle")
    assert float(oracle["normalised"]) == pytest.approx(1.0)
    assert len(json.loads((report_folder / "results.json").read_text())) == 5


def test_html_page_is_self_contained_and_escaped(report_folder: Path) -> None:
    html = (report_folder / "index.html").read_text()
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert "default-src 'none'" in html and "data:image/png;base64," in html
    assert "P(MoE &gt; plain)" in html  # escaped heading text


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (make test installs)")
def test_html_page_renders_and_sorts_in_headless_chromium(
    report_folder: Path, tmp_path: Path
) -> None:
    page = tmp_path / "driven.html"
    page.write_text((report_folder / "index.html").read_text().replace("</body>", SORT_DRIVER))
    result = subprocess.run(
        [
            str(CHROMIUM),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    dom = result.stdout
    assert result.returncode == 0 and "</html>" in dom, result.stderr[-2000:]
    assert dom.count('data-ready="yes"') == 2  # both tables got their sort handlers
    ascending = re.search(r'data-ascending="([^"]*)"', dom)
    descending = re.search(r'data-descending="([^"]*)"', dom)
    assert ascending and descending
    names = ascending.group(1).split("|")
    assert names == sorted(names) and len(names) == 2 + len(RECEPTION_BASELINES)  # 2 agents
    assert descending.group(1).split("|") == sorted(names, reverse=True)
    assert 'data-order="desc"' in dom
