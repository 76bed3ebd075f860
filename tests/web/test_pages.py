"""Every page of the web UI in a real headless Chromium, on seeded data: it answers 200, shows the elements
the URL contract names, logs no console error (a Content-Security-Policy violation is one, so this also
proves there is no inline script or style), and every UI link on it answers 200. The main pages are
saved as screenshots."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import pytest

from seed import DATASET, EXPERIMENT, MODEL, Seeded


def q(value: str) -> str:
    return quote(value, safe="")


@dataclass
class PageCase:
    path: str
    selectors: list[str]
    screenshot: str | None = None
    screenshot_from: str | None = None  # scroll this element to the top first


def contract_pages(s: Seeded) -> dict[str, PageCase]:
    run = s.showcase_run
    compare = ",".join([s.run_ids[0], s.run_ids[6], s.run_ids[12]])
    latest = s.dataset_digests[-1]
    return {
        "experiments": PageCase("/ui/experiments", [
            "table#experiments", f'tr[data-experiment-id="{s.experiment_id}"] a.experiment-link',
            'form#create-experiment[method="post"] input[name="name"]'], "experiments"),
        "experiments-deleted": PageCase("/ui/experiments?view=deleted", []),
        "runs": PageCase(f"/ui/experiments/{s.experiment_id}", [
            'form#run-filter input#filter[name="filter"]', "table#runs", f'tr[data-run-id="{run}"] a.run-link',
            "td.status", f'details.column-picker[data-columns-url="/ui/experiments/{s.experiment_id}/columns"]',
            "form.run-select#run-select", f'input[name="runs"][value="{run}"]', "#compare-button"], "runs"),
        "runs-with-columns": PageCase(
            f"/ui/experiments/{s.experiment_id}?cols=metrics.rmse,params.alpha,tags.team&order=metrics.rmse%20DESC",
            ['th[data-column="metrics.rmse"] a.sort-link', 'th[data-column="params.alpha"]', 'th[data-column="tags.team"]']),
        "runs-deleted": PageCase(f"/ui/experiments/{s.experiment_id}?view=deleted",
                                 [f'tr[data-run-id="{s.deleted_run}"]']),
        "run": PageCase(f"/ui/runs/{run}", [
            "section#overview", "section#params table#params-table", "section#metrics table#metrics-table",
            'section#charts figure.metric-chart[data-metric="rmse"] svg.chart',
            'section#charts figure.metric-chart[data-metric="loss"] svg.chart', "section#tags", "section#description",
            f'section#inputs a[href*="/ui/datasets/{DATASET}/versions/"]', "section#outputs",
            f'section#artifacts a[href^="/ui/runs/{run}/artifacts"]'], "run", "section#metrics"),
        "run-chart-options": PageCase(f"/ui/runs/{run}?x=time&log=1&smooth=0.5",
                                      ['figure.metric-chart[data-metric="rmse"] svg.chart']),
        "run-wall-clock": PageCase(f"/ui/runs/{run}?x=wall", ['figure.metric-chart[data-metric="loss"] svg.chart']),
        "artifacts": PageCase(f"/ui/runs/{run}/artifacts", ["table#artifact-list a.artifact-link"], "artifacts"),
        "artifact-preview": PageCase(f"/ui/runs/{run}/artifacts?path=notes.txt", ["div#artifact-preview"]),
        "compare": PageCase(f"/ui/compare?runs={compare}&x=params.alpha&y=metrics.rmse", [
            'section#compare-charts figure.metric-chart[data-metric="rmse"]', "table#diff", "a#hide-equal",
            "svg#parallel-coordinates", 'form#scatter select[name="x"]', 'form#scatter select[name="y"]', "svg#scatter"],
            "compare"),
        "models": PageCase("/ui/models", ["table#models", f'tr[data-model="{MODEL}"] a.model-link'], "models"),
        "model": PageCase(f"/ui/models/{MODEL}", ["table#versions", 'tr[data-version="1"] a.version-link']),
        "model-version": PageCase(f"/ui/models/{MODEL}/versions/1", [
            f'a#source-run[href="/ui/runs/{s.model_versions[1]}"]', "section#policy", "section#gate", "ol#history li",
            "svg#lineage a"], "model-version"),
        "model-version-refused": PageCase(f"/ui/models/{MODEL}/versions/2", ["section#gate", "ol#history li"]),
        "datasets": PageCase("/ui/datasets", ["table#datasets", f'tr[data-dataset="{DATASET}"] a.dataset-link']),
        "dataset": PageCase(f"/ui/datasets/{DATASET}", ["table#dataset-versions a.dataset-version-link"]),
        "dataset-version": PageCase(f"/ui/datasets/{DATASET}/versions/{latest}", ["table#profile", "table#used-by a.run-link"],
                                    "dataset-version"),
    }


PAGE_NAMES = ["experiments", "experiments-deleted", "runs", "runs-with-columns", "runs-deleted", "run",
              "run-chart-options", "run-wall-clock", "artifacts", "artifact-preview", "compare", "models", "model",
              "model-version", "model-version-refused", "datasets", "dataset", "dataset-version"]


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_page_renders_without_console_errors_or_broken_links(page, seeded, name):
    case = contract_pages(seeded)[name]
    page.visit(case.path)
    missing = [css for css in case.selectors if not page.exists(css)]
    assert not missing, f"{case.path} lacks {missing}"
    assert not page.exists("p.error-message"), f"{case.path} shows an error: {page.find('p.error-message').text}"
    if case.screenshot:
        if case.screenshot_from:
            page.driver.execute_script("arguments[0].scrollIntoView()", page.find(case.screenshot_from))
        page.screenshot(case.screenshot)
    broken = page.check_links()
    assert not broken, f"broken links on {case.path}:\n" + "\n".join(broken)


MISSING = {
    "run": "/ui/runs/0123456789abcdef0123456789abcdef",
    "experiment": "/ui/experiments/987654321",
    "run-artifacts": "/ui/runs/0123456789abcdef0123456789abcdef/artifacts",
    "artifact-file": "/ui/runs/{run}/artifacts?path=no-such-file.txt",
    "model": "/ui/models/no-such-model",
    "model-version": f"/ui/models/{MODEL}/versions/99",
    "dataset": "/ui/datasets/no-such-dataset",
    "dataset-version": f"/ui/datasets/{DATASET}/versions/{'0' * 36}",
    "page": "/ui/no-such-page",
}


@pytest.mark.parametrize("what", list(MISSING))
def test_missing_object_is_a_clear_404(page, seeded, what):
    page.visit(MISSING[what].format(run=seeded.showcase_run), status=404)
    message = page.find("p.error-message").text.strip()
    assert message, "the 404 page says nothing"


def test_invalid_filter_is_a_400_naming_the_problem(page, seeded):
    page.visit(f"/ui/experiments/{seeded.experiment_id}?filter={q('metrics.rmse <<< 1')}", status=400)
    assert page.find("p.error-message").text.strip()
    assert page.find("input#filter").get_attribute("value") == "metrics.rmse <<< 1", "the filter is kept for editing"


def test_runs_of_the_experiment_are_listed_with_status(page, seeded):
    page.visit(f"/ui/experiments/{seeded.experiment_id}")
    ids = [row.get_attribute("data-run-id") for row in page.find_all("table#runs tr[data-run-id]")]
    active = [rid for rid in seeded.run_ids if rid != seeded.deleted_run]
    assert sorted(ids) == sorted(active)
    failed = page.find(f'tr[data-run-id="{seeded.run_ids[5]}"] td.status').text.lower()
    assert "fail" in failed
    assert EXPERIMENT in page.driver.title or EXPERIMENT in page.find("h1").text
