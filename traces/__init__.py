"""Trace formats: request traces (ours, Ramulator 1/2, DRAMsim3) and DRAM command traces (ours, DRAMPower 4/5).

Public API::

    read_requests(path, fmt="auto") -> RequestTrace     write_requests(trace, path, fmt)
    detect_format(path) -> str
    read_commands(path, fmt="auto") -> CommandTrace     write_commands(commands, path, fmt="csv", ...)
    (command formats: csv, drampower4, drampower5, and ramulator2 read only; see traces.command_io)
    InputError (a ValueError): bad trace input, message "file:line: expected ..., got ..."

The request-trace functions are imported on first use: their parsers are Numba kernels, and a
program that only reads command traces (``dramsim energy``) then starts without Numba.
"""
from traces.command_io import COMMAND_FORMATS, read_commands, write_commands
from traces.commands import COMMANDS, CommandTrace
from traces.errors import InputError
from traces.requests import RequestTrace

_REQUEST_IO = ("FORMATS", "detect_format", "read_requests", "write_requests")


def __getattr__(name):
    if name in _REQUEST_IO:
        from traces import request_io

        return getattr(request_io, name)
    raise AttributeError(f"module 'traces' has no attribute {name!r}")


__all__ = ["COMMANDS", "COMMAND_FORMATS", "CommandTrace", "FORMATS", "InputError", "RequestTrace",
           "detect_format", "read_commands", "read_requests", "write_commands", "write_requests"]
