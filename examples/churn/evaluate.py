"""Scores model/model.pkl on data/prepared/test.csv; writes metrics/eval.json (accuracy, f1, roc_auc),
which yard logs to the evaluate stage's run."""
import json
import os
import pickle

import pandas as pd
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from features import features_and_target

features, target = features_and_target(pd.read_csv("data/prepared/test.csv"))
with open("model/model.pkl", "rb") as f:
    model = pickle.load(f)

predicted = model.predict(features)
scores = {
    "accuracy": round(float(accuracy_score(target, predicted)), 6),
    "f1": round(float(f1_score(target, predicted)), 6),
    "roc_auc": round(float(roc_auc_score(target, model.predict_proba(features)[:, 1])), 6),
}
os.makedirs("metrics", exist_ok=True)
with open("metrics/eval.json", "w") as f:
    json.dump(scores, f, indent=2)
print("test set: " + ", ".join(f"{name} {value:.3f}" for name, value in scores.items()))
