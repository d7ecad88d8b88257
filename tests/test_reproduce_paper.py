"""The claim table's verdicts follow from the figures (benchmarks/reproduce_paper.py, on synthetic results)."""
import importlib
import sys
from pathlib import Path

import pandas as pd
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def rp():
    sys.path.insert(0, str(BENCH))
    try:
        yield importlib.import_module("reproduce_paper")
    finally:
        sys.path.remove(str(BENCH))


def _fat(loc_lo, loc_hi):
    rows = [{"variant": v, "units": 25, "digits": 1000, "accuracy_pct": 80.0, "vs_control_pp": d, "ci_low_pp": lo, "ci_high_pp": hi,
             "error_free_vs_control_pp": -2.0, "error_free_ci_low_pp": -3.0, "error_free_ci_high_pp": -1.0}
            for v, d, lo, hi in (("as trained", -3.0, -4.0, -2.0), ("control", 0.0, 0.0, 0.0),
                                 ("FAT location-aware", (loc_lo + loc_hi) / 2, loc_lo, loc_hi),
                                 ("FAT uniform", -3.0, -4.0, -2.0))]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("lo, hi, verdict", [(0.2, 1.5, "holds"), (-0.5, 1.5, "not shown"), (-2.0, -0.1, "does not hold")])
def test_fat_verdict_is_the_paired_interval_against_the_control(rp, lo, hi, verdict):
    assert rp.claim_fat(_fat(lo, hi), 8, 0.1)["verdict"] == verdict


def test_fat_row_names_its_size_and_the_uniform_comparison_when_measured(rp):
    fat = _fat(0.2, 1.5)
    assert "vs uniform" not in rp.claim_fat(fat, 8, 0.1)["ours"]
    fat = fat.assign(vs_uniform_pp=[0.0, 0.0, 2.4, 0.0], vs_uniform_ci_low_pp=[0.0, 0.0, 1.0, 0.0],
                     vs_uniform_ci_high_pp=[0.0, 0.0, 3.7, 0.0])
    row = rp.claim_fat(fat, 8, 0.1, 1, 1000, neurons=400)
    assert "location-aware vs uniform FAT +2.40 pp [+1.00, +3.70]" in row["ours"]
    assert "N=400" in row["claim"] and "N=400, 5 training passes" in row["configuration"]


def test_fat_row_names_a_non_default_error_model_and_vendor(rp):
    fat = _fat(0.2, 1.5)
    assert "vendor" not in rp.claim_fat(fat, 8, 0.1)["claim"]
    row = rp.claim_fat(fat, 4, 0.1, 1, 1000, error_model=3, vendor="C")
    assert "EDEN model 3, vendor C" in row["claim"]
    assert "EDEN model 3, vendor C" in row["configuration"]


@pytest.mark.parametrize("high, verdict", [(0.8, "holds trivially"), (1.3, "not shown")])
def test_accuracy_verdict_needs_the_whole_interval_below_the_margin(rp, high, verdict):
    regime = pd.DataFrame([{"bits": b, "ber": ber, "loss_pp": 0.1, "loss_ci_low_pp": -0.1,
                            "loss_ci_high_pp": high if ber == 1e-3 else 0.3}
                           for b in (8, 32) for ber in (1e-4, 1e-3, 1e-2)])
    assert {r["verdict"] for r in rp.claim_accuracy(regime, 5, 1000)} == {verdict}


def _mapping(best_saving, best_speedup):
    rows = []
    for n, k in ((100, 0.9), (3600, 1.0)):
        rows.append({"N": n, "reference": "linear", "factor": "8 bits + drmap + low V",
                     "busy_saving_pct": best_saving * k, "busy_saving_range": "[0, 0]",
                     "paced1e+06lp_saving_pct": 30.0, "speedup": best_speedup * k})
        rows.append({"N": n, "reference": "bank-serial", "factor": "8 bits + drmap + low V",
                     "busy_saving_pct": 90.0, "busy_saving_range": "[0, 0]", "paced1e+06lp_saving_pct": 40.0,
                     "speedup": 5.0})
    return pd.DataFrame(rows)


def test_energy_and_throughput_verdicts(rp):
    energy, speed = rp.claim_energy(_mapping(84.7, 3.96))
    assert energy["verdict"].startswith("holds (busy, N=3600)")
    assert speed["verdict"].startswith("does not hold against linear")
    energy, speed = rp.claim_energy(_mapping(70.0, 4.2))
    assert energy["verdict"].startswith("does not hold")
    assert speed["verdict"] == "holds"
