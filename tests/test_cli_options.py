"""Consistent options of ``dramsim`` and ``enforcesnn`` (issue 14, item 8).

Every option of every subcommand has help text; ``--help`` shows its default (when it has one)
and its allowed values (when it has choices); the names changed in 0.2 still work as hidden
aliases that print one deprecation line naming the new option.

One name per meaning (README, "Changed in 0.2"):

=============================  ==================================  ================================
meaning                        name                                was
=============================  ==================================  ================================
command trace format           ``--cmd-format`` (replay, check,    ``--format`` (check, energy)
                               energy)
test samples evaluated         ``--eval-samples`` (eval, run,      ``--limit`` (eval)
                               tolerance, fat, flips)
training samples used          ``--train-samples`` (train)         ``--limit`` (train)
device instances 0..K-1        ``--devices K`` (tolerance, fat)    ``--seeds`` (tolerance),
                                                                   ``--evaluate`` (fat)
EDEN error model               ``--error-model``                   ``--model`` (tolerance, fat, flips)
core-rail voltages (a list)    ``--vdd A,B`` or ``START:STOP:STEP``  ``select --voltages V V V``
a standard                     ``--standard NAME`` / ``--spec       ``--spec`` on replay, check and
                               FILE`` (replay, check, energy,      energy only
                               energy-table, sweep-voltage, run)
=============================  ==================================  ================================
"""
from __future__ import annotations

import argparse

import pytest

from coupling import cli as ecli
from dramsim import cli as dcli


def _subcommands(parser, name):
    for a in parser._actions:
        if isinstance(a, argparse._SubParsersAction):
            for sub, p in a.choices.items():
                yield f"{name} {sub}", p


PARSERS = dict(_subcommands(dcli.build_parser(), "dramsim")) | dict(_subcommands(ecli.build_parser(), "enforcesnn"))


@pytest.mark.parametrize("command", sorted(PARSERS))
def test_every_option_has_help_with_its_default_and_choices(command):
    parser = PARSERS[command]
    text = " ".join(parser.format_help().split())          # argparse wraps lines
    for a in parser._actions:
        if isinstance(a, argparse._HelpAction) or a.help == argparse.SUPPRESS:
            continue
        where = f"{command} {'/'.join(a.option_strings) or a.dest}"
        assert a.help, f"{where}: no help text"
        shown = " ".join(parser._get_formatter()._get_help_string(a).split())
        assert shown.split(" (")[0] in text or a.help.split()[0] in text, where
        if a.option_strings and a.nargs != 0 and a.default not in (None, False, argparse.SUPPRESS):
            assert "default" in shown, f"{where}: default {a.default!r} not shown"
            forms = {str(a.default).split("/")[-1]} | ({f"{a.default:g}"} if isinstance(a.default, float) else set())
            assert any(f in text for f in forms), f"{where}: default {a.default!r} not in --help"
        if a.choices is not None:
            for c in a.choices:
                assert str(c) in text, f"{where}: choice {c!r} not in --help"


def test_a_standard_is_taken_by_name_or_by_spec_file_alike():
    for command in ("replay", "check", "energy", "energy-table", "sweep-voltage"):
        opts = {o for a in PARSERS[f"dramsim {command}"]._actions for o in a.option_strings}
        assert {"--standard", "--spec"} <= opts, command
    opts = {o for a in PARSERS["enforcesnn run"]._actions for o in a.option_strings}
    assert {"--standard", "--spec"} <= opts


def test_sweep_voltage_has_the_controller_options_of_replay():
    def opts(c):
        return {o for a in PARSERS[c]._actions for o in a.option_strings}
    controller = {"--scheduler", "--refresh", "--xor-bank-hash", "--wrap-addresses", "--mapping", "--row-policy",
                  "--queue-depth", "--arrival", "--channels", "--ranks"}
    assert controller <= opts("dramsim sweep-voltage") and controller <= opts("dramsim replay")


@pytest.mark.parametrize("prog, argv, new, dest, value", [
    ("dramsim", ["check", "t.csv", "--format", "csv"], "--cmd-format", "cmd_format", "csv"),
    ("dramsim", ["energy", "t.csv", "--standard", "DDR3-1600K", "--format", "drampower4"], "--cmd-format",
     "cmd_format", "drampower4"),
    ("enforcesnn", ["eval", "m.npz", "--limit", "7"], "--eval-samples", "eval_samples", 7),
    ("enforcesnn", ["train", "--out", "m.npz", "--limit", "7"], "--train-samples", "train_samples", 7),
    ("enforcesnn", ["tolerance", "m.npz", "--seeds", "5"], "--devices", "devices", 5),
    ("enforcesnn", ["fat", "m.npz", "--target-ber", "1e-3", "--out", "f.npz", "--evaluate", "2"], "--devices",
     "devices", 2),
    ("enforcesnn", ["flips", "m.npz", "--ber", "1e-3", "--out", "f.csv", "--model", "2"], "--error-model",
     "error_model", 2),
])
def test_old_names_still_work_with_one_deprecation_line(capsys, prog, argv, new, dest, value):
    parser = dcli.build_parser() if prog == "dramsim" else ecli.build_parser()
    args = parser.parse_args(argv)
    assert getattr(args, dest) == value
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"{prog}: warning: ") and new in err[0], err


def test_new_names_print_nothing(capsys):
    args = ecli.build_parser().parse_args(["tolerance", "m.npz", "--devices", "4", "--error-model", "1"])
    assert (args.devices, args.error_model) == (4, 1)
    assert capsys.readouterr().err == ""
    assert "--limit" not in PARSERS["enforcesnn eval"].format_help()      # aliases hidden


def test_select_takes_the_vdd_list_syntax_and_the_old_space_separated_one(tmp_path, capsys):
    """A candidate table with --vdd is refused by name (the voltages apply to a YAML grid); the old
    form is converted to the new one with a deprecation line first."""
    table = tmp_path / "c.csv"
    table.write_text("name,accuracy,memory_bytes,energy_pj\na,0.9,100,5\n")
    for argv in (["--vdd", "1.35,1.2"], ["--voltages", "1.35", "1.2"]):
        status = ecli.main(["select", "--candidates", str(table), "--out", str(tmp_path / "o"), *argv])
        err = capsys.readouterr().err.strip().splitlines()
        assert status == 2 and err[-1] == "enforcesnn: error: --vdd applies to a YAML grid, not to a candidate table"
        assert len(err) == (2 if argv[0] == "--voltages" else 1)
        assert not (tmp_path / "o").exists()
