"""Generated mixed-type tables for drift checks (parity tests and bench/drift). numpy and pandas only.

Each column kind exercises one branch of Evidently's typing and default-test choice:
  f_norm   float, many values                -> numerical: ks (ref <= 1000) / wasserstein
  f_nan    float with ~10 % NaN              -> numerical, counts after NaN removal decide the branch
  f_bin    float 0.0/1.0                      -> numerical with 2 values: z / jensenshannon
  f_five   float with 5 values                -> numerical with 3..5 values: chisquare / jensenshannon
  i_few    int 0..3                           -> categorical (<= 10 distinct ints): chisquare / jensenshannon
  i_many   int 0..999                         -> numerical
  i_nan    int 0..6 with NaN (read as float)  -> numerical
  s_low    strings a..e                       -> categorical
  s_bin    yes/no                             -> categorical, binary: z / jensenshannon
  b_bool   True/False                         -> categorical, binary
"""
import numpy as np
import pandas as pd

KINDS = ["f_norm", "f_nan", "f_bin", "f_five", "i_few", "i_many", "i_nan", "s_low", "s_bin", "b_bool"]


def column(kind, rng, rows, shift):
    """One column; `shift` in [0, 1] moves its distribution (0 = the reference distribution)."""
    if kind == "f_norm":
        return rng.normal(loc=shift * 0.5, scale=1 + shift * 0.3, size=rows)
    if kind == "f_nan":
        values = rng.exponential(scale=2 + shift, size=rows)
        values[rng.random(rows) < 0.1] = np.nan
        return values
    if kind == "f_bin":
        return (rng.random(rows) < 0.3 + shift * 0.2).astype(float)
    if kind == "f_five":
        return rng.choice([0.5, 1.5, 2.5, 3.5, 4.5], size=rows, p=_tilted(5, shift))
    if kind == "i_few":
        return rng.choice(4, size=rows, p=_tilted(4, shift))
    if kind == "i_many":
        return rng.integers(0, 1000 - int(shift * 300), size=rows)
    if kind == "i_nan":
        values = rng.integers(0, 7, size=rows).astype(float)
        values[rng.random(rows) < 0.05 + shift * 0.1] = np.nan
        return values
    if kind == "s_low":
        return rng.choice(list("abcde"), size=rows, p=_tilted(5, shift))
    if kind == "s_bin":
        return np.where(rng.random(rows) < 0.5 + shift * 0.15, "yes", "no")
    if kind == "b_bool":
        return rng.random(rows) < 0.4 + shift * 0.2
    raise ValueError(kind)


def _tilted(count, shift):
    weights = np.linspace(1, 1 + 2 * shift, count)
    return weights / weights.sum()


def mixed_pair(seed, reference_rows, current_rows, shifts, kinds=KINDS, copies=1):
    """(reference, current) DataFrames with `copies` columns of each kind; `shifts[kind]` (default 0) is
    the current side's shift for that kind."""
    rng = np.random.default_rng(seed)
    reference, current = {}, {}
    for copy in range(copies):
        for kind in kinds:
            name = kind if copies == 1 else f"{kind}_{copy}"
            reference[name] = column(kind, rng, reference_rows, 0.0)
            current[name] = column(kind, rng, current_rows, shifts.get(kind, 0.0))
    return pd.DataFrame(reference), pd.DataFrame(current)


def write_pair(directory, reference, current):
    """Writes ref.csv and cur.csv (no index column); returns their paths."""
    ref_path, cur_path = f"{directory}/ref.csv", f"{directory}/cur.csv"
    reference.to_csv(ref_path, index=False)
    current.to_csv(cur_path, index=False)
    return ref_path, cur_path
