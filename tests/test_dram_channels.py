"""Independent channel front ends: same results on 1 and 2 threads, equal to the shared front end
where it must be, every command trace legal, and the shared default unchanged."""
import functools

import numpy as np
import pytest

from dramsim.checker import check
from dramsim.cli import main
from dramsim.errors import InputError
from dramsim.simulate import simulate
from dramsim.spec import load_spec
from traces import RequestTrace

FIELDS = ("cycle", "cmd", "channel", "rank", "bankgroup", "bank", "row", "column")


def _trace(spec, seed, n=3000, max_gap=None):
    rng = np.random.default_rng(seed)
    org = spec.organization
    bursts = org.capacity_bytes // org.burst_bytes
    address = rng.integers(0, bursts, n, dtype=np.uint64) * np.uint64(org.burst_bytes)
    arrival = None if max_gap is None else np.cumsum(rng.integers(0, max_gap + 1, n))
    return RequestTrace(address, rng.random(n) < 0.3, arrival)


def _commands(res):
    return {f: getattr(res.commands, f) for f in FIELDS}


@functools.lru_cache(maxsize=None)
def _runs(standard, seed, arrival):
    spec = load_spec(standard, channels=4, ranks=2 if seed % 2 else 1)
    trace = _trace(spec, seed, max_gap=None if arrival == "saturate" else 40)
    opts = dict(arrival=arrival, mapping="RoBaRaCoCh")
    return spec, trace, {mode_threads: simulate(spec, trace, channel_frontend=mode_threads[0],
                                                threads=mode_threads[1], **opts)
                         for mode_threads in (("shared", 1), ("independent", 1), ("independent", 2))}


@pytest.mark.parametrize("standard,seed,arrival", [("DDR4-2400R", 1, "saturate"), ("DDR3-1600K", 2, "saturate"),
                                                    ("DDR4-2400R", 3, "trace")])
def test_thread_counts_bit_identical(standard, seed, arrival):
    _, _, runs = _runs(standard, seed, arrival)
    one, two = runs["independent", 1], runs["independent", 2]
    for f in FIELDS:
        np.testing.assert_array_equal(_commands(one)[f], _commands(two)[f])
    for f in ("arrival", "issue", "completion", "outcome"):
        np.testing.assert_array_equal(getattr(one, f), getattr(two, f))
    assert one.cycles == two.cycles and one.stats == two.stats


@pytest.mark.parametrize("standard,seed,arrival", [("DDR4-2400R", 1, "saturate"), ("DDR3-1600K", 2, "saturate"),
                                                    ("DDR4-2400R", 3, "trace")])
def test_every_command_trace_is_legal(standard, seed, arrival):
    spec, trace, runs = _runs(standard, seed, arrival)
    for res in runs.values():
        assert not check(res.commands, spec, end_cycle=res.cycles)
        assert len(res.commands) >= len(trace)
        assert np.all(np.diff(res.commands.cycle) >= 0)
        same = res.commands.cycle[1:] == res.commands.cycle[:-1]
        assert np.all(np.diff(res.commands.channel.astype(int))[same] > 0)  # within a cycle, by channel


def test_independent_differs_under_saturation():
    """Under saturation a full queue on one channel holds back the others only in shared mode."""
    _, _, runs = _runs("DDR4-2400R", 1, "saturate")
    shared, indep = runs["shared", 1], runs["independent", 1]
    assert indep.cycles < shared.cycles
    assert indep.stats["requests"] == shared.stats["requests"]
    assert np.all(indep.issue >= indep.arrival) and np.all(indep.issue >= 0)


def test_equals_shared_with_trace_arrival_and_queues_that_never_fill():
    """Trace arrival and queues deeper than the trace: the per-request results are those of shared
    mode, and so are the commands up to each channel's last column command."""
    spec = load_spec("DDR4-2400R", channels=4, ranks=2)
    trace = _trace(spec, 5, n=600, max_gap=200)
    opts = dict(arrival="trace", queue_depth=600)
    shared = simulate(spec, trace, channel_frontend="shared", **opts)
    indep = simulate(spec, trace, channel_frontend="independent", threads=2, **opts)
    for f in ("arrival", "issue", "completion", "outcome"):
        np.testing.assert_array_equal(getattr(shared, f), getattr(indep, f))
    assert shared.cycles == indep.cycles
    channel = shared.commands.channel.astype(int)
    col = np.isin(shared.commands.cmd, [3, 4, 5, 6])
    last = np.array([shared.commands.cycle[col & (channel == c)].max() for c in range(4)])
    keep = shared.commands.cycle <= last[channel]
    for f in FIELDS:
        np.testing.assert_array_equal(_commands(shared)[f][keep], _commands(indep)[f])
    # what shared mode issues beyond that is refresh of channels already done
    assert set(np.unique(shared.commands.cmd[~keep])) <= {1, 2, 7}
    assert np.count_nonzero(shared.commands.cmd == 7) > 0


def test_one_channel_is_shared_mode():
    spec = load_spec("DDR3-1600K")
    trace = _trace(spec, 7, n=500)
    a = simulate(spec, trace)
    b = simulate(spec, trace, channel_frontend="independent", threads=2)
    np.testing.assert_array_equal(a.commands.cycle, b.commands.cycle)
    assert a.stats == b.stats


@pytest.mark.parametrize("kw", [dict(channel_frontend="split"), dict(threads=0), dict(threads=1.5)])
def test_bad_options(kw):
    spec = load_spec("DDR3-1600K", channels=2)
    with pytest.raises(InputError):
        simulate(spec, _trace(spec, 1, n=10), **kw)


def test_cli(tmp_path, capsys):
    path = tmp_path / "t.trace"
    spec = load_spec("DDR3-1600K", channels=2)
    tr = _trace(spec, 9, n=400)
    path.write_text("".join(f"0x{a:x} {'W' if w else 'R'}\n" for a, w in zip(tr.address, tr.is_write)))
    out = {}
    for mode, threads in (("independent", "1"), ("independent", "2")):
        js = tmp_path / f"{mode}{threads}.json"
        assert main(["replay", str(path), "--standard", "DDR3-1600K", "--channels", "2",
                     "--channel-frontend", mode, "--threads", threads, "--json", str(js)]) == 0
        out[threads] = js.read_text()
    import json
    a, b = (json.loads(out[k]) for k in ("1", "2"))
    a.pop("wall_s", None), b.pop("wall_s", None)
    assert a == b and a["requests"] == 400
    with pytest.raises(SystemExit) as exc:
        main(["replay", str(path), "--standard", "DDR3-1600K", "--channel-frontend", "split"])
    assert exc.value.code == 2
