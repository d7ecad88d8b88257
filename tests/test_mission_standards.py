"""benchmarks/mission_standards.py: the headline row divides the paper's setting by the reference point."""

import pandas as pd
import pytest

from bench_import import load_benchmark


@pytest.fixture(scope="module")
def ms():
    return load_benchmark("mission_standards")


def _row(bits, policy, vdd, busy, paced, time_ns, acc=0.8):
    return {"bits": bits, "policy": policy, "vdd_v": vdd, "energy_busy_pj_per_inference": busy,
            "energy_paced_pj_per_inference": paced, "energy_paced_standby_pj_per_inference": 2 * paced,
            "dram_time_ns_per_inference": time_ns, "paced_low_power": "standby only", "accuracy": acc,
            "accuracy_ci_low": acc - 0.02, "accuracy_ci_high": acc + 0.02, "delta_pp": -0.1,
            "delta_ci_low_pp": -0.5, "delta_ci_high_pp": 0.0, "verdict": "no loss"}


def test_setting_against_reference(ms):
    df = pd.DataFrame([_row(32, "linear", 1.2, 1000.0, 4000.0, 300.0), _row(32, "drmap", 1.2, 900.0, 3900.0, 250.0),
                       _row(8, "drmap", 1.2, 300.0, 3000.0, 100.0), _row(8, "drmap", 0.9, 150.0, 2000.0, 100.0),
                       _row(8, "linear", 0.9, 160.0, 2100.0, 110.0)])
    r = ms.summarize("X", 100, df, {"notes": ["a note"]})
    assert r["busy_saving_pct"] == pytest.approx(85.0)
    assert r["paced_saving_pct"] == pytest.approx(50.0) and r["paced_standby_saving_pct"] == pytest.approx(50.0)
    assert r["speedup"] == pytest.approx(3.0) and r["vdd_low_v"] == 0.9 and r["notes"] == "a note"


def test_zero_reference_energy_gives_no_saving(ms):
    df = pd.DataFrame([_row(32, "linear", 1.2, 0.0, 0.0, 300.0), _row(8, "drmap", 0.9, 0.0, 0.0, 100.0)])
    r = ms.summarize("X", 100, df, {})
    assert r["busy_saving_pct"] != r["busy_saving_pct"]       # NaN: no currents, no saving to claim
