"""Command-line pieces for energy and voltage: ``energy-table``, ``sweep-voltage``, ``voltage-table`` and the replay options.

``--vdd`` is always the device's own core-rail voltage (VDD; VDD2 for LPDDR); every output also
shows ``vdd_table_equivalent``, the same voltage on the voltage table's scale (DDR3L, 1.35 V
nominal), see :mod:`dramsim.voltage`.

The lead's ``dramsim`` CLI calls :func:`add_commands` for the three subcommands and, for
``dramsim replay``, :func:`add_replay_options`, :func:`prepare_spec` and :func:`energy_json`.
``python -m dramsim.power_cli`` runs the three subcommands on their own.

Examples::

    dramsim energy-table --standard DDR3-1600K --vdd 1.35:1.025:0.025 --csv table.csv
    dramsim sweep-voltage seq.trace --standard DDR3-1600K --vdd 1.35:1.025:0.025 --mode reliable --out sweep/
    dramsim voltage-table ../shared/reference/voltron --out dramsim/tables/DDR3L_voltron.yaml
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dramsim.energy import compute_energy, energy_note
from dramsim.errors import InputError
from dramsim.voltage import (DEFAULT_TABLE, MODES, SCALINGS, STATISTICS, load_table, operating_point, summary_lines,
                             write_voltron_table)
from traces._atomic import atomic_dir, atomic_paths, check_output_dir
from traces.errors import InputError as TraceInputError

PROG = "dramsim"


def parse_vdd_list(text: str) -> list[float]:
    """``"1.35:1.025:0.025"`` (start:stop:step, stop included) or ``"1.35,1.2"`` -> voltages (V)."""
    try:
        if ":" in text:
            parts = [float(x) for x in text.split(":")]
            if len(parts) != 3:
                raise ValueError
            start, stop, step = parts
            step = abs(step)
            if step == 0:
                raise ValueError
            n = int(round(abs(stop - start) / step))
            sign = -1.0 if stop < start else 1.0
            values = [round(start + sign * i * step, 6) for i in range(n + 1)]
        else:
            values = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise InputError(f"--vdd {text!r}: expected START:STOP:STEP or a comma-separated list of volts") from None
    if not values or any(not v > 0 for v in values):
        raise InputError(f"--vdd {text!r}: expected positive voltages")
    return values


def _atomic_write(path: Path, write) -> None:
    """Call ``write(tmp_path)`` and move the result onto ``path`` (no partial files)."""
    path = Path(path)
    with atomic_paths([path]) as (tmp,):
        write(str(tmp))


# -- replay integration --------------------------------------------------------------------------

def _add_voltage_options(parser, vdd_help: str) -> None:
    parser.add_argument("--vdd", default=None, metavar="V", help=vdd_help)
    parser.add_argument("--mode", choices=MODES, default="approximate",
                        help="approximate: nominal timing, errors at BER(V); reliable: stretched timing, no errors")
    parser.add_argument("--voltage-table", default=None, metavar="FILE",
                        help="per-voltage table (CSV or YAML); default: shipped Voltron DDR3L table")
    parser.add_argument("--vendor", default="B", help="BER / bank-weakness profile of the table (default B)")
    parser.add_argument("--ber-statistic", choices=STATISTICS, default="mean", help="BER statistic (default mean)")
    parser.add_argument("--scaling", choices=SCALINGS, default=None,
                        help="current scaling law: v2 (I ~ V, default), v1 (constant I), array (share --array-share)")
    parser.add_argument("--array-share", type=float, default=None,
                        help="array energy share in [0, 1] for --scaling array (default: the table's)")
    parser.add_argument("--io-energy", action="store_true", help="add I/O and termination energy")


def add_replay_options(parser: argparse.ArgumentParser) -> None:
    """Add --vdd, --mode, --voltage-table, --vendor, --ber-statistic, --scaling, --array-share, --io-energy."""
    _add_voltage_options(parser, "the device's core-rail voltage in V (VDD; VDD2 for LPDDR; default nominal)")


def _op(spec, args, vdd):
    return operating_point(spec, vdd, mode=getattr(args, "mode", "approximate"),
                           table=getattr(args, "voltage_table", None), scaling=getattr(args, "scaling", None),
                           vendor=getattr(args, "vendor", "B"), statistic=getattr(args, "ber_statistic", "mean"),
                           array_share=getattr(args, "array_share", None))


def prepare_spec(spec, args):
    """``(spec at the operating point, OperatingPoint)`` for the replay options in ``args``."""
    vdd = getattr(args, "vdd", None)
    if isinstance(vdd, str):
        values = parse_vdd_list(vdd)
        if len(values) != 1:
            raise InputError(f"--vdd {vdd!r}: replay takes one voltage")
        vdd = values[0]
    op = _op(spec, args, vdd)
    return op.spec, op


def energy_json(result, op, args) -> dict:
    """``{"energy_pj": {...}, "operating_point": {...}}`` for the replay JSON."""
    e = compute_energy(op.spec, result.commands, result.cycles, io=bool(getattr(args, "io_energy", False)))
    out = {"energy_pj": e.to_dict(), "operating_point": op.to_dict()}
    if energy_note(op.spec):
        out["energy_note"] = energy_note(op.spec)
    return out


# -- energy-table ----------------------------------------------------------------------------------

def _load(args):
    from dramsim.spec import load_spec

    return load_spec(getattr(args, "spec", None) or args.standard, channels=getattr(args, "channels", None), ranks=getattr(args, "ranks", None))


def cmd_energy_table(args) -> int:
    """Print (and with --csv write) row-hit/miss/conflict read/write energy per voltage."""
    from dramsim.energy import access_energy_table

    from dramsim.cli import check_outputs

    check_outputs(args.csv)
    spec = _load(args)
    vdds = parse_vdd_list(args.vdd) if args.vdd else None
    table = load_table(args.voltage_table, spec.standard) if args.voltage_table else None
    df = access_energy_table(spec, vdds, mode=args.mode, scaling=args.scaling, table=table, io=args.io_energy,
                             vendor=args.vendor, statistic=args.ber_statistic, array_share=args.array_share)
    points = {v: _op(spec, args, v) for v in df["vdd"].unique()}
    df.insert(1, "vdd_table_equivalent", df["vdd"].map(lambda v: round(points[v].vdd_table_equivalent, 6)))
    df["n_modules"] = df["vdd"].map(lambda v: points[v].n_modules)
    df["ber_lower_bound"] = df["vdd"].map(lambda v: int(points[v].ber_lower_bound))
    wide = df.pivot_table(index=["vdd", "vdd_table_equivalent"], columns=["access", "op"], values="energy_pj",
                          sort=False)
    wide.columns = [f"{a}_{o}_pj" for a, o in wide.columns]
    wide = wide.sort_index(ascending=False)
    print(f"# {spec.name}: energy per {spec.organization.burst_bytes}-byte burst access per rank (pJ), "
          f"mode {args.mode}; command energy + active-standby background over the service time; vdd on the "
          f"{points[df['vdd'].iloc[0]].core_rail} rail, vdd_table_equivalent on the voltage table's scale")
    print(wide.round(1).to_string())
    if energy_note(spec):
        print(f"# note: {energy_note(spec)}")
    if args.csv:
        _atomic_write(Path(args.csv), lambda tmp: df.to_csv(tmp, index=False))
    return 0


# -- sweep-voltage ---------------------------------------------------------------------------------

def cmd_sweep_voltage(args) -> int:
    """Replay a trace once per voltage; write sweep.csv and sweep.png into --out."""
    from dramsim.cli import _return_freed_arrays_to_os
    from dramsim.simulate import simulate
    from traces import read_requests

    if not args.vdd:
        raise InputError("sweep-voltage needs --vdd (START:STOP:STEP or a comma list of volts)")
    check_output_dir(args.out, args.force, ("sweep.csv", "sweep.png"))
    spec = _load(args)
    vdds = parse_vdd_list(args.vdd)
    table = load_table(args.voltage_table, spec.standard) if args.voltage_table else None
    ops = [operating_point(spec, v, mode=args.mode, table=table, scaling=args.scaling, vendor=args.vendor,
                           statistic=args.ber_statistic, array_share=args.array_share) for v in vdds]
    _return_freed_arrays_to_os()
    requests = read_requests(args.trace)
    by_timing = {}                     # one simulation per distinct timing, one at a time (peak memory)
    for i, op in enumerate(ops):
        by_timing.setdefault(op.spec.timing, []).append(i)
    rows = [None] * len(ops)
    for indices in by_timing.values():
        spec_at = ops[indices[0]].spec
        res = simulate(spec_at, requests, mapping=args.mapping, xor_bank_hash=args.xor_bank_hash,
                       row_policy=args.row_policy, queue_depth=args.queue_depth, scheduler=args.scheduler,
                       refresh=args.refresh, arrival=args.arrival, wrap_addresses=args.wrap_addresses,
                       channel_frontend=args.channel_frontend, threads=args.threads)
        commands, cycles = res.commands, res.cycles
        del res                        # the per-request arrays are not needed
        for i in indices:
            rows[i] = _sweep_row(ops[i], commands, cycles, args.io_energy)
        del commands
    import pandas as pd                # after the replays: its ~50 MB do not add to their peak

    df = pd.DataFrame(rows)
    out = Path(args.out)
    with atomic_dir(out) as tmp_dir:
        _atomic_write(tmp_dir / "sweep.csv", lambda tmp: df.to_csv(tmp, index=False))
        _atomic_write(tmp_dir / "sweep.png", lambda tmp: _plot(df, spec.name, args, tmp))
    print(df[["vdd", "vdd_table_equivalent", "ber", "RCD", "RP", "RAS", "cycles", "energy_total_pj"]].to_string(index=False))
    if energy_note(spec):
        print(f"note: {energy_note(spec)}")
    print(f"wrote {out / 'sweep.csv'} and {out / 'sweep.png'}")
    return 0


def _sweep_row(op, commands, cycles: int, io: bool) -> dict:
    """One ``sweep.csv`` row: the operating point, timing, run length and energy components."""
    e = compute_energy(op.spec, commands, cycles, io=io)
    tm = op.spec.timing
    return {"vdd": op.vdd, "vdd_table_equivalent": round(op.vdd_table_equivalent, 6), "mode": op.mode,
            "scaling": op.scaling, "ber": op.ber, "n_modules": op.n_modules,
            "ber_lower_bound": int(op.ber_lower_bound),
            "timing_model": op.timing_model, "RCD": tm.RCD, "RP": tm.RP, "RAS": tm.RAS, "RC": tm.RC,
            "cycles": cycles, "time_ns": cycles * tm.tck_ns,
            **{f"energy_{k}_pj": v for k, v in e.to_dict().items() if k not in ("vdd", "per_rail", "detail")}}


def _plot(df, name, args, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 1, figsize=(6, 8), sharex=True)
    axes[0].plot(df["vdd"], df["energy_total_pj"] / 1e6, "o-")
    axes[0].set_ylabel("energy (uJ)")
    axes[1].plot(df["vdd"], df["time_ns"] / 1e3, "o-")
    axes[1].set_ylabel("time (us)")
    positive = df[df["ber"] > 0]
    if len(positive):
        axes[2].semilogy(positive["vdd"], positive["ber"], "o-")
    else:
        axes[2].text(0.5, 0.5, "BER 0 at every voltage", ha="center", va="center", transform=axes[2].transAxes)
    axes[2].set_ylabel("BER")
    axes[2].set_xlabel(f"{args.standard} core-rail voltage (V)")
    axes[0].set_title(f"{name}, {args.mode} mode, {Path(args.trace).name}; timing: {df['timing_model'].iloc[-1][:40]}",
                      fontsize=8)
    for ax in axes:
        ax.grid(True, alpha=0.3)
    axes[2].invert_xaxis()
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100)
    plt.close(fig)


# -- voltage-table ---------------------------------------------------------------------------------

def cmd_voltage_table(args) -> int:
    """Rebuild the voltage table from the Voltron data directory; print its key figures."""
    from dramsim.cli import check_outputs

    check_outputs(args.out)
    data = write_voltron_table(Path(args.voltron_dir), Path(args.out))
    print("\n".join(summary_lines(data, Path(args.voltron_dir))))
    print(f"wrote {args.out}")
    return 0


def add_commands(subparsers) -> None:
    """Add the ``energy-table``, ``sweep-voltage`` and ``voltage-table`` subcommands (handler in ``func``)."""
    from dramsim.cli import add_controller_options
    from traces.cliopts import add_spec_options

    p = subparsers.add_parser("energy-table", help="energy of row-hit/miss/conflict reads and writes per voltage")
    add_spec_options(p)
    _add_voltage_options(p, "voltages: START:STOP:STEP or a comma list (default nominal)")
    p.add_argument("--csv", default=None, metavar="FILE", help="also write the long-form table as CSV")
    p.set_defaults(func=cmd_energy_table, channels=None, ranks=None)

    p = subparsers.add_parser("sweep-voltage", help="replay a trace at each voltage; CSV + PNG of energy, time, BER")
    p.add_argument("trace", help="request trace (any format traces.read_requests reads)")
    add_spec_options(p)
    _add_voltage_options(p, "voltages: START:STOP:STEP or a comma list (e.g. 1.35:1.025:0.025; required)")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory (sweep.csv, sweep.png)")
    p.add_argument("--force", action="store_true", help="replace an existing --out directory of an earlier run (default: refuse)")
    add_controller_options(p)
    p.set_defaults(func=cmd_sweep_voltage)

    p = subparsers.add_parser("voltage-table", help="rebuild the BER/timing voltage table from the Voltron data")
    p.add_argument("voltron_dir", metavar="VOLTRON_DIR",
                   help="directory with dimm_faulty_cachelines_out.csv and spatial_summary.txt")
    p.add_argument("--out", default=str(DEFAULT_TABLE), metavar="FILE",
                   help="YAML table to write (default: the shipped dramsim/tables/DDR3L_voltron.yaml)")
    p.set_defaults(func=cmd_voltage_table)


def main(argv=None) -> int:
    """Stand-alone entry point for the two subcommands."""
    from traces.cliopts import ArgumentParser

    parser = ArgumentParser(prog=PROG)
    sub = parser.add_subparsers(dest="command", required=True)
    add_commands(sub)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (InputError, TraceInputError) as exc:
        print(f"{PROG}: error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    except OSError as exc:
        from traces.errors import os_error_line

        print(f"{PROG}: error: {os_error_line(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
