"""Conventions shared by the ``dramsim`` and ``enforcesnn`` command lines.

* :class:`HelpFormatter`: every option's ``--help`` line shows its default and its allowed
  values (appended when the help text does not already say them).
* :func:`add_deprecated_alias`: an old option name that still works, hidden from ``--help``,
  printing one line to stderr that names the new option.
* :func:`comma_list`: the one list syntax (``a,b,c``) of every option taking several values.
* :func:`add_spec_options`: ``--standard NAME`` next to ``--spec FILE`` wherever a standard is taken.
"""
from __future__ import annotations

import argparse
import sys


class HelpFormatter(argparse.HelpFormatter):
    """Appends ``(default X)`` and ``(choices: a, b)`` to help texts that do not give them."""

    def _get_help_string(self, action):
        text = action.help or ""
        if text == argparse.SUPPRESS:
            return text
        default = action.default
        if (action.option_strings and "default" not in text and default not in (None, False, argparse.SUPPRESS)
                and action.nargs != 0):
            text += f" (default {default})".replace("%", "%%")
        if action.choices is not None and not all(str(c) in text for c in action.choices) \
                and action.metavar is not None:
            text += " (choices: " + ", ".join(map(str, action.choices)) + ")"
        return text


class _Deprecated(argparse.Action):
    """Stores as the new option does, after one line on stderr naming the new option."""

    def __init__(self, option_strings, dest, new, prog, target, **kwargs):
        self.new, self.prog, self.target = new, prog, target
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"{self.prog}: warning: {option_string} is deprecated; use {self.new}", file=sys.stderr)
        self.target(parser, namespace, values, option_string)


def add_deprecated_alias(parser, old: str, new: str, prog: str) -> None:
    """Accept ``old`` as a hidden alias of the already added option ``new`` of ``parser``."""
    action = next(a for a in parser._actions if new in a.option_strings)
    kwargs = {"nargs": action.nargs, "type": action.type, "choices": action.choices,
              "const": action.const} if action.nargs != 0 else {"nargs": 0}
    parser.add_argument(old, action=_Deprecated, dest=action.dest, new=new, prog=prog, target=action,
                        default=argparse.SUPPRESS, help=argparse.SUPPRESS, **kwargs)


def comma_list(item=float, name: str = "list"):
    """An argparse ``type``: ``"a,b,c"`` -> ``[item(a), item(b), item(c)]``."""
    def parse(text: str):
        try:
            values = [item(x) for x in str(text).split(",") if x.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: expected a comma-separated list, e.g. 1.35,1.2") from None
        if not values:
            raise argparse.ArgumentTypeError(f"{text!r}: expected at least one value")
        return values
    parse.__name__ = name
    return parse


def add_spec_options(parser, standard_default: str | None = "DDR3-1600K", required: bool = False) -> None:
    """``--standard NAME`` and ``--spec FILE`` (``--spec`` wins; ``required``: one of them must be given)."""
    group = parser.add_mutually_exclusive_group(required=True) if required else parser
    group.add_argument("--standard", default=standard_default, metavar="NAME",
                       help="built-in standard (see `dramsim standards`)"
                            + (f"; default {standard_default}" if standard_default else ""))
    group.add_argument("--spec", default=None, metavar="FILE",
                       help="spec file: YAML, DRAMPower 4 XML, DRAMSys JSON or DRAMsim3 INI (overrides --standard)")


class ArgumentParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` with :class:`HelpFormatter` (its subcommands' parsers too)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)
