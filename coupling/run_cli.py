"""``enforcesnn run``: the main job, a thin layer over :func:`coupling.pipeline.run`."""
from __future__ import annotations

import shlex
import sys
import time

from coupling.config import _DOC, RunConfig
from coupling.plausibility import PLAUSIBILITY_REPAIRS
from traces._atomic import atomic_dir, check_output_dir

#: Command-line overrides of config fields (flag -> (field, type)).
OVERRIDES = {
    "--access": ("access", str), "--buffer-kib": ("buffer_kib", float),
    "--step-ns": ("step_ns", float), "--paced-samples": ("paced_samples", int),
    "--placement-knowledge": ("placement_knowledge", str), "--ber": ("ber", float), "--error-model": ("error_model", int),
    "--error-mode": ("error_mode", str), "--standard": ("standard", str), "--neurons": ("neurons", int),
    "--replay-samples": ("replay_samples", int), "--eval-samples": ("eval_samples", int),
    "--data": ("data", str), "--trace-format": ("trace_format", str),
    "--plausibility-repair": ("plausibility_repair", str),
}


#: Allowed values of the overrides that take one of a few (shown in ``--help``; checked, with the
#: one-line error, by :meth:`RunConfig.validate`).
CHOICES = {"access": ("spike", "sample", "step"), "placement_knowledge": ("profiled", "vendor"),
           "error_model": (0, 1, 2, 3), "error_mode": ("persistent", "transient"),
           "trace_format": ("ramulator2", "ramulator1", "dramsim3", "npz"),
           "plausibility_repair": PLAUSIBILITY_REPAIRS}

#: What ``run`` writes into ``--out`` (``--force`` replaces only a directory holding these).
OUTPUTS = ("results.csv", "report.md", "config.yaml", "*.png", "traces")


def add_commands(subparsers) -> None:
    """Add the ``run`` subcommand to an argparse subparsers object."""
    r = subparsers.add_parser(
        "run", help="the main job: train/load, quantize, map, replay in dramsim, inject errors, report",
        description="Train (or load the cached) model, quantize, map with each policy, replay the spike-driven "
                    "weight reads in dramsim at each voltage, inject bit errors, evaluate; write results.csv, "
                    "report.md and PNG plots to --out. Every setting is in the config (--print-config).")
    r.add_argument("--config", default=None, metavar="FILE", help="YAML config (default: the embedded defaults)")
    r.add_argument("--out", default="enforcesnn-out", metavar="DIR", help="output directory (default enforcesnn-out)")
    r.add_argument("--force", action="store_true", help="replace an existing --out directory of an earlier run (default: refuse)")
    r.add_argument("--print-config", action="store_true", help="print the effective config as YAML and exit")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    defaults = RunConfig()
    for flag, (name, typ) in OVERRIDES.items():
        choices = CHOICES.get(name)
        default = getattr(defaults, name)
        r.add_argument(flag, dest=f"set_{name}", type=typ, default=None,
                       metavar="{" + ",".join(map(str, choices)) + "}" if choices else name.upper(),
                       help=f"{_DOC[name]} (config field {name}; default {'null' if default is None else default})"
                       .replace("%", "%%"))
    r.add_argument("--spec", default=None, metavar="FILE",
                   help="DRAM spec file (YAML, DRAMPower 4 XML, ...; overrides --standard; config field standard)")
    r.set_defaults(handler=cmd_run)


def effective_config(args) -> RunConfig:
    """The config file (or the defaults) with command-line overrides applied, validated."""
    cfg = RunConfig.load(args.config) if args.config else RunConfig()
    where = args.config or "<defaults>"
    data = cfg.to_dict()
    for _, (name, _) in OVERRIDES.items():
        value = getattr(args, f"set_{name}")
        if value is not None:
            data[name] = value
    if args.spec is not None:
        data["standard"] = args.spec
    return RunConfig.from_dict(data, f"{where} + command line")


def cmd_run(args) -> int:
    from coupling.pipeline import run
    from coupling.report import write_outputs

    cfg = effective_config(args)
    if args.print_config:
        sys.stdout.write(cfg.to_yaml())
        return 0
    out = check_output_dir(args.out, args.force, OUTPUTS)
    t0 = time.perf_counter()
    # the directory is built aside and renamed into place: complete or absent, never a mix of runs
    with atomic_dir(out) as tmp:
        df, info = run(cfg, progress=not args.no_progress, trace_dir=tmp / "traces")
        command = "enforcesnn run" + (" " + " ".join(shlex.quote(a) for a in sys.argv[2:])
                                      if sys.argv[1:2] == ["run"] else "")
        paths = [out / p.relative_to(tmp) for p in write_outputs(df, info, cfg, tmp, command)]
    print(f"wrote {', '.join(str(p) for p in paths)} in {time.perf_counter() - t0:.1f} s")
    return 0
