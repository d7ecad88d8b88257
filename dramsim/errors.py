"""The one exception type that means "the user's input is wrong" (CLIs turn it into exit status 2)."""


class InputError(ValueError):
    """Bad user input: a one-line message naming the file, line or field and what was expected."""
