"""Registers the model the train stage logged as a new version of the registered model `churn`, tagged
with its test-set scores. Writes model/registered.json (name and version)."""
import json

import mlflow
from mlflow import MlflowClient

MODEL_NAME = "churn"

train_run_id = open("model/run_id.txt").read().strip()
scores = json.load(open("metrics/eval.json"))

version = mlflow.register_model(f"runs:/{train_run_id}/model", MODEL_NAME)
client = MlflowClient()
for name, value in scores.items():
    client.set_model_version_tag(MODEL_NAME, version.version, f"test_{name}", str(value))

with open("model/registered.json", "w") as f:
    json.dump({"name": MODEL_NAME, "version": int(version.version), "run_id": train_run_id}, f, indent=2)
print(f"registered {MODEL_NAME} version {version.version} from run {train_run_id}")
