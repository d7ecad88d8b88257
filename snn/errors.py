"""Errors raised by the :mod:`snn` package."""


class InputError(ValueError):
    """Bad user input (file, field or argument); the message is one line naming what was expected."""
