"""Generates a synthetic customer-churn dataset (deterministic for a given seed, no network) and splits
it into data/prepared/train.csv and data/prepared/test.csv."""
import os

import numpy as np
import pandas as pd
import yaml

params = yaml.safe_load(open("params.yaml"))["prepare"]
rng = np.random.default_rng(params["seed"])
customers = int(params["customers"])

tenure_months = rng.integers(1, 73, customers)
contract = rng.choice(["month-to-month", "one-year", "two-year"], customers, p=[0.55, 0.25, 0.20])
monthly_charges = np.round(rng.normal(65, 20, customers).clip(18, 120), 2)
support_calls = rng.poisson(1.5, customers)
has_fiber = rng.random(customers) < 0.45
paperless_billing = rng.random(customers) < 0.6
senior = rng.random(customers) < 0.16

# Churn risk rises with short tenure, monthly contracts, high charges and many support calls.
logit = (
    -1.2
    - 0.045 * tenure_months
    + 1.3 * (contract == "month-to-month")
    - 0.9 * (contract == "two-year")
    + 0.022 * (monthly_charges - 65)
    + 0.35 * support_calls
    + 0.45 * has_fiber
    + 0.25 * paperless_billing
    + 0.3 * senior
)
churned = rng.random(customers) < 1 / (1 + np.exp(-logit))

frame = pd.DataFrame({
    "customer_id": [f"C{index:06d}" for index in range(customers)],
    "tenure_months": tenure_months,
    "contract": contract,
    "monthly_charges": monthly_charges,
    "total_charges": np.round(monthly_charges * tenure_months, 2),
    "support_calls": support_calls,
    "has_fiber": has_fiber.astype(int),
    "paperless_billing": paperless_billing.astype(int),
    "senior": senior.astype(int),
    "churned": churned.astype(int),
})

test_rows = rng.random(customers) < float(params["test_fraction"])
os.makedirs("data/prepared", exist_ok=True)
frame[~test_rows].to_csv("data/prepared/train.csv", index=False)
frame[test_rows].to_csv("data/prepared/test.csv", index=False)
print(f"prepared {int((~test_rows).sum())} training and {int(test_rows.sum())} test rows "
      f"(churn rate {churned.mean():.1%})")
