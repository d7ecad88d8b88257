"""The checker's mutation suite as a table: rule x standard -> mutants, caught.

The mutants are those of the test suite (``tests/mutants.py``, run by
``tests/test_dram_mutation.py``): legal base traces per standard (2 ranks; all-bank and, for LPDDR,
per-bank refresh) from a greedy placer, every tight command moved one cycle early, deleted /
duplicated / swapped commands, thinned and dropped refresh, hand-built tight pairs (tFAW, tPPD,
tRTRS, low power ...). A mutant counts as caught when the checker reports the rule it mutates
(with the expected pair where that is defined).

Usage: python benchmarks/mutation_table.py [--out DIR]
Prints a Markdown table and writes mutation_table.csv (standard, kind, rule, mutants, caught).
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
import mutants as M  # noqa: E402
from dramsim.checker import check  # noqa: E402
from dramsim.spec import load_spec  # noqa: E402


def run():
    """(standard, kind, rule) -> [mutants, caught], and the legal bases that failed (should be 0)."""
    table, bad_bases = {}, 0
    for std, name in M.STANDARDS.items():
        spec = load_spec(name, ranks=2)
        bases, muts = M.mutants(std)
        for rows, refresh, end in bases:
            bad_bases += bool(check(M.to_trace(rows), spec, refresh=refresh, end_cycle=end))
        for m in muts:
            v = check(M.to_trace(m.rows), spec, refresh=m.refresh, end_cycle=m.end_cycle)
            cell = table.setdefault((std, m.kind, m.rule), [0, 0])
            cell[0] += 1
            cell[1] += m.caught(v)
    return table, bad_bases


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "out"))
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    table, bad_bases = run()
    seconds = time.perf_counter() - t0
    stds = list(M.STANDARDS)
    by_rule = {}
    for (std, kind, rule), (n, c) in table.items():
        key = (kind, rule)
        by_rule.setdefault(key, {s: [0, 0] for s in stds})
        by_rule[key][std][0] += n
        by_rule[key][std][1] += c
    print("| kind | rule | " + " | ".join(stds) + " |")
    print("|---|---|" + "---|" * len(stds))
    for (kind, rule) in sorted(by_rule):
        cells = [f"{c}/{n}" if n else "-" for n, c in (by_rule[(kind, rule)][s] for s in stds)]
        print(f"| {kind} | {rule} | " + " | ".join(cells) + " |")
    tot = Counter()
    for (std, _, _), (n, c) in table.items():
        tot[std, 0] += n
        tot[std, 1] += c
    print("| **all** | | " + " | ".join(f"**{tot[s, 1]}/{tot[s, 0]}**" for s in stds) + " |")
    n_all, c_all = sum(tot[s, 0] for s in stds), sum(tot[s, 1] for s in stds)
    print(f"\n{c_all} of {n_all} mutants caught ({100 * c_all / n_all:.2f} %); legal bases flagged: {bad_bases}; "
          f"{seconds:.1f} s")
    os.makedirs(args.out, exist_ok=True)
    path = Path(args.out) / "mutation_table.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["standard", "kind", "rule", "mutants", "caught"])
        for (std, kind, rule), (n, c) in sorted(table.items()):
            w.writerow([std, kind, rule, n, c])
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
