"""What a person does in the UI, in the browser: filter, sort, pick a column, page through runs, open a
run and change its charts, browse artifacts, compare three runs, follow a model version's lineage, read
a dataset version, manage experiments through the forms, and come back with the back button."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, quote, urlsplit

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from conftest import http_get, is_stale
from seed import DATASET, L1_RATIOS, MODEL, OPTIMIZERS, RUN_COUNT, rmse_of


def query_of(path: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(path).query)


def run_rows(page) -> list[str]:
    return [row.get_attribute("data-run-id") for row in page.find_all("table#runs tbody tr[data-run-id]")]


def column_values(page, column: str) -> list[float]:
    """The numbers in one column of table#runs, found by its header's data-column (data-sort if a cell has it)."""
    return page.driver.execute_script("""
        var column = arguments[0];
        var heads = Array.from(document.querySelectorAll('table#runs thead th'));
        var index = heads.findIndex(function (th) { return th.getAttribute('data-column') === column; });
        if (index < 0) return null;
        return Array.from(document.querySelectorAll('table#runs tbody tr[data-run-id]')).map(function (row) {
          var cell = row.querySelectorAll(':scope > td, :scope > th')[index];
          var sort = cell.getAttribute('data-sort');
          return parseFloat(sort !== null ? sort : cell.textContent.trim());
        });""", column)


def submit_filter(page, expression: str) -> None:
    box = page.find("input#filter")
    box.clear()
    box.send_keys(expression)
    old = page.find("html")
    box.send_keys(Keys.ENTER)
    page.wait(lambda d: _stale(old), message="the filter form did not submit")
    page.wait_for_path(lambda p: "filter=" in p)


def _stale(element) -> bool:
    return is_stale(element)


def test_filter_reduces_rows_to_the_matching_runs(page, seeded):
    page.visit(f"/ui/experiments/{seeded.experiment_id}")
    expression = "metrics.rmse < 1 and params.optimizer = 'adam'"
    submit_filter(page, expression)
    expected = [seeded.run_ids[i] for i in range(RUN_COUNT)
                if seeded.run_ids[i] != seeded.deleted_run and rmse_of(i) < 1 and OPTIMIZERS[i % 2] == "adam"]
    assert sorted(run_rows(page)) == sorted(expected)
    assert query_of(page.path())["filter"] == [expression]
    assert page.find("input#filter").get_attribute("value") == expression
    page.assert_console_clean()
    # The URL is the state: loading it again shows the same rows.
    page.driver.get(page.driver.current_url)
    assert sorted(run_rows(page)) == sorted(expected)


def test_sort_by_a_metric_header_and_toggle(page, seeded):
    page.visit(f"/ui/experiments/{seeded.experiment_id}?cols=metrics.rmse,params.alpha")
    directions = []
    for _ in range(2):
        link = page.find('th[data-column="metrics.rmse"] a.sort-link')
        page.click_and_wait(link)
        order = query_of(page.path()).get("order", [""])[0]
        assert order.lower().startswith("metrics.rmse"), f"sort link set order={order!r}"
        descending = order.upper().endswith("DESC")
        values = column_values(page, "metrics.rmse")
        assert values and len(values) == RUN_COUNT - 1, f"rmse column: {values}"
        assert values == sorted(values, reverse=descending), f"not sorted {'DESC' if descending else 'ASC'}: {values}"
        directions.append(descending)
        page.assert_console_clean()
    assert directions[0] != directions[1], "clicking the header again must reverse the order"


def test_column_picker_adds_a_column(page, seeded):
    status, headers, body = http_get(f"{page.base}/ui/experiments/{seeded.experiment_id}/columns?q=l1&limit=200")
    assert status == 200 and "json" in headers.get("content-type", "")
    answer = json.loads(body)
    assert answer["columns"] == ["params.l1_ratio"] and answer["total"] == 1 and answer["truncated"] is False
    everything = json.loads(http_get(f"{page.base}/ui/experiments/{seeded.experiment_id}/columns?q=&limit=2")[2])
    assert len(everything["columns"]) == 2 and everything["truncated"] is True and everything["total"] >= 7

    page.visit(f"/ui/experiments/{seeded.experiment_id}?cols=metrics.rmse")
    assert not page.exists('th[data-column="params.l1_ratio"]')
    picker = page.find("details.column-picker")
    picker.find_element(By.TAG_NAME, "summary").click()
    # Opening it lists the first keys; type only once that answer is in, so it cannot overwrite the next.
    page.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "details.column-picker ul input[type=checkbox]"),
              message="opening the picker listed no columns")
    search = picker.find_element(By.CSS_SELECTOR, "input[type=search]")
    search.send_keys("l1_r")
    page.wait(lambda d: [box.get_attribute("value") for box in
                         d.find_elements(By.CSS_SELECTOR, "details.column-picker ul input[type=checkbox]")]
              == ["params.l1_ratio"], message="typing did not narrow the picker to params.l1_ratio")
    box = page.find('details.column-picker ul input[value="params.l1_ratio"]')
    page.click_and_wait(box)
    assert query_of(page.path())["cols"][0].split(",") == ["metrics.rmse", "params.l1_ratio"]
    assert page.exists('th[data-column="params.l1_ratio"]')
    shown = page.driver.execute_script("""
        var heads = Array.from(document.querySelectorAll('table#runs thead th'));
        var index = heads.findIndex(function (th) { return th.getAttribute('data-column') === 'params.l1_ratio'; });
        return Array.from(document.querySelectorAll('table#runs tbody tr[data-run-id]'))
          .map(function (row) { return row.querySelectorAll(':scope > td, :scope > th')[index].textContent.trim(); });""")
    assert set(shown) == set(L1_RATIOS)
    page.assert_console_clean()


def test_pages_through_runs_and_back(page, seeded):
    first_url = f"/ui/experiments/{seeded.experiment_id}?size=10"
    page.visit(first_url)
    first = run_rows(page)
    assert len(first) == 10
    page.click_and_wait(page.find("a#next-page"))
    second = run_rows(page)
    assert len(second) == 10 and not set(first) & set(second)
    page.click_and_wait(page.find("a#next-page"))
    third = run_rows(page)
    assert len(third) == RUN_COUNT - 1 - 20 and not page.exists("a#next-page")
    page.driver.back()
    page.driver.back()
    page.wait_for_path(lambda p: p == first_url)
    assert run_rows(page) == first


def test_back_button_returns_to_the_filtered_table(page, seeded):
    expression = "params.l1_ratio = '0.5'"
    page.visit(f"/ui/experiments/{seeded.experiment_id}")
    submit_filter(page, expression)
    filtered = page.path()
    rows = run_rows(page)
    page.click_and_wait(page.find(f'tr[data-run-id="{rows[0]}"] a.run-link'))
    assert page.path() == f"/ui/runs/{rows[0]}"
    page.driver.back()
    page.wait_for_path(lambda p: p == filtered)
    assert page.find("input#filter").get_attribute("value") == expression
    assert run_rows(page) == rows


def test_open_a_run_from_the_table(page, seeded):
    run = seeded.showcase_run
    page.visit(f"/ui/experiments/{seeded.experiment_id}")
    page.click_and_wait(page.find(f'tr[data-run-id="{run}"] a.run-link'))
    assert page.path() == f"/ui/runs/{run}"
    page.assert_console_clean()
    overview = page.find("section#overview")
    assert "finished" in overview.text.lower()
    assert overview.find_elements(By.CSS_SELECTOR, f'a[href="/ui/experiments/{seeded.experiment_id}"]')
    params = page.find("table#params-table").text
    assert "alpha" in params and "0.05" in params and "adam" in params
    metrics = page.find("table#metrics-table").text
    assert "rmse" in metrics and "loss" in metrics and "accuracy" in metrics
    assert "vision" in page.find("section#tags").text
    assert "Baseline sweep point 0" in page.find("section#description").text
    latest = seeded.dataset_digests[-1]
    inputs = page.find_all(f'section#inputs a[href*="/ui/datasets/{DATASET}/versions/"]')
    assert any(latest[:12] in a.get_attribute("href") for a in inputs)
    outputs = page.find("section#outputs")
    assert outputs.find_elements(By.CSS_SELECTOR, f'a[href="/ui/models/{MODEL}/versions/1"]'), outputs.text


def test_chart_options_change_the_chart(page, seeded):
    run = seeded.showcase_run

    def chart_markup() -> str:
        return page.find('figure.metric-chart[data-metric="rmse"] svg.chart').get_attribute("outerHTML")

    page.visit(f"/ui/runs/{run}")
    plain = chart_markup()
    page.visit(f"/ui/runs/{run}?log=1")
    assert chart_markup() != plain, "log=1 did not change the chart"
    page.visit(f"/ui/runs/{run}?smooth=0.8")
    assert chart_markup() != plain, "smooth=0.8 did not change the chart"
    page.visit(f"/ui/runs/{run}?x=time")
    assert chart_markup() != plain, "x=time did not change the chart"
    # If the page offers chart controls as a form, using it lands on a URL with the option.
    forms = page.find_all("section#charts form")
    if forms and forms[0].find_elements(By.CSS_SELECTOR, 'select[name="x"]'):
        Select(forms[0].find_element(By.CSS_SELECTOR, 'select[name="x"]')).select_by_value("step")
        page.click_and_wait(forms[0].find_element(By.CSS_SELECTOR, "button, input[type=submit]"))
        assert query_of(page.path()).get("x") == ["step"]
    status, headers, body = http_get(f"{page.base}/ui/runs/{run}/chart?key=rmse&x=step&log=1&smooth=0.5")
    text = body.decode()
    assert status == 200 and "text/html" in headers.get("content-type", "")
    assert "<figure" in text and 'data-metric="rmse"' in text and "<svg" in text and "<html" not in text


def test_browse_artifacts_and_previews(page, seeded):
    run = seeded.showcase_run
    page.visit(f"/ui/runs/{run}")
    page.click_and_wait(page.find(f'section#artifacts a[href^="/ui/runs/{run}/artifacts"]'))
    names = [a.text.strip().rstrip("/") for a in page.find_all("table#artifact-list a.artifact-link")]
    for expected in ("notes.txt", "config.json", "params.yaml", "importance.csv", "curve.png", "reports", "model"):
        assert expected in names, f"{expected} not listed: {names}"
    # Into a folder and open a file by clicking.
    page.click_and_wait(next(a for a in page.find_all("table#artifact-list a.artifact-link")
                             if a.text.strip().rstrip("/") == "reports"))
    page.click_and_wait(next(a for a in page.find_all("table#artifact-list a.artifact-link")
                             if a.text.strip().endswith("summary.txt")))
    assert "All folds converged" in page.find("div#artifact-preview").text
    page.assert_console_clean()
    for path, text in seeded.artifact_files.items():
        page.visit(f"/ui/runs/{run}/artifacts?path={quote(path, safe='')}")
        preview = page.find("div#artifact-preview")
        assert text in preview.text, f"preview of {path}: {preview.text[:300]!r}"
    page.visit(f"/ui/runs/{run}/artifacts?path=importance.csv")
    cells = [td.text for td in page.find_all("div#artifact-preview table td")]
    assert "tenure" in cells and "0.61" in cells, f"CSV is not shown as a table: {cells}"
    page.visit(f"/ui/runs/{run}/artifacts?path=curve.png")
    image = page.find("div#artifact-preview img")
    page.wait(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) == 48,
              message="the PNG preview did not load")
    status, headers, body = http_get(f"{page.base}/ui/runs/{run}/artifact?path=notes.txt")
    assert status == 200 and body.startswith(b"Training notes")
    assert headers.get("x-content-type-options") == "nosniff"
    assert "sandbox" in headers.get("content-security-policy", "")


def test_select_three_runs_and_compare(page, seeded):
    chosen = [seeded.run_ids[i] for i in (0, 6, 12)]  # same optimizer and l1_ratio, different alpha and rmse
    page.visit(f"/ui/experiments/{seeded.experiment_id}")
    button = page.find("#compare-button")
    assert not button.is_enabled(), "compare needs two runs"
    for rid in chosen:
        page.find(f'form#run-select input[name="runs"][value="{rid}"]').click()
    assert button.is_enabled()
    page.click_and_wait(button)
    path = page.path()
    assert urlsplit(path).path == "/ui/compare"
    selected = ",".join(query_of(path)["runs"]).split(",")
    assert sorted(selected) == sorted(chosen)
    page.assert_console_clean()
    assert page.exists('section#compare-charts figure.metric-chart[data-metric="rmse"]')
    diff = page.find("table#diff")
    for index in (0, 6, 12):
        assert f"run-{index:02d}" in diff.text
    rows_all = len(diff.find_elements(By.CSS_SELECTOR, "tbody tr"))
    assert "optimizer" in diff.text
    page.click_and_wait(page.find("a#hide-equal"))
    assert query_of(page.path()).get("hide-equal") == ["1"]
    diff = page.find("table#diff")
    assert len(diff.find_elements(By.CSS_SELECTOR, "tbody tr")) < rows_all
    assert "optimizer" not in diff.text and "alpha" in diff.text, "equal params must be hidden, different kept"
    assert page.exists("svg#parallel-coordinates")
    form = page.find("form#scatter")
    Select(form.find_element(By.CSS_SELECTOR, 'select[name="x"]')).select_by_value("params.alpha")
    Select(form.find_element(By.CSS_SELECTOR, 'select[name="y"]')).select_by_value("metrics.rmse")
    page.click_and_wait(form.find_element(By.CSS_SELECTOR, "button, input[type=submit]"))
    query = query_of(page.path())
    assert query.get("x") == ["params.alpha"] and query.get("y") == ["metrics.rmse"]
    assert page.exists("svg#scatter")
    page.assert_console_clean()


def test_model_version_history_and_lineage_to_the_run(page, seeded):
    page.visit("/ui/models")
    row = page.find(f'tr[data-model="{MODEL}"]')
    assert "production" in row.text and "candidate" in row.text
    page.click_and_wait(row.find_element(By.CSS_SELECTOR, "a.model-link"))
    assert page.path() == f"/ui/models/{MODEL}"
    assert sorted(r.get_attribute("data-version") for r in page.find_all("table#versions tr[data-version]")) == ["1", "2", "3"]
    page.click_and_wait(page.find('tr[data-version="1"] a.version-link'))
    assert page.path() == f"/ui/models/{MODEL}/versions/1"
    page.assert_console_clean()
    source_run = seeded.model_versions[1]
    assert page.find("a#source-run").get_attribute("href").endswith(f"/ui/runs/{source_run}")
    assert "accuracy >= 0.85" in page.find("section#policy").text
    gate = page.find("section#gate").text
    assert "accuracy" in gate and "0.9" in gate, gate
    history = page.find("ol#history").text.lower()
    for word in ("promot", "refus", "roll"):
        assert word in history, f"history lacks {word!r}: {history[:500]}"
    assert "web-suite" in history, "the actor is shown"
    targets = page.driver.execute_script(
        "return Array.from(document.querySelectorAll('svg#lineage a')).map(function (a) {"
        " return a.getAttribute('href') || a.getAttribute('xlink:href'); });")
    latest = seeded.dataset_digests[-1]
    assert f"/ui/runs/{source_run}" in targets, targets
    assert any(t.startswith(f"/ui/datasets/{DATASET}/versions/{latest[:12]}") for t in targets), targets
    assert any(t.startswith(f"/ui/models/{MODEL}/versions/1") for t in targets), targets
    node = page.find(f'svg#lineage a[href="/ui/runs/{source_run}"], svg#lineage a[*|href="/ui/runs/{source_run}"]')
    page.click_and_wait(node)
    assert page.path() == f"/ui/runs/{source_run}"


def test_refused_version_shows_the_failing_gate(page, seeded):
    page.visit(f"/ui/models/{MODEL}/versions/2")
    gate = page.find("section#gate").text.lower()
    assert "0.8" in gate and "refus" in gate, gate


def test_dataset_versions_profile_and_the_runs_that_used_them(page, seeded):
    latest = seeded.dataset_digests[-1]
    page.visit("/ui/datasets")
    page.click_and_wait(page.find(f'tr[data-dataset="{DATASET}"] a.dataset-link'))
    assert page.path() == f"/ui/datasets/{DATASET}"
    links = page.find_all("table#dataset-versions a.dataset-version-link")
    assert len(links) == 2
    page.click_and_wait(next(a for a in links if latest[:12] in a.get_attribute("href")))
    page.assert_console_clean()
    profile = page.find("table#profile").text
    for column in seeded.dataset_columns:
        assert column in profile
    used = sorted(a.get_attribute("href").rsplit("/", 1)[-1] for a in page.find_all("table#used-by a.run-link"))
    assert used == sorted(seeded.dataset_runs[latest])


def _form(page, action: str, experiment_page: str):
    """The form posting to `action`: on the current page, else on the experiment's own page."""
    css = f'form[action="{action}"]'
    if not page.exists(css):
        page.visit(experiment_page)
    form = page.find(css)
    # A form tucked into a closed <details> (a row's menu) is opened the way a person would.
    page.driver.execute_script("var d = arguments[0].closest('details'); if (d) d.open = true;", form)
    return form


def _submit(page, form, confirm: bool = False) -> None:
    button = form.find_element(By.CSS_SELECTOR, "button[type=submit], input[type=submit], button:not([type])")
    asks = confirm or form.get_attribute("data-confirm") is not None
    old = page.find("html")
    button.click()
    if asks:
        page.wait(lambda d: _alert(d), message="no confirmation was asked").accept()
    page.wait(lambda d: _stale(old), message="the form did not submit")
    page.wait(lambda d: d.execute_script("return document.readyState") == "complete")


def _alert(driver):
    try:
        return driver.switch_to.alert
    except Exception:
        return False


def _experiment_row(page, name: str):
    for row in page.find_all("table#experiments tr[data-experiment-id]"):
        if row.find_element(By.CSS_SELECTOR, "a.experiment-link").text.strip() == name:
            return row
    return None


def test_create_rename_delete_restore_an_experiment(page, seeded):
    page.visit("/ui/experiments")
    form = page.find("form#create-experiment")
    form.find_element(By.CSS_SELECTOR, 'input[name="name"]').send_keys("web-suite-created")
    _submit(page, form)
    page.visit("/ui/experiments")
    row = _experiment_row(page, "web-suite-created")
    assert row is not None, "the created experiment is not listed"
    eid = row.get_attribute("data-experiment-id")
    own_page = f"/ui/experiments/{eid}"

    form = _form(page, f"/ui/experiments/{eid}/rename", own_page)
    name = form.find_element(By.CSS_SELECTOR, 'input[name="name"]')
    name.clear()
    name.send_keys("web-suite-renamed")
    _submit(page, form)
    page.visit("/ui/experiments")
    assert _experiment_row(page, "web-suite-renamed") is not None and _experiment_row(page, "web-suite-created") is None

    _submit(page, _form(page, f"/ui/experiments/{eid}/delete", own_page))
    page.visit("/ui/experiments")
    assert not page.exists(f'tr[data-experiment-id="{eid}"]'), "a deleted experiment is still listed"
    page.visit("/ui/experiments?view=deleted")
    assert page.exists(f'tr[data-experiment-id="{eid}"]'), "the deleted view does not list it"

    _submit(page, _form(page, f"/ui/experiments/{eid}/restore", own_page))
    page.visit("/ui/experiments")
    assert page.exists(f'tr[data-experiment-id="{eid}"]'), "the restored experiment is not back"
    page.assert_console_clean()
