"""What tests/pipelines/run checks with the real mlflow client against `yard server` on the pipeline's
embedded store. One phase per call; prints one `ok`/`FAIL` line per check and exits with the number of
failures.

  python check.py first     <url> <state.json>   after the first `yard run`
  python check.py unchanged <url> <state.json>   after a `yard run` that had nothing to do
  python check.py rerun     <url> <state.json>   after changing train.n_estimators and `yard run`

state.json carries run ids from one phase to the next.
"""
import json
import sys
import traceback

from mlflow import MlflowClient

STAGES = ("prepare", "train", "evaluate", "register")
failures = 0


def check(name, condition_or_function):
    global failures
    try:
        passed = condition_or_function() if callable(condition_or_function) else condition_or_function
        detail = ""
    except Exception:  # a failed lookup is a failed check, with its reason
        passed, detail = False, traceback.format_exc(limit=2)
    print(("ok    " if passed else "FAIL  ") + name, flush=True)
    if not passed:
        failures += 1
        if detail:
            print("      " + detail.strip().replace("\n", "\n      "))
    return passed


def all_runs(client):
    experiment = client.get_experiment_by_name("churn")
    if experiment is None:
        return None, []
    return experiment, client.search_runs([experiment.experiment_id], max_results=1000)


def parent_of(run):
    return run.data.tags.get("mlflow.parentRunId")


def stage_of(run):
    """The stage a run recorded: its run name (`train`), else a tag naming it."""
    for key in ("yard.stage", "stage"):
        if key in run.data.tags:
            return run.data.tags[key]
    return run.info.run_name


def key_ending(mapping, suffix):
    """The value of the key equal to `suffix` or ending in `.suffix`/`/suffix`/`:suffix` (yard may prefix
    params with their section and metrics with their file)."""
    for key, value in mapping.items():
        if key == suffix or any(key.endswith(separator + suffix) for separator in "./:_"):
            return value
    return None


def runs_by_stage(runs):
    grouped = {}
    for run in runs:
        if parent_of(run):
            grouped.setdefault(stage_of(run), []).append(run)
    return grouped


def describe(runs):
    return "; ".join(f"{run.info.run_name} ({run.info.run_id[:8]}, parent {str(parent_of(run))[:8]})" for run in runs)


def first(client, state):
    experiment, runs = all_runs(client)
    if not check("experiment `churn` exists", experiment is not None):
        return
    parents = [run for run in runs if not parent_of(run)]
    children = [run for run in runs if parent_of(run)]
    check(f"one parent run and 4 stage runs (got: {describe(runs)})", len(parents) == 1 and len(children) == 4)
    if not parents:
        return
    parent = parents[0]
    check("every stage run is a child of the parent run",
          all(parent_of(run) == parent.info.run_id for run in children))
    grouped = runs_by_stage(children)
    check(f"one run per stage {STAGES} (got {sorted(grouped)})",
          sorted(grouped) == sorted(STAGES) and all(len(v) == 1 for v in grouped.values()))
    check("all runs FINISHED", all(run.info.status == "FINISHED" for run in runs))
    train = grouped.get("train", [None])[0]
    evaluate = grouped.get("evaluate", [None])[0]
    if train is not None:
        params, metrics = train.data.params, train.data.metrics
        check(f"train run has yard's params from params.yaml (n_estimators=120) (params: {sorted(params)})",
              key_ending(params, "n_estimators") == "120" and key_ending(params, "learning_rate") == "0.1")
        check("train run has the params train.py logged itself (model_class)",
              params.get("model_class") == "GradientBoostingClassifier")
        check(f"train run has yard's metrics from metrics/train.json (accuracy, log_loss) (metrics: {sorted(metrics)})",
              key_ending(metrics, "accuracy") is not None and key_ending(metrics, "log_loss") is not None)
        check("train run has the metrics train.py logged itself (positive_rate, 120-step boosting_loss)",
              lambda: "positive_rate" in metrics
              and len(client.get_metric_history(train.info.run_id, "boosting_loss")) == 120)
        written = open("model/run_id.txt").read().strip()
        check("train.py's mlflow.start_run() joined the stage run (model/run_id.txt names it)",
              written == train.info.run_id)
        check("the logged model is an output of the train run",
              lambda: any(output.source_run_id == train.info.run_id
                          for output in client.search_logged_models([train.info.experiment_id])))
    if evaluate is not None:
        metrics = evaluate.data.metrics
        check(f"evaluate run has accuracy, f1, roc_auc from metrics/eval.json (metrics: {sorted(metrics)})",
              all(key_ending(metrics, name) is not None for name in ("accuracy", "f1", "roc_auc")))
        expected = json.load(open("metrics/eval.json"))
        check("their values are the file's", key_ending(metrics, "roc_auc") == expected["roc_auc"])
    check("registered model `churn` version 1 exists, from the train run",
          lambda: client.get_model_version("churn", "1").run_id == (train.info.run_id if train else None))
    state["run_ids"] = sorted(run.info.run_id for run in runs)
    state["first_train_run"] = train.info.run_id if train else None


def unchanged(client, state):
    _, runs = all_runs(client)
    ids = sorted(run.info.run_id for run in runs)
    check(f"a run with nothing stale records no new runs ({len(ids)} runs, {len(state.get('run_ids', []))} before)",
          ids == state.get("run_ids"))
    check("no second model version", lambda: [v.version for v in client.search_model_versions("name = 'churn'")] == ["1"])


def rerun(client, state):
    _, runs = all_runs(client)
    before = set(state.get("run_ids", []))
    new = [run for run in runs if run.info.run_id not in before]
    new_parents = [run for run in new if not parent_of(run)]
    grouped = runs_by_stage([run for run in new if parent_of(run)])
    check(f"one new parent run (new runs: {describe(new)})", len(new_parents) == 1)
    check(f"train, evaluate and register ran again, prepare did not (new stage runs: {sorted(grouped)})",
          sorted(grouped) == sorted(("train", "evaluate", "register")))
    train = grouped.get("train", [None])[0]
    if train is not None:
        check("the new train run has n_estimators=60",
              key_ending(train.data.params, "n_estimators") == "60")
        check("and train.py's 60-step boosting_loss",
              lambda: len(client.get_metric_history(train.info.run_id, "boosting_loss")) == 60)
    check("registered model `churn` version 2 exists, from the new train run",
          lambda: client.get_model_version("churn", "2").run_id == (train.info.run_id if train else None))


def main():
    phase, url, state_path = sys.argv[1:4]
    try:
        state = json.load(open(state_path))
    except FileNotFoundError:
        state = {}
    client = MlflowClient(tracking_uri=url, registry_uri=url)
    {"first": first, "unchanged": unchanged, "rerun": rerun}[phase](client, state)
    json.dump(state, open(state_path, "w"))
    sys.exit(min(failures, 100))


if __name__ == "__main__":
    main()
