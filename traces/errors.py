"""The one exception type that means "the trace file is wrong" (CLIs turn it into exit status 2).

:mod:`traces` imports nothing from :mod:`dramsim`, so it has its own ``InputError``; it is a
``ValueError`` like :class:`dramsim.errors.InputError`, and a CLI catching ``ValueError`` subclasses
of both packages treats them alike.
"""


class InputError(ValueError):
    """Bad trace input: a one-line message naming the file, line or field and what was expected."""
