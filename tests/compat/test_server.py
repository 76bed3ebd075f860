"""Non-API routes: /health, /version, /metrics, unknown routes."""

import re

import pytest
from packaging.version import Version

from conftest import TARGET


def test_health(api):
    r = api.session.get(api.url("/health"), timeout=10)
    assert r.status_code == 200
    assert r.text == "OK"


def test_version_parses_as_an_mlflow_version(api):
    r = api.session.get(api.url("/version"), timeout=10)
    assert r.status_code == 200
    version = Version(r.text.strip())  # raises InvalidVersion if it is not PEP 440
    # The client refuses some features on servers < 3.4 (log_spans); the server
    # must claim an MLflow 3 version, not its own product version.
    assert version >= Version("3.4"), r.text
    if TARGET == "mlflow":
        assert r.text == "3.18.0"


def test_client_parses_the_version(client):
    # RestStore._get_server_version is what the 3.18 client calls before
    # version-gated features; it returns None when /version does not parse.
    from mlflow.store.tracking.rest_store import RestStore

    store = client._tracking_client.store
    assert isinstance(store, RestStore)
    RestStore._get_server_version.cache_clear()
    version = RestStore._get_server_version(store.get_host_creds())
    assert version is not None and version >= Version("3.4")


def test_unknown_api_route_is_404(api):
    r = api.session.get(api.url("/api/2.0/mlflow/no-such-endpoint"), timeout=10)
    assert r.status_code == 404
    r = api.session.post(api.url("/api/2.0/mlflow/no-such-endpoint"), json={}, timeout=10)
    assert r.status_code == 404


# --------------------------------------------------------------------------- /metrics

_SAMPLE = re.compile(
    r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)'
    r'(?P<labels>\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"(?:,|(?=\})))*\})?'
    r' (?P<value>[-+]?(?:[0-9.]+(?:[eE][-+]?[0-9]+)?|NaN|\+?Inf|-Inf))'
    r'(?: -?[0-9]+)?$'
)


def parse_prometheus(text: str):
    """Minimal strict parser of the Prometheus text format (0.0.4).
    Returns ({family: type}, [(name, labels_str, value)])."""
    types, samples = {}, []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 3 and parts[1] == "TYPE":
                assert len(parts) == 4, f"line {n}: {line!r}"
                assert parts[3] in ("counter", "gauge", "histogram", "summary", "untyped"), line
                types[parts[2]] = parts[3]
            continue
        m = _SAMPLE.match(line)
        assert m, f"line {n} is not a Prometheus sample: {line!r}"
        samples.append((m.group("name"), m.group("labels") or "", float(m.group("value"))))
    return types, samples


def _request_counter_total(api):
    r = api.session.get(api.url("/metrics"), timeout=10)
    assert r.status_code == 200, r.text[:300]
    assert r.headers.get("content-type", "").startswith("text/plain"), r.headers
    types, samples = parse_prometheus(r.text)
    counters = [f for f, t in types.items() if t == "counter" and "request" in f.lower()]
    assert counters, f"no counter family named like *request* in /metrics: {sorted(types)}"

    def family_of(sample_name):
        for f in counters:
            if sample_name in (f, f + "_total"):
                return f
        return None

    total = sum(v for name, _labels, v in samples if family_of(name))
    return counters, total


@pytest.mark.yard_only(reason="/metrics (Prometheus) is Modelyard's own route")
def test_metrics_is_prometheus_text_with_a_request_counter(api):
    counters, before = _request_counter_total(api)
    for _ in range(5):
        assert api.post("experiments/search", {"max_results": 1}).status_code == 200
    _counters, after = _request_counter_total(api)
    assert after >= before + 5, f"{counters}: {before} -> {after} after 5 requests"
