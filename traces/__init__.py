"""Trace formats: request traces (ours, Ramulator 1/2, DRAMsim3) and DRAM command traces (ours, DRAMPower 4/5)."""
from traces.commands import COMMANDS, CommandTrace
from traces.requests import RequestTrace

__all__ = ["COMMANDS", "CommandTrace", "RequestTrace"]
