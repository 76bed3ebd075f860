"""search_runs: filter grammar, order_by (with the default tie-breakers),
pagination, run_view_type, and the fluent DataFrame API.

The runs are seeded once per module from SEED; every expectation is derived
from SEED in Python (see `where` and `order`), not copied from a server.
"""

import math
import uuid
from dataclasses import dataclass

import pytest
from mlflow.entities import Metric, Param, RunTag, ViewType
from mlflow.exceptions import MlflowException

import mlflow
from conftest import assert_error

NAN = float("nan")


@dataclass(frozen=True)
class Seed:
    name: str
    start: int
    loss: float | None      # latest value of metric "loss" (None = never logged)
    alpha: str | None       # param "alpha"
    group: str | None       # tag "group"
    status: str


SEED = [
    Seed("r0", 1000, 0.9, "0.1", "a", "FINISHED"),
    Seed("r1", 1001, 0.3, "0.1", "b", "FINISHED"),
    Seed("r2", 1002, 0.2, "0.2", "a", "RUNNING"),
    Seed("r3", 1003, 0.45, "0.1", "a", "FINISHED"),
    Seed("r4", 1004, None, "0.1", "b", "FAILED"),
    Seed("r5", 1004, 0.6, None, "Alpha-Group", "RUNNING"),  # same start_time as r4
    Seed("r6", 1005, NAN, "0.3", None, "FINISHED"),
    Seed("r7", 1006, 0.1, "0.1", "a", "FINISHED"),
]


@dataclass
class Seeded:
    experiment_id: str
    other_experiment_id: str
    ids: dict          # seed name -> run id
    names: dict        # run id -> seed name
    other_run_id: str


@pytest.fixture(scope="module")
def seeded(client) -> Seeded:
    tag = uuid.uuid4().hex[:8]
    exp = client.create_experiment(f"search-{tag}")
    other = client.create_experiment(f"search-other-{tag}")
    ids = {}
    for s in SEED:
        run = client.create_run(exp, start_time=s.start, run_name=s.name)
        rid = run.info.run_id
        ids[s.name] = rid
        metrics, params, tags = [], [], []
        if s.loss is not None:
            # an older point with a smaller step: search must use the latest value
            metrics.append(Metric("loss", 0.05, s.start, 0))
            metrics.append(Metric("loss", s.loss, s.start + 1, 1))
        metrics.append(Metric("acc", 1.0 - (s.start - 1000) / 10, s.start, 0))
        if s.alpha is not None:
            params.append(Param("alpha", s.alpha))
        params.append(Param("seed_name", s.name))
        if s.group is not None:
            tags.append(RunTag("group", s.group))
        client.log_batch(rid, metrics=metrics, params=params, tags=tags)
        if s.status != "RUNNING":
            client.update_run(rid, status=s.status)
    other_run = client.create_run(other, start_time=999, run_name="other").info.run_id
    client.log_batch(other_run, metrics=[Metric("loss", 0.01, 1, 0)], params=[Param("alpha", "0.1")])
    return Seeded(exp, other, ids, {v: k for k, v in ids.items()}, other_run)


def _isnan(x):
    return isinstance(x, float) and math.isnan(x)


def where(pred):
    """Seed names matching pred, in the default order (start_time DESC, run_id ASC)."""
    return [s.name for s in SEED if pred(s)]


def default_order(seeded, names):
    by = {s.name: s for s in SEED}
    return sorted(names, key=lambda n: (-by[n].start, seeded.ids[n]))


def names_of(seeded, runs):
    return [seeded.names.get(r.info.run_id, r.info.run_id) for r in runs]


def search(client, seeded, filter_string="", order_by=None, **kw):
    return names_of(seeded, client.search_runs([seeded.experiment_id], filter_string=filter_string,
                                               order_by=order_by, **kw))


# --------------------------------------------------------------------------- filters

FILTERS = [
    ("metrics.loss < 0.5", lambda s: s.loss is not None and not _isnan(s.loss) and s.loss < 0.5),
    ("metrics.loss < 0.5 AND params.alpha = '0.1'",
     lambda s: s.loss is not None and not _isnan(s.loss) and s.loss < 0.5 and s.alpha == "0.1"),
    ("metrics.loss >= 0.45 and params.alpha = '0.1'",
     lambda s: s.loss is not None and not _isnan(s.loss) and s.loss >= 0.45 and s.alpha == "0.1"),
    ("metric.loss = 0.2", lambda s: s.loss == 0.2),
    # IEEE semantics: NaN != x is true; a run without the metric never matches
    ("metrics.loss != 0.2", lambda s: s.loss is not None and (_isnan(s.loss) or s.loss != 0.2)),
    ("metrics.loss > 0.04", lambda s: s.loss is not None and not _isnan(s.loss) and s.loss > 0.04),
    ("params.alpha = '0.1'", lambda s: s.alpha == "0.1"),
    ('params.alpha = "0.2"', lambda s: s.alpha == "0.2"),
    ("params.alpha != '0.1'", lambda s: s.alpha is not None and s.alpha != "0.1"),
    ("params.alpha IS NULL", lambda s: s.alpha is None),
    ("params.alpha IS NOT NULL", lambda s: s.alpha is not None),
    ("tags.group = 'a'", lambda s: s.group == "a"),
    ("tags.group LIKE 'A%'", lambda s: s.group is not None and s.group.startswith("A")),  # case-sensitive
    ("tags.group ILIKE 'a%'", lambda s: s.group is not None and s.group.lower().startswith("a")),
    ("tags.group LIKE '%Group'", lambda s: s.group is not None and s.group.endswith("Group")),
    ("tags.group IS NULL", lambda s: s.group is None),
    ("tags.`mlflow.runName` = 'r3'", lambda s: s.name == "r3"),
    ("attributes.status = 'FINISHED'", lambda s: s.status == "FINISHED"),
    ("attributes.status != 'FINISHED'", lambda s: s.status != "FINISHED"),
    ("attributes.run_name = 'r2'", lambda s: s.name == "r2"),
    ("run_name LIKE 'r%' AND attributes.start_time >= 1004", lambda s: s.start >= 1004),
    ("attributes.start_time < 1002", lambda s: s.start < 1002),
    ("params.alpha = '0.1' AND tags.group = 'b' AND metrics.acc > 0.5",
     lambda s: s.alpha == "0.1" and s.group == "b" and 1.0 - (s.start - 1000) / 10 > 0.5),
    ("params.seed_name = 'nope'", lambda s: False),
]


@pytest.mark.parametrize("filter_string, pred", FILTERS, ids=[f for f, _ in FILTERS])
def test_filter(client, seeded, filter_string, pred):
    assert search(client, seeded, filter_string) == default_order(seeded, where(pred))


def test_filter_run_id_in(client, seeded):
    a, b = seeded.ids["r1"], seeded.ids["r6"]
    got = search(client, seeded, f"attributes.run_id IN ('{a}', '{b}')")
    assert got == default_order(seeded, ["r1", "r6"])


def test_search_across_experiments(client, seeded):
    runs = client.search_runs([seeded.experiment_id, seeded.other_experiment_id],
                              filter_string="metrics.loss < 0.5 AND params.alpha = '0.1'",
                              order_by=["metrics.loss ASC"])
    got = names_of(seeded, runs)
    assert got == [seeded.other_run_id, "r7", "r1", "r3"]


# --------------------------------------------------------------------------- order_by

def _loss_key(s, descending):
    # non-NaN values first (by value), then NaN, then runs without the metric
    if s.loss is None:
        return (2, 0.0)
    if _isnan(s.loss):
        return (1, 0.0)
    return (0, -s.loss if descending else s.loss)


def ordered(seeded, key):
    """All seed names sorted by key, then the server's tie-breakers (start_time DESC, run_id ASC)."""
    return [s.name for s in sorted(SEED, key=lambda s: (key(s), -s.start, seeded.ids[s.name]))]


def test_default_order_is_start_time_desc_then_run_id(client, seeded):
    assert search(client, seeded) == default_order(seeded, [s.name for s in SEED])


def test_order_by_metric(client, seeded):
    assert search(client, seeded, order_by=["metrics.loss DESC"]) == ordered(seeded, lambda s: _loss_key(s, True))
    assert search(client, seeded, order_by=["metrics.loss ASC"]) == ordered(seeded, lambda s: _loss_key(s, False))
    assert search(client, seeded, order_by=["metrics.loss"]) == ordered(seeded, lambda s: _loss_key(s, False))


def test_order_by_filter_and_metric_desc(client, seeded):
    got = search(client, seeded, "metrics.loss < 0.5 AND params.alpha = '0.1'", order_by=["metrics.loss DESC"])
    assert got == ["r3", "r1", "r7"]


def test_order_by_param_then_metric(client, seeded):
    def key(s):
        return ((1, "") if s.alpha is None else (0, s.alpha), _loss_key(s, True))
    assert search(client, seeded, order_by=["params.alpha ASC", "metrics.loss DESC"]) == ordered(seeded, key)


def test_order_by_tag_missing_last(client, seeded):
    def key(s):  # byte-wise string order: 'Alpha-Group' < 'a' < 'b'
        return (1, "") if s.group is None else (0, s.group)
    assert search(client, seeded, order_by=["tags.group ASC"]) == ordered(seeded, key)

    def key_desc(s):
        return (1, 0) if s.group is None else (0, [-ord(c) for c in s.group])
    assert search(client, seeded, order_by=["tags.group DESC"]) == ordered(seeded, key_desc)


def test_order_by_attributes(client, seeded):
    got = search(client, seeded, order_by=["attributes.start_time ASC"])
    assert got == [s.name for s in sorted(SEED, key=lambda s: (s.start, seeded.ids[s.name]))]
    got = search(client, seeded, order_by=["attributes.run_name DESC"])
    assert got == sorted((s.name for s in SEED), reverse=True)


# --------------------------------------------------------------------------- pagination

@pytest.mark.parametrize("page_size", [1, 3, 8, 50])
def test_pagination_returns_every_run_once(client, seeded, page_size):
    for order_by in (None, ["metrics.loss DESC"], ["params.alpha ASC", "attributes.start_time DESC"]):
        full = search(client, seeded, order_by=order_by)
        assert sorted(full) == sorted(s.name for s in SEED)
        pages, token = [], None
        while True:
            page = client.search_runs([seeded.experiment_id], order_by=order_by, max_results=page_size,
                                      page_token=token)
            assert len(page) <= page_size
            pages.append(names_of(seeded, page))
            token = page.token
            if not token:
                break
            assert len(pages) <= len(SEED) + 1, "pagination does not terminate"
        flat = [n for p in pages for n in p]
        assert flat == full, f"order_by={order_by} page_size={page_size}"
        assert len(set(flat)) == len(SEED)
        # a token is given iff more runs follow: full pages, then one non-empty last page
        assert [len(p) for p in pages[:-1]] == [page_size] * (len(pages) - 1)
        assert pages[-1], "next_page_token led to an empty page"


def test_pagination_raw_wire(api, seeded):
    body = {"experiment_ids": [seeded.experiment_id], "max_results": 3,
            "filter": "params.alpha = '0.1'", "order_by": ["metrics.loss DESC"]}
    r = api.post("runs/search", body)
    assert r.status_code == 200, r.text
    first = r.json()
    assert len(first["runs"]) == 3
    token = first["next_page_token"]
    r = api.post("runs/search", {**body, "page_token": token})
    second = r.json()
    assert "next_page_token" not in second
    got = [seeded.names[x["info"]["run_id"]] for x in first["runs"] + second.get("runs", [])]
    assert got == ["r0", "r3", "r1", "r7", "r4"]

    # data.metrics holds only the latest value per key
    r0 = next(x for x in first["runs"] if x["info"]["run_id"] == seeded.ids["r0"])
    losses = [m for m in r0["data"]["metrics"] if m["key"] == "loss"]
    assert len(losses) == 1 and losses[0]["value"] == 0.9 and losses[0]["step"] == 1
    params = {p["key"]: p["value"] for p in r0["data"]["params"]}
    assert params == {"alpha": "0.1", "seed_name": "r0"}

    r = api.post("runs/search", {"experiment_ids": [seeded.experiment_id], "filter": "params.alpha = '0.9'"})
    assert r.status_code == 200 and r.json() == {}


def test_run_view_type(client, seeded, experiment_id):
    a = client.create_run(experiment_id).info.run_id
    b = client.create_run(experiment_id).info.run_id
    client.delete_run(b)
    ids = lambda vt: {r.info.run_id for r in client.search_runs([experiment_id], run_view_type=vt)}  # noqa: E731
    assert ids(ViewType.ACTIVE_ONLY) == {a}
    assert ids(ViewType.DELETED_ONLY) == {b}
    assert ids(ViewType.ALL) == {a, b}


# --------------------------------------------------------------------------- fluent API

def test_fluent_search_runs_dataframe(seeded):
    df = mlflow.search_runs(experiment_ids=[seeded.experiment_id],
                            filter_string="metrics.loss < 0.5 AND params.alpha = '0.1'",
                            order_by=["metrics.loss DESC"])
    assert df["tags.mlflow.runName"].tolist() == ["r3", "r1", "r7"]
    assert df["metrics.loss"].tolist() == [0.45, 0.3, 0.1]
    assert df["params.alpha"].tolist() == ["0.1", "0.1", "0.1"]
    assert df["run_id"].tolist() == [seeded.ids[n] for n in ("r3", "r1", "r7")]
    assert set(df["status"]) == {"FINISHED"}


def test_fluent_search_runs_list(seeded):
    runs = mlflow.search_runs(experiment_ids=[seeded.experiment_id], output_format="list",
                              order_by=["attributes.start_time ASC"], max_results=3)
    assert [r.info.run_name for r in runs] == ["r0", "r1", "r2"]


# --------------------------------------------------------------------------- errors

@pytest.mark.parametrize("body, message", [
    ({"filter": "metrics.loss < 0.5 OR params.alpha = '0.1'"}, "Invalid clause(s) in filter string: 'OR'"),
    ({"filter": "params.alpha = 0.1"},
     "Expected a quoted string value for parameter (e.g. 'my-value'). Got value 0.1"),
    ({"page_token": "not-a-token"}, None),
    ({"max_results": 50001}, "Invalid value 50001 for parameter 'max_results' supplied"),
    ({"order_by": ["metrics.loss SIDEWAYS"]}, None),
    ({"filter": "metrics.loss <"}, None),
])
def test_invalid_search_is_400(api, seeded, body, message):
    r = api.post("runs/search", {"experiment_ids": [seeded.experiment_id], **body})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", message)


def test_client_sees_search_errors(client, seeded):
    with pytest.raises(MlflowException) as e:
        client.search_runs([seeded.experiment_id], filter_string="metrics.loss < 1 OR metrics.loss > 2")
    assert e.value.error_code == "INVALID_PARAMETER_VALUE"


# --------------------------------------------------------------------------- size limits

@pytest.mark.yard_only(reason="limits chosen by Modelyard to keep SQLite's expression limits out of reach")
def test_filter_with_too_many_clauses_is_400(api, seeded):
    filter_string = " AND ".join(f"params.p{i} = 'x'" for i in range(1_200))
    r = api.post("runs/search", {"experiment_ids": [seeded.experiment_id], "filter": filter_string})
    body = assert_error(r, 400, "INVALID_PARAMETER_VALUE")
    assert "filter" in body["message"] and "clauses" in body["message"], body


@pytest.mark.yard_only(reason="limits chosen by Modelyard to keep SQLite's variable limit out of reach")
def test_filter_with_a_huge_in_list_is_400(api, seeded):
    values = ", ".join(f"'r{i}'" for i in range(40_000))
    r = api.post("runs/search", {"experiment_ids": [seeded.experiment_id],
                                 "filter": f"attributes.run_id IN ({values})"})
    body = assert_error(r, 400, "INVALID_PARAMETER_VALUE")
    assert "filter" in body["message"], body


@pytest.mark.yard_only(reason="limits chosen by Modelyard to keep SQLite's expression limits out of reach")
def test_experiment_filter_limits_are_400(api):
    filter_string = " AND ".join(f"tags.t{i} = 'x'" for i in range(1_200))
    r = api.post("experiments/search", {"filter": filter_string})
    body = assert_error(r, 400, "INVALID_PARAMETER_VALUE")
    assert "filter" in body["message"], body
    values = ", ".join(f"'{i}'" for i in range(40_000))
    r = api.post("experiments/search", {"filter": f"attribute.experiment_id IN ({values})"})
    body = assert_error(r, 400, "INVALID_PARAMETER_VALUE")
    assert "filter" in body["message"], body


def test_filter_at_the_clause_limit_still_works(client, seeded):
    # 100 clauses (MLflow-sized filters) stay accepted.
    filter_string = " AND ".join(["attributes.run_name != 'nope'"] * 99 + ["params.alpha = '0.1'"])
    runs = client.search_runs([seeded.experiment_id], filter_string=filter_string)
    assert runs and all(r.data.params.get("alpha") == "0.1" for r in runs)
