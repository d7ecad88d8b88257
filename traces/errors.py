"""The one exception type that means "the trace file is wrong" (CLIs turn it into exit status 2).

:mod:`traces` imports nothing from :mod:`dramsim`, so it has its own ``InputError``; it is a
``ValueError`` like :class:`dramsim.errors.InputError`, and a CLI catching ``ValueError`` subclasses
of both packages treats them alike.
"""


class InputError(ValueError):
    """Bad trace input: a one-line message naming the file, line or field and what was expected."""


def version() -> str:
    """The installed distribution's version (``--version`` of both command lines)."""
    try:
        from importlib.metadata import PackageNotFoundError, version as _version
        return _version("enforcesnn")
    except (ImportError, PackageNotFoundError):   # run from a source tree that was never installed
        return "unknown (not installed)"


def add_version_option(parser, prog: str) -> None:
    """``--version`` on an argparse parser, reading the installed version only when it is asked for
    (``importlib.metadata`` would add about 15 ms to every start of the command line)."""
    import argparse

    class _Version(argparse.Action):
        def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
            super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

        def __call__(self, parser, namespace, values, option_string=None):
            import sys
            sys.stdout.write(f"{prog} {version()}\n")
            parser.exit()

    parser.add_argument("--version", action=_Version, help="print the version and exit")


def os_error_line(exc: OSError) -> str:
    """The one-line message of an ``OSError`` no layer turned into an :class:`InputError`:
    ``PATH: cannot read or write (reason)``, e.g. for a directory given where a file is read."""
    reason = (exc.strerror or str(exc) or type(exc).__name__).lower()
    where = exc.filename if exc.filename is not None else "<file system>"
    return f"{where}: cannot read or write ({reason})"
