"""The ``dramsim`` command line: replay a trace, list and show standards, check a command trace.

::

    dramsim replay TRACE [--standard DDR3-1600K | --spec FILE] [--channels 1] [--ranks 1]
                   [--mapping RoBaRaCoCh] [--xor-bank-hash] [--row-policy open|closed|close-adaptive]
                   [--queue-depth 32] [--scheduler fcfs-ready|frfcfs] [--refresh all-bank|per-bank|same-bank|none] [--arrival auto|trace|saturate]
                   [--channel-frontend shared|independent] [--threads N]
                   [--powerdown-after N] [--selfrefresh-after M] [--powerdown-exit fast|slow]
                   [--wrap-addresses] [--reference] [--cmd-trace OUT [--cmd-format csv|drampower4|drampower5|ramulator2]]
                   [--json FILE]
    dramsim standards
    dramsim show STANDARD
    dramsim check CMDTRACE (--standard S | --spec FILE) [--cmd-format auto|csv|drampower4|drampower5|ramulator2]
                  [--refresh all-bank|per-bank|same-bank|none]  (default: from the trace)
    dramsim energy CMDTRACE (--spec FILE | --standard S) [--cmd-format auto|csv|drampower4|drampower5|ramulator2]
                   [--ranks R] [--cycles N] [--json FILE]          (see dramsim.energy_cli)

Bad input prints ``dramsim: error: MESSAGE`` to stderr and exits with status 2; output files are
written whole (temporary file, then rename) or not at all. ``check`` exits 1 when it finds
violations.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

from dramsim.errors import InputError
from dramsim.policies import ROW_POLICIES

PROG = "dramsim"


def _input_errors() -> tuple:
    errors = [InputError]
    try:
        from traces.errors import InputError as TraceInputError
        errors.append(TraceInputError)
    except ImportError:  # pragma: no cover - traces always ships it
        pass
    return tuple(errors)


def _load_spec(args):
    from dramsim.spec import load_spec

    return load_spec(args.spec or args.standard, channels=args.channels, ranks=args.ranks)


def _atomic_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all."""
    from traces._atomic import atomic_write

    atomic_write(Path(path), lambda f: f.write(text.encode()))


def check_outputs(*files) -> None:
    """Check, before any work, that every given output file (None: not asked for) can be written."""
    from traces._atomic import check_output_file

    for path in files:
        if path:
            check_output_file(path)


def _return_freed_arrays_to_os() -> None:
    """Fix glibc's mmap threshold at 1 MiB so freed NumPy arrays go back to the OS at once.

    glibc otherwise raises the threshold after the first large free (up to 32 MiB), and the
    trace's and decoder's freed arrays then stay in the heap and add to the peak RSS of replay.
    """
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):  # not glibc: nothing to tune
        pass


def summary_table(stats: dict, operating_point: dict | None = None) -> str:
    """The readable summary ``replay`` prints (one ``name  value`` row per statistic)."""
    rows = [
        ("standard", stats["standard"]),
        ("requests", f"{stats['requests']:,} ({stats['reads']:,} reads, {stats['writes']:,} writes)"),
        ("cycles", f"{stats['cycles']:,}" + (f" (a cycle is a {stats['cycle']})" if "cycle" in stats else "")),
        ("time", f"{stats['time_ns'] / 1e3:,.3f} us"),
        ("bandwidth", f"{stats['bandwidth_gbps']:.3f} GB/s"),
        ("row hits / misses / conflicts",
         f"{stats['row_hits']:,} / {stats['row_misses']:,} / {stats['row_conflicts']:,}"),
        ("latency (cycles) mean / p50 / p99",
         f"{stats['latency_cycles']['mean']:.1f} / {stats['latency_cycles']['p50']:.0f} / "
         f"{stats['latency_cycles']['p99']:.0f}"),
        ("commands", "  ".join(f"{k} {v:,}" for k, v in stats["commands"].items())),
    ]
    if "energy_pj" in stats:
        e, op = stats["energy_pj"], operating_point or {}
        rows.append(("energy", f"{e['total'] / 1e6:,.3f} uJ (act {e['act'] / 1e6:,.3f}, pre {e['pre'] / 1e6:,.3f}, "
                               f"rd {e['rd'] / 1e6:,.3f}, wr {e['wr'] / 1e6:,.3f}, ref {e['ref'] / 1e6:,.3f}, "
                               f"background {e['background'] / 1e6:,.3f}"
                               + "".join(f", {k} {e[k] / 1e6:,.3f}" for k in ("powerdown", "selfrefresh") if e.get(k))
                               + ")"))
        if stats.get("energy_note"):
            rows.append(("energy note", stats["energy_note"]))
        if op:
            rows.append(("operating point", f"{op.get('vdd')} V {op.get('core_rail', '')} ({op.get('vdd_table_equivalent')} V "
                                            f"on the voltage table's scale), {op.get('mode')} mode, BER {op.get('ber')}"))
    if "wall_s" in stats:
        rows.append(("wall time", f"{stats['wall_s']:.3f} s"))
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def cmd_replay(args) -> int:
    from dramsim import power_cli
    from dramsim.simulate import simulate
    from traces import read_requests, write_commands

    start = time.perf_counter()
    _return_freed_arrays_to_os()
    check_outputs(args.json, args.cmd_trace)
    spec, op = power_cli.prepare_spec(_load_spec(args), args)
    if args.cmd_format and not args.cmd_trace:
        raise InputError("--cmd-format needs --cmd-trace OUT")
    requests = read_requests(args.trace)
    if len(requests) == 0:
        raise InputError(f"{args.trace}: no requests; expected at least one line")
    try:
        res = simulate(spec, requests, mapping=args.mapping, xor_bank_hash=args.xor_bank_hash,
                       row_policy=args.row_policy, queue_depth=args.queue_depth, refresh=args.refresh,
                       arrival=args.arrival, wrap_addresses=args.wrap_addresses, reference=args.reference,
                       scheduler=args.scheduler, powerdown_after=args.powerdown_after,
                       selfrefresh_after=args.selfrefresh_after, powerdown_exit=args.powerdown_exit,
                       channel_frontend=args.channel_frontend, threads=args.threads)
    except InputError as exc:
        if str(exc).startswith("request "):  # name the trace file for per-request errors
            raise InputError(f"{args.trace}: {exc}") from None
        raise
    stats = dict(res.stats)
    stats["standard"] = spec.name
    # only the command trace is needed from here on: free the per-request arrays (peak memory)
    res = dataclasses.replace(res, arrival=None, issue=None, completion=None, outcome=None)
    del requests
    power = power_cli.energy_json(res, op, args)
    stats["energy_pj"] = power["energy_pj"]
    if power.get("energy_note"):
        stats["energy_note"] = power["energy_note"]
    stats["wall_s"] = round(time.perf_counter() - start, 6)
    if args.cmd_trace:
        org = spec.organization
        write_commands(res.commands, args.cmd_trace, args.cmd_format or "csv",
                       banks_per_group=org.banks_per_group, channels=org.channels, ranks=org.ranks,
                       data_bytes=org.dq * org.burst_length // 8)
    if args.json:
        import json

        _atomic_text(args.json, json.dumps(stats, indent=2) + "\n")
    print(summary_table(stats, power["operating_point"]))
    return 0


def cmd_standards(args) -> int:
    from dramsim.spec import builtin_standards, load_spec

    for name in builtin_standards():
        print(f"{name:<14} {load_spec(name).description}")
    return 0


def cmd_show(args) -> int:
    from dramsim.spec import load_spec

    spec = load_spec(args.standard)
    org, t = spec.organization, spec.timing
    print(f"{spec.name} ({spec.standard}): {spec.description}")
    print(f"source: {spec.source}")
    print(f"organization: {org.density_gbit:g} Gbit x{org.dq}, {org.devices_per_rank} device(s) per rank, "
          + (f"{org.sids} SIDs x " if org.sids > 1 else "")
          + f"{org.bankgroups} bank group(s) x {org.banks_per_group} banks, {org.rows} rows, {org.columns} columns, "
          f"BL{org.burst_length} ({org.burst_bytes} B per burst, {org.row_bytes} B per row), "
          f"{org.capacity_bytes / (org.channels * org.ranks) / 2**30:g} GiB per rank, "
          f"{org.capacity_bytes / 2**30:g} GiB in {org.channels} channel(s) x {org.ranks} rank(s)")
    if t.ticks_per_ck > 1:          # HBM3: the spec's cycle is a tick, a fraction of CK
        print(f"timing (a cycle is a tick of {t.tck_ns} ns, 1/{t.ticks_per_ck} of CK: CK {1000 / t.ck_ns:g} MHz, "
              f"tCK {t.ck_ns:g} ns = {t.ticks_per_ck} ticks; every value, refresh and energy time in ticks):")
    else:
        print(f"timing (tCK {t.tck_ns} ns):")
    import dataclasses

    for f in dataclasses.fields(t):
        if f.name in ("tck_ns", "ticks_per_ck"):
            continue
        value = getattr(t, f.name)
        print(f"  {f.name:<8} {value:>6} cycles  {t.ns(f.name):>9.2f} ns")
    print(f"refresh modes (--refresh): {', '.join(_refresh_modes(spec))}")
    from dramsim.energy import energy_note

    print("power (mA per device):")
    for rail in spec.rails:
        currents = "  ".join(f"{k} {v:g}" for k, v in rail.currents_ma.items() if v) or "no currents (not modelled)"
        print(f"  {rail.name} {rail.voltage_v:g} V: {currents}")
    if energy_note(spec):
        print(f"note: {energy_note(spec)}")
    return 0


def _refresh_modes(spec) -> list[str]:
    """The refresh modes ``spec`` can run (``dramsim show``), the default first."""
    modes = ["all-bank (default)"]
    if spec.timing.REFIpb and "REFpb" in spec.table.scope:
        if spec.organization.ranks == 1:
            modes.append("per-bank (REFpb)")
        elif spec.table.per_bank_refresh == "rank":
            modes.append("per-bank (REFpb; each rank its own every tREFIpb, all ranks at once)")
        else:
            modes.append("per-bank (REFpb; one every tREFIpb / ranks, to the channel's ranks in turn)")
    if spec.timing.REFIsb and "REFsb" in spec.table.scope:
        modes.append("same-bank (REFsb; its energy: REF / (2 x banks per group), no public current)")
    return modes + ["none"]


def cmd_check(args) -> int:
    from dramsim.checker import check, format_report
    from traces import read_commands

    spec = _load_spec(args)
    commands = read_commands(args.cmdtrace, args.cmd_format, banks_per_group=spec.organization.banks_per_group)
    violations = check(commands, spec, refresh=args.refresh)
    if violations:
        print(format_report(violations))
        return 1
    print(f"{args.cmdtrace}: {len(commands):,} commands, no violations ({spec.name})")
    return 0


def add_controller_options(p) -> None:
    """The memory controller's options (``replay`` and ``sweep-voltage``)."""
    p.add_argument("--channels", type=int, default=None, help="channels (default: the spec's, 1)")
    p.add_argument("--ranks", type=int, default=None, help="ranks per channel (default: the spec's, 1)")
    p.add_argument("--mapping", default="RoBaRaCoCh", help="address mapping, most significant field first")
    p.add_argument("--xor-bank-hash", action="store_true", help="XOR bank bits with low row bits")
    p.add_argument("--row-policy", choices=ROW_POLICIES, default="open",
                   help="open keeps a row until a conflict; closed is strict closed page, every column command "
                        "RDA/WRA (changed: before issue #10 'closed' meant close-adaptive); close-adaptive: RDA/WRA "
                        "only when no queued request targets the row")
    p.add_argument("--queue-depth", type=int, default=32, help="read and write queue entries per channel")
    p.add_argument("--scheduler", choices=("fcfs-ready", "frfcfs"), default="fcfs-ready",
                   help="fcfs-ready: the oldest ready command first, as Ramulator 2 (default); "
                        "frfcfs: ready row hits first, then the oldest ready command")
    p.add_argument("--refresh", choices=("all-bank", "per-bank", "same-bank", "none"), default="all-bank",
                   help="refresh (same-bank: DDR5 REFsb)")
    p.add_argument("--arrival", choices=("auto", "trace", "saturate"), default="auto",
                   help="auto: the trace's cycles if it has them, else saturate (default auto)")
    p.add_argument("--wrap-addresses", action="store_true", help="drop address bits beyond the capacity")
    p.add_argument("--channel-frontend", choices=("shared", "independent"), default="shared",
                   help="shared: one trace-order front end for all channels, a full queue holds back the other "
                        "channels too (Ramulator 2, default); independent: each channel its own controller, "
                        "simulated in parallel")
    p.add_argument("--threads", type=int, default=None, metavar="N",
                   help="channels simulated at once with --channel-frontend independent (default: the cores; 1: "
                        "one after another)")


def build_parser() -> argparse.ArgumentParser:
    from traces.cliopts import ArgumentParser, add_deprecated_alias, add_spec_options
    from traces.errors import add_version_option

    parser = ArgumentParser(prog=PROG, description="DRAM trace simulator (dramsim)")
    add_version_option(parser, PROG)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("replay", help="simulate a request trace and print a summary")
    p.add_argument("trace", help="request trace (Ramulator 1/2, DRAMsim3, .npy/.npz)")
    add_spec_options(p)
    add_controller_options(p)
    p.add_argument("--powerdown-after", type=int, default=None, metavar="N",
                   help="low-power policy: a rank idle for N cycles enters power-down (default: never)")
    p.add_argument("--selfrefresh-after", type=int, default=None, metavar="M",
                   help="low-power policy: a rank idle for M cycles enters self-refresh (default: never)")
    p.add_argument("--powerdown-exit", choices=("fast", "slow"), default="fast",
                   help="power-down with fast (DLL on, default) or slow exit (DLL off)")
    p.add_argument("--reference", action="store_true", help="slow mode: tick every cycle")
    p.add_argument("--cmd-trace", default=None, metavar="OUT", help="write the command trace")
    p.add_argument("--cmd-format", choices=("csv", "drampower4", "drampower5", "ramulator2"), default=None,
                   help="format of --cmd-trace (default csv)")
    p.add_argument("--json", default=None, metavar="FILE", help="write the statistics as JSON")
    from dramsim import power_cli

    power_cli.add_replay_options(p)
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("standards", help="list the built-in standards")
    p.set_defaults(func=cmd_standards)

    p = sub.add_parser("show", help="print a standard's parameter table")
    p.add_argument("standard", help="built-in name or spec file")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("check", help="check a command trace against a standard's timing rules")
    p.add_argument("cmdtrace", help="command trace (our CSV, DRAMPower 4/5, Ramulator 2)")
    add_spec_options(p)
    p.add_argument("--channels", type=int, default=None, help="channels (default: the spec's, 1)")
    p.add_argument("--ranks", type=int, default=None, help="ranks per channel (default: the spec's, 1)")
    p.add_argument("--cmd-format", default="auto", choices=("auto", "csv", "drampower4", "drampower5", "ramulator2"),
                   help="command trace format")
    add_deprecated_alias(p, "--format", "--cmd-format", PROG)
    p.add_argument("--refresh", choices=("all-bank", "per-bank", "same-bank", "none"), default=None,
                   help="refresh-rate rules (default: read from the trace, per-bank when it has a REFpb, "
                        "same-bank when it has a REFsb)")
    p.set_defaults(func=cmd_check)

    power_cli.add_commands(sub)
    from dramsim import energy_cli

    energy_cli.add_command(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return status
    except _input_errors() as exc:
        print(f"{PROG}: error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"{PROG}: error: {exc.filename}: no such file", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader of our output went away (``dramsim check ... | head``): stop quietly;
        # point stdout at /dev/null so the interpreter's final flush does not fail again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 141  # as a process killed by SIGPIPE (128 + 13)
    except OSError as exc:  # a file-system fault no layer named: still one line, exit 2
        from traces.errors import os_error_line

        print(f"{PROG}: error: {os_error_line(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
