"""The feature matrix shared by train.py and evaluate.py, so both see the same columns."""
import pandas as pd

TARGET = "churned"


def features_and_target(frame: pd.DataFrame):
    features = frame.drop(columns=["customer_id", TARGET])
    features = pd.get_dummies(features, columns=["contract"], dtype=int)
    for contract in ("month-to-month", "one-year", "two-year"):  # a split may lack a level
        if f"contract_{contract}" not in features:
            features[f"contract_{contract}"] = 0
    return features.reindex(sorted(features.columns), axis=1), frame[TARGET]
