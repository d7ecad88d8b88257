"""Run a request trace through the controller: the Python facade over :mod:`dramsim.kernel`.

>>> from dramsim.spec import load_spec
>>> from traces import RequestTrace
>>> res = simulate(load_spec("DDR3-1600K"), RequestTrace(np.arange(1000, dtype=np.uint64) * 64,
...                                                     np.zeros(1000, bool)))
>>> res.stats["row_hits"] > 900
True
"""
from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from dramsim import kernel
from dramsim.errors import InputError
from dramsim.mapping import AddressMapping
from dramsim.policies import ROW_POLICIES  # open, closed, close-adaptive (see there)
from dramsim.spec import Spec
from dramsim.timing import kernel_inputs
from traces.commands import COMMANDS, LOW_POWER, CommandTrace
from traces.requests import RequestTrace

REFRESH_MODES = ("all-bank", "per-bank", "none", "same-bank")
ARRIVALS = ("auto", "trace", "saturate")
#: ``fcfs-ready``: the oldest ready command first (Ramulator 2's generic controller; the default,
#: see :mod:`dramsim.kernel` for why); ``frfcfs``: ready row hits first, then the oldest.
SCHEDULERS = ("fcfs-ready", "frfcfs")
#: Command names counted in ``stats["commands"]`` (plus ``REFpb`` under per-bank refresh, ``REFsb``
#: under same-bank refresh).
COUNTED = ("ACT", "PRE", "PREA", "RD", "WR", "RDA", "WRA", "REF")
#: Low-power commands, counted too when the low-power policy is on.
LOW_POWER_NAMES = tuple(COMMANDS[code] for code in LOW_POWER)
POWERDOWN_EXITS = ("fast", "slow")
#: ``shared``: one trace-order admission front end for all channels (Ramulator 2's); ``independent``:
#: each channel its own controller and front end, simulated in parallel (see :func:`simulate`).
CHANNEL_FRONTENDS = ("shared", "independent")


def _idle_cycles(value, name: str) -> int:
    """A policy's idle threshold as the kernel takes it (-1: off)."""
    if value is None:
        return -1
    if isinstance(value, bool) or not float(value).is_integer() or int(value) < 0:
        raise InputError(f"{name} {value!r}: expected a non-negative number of idle cycles")
    return int(value)


@dataclass
class SimResult:
    """Outcome of one simulation.

    Attributes
    ----------
    commands : CommandTrace
        Every command issued, in order.
    arrival, issue, completion : ndarray of int64
        Per request, in trace order, in memory cycles: when it was offered to the controller
        (the trace's arrival, or under saturation the cycle after the previous request was
        accepted), when its column command (RD/WR/RDA/WRA) issued, and when its data burst
        ended (read: issue + CL + BL/2; write: issue + CWL + BL/2).
    outcome : ndarray of int8
        Row-buffer outcome per request: 0 hit (served without ACT), 1 miss (bank closed),
        2 conflict (another row open; PRE needed). Judged, as Ramulator does, by the first
        command issued on the request's behalf.
    cycles : int
        Cycle at which the last request completed.
    stats : dict
        The ``--json`` keys (see :func:`statistics`).
    spec : Spec
    """

    commands: CommandTrace
    arrival: np.ndarray
    issue: np.ndarray
    completion: np.ndarray
    outcome: np.ndarray
    cycles: int
    stats: dict
    spec: Spec
    options: dict = field(default_factory=dict)


def simulate(spec: Spec, requests: RequestTrace, *, mapping: str = "RoBaRaCoCh", xor_bank_hash: bool = False,
             row_policy: str = "open", queue_depth: int = 32, write_high: int | None = None,
             write_low: int | None = None, refresh: str = "all-bank", arrival: str = "auto",
             wrap_addresses: bool = False, reference: bool = False, scheduler: str = "fcfs-ready",
             powerdown_after: int | None = None, selfrefresh_after: int | None = None,
             powerdown_exit: str = "fast", channel_frontend: str = "shared",
             threads: int | None = None) -> SimResult:
    """Simulate ``requests`` on ``spec`` (its channels and ranks) and return a :class:`SimResult`.

    Parameters
    ----------
    mapping, xor_bank_hash : address mapping (see :class:`dramsim.mapping.AddressMapping`).
    row_policy : ``"open"`` keeps rows open; ``"closed"`` is strict closed page: every column
        command is RDA/WRA (as DRAMsim3's close_page); ``"close-adaptive"`` uses RDA/WRA when no
        other queued or activated request targets the same row (and the table allows the
        auto-precharge then; else RD/WR).
    queue_depth : entries of each of the read and write queues, per channel.
    write_high, write_low : write-drain watermarks in entries: the write queue is drained once it
        holds ``write_high`` writes (or no read waits) until it holds at most ``write_low`` (and a
        read waits). Defaults as Ramulator 2: more than 80% / less than 20% of ``queue_depth``
        (26 and 6 for 32 entries).
    refresh : ``"all-bank"`` (REF every REFI per rank), ``"per-bank"`` (REFpb every REFIpb,
        round robin over banks; needs RFCpb/REFIpb in the spec), ``"same-bank"`` (REFsb to bank k
        of every bank group every REFIsb, k round robin; needs RFCsb/REFIsb and a table with REFsb:
        DDR5) or ``"none"``.
    arrival : ``"trace"`` uses the trace's arrival cycles; ``"saturate"`` offers one request per
        cycle in trace order, retrying while the queue is full (how the peers were driven);
        ``"auto"`` is ``trace`` when the trace has arrival cycles, else ``saturate``.
    wrap_addresses : drop address bits beyond the capacity instead of raising.
    reference : tick every cycle (slow reference mode) instead of skipping idle cycles.
    scheduler : ``"fcfs-ready"`` (default): the oldest ready command of the queue, whatever its
        kind (Ramulator 2's rule); ``"frfcfs"``: the oldest ready row hit (column command) first,
        then the oldest ready command (slower on row-miss-heavy traces; see :mod:`dramsim.kernel`).
    powerdown_after, selfrefresh_after : the low-power policy, per rank (off by default): enter
        power-down after this many idle cycles (no request of the rank queued, none of its
        requests' commands for that long, no refresh owed), self-refresh after that many; leave
        on demand, paying tXP/tXPDLL/tXS/tXSDLL; while powered down the rank is refreshed
        (exit, REF, re-enter), in self-refresh it refreshes itself (see :mod:`dramsim.kernel`).
        Needs the spec's CKE, XP and XS (and CKESR for self-refresh).
    powerdown_exit : ``"fast"`` (DLL on: PDN_F_*, the default) or ``"slow"`` (DLL off: PDN_S_*).
    channel_frontend : ``"shared"`` (default): one front end admits requests to every channel in
        trace order, so a request whose channel queue is full holds back the requests behind it
        for the other channels too (Ramulator 2's single front end; the 2-channel validation
        depends on it). ``"independent"``: each channel is its own controller with its own front
        end: the requests are split by channel (trace order kept), each channel's requests are
        admitted in trace order among themselves (``saturate``: one per cycle of that channel,
        ``arrival`` the cycle after that channel last accepted one), and a full queue on one
        channel never delays another. Each channel is one kernel call; the results are merged as
        one call lays them out (per-request arrays in trace order, commands sorted by cycle then
        channel, ``cycles`` the max over channels). With ``trace`` arrival and queues that never
        fill, the per-request results equal ``shared`` mode, and so do the commands up to each
        channel's last column command: a shared run keeps refreshing (and powering down) a
        channel until every channel is done, an independent channel stops after its last request.
    threads : channels simulated at once in ``independent`` mode (default: the cores this process
        may use; 1: one after another). Any thread count gives bit-identical results.

    Raises
    ------
    InputError
        Bad option or an address beyond the capacity.
    """
    if row_policy not in ROW_POLICIES:
        raise InputError(f"row policy {row_policy!r}; expected one of {', '.join(ROW_POLICIES)}")
    if refresh not in REFRESH_MODES:
        raise InputError(f"refresh {refresh!r}; expected one of {', '.join(REFRESH_MODES)}")
    if arrival not in ARRIVALS:
        raise InputError(f"arrival {arrival!r}; expected one of {', '.join(ARRIVALS)}")
    if refresh == "per-bank" and not spec.timing.REFIpb:
        raise InputError(f"{spec.name}: per-bank refresh needs timing.RFCpb and timing.REFIpb in the spec")
    if refresh == "same-bank":
        _check_same_bank(spec)
    if scheduler not in SCHEDULERS:
        raise InputError(f"scheduler {scheduler!r}; expected one of {', '.join(SCHEDULERS)}")
    pd_after, sr_after = (_idle_cycles(v, name) for v, name in
                          ((powerdown_after, "powerdown_after"), (selfrefresh_after, "selfrefresh_after")))
    if powerdown_exit not in POWERDOWN_EXITS:
        raise InputError(f"powerdown exit {powerdown_exit!r}; expected one of {', '.join(POWERDOWN_EXITS)}")
    t = spec.timing
    if pd_after >= 0 and not (t.CKE and t.XP):
        raise InputError(f"{spec.name}: the power-down policy needs timing.CKE and timing.XP in the spec")
    if sr_after >= 0 and not (t.CKESR and t.XS):
        raise InputError(f"{spec.name}: the self-refresh policy needs timing.CKESR and timing.XS in the spec")
    if channel_frontend not in CHANNEL_FRONTENDS:
        raise InputError(f"channel frontend {channel_frontend!r}; expected one of {', '.join(CHANNEL_FRONTENDS)}")
    if threads is None:
        threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if isinstance(threads, bool) or int(threads) != threads or int(threads) < 1:
        raise InputError(f"threads {threads!r}; expected a positive integer")
    if int(queue_depth) < 1:
        raise InputError(f"queue depth {queue_depth}; expected a positive integer")
    queue_depth = int(queue_depth)
    # defaults as Ramulator 2: drain when more than 80% of the queue holds writes, stop below 20%
    write_high = min(queue_depth, math.floor(0.8 * queue_depth) + 1) if write_high is None else int(write_high)
    write_low = max(0, math.ceil(0.2 * queue_depth) - 1) if write_low is None else int(write_low)
    if not 0 <= write_low < write_high <= queue_depth:
        raise InputError(f"write watermarks low={write_low} high={write_high}; expected 0 <= low < high <= queue depth")
    if arrival == "auto":
        arrival = "saturate" if requests.arrival is None else "trace"
    if arrival == "trace":
        if requests.arrival is None:
            raise InputError("--arrival trace: the trace has no arrival cycles; expected --arrival saturate")
        arr = requests.arrival
        if len(arr) and (arr[0] < 0 or np.any(np.diff(arr) < 0)):
            raise InputError("trace arrival cycles must be non-negative and non-decreasing")
    else:
        arr = np.zeros(1, np.int64)  # unused under saturation
    amap = AddressMapping(spec, mapping, xor_bank_hash)
    org = spec.organization
    # compact kernel inputs: flat bank id, row, column (int32)
    n = len(requests)
    bank, row, column = amap.flat(requests.address, wrap=wrap_addresses, where="request")
    # commands: <= 3 per request plus refresh; the kernel reports overflow and is rerun if needed
    span = (int(arr[-1]) if arrival == "trace" and n else 0) + 16 * n
    interval = {"per-bank": spec.timing.REFIpb, "same-bank": spec.timing.REFIsb}.get(refresh, spec.timing.REFI)
    table = kernel_inputs(spec, issued_commands(row_policy, refresh, pd_after >= 0 or sr_after >= 0))
    settings = (queue_depth, write_high, write_low, ROW_POLICIES.index(row_policy),
                {"none": 0, "all-bank": 1, "per-bank": 2 if spec.table.per_bank_refresh == "channel" else 4,
                 "same-bank": 3}[refresh], scheduler == "frfcfs", not reference,
                pd_after, sr_after, powerdown_exit == "slow")

    def run(n_ch, bank_c, row_c, column_c, write_c, arr_c):
        """One kernel call over ``n_ch`` channels, rerun with more room on command overflow."""
        m = len(bank_c)
        cap = 3 * m + 2 * n_ch * org.ranks * (span // interval + 1) + 1024
        lists = kernel.class_lists(table[7], n_ch, org.ranks, org.sids * org.bankgroups * org.banks_per_group)
        banks = np.asarray(bank_c, np.int32).view(np.uint32)    # (the kernel's indices are unsigned)
        while True:
            out = kernel.run(*table, lists, n_ch, org.ranks, org.sids * org.bankgroups, org.banks_per_group,
                             banks, row_c, column_c, write_c, arr_c, arrival == "saturate", *settings, cap)
            if not out[12]:
                return out
            cap *= 2

    if channel_frontend == "shared" or org.channels == 1:
        out = run(org.channels, bank, row, column, requests.is_write, arr)
    else:
        out = _per_channel(run, org, bank, row, column, requests.is_write, arr, arrival == "trace", int(threads))
    del bank, row, column  # free the decoded requests before the statistics (peak memory)
    cmds = CommandTrace(*out[:8])
    arrival_c, issue_c, completion_c, outcome = out[8:12]
    cycles = int(completion_c.max()) if len(completion_c) else 0
    options = dict(mapping=mapping, xor_bank_hash=xor_bank_hash, row_policy=row_policy, queue_depth=queue_depth,
                   write_high=write_high, write_low=write_low, refresh=refresh, arrival=arrival,
                   reference=reference, scheduler=scheduler, powerdown_after=powerdown_after,
                   selfrefresh_after=selfrefresh_after, powerdown_exit=powerdown_exit,
                   channel_frontend=channel_frontend)
    res = SimResult(cmds, arrival_c, issue_c, completion_c, outcome, cycles, {}, spec, options)
    res.stats = statistics(res, requests)
    return res


def _per_channel(run, org, bank, row, column, is_write, arr, by_arrival: bool, threads: int) -> tuple:
    """``independent`` front ends: run each channel's requests alone and merge as one call would.

    ``run(n_ch, bank, row, column, is_write, arrival)`` is one kernel call. Returns the kernel's
    output tuple (commands sorted by cycle then channel, stable; per-request arrays in trace order).
    The split and the merge run per channel on the same threads as the kernels (NumPy's copies
    release the GIL): each channel's commands go straight to their places in the merged arrays.
    """
    per_channel = org.ranks * org.banks

    def one(c):
        idx = np.flatnonzero(bank // per_channel == c)  # this channel's requests, in trace order
        out = run(1, bank[idx] - c * per_channel, row[idx], column[idx], is_write[idx],
                  arr[idx] if by_arrival else arr)
        out[2][:] = c  # the call saw its channel as channel 0
        return idx, out

    with ThreadPoolExecutor(max_workers=max(1, min(threads, org.channels))) as pool:
        mapper = map if threads == 1 else pool.map
        parts = list(mapper(one, range(org.channels)))
        n_cmd = sum(len(out[0]) for _, out in parts)
        commands = [np.empty(n_cmd, parts[0][1][k].dtype) for k in range(8)]
        per_request = [np.empty(len(bank), parts[0][1][k].dtype) for k in range(8, 12)]

        def place(c):
            """Scatter channel ``c``'s commands and requests to their places in the merged arrays."""
            idx, out = parts[c]
            cycle = out[0]
            # a command's place: its rank in its channel, plus the commands of earlier channels at
            # cycles up to its own and those of later channels at earlier cycles
            pos = np.arange(len(cycle), dtype=np.int64)
            for other, (_, out_other) in enumerate(parts):
                if other != c:
                    _add_ranks(pos, cycle, out_other[0], other < c)
            for k in range(8):
                commands[k][pos] = out[k]
            for k in range(8, 12):
                per_request[k - 8][idx] = out[k]

        list(mapper(place, range(org.channels)))
    return (*commands, *per_request, False)


@njit(cache=True, nogil=True)
def _add_ranks(pos, cycle, other, inclusive):
    """Add to ``pos[i]`` how many of ``other`` are < ``cycle[i]`` (<= when ``inclusive``); both sorted.

    ``np.searchsorted(other, cycle, "right" if inclusive else "left")`` in one linear pass.
    """
    j = 0
    for i in range(cycle.shape[0]):
        t = cycle[i]
        while j < other.shape[0] and (other[j] <= t if inclusive else other[j] < t):
            j += 1
        pos[i] += j


def _check_same_bank(spec: Spec) -> None:
    """Same-bank refresh needs its timing in the spec and a REFsb command in its table."""
    if not spec.timing.REFIsb:
        raise InputError(f"{spec.name}: same-bank refresh needs timing.RFCsb and timing.REFIsb in the spec")
    if "REFsb" not in spec.table.scope:
        raise InputError(f"{spec.name}: same-bank refresh needs a REFsb command in the timing table "
                         f"({spec.standard} has none)")


def issued_commands(row_policy: str, refresh: str, low_power: bool) -> set[str]:
    """The commands the controller can issue under these options (the others' rules are idle)."""
    out = {"ACT", "PRE"}
    out |= {"RDA", "WRA"} if row_policy == "closed" else {"RD", "WR"}
    if row_policy == "close-adaptive":
        out |= {"RDA", "WRA"}
    if refresh == "all-bank":
        out |= {"PREA", "REF"}
    elif refresh == "per-bank":
        out |= {"REFpb"}
    elif refresh == "same-bank":
        out |= {"REFsb"}
    if low_power:
        out |= {"PREA"} | set(LOW_POWER_NAMES)
    return out


def statistics(res: SimResult, requests: RequestTrace) -> dict:
    """The summary statistics (the ``--json`` keys except ``standard`` and ``wall_s``).

    ``bandwidth_gbps`` is bytes moved / (cycles x tCK) in GB/s (10^9 bytes per second);
    ``latency_cycles`` is completion - arrival (mean, p50, p99). ``cycle`` (only where the spec
    counts ticks shorter than CK, HBM3) says what a cycle is.
    """
    spec = res.spec
    n = len(requests)
    per_code, outcomes, lat_sum, lat_lo, lat_hi, hist = _tally(res.commands.cmd, len(COMMANDS), res.outcome,
                                                               res.arrival, res.completion)
    counts = {name: int(per_code[i]) for i, name in enumerate(COMMANDS)}
    mean = lat_sum / n if n else 0.0
    if not n:
        p50, p99 = 0.0, 0.0
    elif len(hist):
        p50, p99 = _percentiles_of_counts(np.cumsum(hist), lat_lo, n, (50, 99))
    else:                                    # latencies too spread for a histogram
        p50, p99 = np.percentile(res.completion - res.arrival, (50, 99))
    commands = {name: counts[name] for name in COUNTED}
    if res.options.get("refresh") == "per-bank":
        commands["REFpb"] = counts["REFpb"]
    if res.options.get("refresh") == "same-bank":
        commands["REFsb"] = counts["REFsb"]
    if res.options.get("powerdown_after") is not None or res.options.get("selfrefresh_after") is not None:
        commands.update({name: counts[name] for name in LOW_POWER_NAMES})
    time_ns = res.cycles * spec.timing.tck_ns
    tick = ({"cycle": f"tick of {spec.timing.tck_ns:g} ns (1/{spec.timing.ticks_per_ck} of CK)"}
            if spec.timing.ticks_per_ck > 1 else {})          # HBM3: what a cycle is
    return {
        "standard": spec.name,
        **tick,
        "cycles": res.cycles,
        "time_ns": time_ns,
        "requests": n,
        "reads": requests.reads,
        "writes": requests.writes,
        "row_hits": int(outcomes[0]),
        "row_misses": int(outcomes[1]),
        "row_conflicts": int(outcomes[2]),
        "commands": commands,
        "bandwidth_gbps": (n * spec.organization.burst_bytes / time_ns) if time_ns else 0.0,
        "latency_cycles": {
            "mean": mean,
            "p50": float(p50),
            "p99": float(p99),
        },
    }


def _percentiles_of_counts(cum: np.ndarray, lo: int, n: int, qs) -> list[float]:
    """The percentiles ``qs`` (linear interpolation, as ``np.percentile``) of ``n`` integers whose
    cumulative histogram from value ``lo`` is ``cum``."""
    out = []
    for q in qs:
        idx = q / 100 * (n - 1)
        k0 = int(np.floor(idx))
        k1 = min(k0 + 1, n - 1)
        v0 = int(np.searchsorted(cum, k0, side="right")) + lo
        v1 = int(np.searchsorted(cum, k1, side="right")) + lo
        out.append(v0 + (v1 - v0) * (idx - k0))
    return out


@njit(cache=True, nogil=True)
def _tally(cmd, n_codes, outcome, arrival, completion):
    """What :func:`statistics` counts, in one pass over the commands and one or two over the requests.

    Returns the commands per code, the requests per outcome (hit, miss, conflict), and of the
    latencies (completion - arrival) their sum, minimum, maximum and histogram from the minimum
    (empty when they span more than 2^24 cycles: the caller then falls back to NumPy).
    """
    per_code = np.zeros(n_codes, np.int64)
    for k in range(cmd.shape[0]):
        if cmd[k] < n_codes:
            per_code[cmd[k]] += 1
    outcomes = np.zeros(3, np.int64)
    hist = np.zeros(1 << 16, np.int64)       # from 0: latencies are mostly short (else a second pass)
    total = 0
    lo = np.int64(1) << 62
    hi = -lo
    for i in range(arrival.shape[0]):
        if 0 <= outcome[i] < 3:
            outcomes[outcome[i]] += 1
        v = completion[i] - arrival[i]
        total += v
        lo = min(lo, v)
        hi = max(hi, v)
        if 0 <= v < 1 << 16:
            hist[v] += 1
    if arrival.shape[0] == 0 or hi - lo > 1 << 24:
        return per_code, outcomes, total, lo, hi, np.zeros(0, np.int64)
    if lo >= 0 and hi < 1 << 16:
        return per_code, outcomes, total, lo, hi, hist[lo:hi + 1]
    hist = np.zeros(hi - lo + 1, np.int64)
    for i in range(arrival.shape[0]):
        hist[completion[i] - arrival[i] - lo] += 1
    return per_code, outcomes, total, lo, hi, hist
