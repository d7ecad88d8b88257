"""Trace formats: request traces (ours, Ramulator 1/2, DRAMsim3) and DRAM command traces (ours, DRAMPower 4/5).

Public API::

    read_requests(path, fmt="auto") -> RequestTrace     write_requests(trace, path, fmt)
    detect_format(path) -> str
    read_commands(path, fmt="auto") -> CommandTrace     write_commands(commands, path, fmt="csv", ...)
    (command formats: csv, drampower4, drampower5; see traces.command_io)
    InputError (a ValueError): bad trace input, message "file:line: expected ..., got ..."
"""
from traces.command_io import COMMAND_FORMATS, read_commands, write_commands
from traces.commands import COMMANDS, CommandTrace
from traces.errors import InputError
from traces.request_io import FORMATS, detect_format, read_requests, write_requests
from traces.requests import RequestTrace

__all__ = ["COMMANDS", "COMMAND_FORMATS", "CommandTrace", "FORMATS", "InputError", "RequestTrace",
           "detect_format", "read_commands", "read_requests", "write_commands", "write_requests"]
