"""The controller kernel: event skipping equals ticking every cycle, and the scheduling rules hold."""
import functools

import numpy as np
import pytest

from dramsim import kernel
from dramsim.checker import check, format_report
from dramsim.simulate import simulate
from dramsim.spec import builtin_standards, load_spec
from dramsim.timing import kernel_inputs
from traces import RequestTrace
from traces import commands as tc


def _random_trace(spec, seed, n=600, pool=6, writes=0.3, max_gap=6, timed=True):
    rng = np.random.default_rng(seed)
    org = spec.organization
    bursts = org.capacity_bytes // org.burst_bytes
    base = rng.integers(0, bursts // 32, pool, dtype=np.uint64) * np.uint64(32)
    address = (base[rng.integers(0, pool, n)] + rng.integers(0, 32, n).astype(np.uint64)) * np.uint64(org.burst_bytes)
    arrival = np.cumsum(rng.integers(0, max_gap + 1, n)) if timed else None
    return RequestTrace(address, rng.random(n) < writes, arrival)



def _command_bus(spec):
    """Each command's command bus in ``spec``'s compiled table (the kernel's ``cbus``)."""
    return kernel_inputs(spec)[7]

def test_command_codes_match_traces():
    assert (kernel._ACT, kernel._PRE, kernel._PREA, kernel._RD, kernel._WR, kernel._RDA, kernel._WRA,
            kernel._REF, kernel._REFPB) == (tc.ACT, tc.PRE, tc.PREA, tc.RD, tc.WR, tc.RDA, tc.WRA, tc.REF, tc.REFPB)


@functools.lru_cache(maxsize=None)
def _fast_and_reference(seed):
    rng = np.random.default_rng(seed)
    name = builtin_standards()[seed % len(builtin_standards())]
    spec = load_spec(name, channels=int(rng.integers(1, 3)), ranks=int(rng.integers(1, 3)))
    per_bank = bool(spec.timing.REFIpb) and seed % 2 == 0
    trace = _random_trace(spec, seed, max_gap=int(rng.choice([0, 3, 30])), timed=seed % 3 != 0)
    opts = dict(row_policy={1: "closed", 3: "close-adaptive"}.get(seed % 4, "open"), xor_bank_hash=seed % 2 == 1,
                refresh="per-bank" if per_bank else "all-bank", queue_depth=int(rng.choice([2, 8, 32])),
                scheduler="fcfs-ready" if seed % 5 == 2 else "frfcfs")
    fast = simulate(spec, trace, **opts)
    slow = simulate(spec, trace, reference=True, **opts)
    return spec, opts, fast, slow


@pytest.mark.parametrize("seed", range(8))
def test_skipping_equals_reference(seed):
    """Fast mode (event skipping) and reference mode (every cycle) give identical traces."""
    spec, opts, fast, slow = _fast_and_reference(seed)
    for name in ("cycle", "cmd", "channel", "rank", "bankgroup", "bank", "row", "column"):
        np.testing.assert_array_equal(getattr(fast.commands, name), getattr(slow.commands, name))
    np.testing.assert_array_equal(fast.issue, slow.issue)
    np.testing.assert_array_equal(fast.completion, slow.completion)
    assert fast.cycles == slow.cycles


@pytest.mark.parametrize("seed", range(8))
def test_skipping_trace_passes_checker(seed):
    spec, opts, fast, _ = _fast_and_reference(seed)
    assert builtin_standards()[seed % len(builtin_standards())] == spec.name
    v = check(fast.commands, spec, refresh=opts["refresh"], end_cycle=fast.cycles)
    assert not v, format_report(v)


def test_every_request_served_once_and_completions_follow_issue():
    spec = load_spec("DDR4-2400R", channels=2, ranks=2)
    trace = _random_trace(spec, 11, n=2000)
    res = simulate(spec, trace)
    c = res.commands
    col = np.isin(c.cmd, [tc.RD, tc.WR, tc.RDA, tc.WRA])
    assert col.sum() == len(trace)
    assert np.all(res.issue >= res.arrival)
    t = spec.timing
    bl = spec.burst_cycles
    expect = np.where(trace.is_write, res.issue + t.CWL + bl, res.issue + t.CL + bl)
    np.testing.assert_array_equal(res.completion, expect)
    assert res.cycles == res.completion.max()
    # the column command of each request goes to the request's own bank and row
    assert set(np.unique(c.cmd[col])) <= {tc.RD, tc.WR}
    assert np.array_equal(np.sort(c.cycle[col]), np.sort(res.issue))


def test_fr_fcfs_serves_a_ready_hit_before_an_older_miss():
    """Two requests to an open row and one to another bank: the hits stream back to back."""
    spec = load_spec("DDR3-1600K")
    from dramsim.mapping import AddressMapping

    m = AddressMapping(spec)
    a = m.encode(bank=[0, 0, 1, 0], row=[5, 5, 7, 5], column=[0, 8, 0, 16])
    res = simulate(spec, RequestTrace(a, np.zeros(4, bool)))
    c = res.commands
    names = [tc.COMMANDS[x] for x in c.cmd]
    assert names.count("ACT") == 2 and names.count("RD") == 4
    # row hits: requests 1 and 3 never needed an ACT
    assert list(res.outcome) == [1, 0, 1, 0]


def test_conflict_needs_precharge_and_counts_as_conflict():
    spec = load_spec("DDR3-1600K")
    from dramsim.mapping import AddressMapping

    a = AddressMapping(spec).encode(bank=[3, 3], row=[1, 2])
    res = simulate(spec, RequestTrace(a, np.zeros(2, bool)))
    assert [tc.COMMANDS[x] for x in res.commands.cmd] == ["ACT", "RD", "PRE", "ACT", "RD"]
    t = spec.timing
    cyc = res.commands.cycle
    assert cyc[2] - cyc[0] >= t.RAS and cyc[3] - cyc[2] >= t.RP and cyc[3] - cyc[0] >= t.RC
    assert list(res.outcome) == [1, 2]
    assert res.commands.row[2] == 1  # PRE names the row it closes


def test_closed_row_policy_uses_auto_precharge():
    spec = load_spec("DDR3-1600K")
    a = (np.arange(64, dtype=np.uint64) * np.uint64(64 * 128 * 8 * 3))  # a new row every request
    res = simulate(spec, RequestTrace(a, np.zeros(64, bool)), row_policy="closed", wrap_addresses=True)
    counts = res.commands.counts()
    assert counts["RDA"] == 64 and counts["PRE"] == 0 and counts["RD"] == 0
    assert not check(res.commands, spec)


def test_strict_closed_against_close_adaptive():
    """On a stream, strict closed page auto-precharges every access (no row hits, one ACT per
    request); close-adaptive keeps the row while queued requests want it (almost all hits)."""
    spec = load_spec("DDR3-1600K")
    trace = RequestTrace(np.arange(2000, dtype=np.uint64) * 64, np.zeros(2000, bool))
    strict = simulate(spec, trace, row_policy="closed")
    adaptive = simulate(spec, trace, row_policy="close-adaptive")
    cs, ca = strict.commands.counts(), adaptive.commands.counts()
    assert cs["RD"] == 0 and cs["RDA"] == 2000 and cs["ACT"] >= 1990
    assert adaptive.stats["row_hits"] > 1900 and ca["ACT"] < 100
    assert not check(strict.commands, spec) and not check(adaptive.commands, spec)


def test_write_drain_watermarks():
    """Writes wait in their queue until the high watermark (or no read is queued)."""
    spec = load_spec("DDR3-1600K")
    n = 200
    rng = np.random.default_rng(3)
    is_write = rng.random(n) < 0.5
    a = np.arange(n, dtype=np.uint64) * np.uint64(64)
    res = simulate(spec, RequestTrace(a, is_write), queue_depth=16, write_high=12, write_low=4)
    c = res.commands
    col = np.isin(c.cmd, [tc.RD, tc.WR])
    kinds = c.cmd[col]
    # writes are issued in bursts, not one by one between reads
    switches = np.count_nonzero(np.diff(kinds.astype(int)) != 0)
    assert switches < n / 4
    assert not check(c, spec)


def test_refresh_every_refi():
    spec = load_spec("DDR3-1600K")
    res = simulate(spec, RequestTrace(np.zeros(1, np.uint64), np.zeros(1, bool), np.array([100_000])))
    ref = res.commands.cycle[res.commands.cmd == tc.REF]
    assert len(ref) == 100_000 // spec.timing.REFI
    assert np.all(np.diff(ref) <= 9 * spec.timing.REFI)
    assert ref[0] == spec.timing.REFI - 1     # due in the REFI-th cycle (cycles count from 0), all banks closed


def test_per_bank_refresh_round_robin():
    spec = load_spec("LPDDR4-3200")
    res = simulate(spec, RequestTrace(np.zeros(1, np.uint64), np.zeros(1, bool), np.array([20_000])),
                   refresh="per-bank")
    c = res.commands
    sel = c.cmd == tc.REFPB
    assert sel.sum() == 20_000 // spec.timing.REFIpb
    assert list(c.bank[sel][:8]) == list(range(8))
    assert res.stats["commands"]["REFpb"] == sel.sum()
    assert not check(c, spec, refresh="per-bank")


def test_command_buffer_overflow_rerun(monkeypatch):
    """The kernel reports a full command buffer and simulate reruns it with more room."""
    spec = load_spec("DDR3-1600K")
    trace = _random_trace(spec, 5, n=300)
    full = simulate(spec, trace)
    args_seen = []
    real = kernel.run

    def small(*args):
        args = list(args)
        if not args_seen:
            args[-1] = 10
        args_seen.append(args[-1])
        return real(*args)

    monkeypatch.setattr(kernel, "run", small)
    again = simulate(spec, trace)
    assert args_seen[0] == 10 and len(args_seen) >= 2
    np.testing.assert_array_equal(full.commands.cycle, again.commands.cycle)


def test_bad_options():
    from dramsim.errors import InputError

    spec = load_spec("DDR3-1600K")
    trace = RequestTrace(np.zeros(2, np.uint64), np.zeros(2, bool))
    for kw in (dict(row_policy="lazy"), dict(refresh="per-bank"), dict(queue_depth=0),
               dict(arrival="trace"), dict(write_high=4, write_low=8)):
        with pytest.raises(InputError):
            simulate(spec, trace, **kw)
    with pytest.raises(InputError, match="beyond the capacity"):
        simulate(spec, RequestTrace(np.array([spec.organization.capacity_bytes], np.uint64), np.zeros(1, bool)))
    res = simulate(spec, RequestTrace(np.array([spec.organization.capacity_bytes + 64], np.uint64), np.zeros(1, bool)),
                   wrap_addresses=True)
    assert res.commands.column[res.commands.cmd == tc.RD][0] == 8


@pytest.mark.parametrize("seed", range(5))
def test_percentiles_match_numpy(seed):
    from dramsim.simulate import _percentiles_of_counts

    rng = np.random.default_rng(seed)
    v = rng.integers(-5, 3000, int(rng.integers(1, 5000)))
    cum = np.cumsum(np.bincount(v - v.min()))
    for q in (0, 1, 50, 99, 99.9, 100):
        assert _percentiles_of_counts(cum, int(v.min()), len(v), [q])[0] == pytest.approx(np.percentile(v, q), abs=1e-9)


@pytest.mark.parametrize("spread", [3000, 70_000, 1 << 25])
def test_tally_matches_numpy(spread):
    """The one-pass statistics (commands per code, outcomes, latency sum / min / max / histogram) equal
    NumPy's, for latencies within the first histogram, beyond it (second pass) and too wide for one."""
    from dramsim.simulate import _percentiles_of_counts, _tally

    rng = np.random.default_rng(spread)
    n = 4000
    arrival = np.sort(rng.integers(0, 10_000, n)).astype(np.int64)
    completion = arrival + rng.integers(spread // 3, spread, n)
    outcome = rng.integers(0, 3, n).astype(np.int8)
    cmd = rng.integers(0, len(tc.COMMANDS), 3 * n).astype(np.uint8)
    per_code, outcomes, total, lo, hi, hist = _tally(cmd, len(tc.COMMANDS), outcome, arrival, completion)
    lat = completion - arrival
    assert per_code.tolist() == np.bincount(cmd, minlength=len(tc.COMMANDS)).tolist()
    assert outcomes.tolist() == np.bincount(outcome, minlength=3).tolist()
    assert (total, lo, hi) == (lat.sum(), lat.min(), lat.max())
    if spread > 1 << 24:
        assert len(hist) == 0
    else:
        assert hist.tolist() == np.bincount(lat - lo).tolist()
        for q in (0, 50, 99, 100):
            assert _percentiles_of_counts(np.cumsum(hist), lo, n, [q])[0] == pytest.approx(np.percentile(lat, q))


COLUMN_CMDS = (tc.RD, tc.WR, tc.RDA, tc.WRA)


@pytest.mark.parametrize("seed", range(6))
def test_frfcfs_prefers_ready_row_hits(seed):
    """FR-FCFS and fcfs-ready agree until a ready row hit waits behind an older ready ACT/PRE; there
    FR-FCFS issues the column command (no later than fcfs-ready issues anything). Both pass the checker."""
    spec = load_spec(("DDR3-1600K", "DDR4-2400R")[seed % 2], ranks=1 + seed % 2)
    trace = _random_trace(spec, 100 + seed, n=800, pool=8, max_gap=0, timed=False)
    opts = dict(row_policy="closed" if seed % 3 == 2 else "open", queue_depth=16)
    fr = simulate(spec, trace, scheduler="frfcfs", **opts)
    fc = simulate(spec, trace, scheduler="fcfs-ready", **opts)
    for res in (fr, fc):
        assert check(res.commands, spec) == [], format_report(check(res.commands, spec))
    n = min(len(fr.commands), len(fc.commands))
    same = np.ones(n, bool)
    for name in ("cycle", "cmd", "channel", "rank", "bankgroup", "bank", "row", "column"):
        same &= getattr(fr.commands, name)[:n] == getattr(fc.commands, name)[:n]
    if same.all():
        assert len(fr.commands) == len(fc.commands)
        pytest.skip("no ready row hit behind an older ready command in this trace")
    i = int(np.flatnonzero(~same)[0])
    assert fr.commands.cmd[i] in COLUMN_CMDS
    assert fc.commands.cmd[i] in (tc.ACT, tc.PRE) or fc.commands.cycle[i] > fr.commands.cycle[i]
    assert fr.commands.cycle[i] <= fc.commands.cycle[i]
    assert fr.stats["requests"] == fc.stats["requests"]


def test_frfcfs_diverges_somewhere():
    """The two rules are not the same rule: on a hit-rich trace they issue different commands."""
    spec = load_spec("DDR3-1600K")
    trace = _random_trace(spec, 7, n=2000, pool=3, max_gap=0, timed=False)
    fr = simulate(spec, trace, scheduler="frfcfs")
    fc = simulate(spec, trace, scheduler="fcfs-ready")
    n = min(len(fr.commands), len(fc.commands))
    same = (fr.commands.cmd[:n] == fc.commands.cmd[:n]) & (fr.commands.cycle[:n] == fc.commands.cycle[:n])
    assert not same.all()
    # where they part, FR-FCFS takes a row hit (hit-first is greedy: over the whole run it need not
    # collect more hits, since the bank states differ from there on)
    i = int(np.flatnonzero(~same)[0])
    assert fr.commands.cmd[i] in COLUMN_CMDS and fr.commands.cycle[i] <= fc.commands.cycle[i]


def test_held_precharge_does_not_stall_younger_requests():
    """A PRE that would close a row an activated request still needs is no candidate: the scheduler
    takes the next oldest ready command (Ramulator 2's rule). Two ranks, all requests at cycle 0:
    r0..r7 open a row in banks 0-3 of each rank; rank 1's reads wait behind rank 0's (oldest ready
    first, 6-cycle rank switch), so r1's read is still pending when r8's PRE (another row of r1's
    bank) is past tRAS. r10's ACT (rank 1, its sixth) waits for tFAW only: it issues then, before
    r1's read, instead of idling until the read frees the bank."""
    from dramsim.mapping import AddressMapping

    spec = load_spec("DDR3-1600K", ranks=2)
    rank = [0, 1, 0, 1, 0, 1, 0, 1, 1, 1, 1]
    bank = [0, 0, 1, 1, 2, 2, 3, 3, 0, 4, 5]
    row = [1] * 8 + [2, 1, 1]
    address = AddressMapping(spec).encode(rank=rank, bank=bank, row=row)
    res = simulate(spec, RequestTrace(address, np.zeros(11, bool), np.zeros(11, np.int64)))
    c = res.commands
    assert check(c, spec) == [], format_report(check(c, spec))

    def first(cmd, rk, bk, rw):
        return int(c.cycle[(c.cmd == cmd) & (c.rank == rk) & (c.bank == bk) & (c.row == rw)][0])

    r1_read = first(tc.RD, 1, 0, 1)
    assert first(tc.PRE, 1, 0, 1) > r1_read > first(tc.ACT, 1, 0, 1) + spec.timing.RAS   # r8's PRE was held
    acts_rank1 = np.sort(c.cycle[(c.cmd == tc.ACT) & (c.rank == 1)])
    assert first(tc.ACT, 1, 5, 1) == acts_rank1[1] + spec.timing.FAW < r1_read


@pytest.mark.parametrize("name", ["DDR4-2400R", "HBM2-2000"])
def test_request_for_a_bank_with_nothing_queued_waits_for_its_timing(name):
    """The kernel keeps per-bank ready cycles only for banks with a queued request: a request that
    arrives, in any cycle of a busy stream to one bank, for a bank with nothing queued still waits
    for every rule (same and other bank group; the checker finds no violation)."""
    from dramsim.mapping import AddressMapping

    spec = load_spec(name)
    m = AddressMapping(spec)
    bl = spec.organization.burst_length
    stream = m.encode(bankgroup=0, bank=0, row=np.repeat([0, 1], 12), column=np.tile(np.arange(12) * bl, 2))
    late = m.encode(bankgroup=[0, 1], bank=[1, 0], row=[3, 4])
    address = np.concatenate([stream, late])
    for t in range(60):
        arrival = np.concatenate([np.zeros(len(stream), np.int64), [t, t + 1]])
        res = simulate(spec, RequestTrace(address, np.zeros(len(address), bool), arrival))
        v = check(res.commands, spec, end_cycle=res.cycles)
        assert not v, f"arrival {t}: " + format_report(v)
        assert (res.issue[-2:] >= arrival[-2:]).all()


@pytest.mark.parametrize("name", ["DDR3-1600K", "HBM2-2000"])
def test_a_new_row_hit_is_seen_before_the_bank_s_waiting_precharge(name):
    """Step (c) looks only at each bank's two candidates (oldest row hit, oldest other request)
    and does not repeat a scan that found nothing ready until its earliest ready cycle: a row hit
    arriving while the bank's only queued request waits for its PRE (tRAS) must void that scan.
    The hit then reads at once (fcfs-ready: the oldest ready command) and stays a hit; with a
    stale scan it would wait for the PRE's cycle, lose to the older PRE and become a conflict."""
    from dramsim.mapping import AddressMapping

    spec = load_spec(name)
    m = AddressMapping(spec)
    address = m.encode(bankgroup=0, bank=0, row=[5, 9, 5], column=[0, 0, spec.organization.burst_length])
    arrival = np.array([0, 1, spec.timing.RCD + 4], np.int64)   # after the pass that follows the first RD
    res = simulate(spec, RequestTrace(address, np.zeros(3, bool), arrival))
    cmds = res.commands
    act = cmds.cycle[cmds.cmd == tc.ACT][0]
    pre = cmds.cycle[cmds.cmd == tc.PRE][0]
    assert res.outcome.tolist() == [1, 2, 0]            # miss, conflict, hit
    assert act < res.issue[2] < pre                      # read before the PRE that closes its row
    assert not check(cmds, spec, end_cycle=res.cycles)


@pytest.mark.parametrize("name", ["HBM2-2000", "HBM3-6400"])
@pytest.mark.parametrize("scheduler", ["fcfs-ready", "frfcfs"])
def test_class_lists_give_the_pass_over_the_banks_command_trace(name, scheduler, monkeypatch):
    """Where a turn sees one kind of candidate (HBM), step (c) keeps them in age order and stops at the
    first ready one; the pass over every bank with something queued must pick the same commands."""
    spec = load_spec(name, ranks=2)
    assert kernel.class_lists(_command_bus(spec), 1, 2, 16) is not None
    traces = [_random_trace(spec, seed, n=800, pool=pool, max_gap=gap) for seed, pool, gap in
              ((1, 6, 2), (2, 40, 0), (3, 12, 4))]
    by_class = [simulate(spec, t, scheduler=scheduler, refresh="per-bank" if name == "HBM2-2000" else "all-bank")
                for t in traces]
    monkeypatch.setattr(kernel, "class_lists", lambda *a: None)
    for t, res in zip(traces, by_class):
        other = simulate(spec, t, scheduler=scheduler, refresh="per-bank" if name == "HBM2-2000" else "all-bank")
        for field in ("cycle", "cmd", "rank", "bankgroup", "bank", "row", "column"):
            np.testing.assert_array_equal(getattr(res.commands, field), getattr(other.commands, field))
        np.testing.assert_array_equal(res.completion, other.completion)


def test_no_class_lists_where_one_bus_carries_column_and_row_commands():
    for name in ("DDR3-1600K", "DDR5-4800", "LPDDR5-6400", "GDDR6-14000"):
        assert kernel.class_lists(_command_bus(load_spec(name)), 1, 1, 16) is None
