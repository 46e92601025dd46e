"""report.html: self-contained, every figure loaded, the whole summary in a table that sorts,
no console errors — checked in a real (headless) browser."""

import json
import re
import shutil
import subprocess

import pytest
from helpers import simprive

from simprive import run_experiment

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def browser() -> str:
    found = next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)
    if found is None:
        reason = "no headless browser (apt-get install chromium; .ci/run installs it)"
        print(f"skipped: {reason}")
        pytest.skip(reason)
    return found


def render(page, tmp_path, fragment="") -> tuple[str, str]:
    """The DOM after load and scripts, and the browser's console log."""
    args = [browser(), "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
            "--virtual-time-budget=5000", f"--user-data-dir={tmp_path / 'profile'}"]
    url = page.resolve().as_uri() + fragment
    out = subprocess.run([*args, "--dump-dom", url], capture_output=True, text=True, timeout=120)
    subprocess.run([*args, f"--screenshot={tmp_path / 'report.png'}", "--window-size=1400,1800", url],
                   capture_output=True, timeout=120)
    console = [line for line in out.stderr.splitlines() if ":CONSOLE" in line]
    return out.stdout, "\n".join(console)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    run_experiment("referendum", ["trials=200", "adversary.known_fraction=[0.0,1.0]"], out_dir=out)
    return out


def test_a_run_writes_a_self_contained_report(run_dir):
    html = (run_dir / "report.html").read_text()
    assert "http://" not in html and "https://" not in html  # no CDN, no network
    assert html.count("data:image/png;base64,") == 2  # both referendum figures, embedded
    assert "<table" in html and 'class="badge agrees"' in html


def test_the_report_renders_in_a_browser_and_sorts(run_dir, tmp_path):
    import pandas as pd

    summary = pd.read_csv(run_dir / "summary.csv")
    dom, console = render(run_dir / "report.html", tmp_path, "#sort=value:desc")
    assert 'data-ready="true"' in dom, "the page's script did not finish"
    widths = re.findall(r'data-natural-width="(\d+)"', dom)
    assert len(widths) == 2 and all(int(w) > 0 for w in widths)  # every figure loaded
    body = dom.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert body.count("<tr") == len(summary)  # one row per summary row
    column = list(summary.columns).index("value")
    values = [float(v) if v else float("inf") for v in
              (re.findall(r'<td[^>]*data-value="([^"]*)"', row)[column - _text_cells_before(summary, column)]
               for row in body.split("</tr>")[:-1])]
    assert values == sorted(values, reverse=True)  # sorted by value, descending
    assert console == "", console
    assert (tmp_path / "report.png").stat().st_size > 10_000  # a screenshot to look at


def _text_cells_before(summary, column: int) -> int:
    """Badge cells carry no data-value: count them before ``column``."""
    return int(list(summary.columns)[:column].count("agreement"))


@pytest.mark.slow
def test_simprive_report_rebuilds_it(run_dir, tmp_path):
    (run_dir / "report.html").unlink()
    out = simprive(str(run_dir), cwd=tmp_path, command="simprive-report")
    assert out.stdout.strip().endswith("report.html") and (run_dir / "report.html").exists()
    bad = simprive(str(tmp_path), cwd=tmp_path, command="simprive-report", check=False)
    assert bad.returncode == 2 and "no summary.csv" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.slow
def test_a_sweep_and_its_jobs_link_to_each_other(tmp_path):
    sweep = tmp_path / "sweep"
    simprive("-m", "experiment=poll", "epsilon=0.5,1.0", "n=100", "trials=50", f"hydra.sweep.dir={sweep}",
             cwd=tmp_path)
    root = (sweep / "report.html").read_text()
    jobs = sorted(p.name for p in sweep.iterdir() if (p / "summary.csv").exists())
    assert len(jobs) == 2 and all(f'href="{job}/report.html"' in root for job in jobs)
    assert all('href="../report.html"' in (sweep / job / "report.html").read_text() for job in jobs)
    assert json.loads((sweep / "meta.json").read_text())["jobs"] == 2
