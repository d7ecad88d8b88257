"""``dramsim energy``: the energy of any tool's DRAM command trace, DRAMPower-style.

::

    dramsim energy CMDTRACE (--spec FILE | --standard S) [--cmd-format auto|csv|drampower4|drampower5|ramulator2]
                   [--channels C] [--ranks R] [--cycles N] [--io-energy] [--json FILE]

Reads our CSV, DRAMPower 4 and 5 command traces and Ramulator 2.1's ``CmdTraceRecorder`` CSV
(:func:`traces.read_commands`) and evaluates :func:`dramsim.energy.compute_energy` on them. The
run lasts until the trace's END line (DRAMPower formats), or ``--cycles``, or else one cycle past
the last command. A DRAMPower 4 file is one rank: its commands go to channel 0, rank 0, and any
other rank of ``--ranks R`` is billed idle (precharged standby) for the whole run, where
DRAMPower 4 would bill every rank the background of the one it was given.

Printed: every component (pJ) for the whole memory and per device. ``--json`` writes
``energy_pj`` (the replay's keys, summed over ranks), ``energy_pj_per_device`` (the same keys
divided by the devices of a rank), ``energy_pj_per_rank`` (one entry per channel and rank) and
the run's ``cycles`` and effective command ``counts``.
"""
from __future__ import annotations

import sys
import warnings

from dramsim.errors import InputError

FORMATS = ("auto", "csv", "drampower4", "drampower5", "ramulator2")
#: Components printed, in order (keys of :meth:`EnergyBreakdown.to_dict`).
COMPONENTS = ("act", "pre", "rd", "wr", "ref", "background", "powerdown", "selfrefresh", "io", "total")


def add_command(subparsers) -> None:
    """Add the ``energy`` subcommand."""
    p = subparsers.add_parser("energy", help="energy of a command trace (DRAMPower 4, our CSV, Ramulator 2.1, ...)")
    from dramsim.cli import PROG
    from traces.cliopts import add_deprecated_alias, add_spec_options

    p.add_argument("cmdtrace", help="command trace")
    add_spec_options(p, None, required=True)
    p.add_argument("--cmd-format", choices=FORMATS, default="auto", help="command trace format")
    add_deprecated_alias(p, "--format", "--cmd-format", PROG)
    p.add_argument("--channels", type=int, default=None, help="channels (default: the spec's, 1)")
    p.add_argument("--ranks", type=int, default=None, help="ranks per channel (default: the spec's, 1)")
    p.add_argument("--cycles", type=int, default=None,
                   help="length of the run in cycles (default: the END line, else last command + 1)")
    p.add_argument("--io-energy", action="store_true", help="add read I/O and write termination energy")
    p.add_argument("--json", default=None, metavar="FILE", help="write the energies as JSON")
    p.set_defaults(func=cmd_energy)


def scaled(energy: dict, factor: float) -> dict:
    """An ``energy_pj`` dict with every energy multiplied by ``factor`` (``vdd`` kept)."""
    out = {}
    for key, value in energy.items():
        if isinstance(value, dict):
            out[key] = {k: v * factor for k, v in value.items()}
        else:
            out[key] = value if key == "vdd" else value * factor
    return out


def _per_rank(spec, commands, cycles, io) -> list[dict]:
    """``{"channel", "rank", "energy_pj"}`` for every rank of the organization."""
    import numpy as np

    from dramsim.energy import compute_energy
    from traces.commands import CommandTrace

    org = spec.organization
    one = spec.with_options(channels=1, ranks=1)
    fields = ("cycle", "cmd", "channel", "rank", "bankgroup", "bank", "row", "column")
    out = []
    for ch in range(org.channels):
        for rk in range(org.ranks):
            sel = (commands.channel == ch) & (commands.rank == rk)
            part = CommandTrace(**{f: getattr(commands, f)[sel] for f in fields})
            part = CommandTrace(**{**{f: getattr(part, f) for f in fields},
                                   "channel": np.zeros(len(part)), "rank": np.zeros(len(part))})
            out.append({"channel": ch, "rank": rk, "energy_pj": compute_energy(one, part, cycles, io=io).to_dict()})
    return out


def cmd_energy(args) -> int:
    from dramsim.cli import _atomic_text, check_outputs
    from dramsim.energy import compute_energy, energy_note
    from dramsim.spec import load_spec
    from traces import read_commands

    check_outputs(args.json)
    if args.cycles is not None and args.cycles < 0:
        raise InputError(f"--cycles {args.cycles}: expected a non-negative integer")
    with warnings.catch_warnings(record=True) as caught:   # one line each, not Python's two
        warnings.simplefilter("always")
        spec = load_spec(args.spec or args.standard, channels=args.channels, ranks=args.ranks)
    for w in caught:
        print(f"dramsim: warning: {w.message}", file=sys.stderr)
    commands, end = read_commands(args.cmdtrace, args.cmd_format, banks_per_group=spec.organization.banks_per_group,
                                  with_end=True)
    if args.cycles is not None:
        cycles = args.cycles
    elif end is not None:
        cycles = end
    else:
        cycles = int(commands.cycle[-1]) + 1 if len(commands) else 0
    if len(commands) and int(commands.cycle[-1]) >= cycles:
        raise InputError(f"{args.cmdtrace}: a command at cycle {int(commands.cycle[-1])} lies beyond the run's "
                         f"end at cycle {cycles}; expected END (or --cycles) after the last command")
    try:
        e = compute_energy(spec, commands, cycles, io=args.io_energy)
        org = spec.organization
        per_rank = (_per_rank(spec, commands, cycles, args.io_energy) if org.channels * org.ranks > 1
                    else [{"channel": 0, "rank": 0, "energy_pj": e.to_dict()}])
    except InputError as exc:
        raise InputError(f"{args.cmdtrace}: {exc}") from None
    energy = e.to_dict()
    per_device = scaled(energy, 1.0 / spec.organization.devices_per_rank)
    if args.json:
        import json

        doc = {"trace": str(args.cmdtrace), "spec": spec.name, "cycles": int(cycles), "commands": len(commands),
               "counts": e.counts, "energy_pj": energy, "energy_pj_per_device": per_device,
               "energy_pj_per_rank": per_rank}
        if energy_note(spec):
            doc["energy_note"] = energy_note(spec)
        _atomic_text(args.json, json.dumps(doc, indent=2) + "\n")
    print(f"{args.cmdtrace}: {len(commands):,} commands, {cycles:,} cycles, {spec.name}, "
          f"{spec.organization.channels * spec.organization.ranks} rank(s) of "
          f"{spec.organization.devices_per_rank} device(s)")
    print(f"{'component':<12} {'all ranks (pJ)':>18} {'per device (pJ)':>18}")
    for key in COMPONENTS:
        print(f"{key:<12} {energy[key]:>18,.2f} {per_device[key]:>18,.2f}")
    if len(per_rank) > 1:
        for r in per_rank:
            print(f"ch{r['channel']} rank{r['rank']:<4} {r['energy_pj']['total']:>18,.2f}")
    if energy_note(spec):
        print(f"note: {energy_note(spec)}")
    return 0
