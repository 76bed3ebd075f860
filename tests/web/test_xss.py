"""Hostile strings in every field a user writes and a page shows (experiment, run and model names, param
values, tag values, descriptions, source names, git commits, users, artifact names and contents, dataset
input names and contexts, dataset profile columns): every page that shows them is opened in Chromium, and
nothing runs (window.__xss stays unset, no alert), no element is injected (no img[src=x], no inline script,
no on… handler, no javascript: link), and the payload is shown as text."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import requests

from conftest import http_get
from seed import IMG_PAYLOAD, MODEL_NAME_PAYLOAD, SCRIPT_PAYLOAD, XSS_DATASET, XSS_EXPERIMENT, Seeded


def q(value: str) -> str:
    return quote(value, safe="")


def hostile_pages(s: Seeded) -> dict[str, str]:
    first, second = s.xss_run_ids
    cols = "params.payload,params.payload_img,params.link,tags.note,tags.script,tags.mlflow.user"
    pages = {
        "experiments": "/ui/experiments",
        "runs": f"/ui/experiments/{s.xss_experiment_id}?cols={q(cols)}",
        "runs-filtered": f"/ui/experiments/{s.xss_experiment_id}?filter={q(f'params.payload = {chr(39)}{SCRIPT_PAYLOAD}{chr(39)}')}",
        "run-1": f"/ui/runs/{first}",
        "run-2": f"/ui/runs/{second}",
        "artifacts": f"/ui/runs/{first}/artifacts",
        "compare": f"/ui/compare?runs={first},{second}&x=params.payload&y=metrics.score",
        "compare-hide-equal": f"/ui/compare?runs={first},{second}&hide-equal=1",
        "models": "/ui/models",
        "model": f"/ui/models/{q(MODEL_NAME_PAYLOAD)}",
        "model-version": f"/ui/models/{q(MODEL_NAME_PAYLOAD)}/versions/1",
        "datasets": "/ui/datasets",
        "dataset": f"/ui/datasets/{XSS_DATASET}",
        "dataset-version": f"/ui/datasets/{XSS_DATASET}/versions/{s.xss_dataset_digest}",
    }
    for index, name in enumerate(s.xss_artifacts):
        pages[f"artifact-{index}"] = f"/ui/runs/{first}/artifacts?path={q(name)}"
    return pages


PAGES = ["experiments", "runs", "runs-filtered", "run-1", "run-2", "artifacts", "compare", "compare-hide-equal",
         "models", "model", "model-version", "datasets", "dataset", "dataset-version"] + [f"artifact-{i}" for i in range(5)]


@pytest.mark.parametrize("name", PAGES)
def test_payloads_are_shown_as_text_and_never_run(page, seeded, name):
    path = hostile_pages(seeded)[name]
    page.visit(path)
    page.assert_no_xss()
    assert not page.exists("p.error-message"), f"{path}: {page.find('p.error-message').text}"
    broken = page.check_links()
    assert not broken, f"broken links on {path}:\n" + "\n".join(broken)


def test_payloads_read_back_verbatim(page, seeded):
    """Escaped, not stripped: a person sees exactly what was logged."""
    page.visit(f"/ui/runs/{seeded.xss_run_ids[0]}")
    text = page.find("body").text
    assert SCRIPT_PAYLOAD in text and IMG_PAYLOAD in text
    assert "javascript:window.__xss=1" in text, "the source name is shown as text"
    page.visit("/ui/experiments")
    assert XSS_EXPERIMENT in page.find("table#experiments").text
    page.visit("/ui/models")
    assert MODEL_NAME_PAYLOAD in page.find("table#models").text
    status, _, body = http_get(f"{page.base}/ui/runs/{seeded.xss_run_ids[0]}")
    html = body.decode()
    assert status == 200 and "<script>window.__xss" not in html and "<img src=x" not in html
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html


@pytest.mark.parametrize("artifact", ["evil.html", "evil.svg"])
def test_raw_artifacts_cannot_run_script(page, seeded, artifact):
    """The raw endpoint serves stored bytes under a sandbox CSP with nosniff, so a stored HTML or SVG
    document cannot run script even when opened directly."""
    url = f"/ui/runs/{seeded.xss_run_ids[0]}/artifact?path={artifact}"
    status, headers, _ = http_get(page.base + url)
    assert status == 200
    assert headers.get("x-content-type-options") == "nosniff"
    assert "sandbox" in headers.get("content-security-policy", "")
    assert not headers.get("content-type", "").startswith("text/html"), headers.get("content-type")
    page.driver.get(page.base + url)
    # The stored document is shown as it is (its own onload attribute included); what matters is that
    # nothing in it ran.
    page.assert_nothing_ran()


def test_keys_cannot_carry_markup(seeded):
    """Param, metric and tag keys are names (letters, digits, _ - . space : /), so no payload can be a key:
    the server refuses it rather than storing it."""
    run = seeded.xss_run_ids[0]
    api = f"{seeded.url}/api/2.0/mlflow"
    for path, body in (("runs/log-parameter", {"run_id": run, "key": SCRIPT_PAYLOAD, "value": "1"}),
                       ("runs/log-metric", {"run_id": run, "key": IMG_PAYLOAD, "value": 1, "timestamp": 1, "step": 0}),
                       ("runs/set-tag", {"run_id": run, "key": SCRIPT_PAYLOAD, "value": "1"})):
        response = requests.post(f"{api}/{path}", json=body, timeout=30)
        assert response.status_code == 400, f"{path} accepted a key with markup: {response.status_code}"
