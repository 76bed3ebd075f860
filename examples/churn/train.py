"""Trains a gradient-boosting churn classifier on data/prepared/train.csv with the `train` parameters.

Writes model/model.pkl, metrics/train.json (logged to the stage's run by yard) and model/run_id.txt (the
run the model was logged to, for register.py). Under `yard run`, MLFLOW_TRACKING_URI and MLFLOW_RUN_ID
point at this stage's run, so `mlflow.start_run()` continues that run instead of starting another.
"""
import json
import os
import pickle

import mlflow
import mlflow.sklearn
import pandas as pd
import yaml
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.metrics import accuracy_score, log_loss

from features import features_and_target

params = yaml.safe_load(open("params.yaml"))["train"]
features, target = features_and_target(pd.read_csv("data/prepared/train.csv"))

model = GradientBoostingClassifier(
    n_estimators=int(params["n_estimators"]),
    learning_rate=float(params["learning_rate"]),
    max_depth=int(params["max_depth"]),
    subsample=float(params["subsample"]),
    random_state=int(params["seed"]),
).fit(features, target)

probabilities = model.predict_proba(features)[:, 1]
train_metrics = {
    "accuracy": float(accuracy_score(target, model.predict(features))),
    "log_loss": float(log_loss(target, probabilities)),
}

os.makedirs("model", exist_ok=True)
os.makedirs("metrics", exist_ok=True)
with open("model/model.pkl", "wb") as f:
    pickle.dump(model, f)
with open("metrics/train.json", "w") as f:
    json.dump(train_metrics, f, indent=2)

if "MLFLOW_RUN_ID" not in os.environ:  # run by hand: put the run somewhere recognisable
    mlflow.set_experiment("churn")
with mlflow.start_run() as run:
    # What yard cannot know: the model's shape and its learning curve.
    mlflow.log_params({"model_class": type(model).__name__, "feature_count": features.shape[1],
                       "training_rows": len(features)})
    for iteration, loss in enumerate(model.train_score_):
        mlflow.log_metric("boosting_loss", float(loss), step=iteration)
    mlflow.log_metric("positive_rate", float(target.mean()))
    # Our own freshly trained trees: tell mlflow's skops serializer that their node storage is trusted.
    mlflow.sklearn.log_model(model, name="model", input_example=features.head(3),
                             skops_trusted_types=["sklearn.tree._tree.Tree"])
    with open("model/run_id.txt", "w") as f:
        f.write(run.info.run_id + "\n")

print(f"trained {type(model).__name__}: accuracy {train_metrics['accuracy']:.3f} on {len(features)} rows "
      f"(run {run.info.run_id})")
