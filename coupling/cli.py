"""The ``enforcesnn`` command line. Subcommands register themselves with ``add_commands``."""
from __future__ import annotations

import sys

from coupling.analysis_cli import add_commands as _analysis_commands
from coupling.run_cli import add_commands as _run_commands
from dramsim.errors import InputError as _DramInputError
from snn.cli import add_commands as _snn_commands
from snn.errors import InputError
from traces.errors import InputError as _TraceInputError

PROG = "enforcesnn"


def build_parser():
    """The argparse parser with every subcommand."""
    from traces.cliopts import ArgumentParser
    from traces.errors import add_version_option

    parser = ArgumentParser(prog=PROG, description="EnforceSNN: SNN inference on approximate DRAM")
    add_version_option(parser, PROG)
    sub = parser.add_subparsers(dest="command", required=True)
    _snn_commands(sub)
    _run_commands(sub)
    _analysis_commands(sub)
    return parser


def main(argv=None) -> int:
    """Entry point of the console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except (InputError, _DramInputError, _TraceInputError, FileNotFoundError) as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # a file-system fault no layer named: still one line, exit 2
        from traces.errors import os_error_line

        print(f"{PROG}: error: {os_error_line(e)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
