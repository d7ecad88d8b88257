#!/usr/bin/env python3
"""EnforceSNN's claims, one by one: the paper's figure, ours with its interval, the configuration, a verdict.

Usage::

    python benchmarks/reproduce_paper.py [--quick] [--out benchmarks/out/paper]

Claims (Putra et al., Frontiers in Neuroscience 2022, abstract; see shared/paper-notes.md) and the
experiment each verdict rests on (every one resumable: its results are saved under ``--out`` and
reused by a rerun):

1. *No accuracy loss for BER <= 1e-3* (after fault-aware training) -- the model as trained,
   without FAT: ``fat_judged.py --regime`` (EDEN model 0, vendor B, 5 device seeds x 1,000 test
   digits, 8 bits and float32). "holds trivially" when the loss's 95 % interval lies below 1 pp
   without FAT.
2. *FAT improves error tolerance* -- ``fat_judged.py --bits 8 --ber 0.1`` (where the model as
   trained loses accuracy) with curricula of 1, 2 and 4 steps on the same 1,000-sample budget:
   location-aware FAT against a control trained as long without errors, 5 training x 5 device
   seeds, paired interval; and both without errors (what FAT costs). N = 400 (5 training passes):
   the regime map and 1-step FAT, also against uniform FAT. Where the regime map loses most (4 bits,
   vendor C, BER 1e-1): 1-step FAT under EDEN models 0 and 3.
3. *Up to 84.9 % DRAM energy saving* and 4. *up to 4.1x DRAM throughput* -- ``mapping_policies.py``
   (N = 100 .. 3,600; 8 bits + drmap + the lowest measured voltage against float32 / nominal / the
   ``linear`` layout, busy and paced; ranges over the replayed test digits).
5. *Error-aware mapping keeps accuracy at low voltage* -- ``placement_judged.py`` (10 devices,
   8 bits): the lowest voltage each placement sustains within 1 pp, its energy, and what-if devices
   weaker than any Voltron measured.
6. *Model selection* -- no figure in the paper: cannot be tested here.

Verdicts: **holds** (our figure meets the claim with its interval), **holds trivially** (it holds
without the mechanism the claim credits), **does not hold**, **not shown** (the interval includes
both), **cannot be tested here**. ``--quick`` runs every experiment smaller (3 device seeds, 300
digits, N = 100 and 400 only): its verdicts are for checking the script, not for citing.

Writes ``reproduce_paper.csv`` (the claim table) into ``--out`` and prints it as markdown.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import fat_judged  # noqa: E402
import mapping_policies  # noqa: E402
import placement_judged  # noqa: E402

from coupling.report import _md  # noqa: E402

MARGIN_PP = 1.0     # the accuracy margin of every "no loss" judgement
FAT_BUDGET = 1000   # FAT training samples (and the control's), split over the curriculum's steps
SCHEDULE_STEPS = (1, 2, 4)
N400_EPOCHS = 5     # N = 400 needs several passes (1 pass: about 24 %, 5: about 87 % on the 1,000 test digits)
N400_TRAINING = f", {N400_EPOCHS} training passes"
REACH_PP = 0.5      # a saving this close to the paper's "up to" figure counts as reaching it (said in the row)


def _ci(x: float, lo: float, hi: float, unit: str = " pp") -> str:
    return f"{x:+.2f}{unit} [{lo:+.2f}, {hi:+.2f}]"


def claim_accuracy(regime: pd.DataFrame, devices: int, digits: int, neurons: int = 100) -> list[dict]:
    rows = []
    for bits in (8, 32):
        g = regime[(regime.bits == bits) & (regime.ber <= 1e-3)]
        worst = g.sort_values("loss_ci_high_pp").iloc[-1]
        holds = bool((g.loss_ci_high_pp < MARGIN_PP).all())
        rows.append({
            "claim": f"no accuracy loss at BER <= 1e-3 (after FAT), {bits} b, N={neurons}",
            "paper": "no loss for BER <= 1e-3 with FAT",
            "ours": (f"without FAT: loss {', '.join(f'{r.loss_pp:+.2f} pp at {r.ber:g}' for r in g.itertuples())}; "
                     f"worst interval [{worst.loss_ci_low_pp:+.2f}, {worst.loss_ci_high_pp:+.2f}] pp"),
            "configuration": (f"N={neurons} as trained (no FAT{N400_TRAINING if neurons != 100 else ''}), EDEN model 0, vendor-B bank weakness and device spread, "
                              f"persistent, drmap, LPDDR3-1600, {devices} devices x {digits} digits; loss against "
                              f"its own error-free accuracy, paired two-level bootstrap 95 %"),
            "verdict": "holds trivially" if holds else "not shown",
            "supports": ("the 8-bit/float32 network needs no FAT for this; says nothing of other error models "
                         "(see the regime map)")})
    return rows


def claim_fat(fat: pd.DataFrame, bits: int, ber: float, steps: int = 2, per_step: int = 500,
              neurons: int = 100, error_model: int = 0, vendor: str = "B") -> dict:
    f = fat.set_index("variant")
    where = "" if (error_model, vendor) == (0, "B") else f", EDEN model {error_model}, vendor {vendor}"
    loc = f.loc["FAT location-aware"]
    if loc.ci_low_pp > 0:
        verdict = "holds"
    elif loc.ci_high_pp < 0:
        verdict = "does not hold"
    else:
        verdict = "not shown"
    return {
        "claim": f"FAT improves error tolerance ({bits} b, BER {ber:g}, {steps} x {per_step} samples, N={neurons}{where})",
        "paper": "FAT makes the network tolerate the errors of approximate DRAM",
        "ours": (f"location-aware FAT vs a control trained as long: {_ci(loc.vs_control_pp, loc.ci_low_pp, loc.ci_high_pp)}"
                 f" with errors, {_ci(loc.error_free_vs_control_pp, loc.error_free_ci_low_pp, loc.error_free_ci_high_pp)}"
                 f" without; as trained vs control {f.loc['as trained'].vs_control_pp:+.2f} pp; uniform FAT "
                 f"{f.loc['FAT uniform'].vs_control_pp:+.2f} pp"
                 + (f"; location-aware vs uniform FAT {_ci(loc.vs_uniform_pp, loc.vs_uniform_ci_low_pp, loc.vs_uniform_ci_high_pp)}"
                    if "vs_uniform_pp" in f.columns else "")),
        "configuration": (f"N={neurons}{N400_TRAINING if neurons != 100 else ''}, EDEN model {error_model}, vendor {vendor} "
                          f"(bank weakness and device spread), persistent, drmap, curriculum of {steps} step(s) ending at the target "
                          f"BER, {per_step} samples each (control: the same samples without errors); "
                          f"{int(loc.units)} units (training x device seeds) x {int(loc.digits)} digits, paired 95 % "
                          f"(units and digits resampled)"),
        "verdict": verdict,
        "supports": (f"FAT at {loc.accuracy_pct:.1f} % with the device's errors against its control's "
                     f"{f.loc['control'].accuracy_pct:.1f} %; FAT costs error-free accuracy; one budget "
                     f"({FAT_BUDGET} samples), N={neurons}; the schedules are separate comparisons on the same digits")}


def _best(summary: pd.DataFrame, column: str):
    comb = summary[(summary.reference == "linear") & (summary.factor == "8 bits + drmap + low V")]
    return comb.loc[comb[column].idxmax()], comb


def claim_energy(summary: pd.DataFrame) -> list[dict]:
    best, comb = _best(summary, "busy_saving_pct")
    paced = [c for c in summary.columns if c.startswith("paced") and c.endswith("lp_saving_pct")]
    paced_txt = "; ".join(f"paced ({c.removeprefix('paced').removesuffix('lp_saving_pct')} ns steps, power-down): "
                          f"{comb[c].min():.1f}-{comb[c].max():.1f} %" for c in paced)
    busy_ok = best.busy_saving_pct >= 84.9 - REACH_PP
    sizes = ", ".join(f"{r.busy_saving_pct:.1f} % {r.busy_saving_range} (N={int(r.N)})" for r in comb.itertuples())
    rows = [{
        "claim": "up to 84.9 % DRAM energy saving",
        "paper": "up to 84.9 %",
        "ours": f"busy: {sizes}; {paced_txt}",
        "configuration": ("8 bits + drmap + 0.911 V (DDR3L 1.025 V) against float32 / 1.2 V / linear, LPDDR3-1600, "
                          "random weights, the spike reads of 3 test digits each replayed alone; [range over digits]"),
        "verdict": (f"holds (busy, N={int(best.N)}) at {best.busy_saving_pct:.1f} %, within {REACH_PP} pp" if busy_ok
                    else "does not hold") + "; does not hold paced",
        "supports": ("the saving when the DRAM is the bottleneck; an accelerator that reads at its time steps "
                     "saves far less (idle background)")}]
    fast, comb = _best(summary, "speedup")
    serial = summary[(summary.reference == "bank-serial") & (summary.factor == "8 bits + drmap + low V")]
    rows.append({
        "claim": "up to 4.1x DRAM throughput speed-up",
        "paper": "up to 4.1x",
        "ours": (f"against linear: {', '.join(f'{r.speedup:.2f}x (N={int(r.N)})' for r in comb.itertuples())}; "
                 f"against bank-serial (a worst case): {serial.speedup.min():.2f}-{serial.speedup.max():.2f}x"),
        "configuration": "busy DRAM time per inference, same setting as the energy row (approximate mode: nominal timing)",
        "verdict": "holds" if fast.speedup >= 4.1 else "does not hold against linear; holds only against bank-serial",
        "supports": "the speed-up is the ratio of bursts read (precision); the layout adds nothing against linear"})
    return rows


def _losses(df: pd.DataFrame, bers) -> str:
    return ", ".join(f"{-df.loc[b, 'delta_pp']:.1f}" for b in bers)


def claim_placement(summary: pd.DataFrame, what_if: pd.DataFrame, devices: int) -> dict:
    s8 = summary[summary.bits == 8].set_index("placement")
    lowest = s8.lowest_vdd_mean_loss_lt_1pp
    trivially = bool((lowest == lowest.min()).all())
    w = what_if[what_if.bits == 8]
    lin = w[w.placement == "linear"].set_index("what_if_ber")
    enf = w[w.placement == "enforcesnn weight profiled"].set_index("what_if_ber")
    helps = [b for b in lin.index if lin.loc[b, "delta_pp"] < -MARGIN_PP and enf.loc[b, "delta_pp"] >= -MARGIN_PP]
    cost = 100 * (s8.loc["enforcesnn weight profiled", "energy_busy_pj"] / s8.loc["linear", "energy_busy_pj"] - 1)
    return {
        "claim": "error-aware DRAM mapping keeps accuracy at reduced voltage",
        "paper": "the error-aware mapping lets the network keep its accuracy on approximate DRAM",
        "ours": (f"lowest voltage within 1 pp: every placement {lowest.min():.3f} V (the lowest measured); "
                 f"enforcesnn costs {cost:+.1f} % busy energy at 8 b; on what-if devices (nominal BER "
                 f"{', '.join(f'{b:g}' for b in helps) or 'none'} at the lowest voltage) linear loses "
                 f"{_losses(lin, helps)} pp, enforcesnn {_losses(enf, helps)} pp"),
        "configuration": (f"N=100, 8 b, EDEN model 0, vendor B, {devices} devices x 1,000 digits, LPDDR3-1600, "
                          f"voltage grid 1.2 .. 0.911 V; what-if BERs fixed at 0.911 V"),
        "verdict": ("holds trivially in the measured range (every placement does); holds on hypothetical weaker "
                    "devices" if trivially and helps else ("holds trivially" if trivially else "holds")),
        "supports": "no measured voltage makes placement matter; it would on devices 60x+ weaker than the mean"}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller experiments (for checking the script only)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "paper")
    args = ap.parse_args(argv)
    out = args.out / "quick" if args.quick else args.out
    devices, digits, placement_devices = (3, 300, 3) if args.quick else (5, 1000, 10)
    sizes = ["100", "400"] if args.quick else ["100", "400", "1600", "3600"]
    fat_dir, map_dir, place_dir = out / "fat", out / "mapping", out / "placement"

    common = ["--device-seeds", str(devices), "--eval-samples", str(digits), "--out", str(fat_dir)]
    fat_judged.main(["--regime", *common])
    regime = pd.read_csv(fat_dir / "regime_m0_persistent.csv")
    fats = {}
    for steps in SCHEDULE_STEPS:          # the same budget of training samples, 1, 2 or 4 curriculum steps
        per_step = FAT_BUDGET // steps // (5 if args.quick else 1)
        fat_judged.main(["--bits", "8", "--ber", "0.1", "--train-seeds", str(devices), "--steps", str(steps),
                         "--samples-per-step", str(per_step), *common])
        fats[steps, per_step] = pd.read_csv(fat_dir / f"fat_m0_persistent_8b_0.1_s{steps}x{per_step}.csv")
    # N = 400: the regime map and FAT straight at the target BER (the best 1-step schedule at N = 100)
    big = ["--neurons", "400", "--epochs", str(N400_EPOCHS)]
    fat_judged.main(["--regime", *big, *common])
    regime400 = pd.read_csv(fat_dir / f"regime_m0_persistent_n400_e{N400_EPOCHS}.csv")
    per_step = FAT_BUDGET // (5 if args.quick else 1)
    fat_judged.main(["--bits", "8", "--ber", "0.1", "--train-seeds", str(devices), "--steps", "1",
                     "--samples-per-step", str(per_step), *big, *common])
    fat400 = pd.read_csv(fat_dir / f"fat_m0_persistent_8b_0.1_s1x{per_step}_n400_e{N400_EPOCHS}.csv")
    # where the regime map loses most: 4 bits under vendor C at 1e-1 (uniform and data-dependent errors)
    fats_c = {}
    for model in (0, 3):
        fat_judged.main(["--bits", "4", "--ber", "0.1", "--error-model", str(model), "--vendor", "C",
                         "--train-seeds", str(devices), "--steps", "1", "--samples-per-step", str(per_step), *common])
        fats_c[model] = pd.read_csv(fat_dir / f"fat_m{model}_persistent_4b_0.1_s1x{per_step}_vC.csv")
    mapping_policies.main(["--sizes", *sizes, "--out", str(map_dir)])
    mapping = pd.read_csv(map_dir / "mapping_policies_summary.csv")
    placement_judged.main(["--bits", "8", "4", "32", "--devices", str(placement_devices), "--eval-samples", str(digits),
                           "--out", str(place_dir)])
    placement = pd.read_csv(place_dir / "placement_summary.csv")
    what_if = pd.read_csv(place_dir / "placement_what_if.csv")

    claims = [*claim_accuracy(regime, devices, digits), *claim_accuracy(regime400, devices, digits, 400),
              *(claim_fat(f, 8, 0.1, steps, per_step) for (steps, per_step), f in fats.items()),
              claim_fat(fat400, 8, 0.1, 1, per_step, 400),
              *(claim_fat(f, 4, 0.1, 1, per_step, error_model=m, vendor="C") for m, f in fats_c.items()),
              *claim_energy(mapping),
              claim_placement(placement, what_if, placement_devices),
              {"claim": "model selection", "paper": "selects a model trading accuracy, memory and energy (no figure)",
               "ours": "enforcesnn select chooses on a validation split (see README)", "configuration": "-",
               "verdict": "cannot be tested here", "supports": "no published figure to compare with"}]
    table = pd.DataFrame(claims)
    from traces._atomic import atomic_write
    atomic_write(out / "reproduce_paper.csv", lambda f: f.write(table.to_csv(index=False).encode()))
    print()
    print(_md(table))
    print(f"\nwrote {out / 'reproduce_paper.csv'}" + (" (--quick: for checking the script, not for citing)"
                                                     if args.quick else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
