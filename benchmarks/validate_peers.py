"""Side-by-side table: dramsim vs Ramulator 2.1 / Ramulator 1 / DRAMsim3 (figures from PEERS.md).

Usage: python benchmarks/validate_peers.py [--out benchmarks/out/]

Rebuilds the seq, rand and stride traces from /work/shared/reference/dram/make_traces.py, replays
them on DDR3-1600K (1 channel, 1 rank, defaults: oldest ready command first as Ramulator 2, open
row, 32-entry queues, all-bank refresh, saturating injection; and once more with FR-FCFS,
``scheduler="frfcfs"``, ready row hits first)
and prints total cycles, row hits/misses/conflicts, ACT and REF counts next to the peers'
published figures, with our deviation from Ramulator 2.1. Then the cases of PEERS-2.md section 1
(:data:`PEERS2_CASES`: strict closed row, 2 ranks, 2 channels, DDR4-2400R 2 ranks, the DRAMsim3
LPDDR4 and LPDDR3 INI files), each against the peer it is validated on, with the deviation in
total cycles. Last the newer standards of PEERS-2.md section 2 (:data:`NEW_STANDARDS`: DDR5-4800, GDDR6-14000,
HBM2-2000, HBM3-6400, LPDDR5-6400)
on seq, rand and stride against Ramulator 2.1 (figures from ``peers2/figures.json``, cycles in the
standard's own CK). Then HBM2-2000 with per-bank refresh against Ramulator 2.1's PerBank manager
(:data:`HBM2_PER_BANK`, figures we measured with the built Ramulator 2.1). Writes validate_peers.csv,
validate_peers2.csv, validate_peers3.csv and validate_peers4.csv.
"""
from __future__ import annotations

import argparse
import csv
import importlib.util
import sys
from pathlib import Path

import numpy as np

from dramsim.simulate import simulate
from dramsim.spec import load_spec
from traces import RequestTrace
from traces import commands as tc

SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference" / "dram"

#: PEERS.md: trace -> peer -> (cycles, row hits, row misses, row conflicts, ACT, REF); None = not reported.
PEERS = {
    "seq": {"Ramulator 2.1": (4_154_511, 991_332, 5_309, 3_327, 8_636, 665),
            "Ramulator 1": (4_158_045, 991_291, 5_310, 3_399, 8_709, 666),
            "DRAMsim3": (4_157_316, 991_163, None, None, 8_844, 666)},
    "rand": {"Ramulator 2.1": (6_286_859, 284, 5_074, 994_612, 999_686, 1_007),
             "Ramulator 1": (6_287_290, 284, 5_074, 994_642, 999_716, 1_007),
             "DRAMsim3": (6_313_339, 390, None, None, 1_001_456, 1_011)},
    "stride": {"Ramulator 2.1": (1_247_294, 0, 892, 199_079, 199_971, 199),
               "Ramulator 1": (1_247_512, 0, 892, 199_108, 200_000, 199),
               "DRAMsim3": (1_249_806, 0, None, None, 200_332, 200)},
}
COLUMNS = ("cycles", "row_hits", "row_misses", "row_conflicts", "ACT", "REF")

#: PEERS-2.md section 1 (1M requests, reads, saturating injection, RoBaRaCoCh): case -> (spec, run
#: options of load_spec, trace, simulate options, peer, its total cycles, its ACT count). The peer
#: is the one the case is validated on: DRAMsim3 for strict closed page (its close_page is the
#: strict policy; Ramulator's ClosedCAP is not) and for the INI files; for 2 ranks the closest peer
#: (Ramulator 2.1 since the rank-to-rank gap is BL/2 + 2 and a held PRE no longer stalls the
#: scheduler; DRAMsim3's figure is printed next to it, :data:`PEERS2_OTHER`).
PEERS2_CASES = {
    "DDR3 closed row, rand": ("DDR3-1600K", {}, "rand", {"row_policy": "closed"}, "DRAMsim3", 6_298_271, 1_001_814),
    "DDR3 2 ranks, rand": ("DDR3-1600K", {"ranks": 2}, "rand", {}, "Ramulator 2.1", 4_482_825, 999_836),
    "DDR3 2 channels, seq": ("DDR3-1600K", {"channels": 2}, "seq", {}, "Ramulator 2.1", 2_077_078, 8_634),
    "DDR4-2400R 2 ranks, rand": ("DDR4-2400R", {"ranks": 2}, "rand", {}, "Ramulator 2.1", 4_297_640, 999_847),
    "LPDDR4 INI, seq": ("configs/LPDDR4_8Gb_x16_2400.ini", {}, "seq", {}, "DRAMsim3", 8_412_476, 9_281),
    "LPDDR3 INI, seq": ("configs/LPDDR3_8Gb_x32_1600.ini", {}, "seq", {}, "DRAMsim3", 4_280_336, 9_985),
}
#: The other peer's total cycles for the multi-rank cases (PEERS-2.md section 1), shown for comparison.
PEERS2_OTHER = {
    "DDR3 2 ranks, rand": ("DRAMsim3", 4_440_665),
    "DDR4-2400R 2 ranks, rand": ("DRAMsim3", 4_513_257),
}


#: PEERS-2.md section 2: our built-in standard for each Ramulator 2.1 preset pair (1 channel, 1 rank,
#: open row, saturating injection, RoBaRaCoCh). Ramulator 2.1's cycles count the standard's CK
#: (DDR5: CK 2,400 MHz; LPDDR5: CK 800 MHz, as ours) until the last request is accepted; ours until the last is served
#: (the 32-59 requests still queued differ by < 0.02 %).
NEW_STANDARDS = {"DDR5": "DDR5-4800", "GDDR6": "GDDR6-14000", "LPDDR5": "LPDDR5-6400"}
#: HBM2 (CK 1,000 MHz, as ours; 2 pseudo-channels, the rank level of HBM2-2000; REF counted per
#: pseudo-channel, as Ramulator 2.1 counts it).
NEW_STANDARDS["HBM2"] = "HBM2-2000"
#: HBM3 (2 pseudo-channels of 2 SIDs; cycles are half-CK TICKS, 2 per CK at 1,600 MHz, in both
#: Ramulator 2.1's figures and ours: HBM3-6400's cycle is the tick; REF counted per pseudo-channel).
NEW_STANDARDS["HBM3"] = "HBM3-6400"


#: HBM2-2000 with per-bank refresh (REFSB, ``refresh="per-bank"``): Ramulator 2.1 (c5b1c3a, the PEERS-2
#: version, built with its Python bindings outside the repo) with the same presets and controller
#: as PEERS-2 but ``refresh_manager=PerBank()``, on the same seq / rand / stride traces, measured
#: 2026-12-02: trace -> (cycles, ACT, row hits, REFpb). Not in figures.json (PEERS-2 ran all-bank
#: refresh only). Its PerBank manager issues one REFpb of the channel every nREFIpb = 122 cycles,
#: over both pseudo-channels' banks in turn; ours rotates the same way every floor(243 / 2) = 121
#: (each pseudo-channel within JEDEC's tREFI / 16 = 243.75 ns), so we issue 122/121 as many REFpb.
HBM2_PER_BANK = {"seq": (1_711_497, 64_132, 935_836, 14_028),
                 "rand": (3_559_931, 999_863, 110, 29_179),
                 "stride": (2_545_688, 199_968, 0, 20_866)}


def run_hbm2_per_bank(trace: str, addresses: np.ndarray | None = None) -> dict:
    """HBM2-2000 with per-bank refresh on a reference trace; its stats (:data:`HBM2_PER_BANK`)."""
    a = _addresses(trace) if addresses is None else addresses
    return simulate(load_spec("HBM2-2000"), RequestTrace(a, np.zeros(len(a), bool)), wrap_addresses=True,
                    refresh="per-bank").stats


def ramulator2_new(standard: str, trace: str) -> dict:
    """Ramulator 2.1's figures (``peers2/figures.json``, case ``r2_<standard>_<trace>``) for a
    :data:`NEW_STANDARDS` standard: cycles, acts, hits, refs, cmd_counts, ..."""
    import json

    with open(SHARED / "peers2" / "figures.json") as f:
        return json.load(f)["cases"][f"r2_{standard}_{trace}"]["ramulator2.1"]


def run_new_standard(standard: str, trace: str, addresses: np.ndarray | None = None) -> dict:
    """Simulate a :data:`NEW_STANDARDS` standard on a reference trace (default its full size); its stats."""
    a = _addresses(trace) if addresses is None else addresses
    spec = load_spec(NEW_STANDARDS[standard])
    return simulate(spec, RequestTrace(a, np.zeros(len(a), bool)), wrap_addresses=True).stats


def run_peers2_case(name: str, addresses: np.ndarray | None = None):
    """Simulate one :data:`PEERS2_CASES` case (on ``addresses``, default its full trace); the result.

    The LPDDR3 INI spells the refresh interval ``REFI`` (DRAMsim3 reads ``tREFI``; the peer figure
    was taken with it fixed), which the importer reads with a warning, silenced here.
    """
    import warnings

    std, spec_opts, trace, sim_opts = PEERS2_CASES[name][:4]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec = load_spec(SHARED / std if std.endswith(".ini") else std, **spec_opts)
    a = _addresses(trace) if addresses is None else addresses
    return simulate(spec, RequestTrace(a, np.zeros(len(a), bool)), wrap_addresses=True, **sim_opts)


def rank_switch_fraction(commands) -> float:
    """Fraction of column commands (RD/WR/RDA/WRA) whose rank differs from the previous column
    command of the same channel (0 on one rank)."""
    column = (commands.cmd >= tc.RD) & (commands.cmd <= tc.WRA)
    switches = total = 0
    for ch in np.unique(commands.channel[column]):
        ranks = commands.rank[column & (commands.channel == ch)]
        switches += int(np.count_nonzero(ranks[1:] != ranks[:-1]))
        total += max(len(ranks) - 1, 0)
    return switches / total if total else 0.0


def _addresses(name: str) -> np.ndarray:
    spec = importlib.util.spec_from_file_location("make_traces", SHARED / "make_traces.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.addresses(name)


def _fmt(v):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if isinstance(v, float):
        return f"{v:+.3f}"
    return f"{v:,}"


def _print_and_write(header, rows, path: Path) -> None:
    """Print ``rows`` as an aligned table (the first two columns are labels) and write them as CSV."""
    table = [header] + [tuple(_fmt(v) if i > 1 else v for i, v in enumerate(r)) for r in rows]
    widths = [max(len(str(r[i])) for r in table) for i in range(len(header))]
    for r in table:
        print("  ".join(str(v).rjust(w) if i > 1 else str(v).ljust(w) for i, (v, w) in enumerate(zip(r, widths))))
    tmp = path.with_name("." + path.name + ".tmp")
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    tmp.replace(path)
    print(f"wrote {path}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/out/", help="output directory for validate_peers.csv")
    args = parser.parse_args(argv)
    if not (SHARED / "make_traces.py").exists():
        print(f"validate_peers: error: {SHARED}/make_traces.py not found", file=sys.stderr)
        return 2
    spec = load_spec("DDR3-1600K")
    rows = []
    for name in ("seq", "rand", "stride"):
        a = _addresses(name)
        ref = PEERS[name]["Ramulator 2.1"]
        for scheduler, label in (("fcfs-ready", "dramsim"), ("frfcfs", "dramsim frfcfs")):
            s = simulate(spec, RequestTrace(a, np.zeros(len(a), bool)), scheduler=scheduler).stats
            ours = (s["cycles"], s["row_hits"], s["row_misses"], s["row_conflicts"], s["commands"]["ACT"],
                    s["commands"]["REF"])
            rows.append((name, label, *ours))
            dev = tuple(None if r is None else (0.0 if r == o == 0 else 100.0 * (o - r) / max(r, 1))
                        for o, r in zip(ours, ref))
            rows.append((name, f"{label} vs R2.1 (%)", *dev))
        for peer, values in PEERS[name].items():
            rows.append((name, peer, *values))

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    _print_and_write(("trace", "simulator") + COLUMNS, rows, out / "validate_peers.csv")

    rows2 = []
    for name, (_, _, _, _, peer, cycles, acts) in PEERS2_CASES.items():
        res = run_peers2_case(name)
        s = res.stats
        other, other_cycles = PEERS2_OTHER.get(name, ("-", None))
        other_dev = None if other_cycles is None else round(100.0 * (s["cycles"] - other_cycles) / other_cycles, 3)
        rows2.append((name, peer, cycles, s["cycles"], round(100.0 * (s["cycles"] - cycles) / cycles, 3),
                      acts, s["commands"]["ACT"], s["row_hits"], s["commands"]["REF"],
                      round(100.0 * rank_switch_fraction(res.commands), 2), other, other_dev))
    print()
    _print_and_write(("case", "peer", "peer cycles", "dramsim cycles", "deviation %", "peer ACT", "dramsim ACT",
                      "dramsim row hits", "dramsim REF", "rank switch %", "other peer", "vs other %"),
                     rows2, out / "validate_peers2.csv")

    rows3 = []
    for standard in NEW_STANDARDS:
        for trace in ("seq", "rand", "stride"):
            r = ramulator2_new(standard, trace)
            s = run_new_standard(standard, trace)
            ours = (s["cycles"], s["commands"]["ACT"], s["row_hits"], s["commands"]["REF"])
            theirs = (r["cycles"], r["acts"], r["hits"], r["refs"])
            rows3.append((f"{standard} {trace}", "Ramulator 2.1", *theirs))
            rows3.append((f"{standard} {trace}", NEW_STANDARDS[standard], *ours))
            rows3.append((f"{standard} {trace}", "deviation (%)",
                          *(100.0 * (o - t) / max(t, 1) for o, t in zip(ours, theirs))))
    print()
    _print_and_write(("case", "simulator", "cycles", "ACT", "row hits", "REF"), rows3, out / "validate_peers3.csv")

    rows4 = []
    for trace, theirs in HBM2_PER_BANK.items():
        s = run_hbm2_per_bank(trace)
        ours = (s["cycles"], s["commands"]["ACT"], s["row_hits"], s["commands"]["REFpb"])
        rows4.append((f"HBM2 per-bank {trace}", "Ramulator 2.1", *theirs))
        rows4.append((f"HBM2 per-bank {trace}", "HBM2-2000", *ours))
        rows4.append((f"HBM2 per-bank {trace}", "deviation (%)",
                      *(100.0 * (o - t) / max(t, 1) for o, t in zip(ours, theirs))))
    print()
    _print_and_write(("case", "simulator", "cycles", "ACT", "row hits", "REFpb"), rows4, out / "validate_peers4.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
