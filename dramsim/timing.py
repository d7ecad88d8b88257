"""The constraint table of a spec: which earlier command delays which later one, by how much.

:func:`constraints` lists the JEDEC rules the controller enforces (the contract shared with
:mod:`dramsim.checker`), with their values in cycles for one spec; :func:`timing_array` packs
the numbers the kernel needs into an int64 array (layout :data:`dramsim.kernel.TIMING_LAYOUT`),
so one compiled kernel serves every standard.
"""
from __future__ import annotations

import numpy as np

from dramsim.kernel import TIMING_LAYOUT
from dramsim.spec import Spec


def derived(spec: Spec) -> dict[str, int]:
    """Every timing value the controller uses, in cycles, keyed by :data:`TIMING_LAYOUT` name.

    ``BL`` is the bus time of one burst (burst_length / 2); ``RD2WR`` = CL + BL + 2 - CWL
    (read-to-write turnaround, same rank); ``WR2RD_S/L`` = CWL + BL + WTR_S/L; ``WR2PRE`` =
    CWL + BL + WR (write recovery); ``*_R`` are the rank-to-rank (data-bus switch) gaps:
    RD->RD and WR->WR BL + RTRS, RD->WR CL + BL + RTRS - CWL, WR->RD CWL + BL + RTRS - CL.
    """
    t = spec.timing
    bl = spec.burst_cycles
    v = {
        "CL": t.CL, "CWL": t.CWL, "BL": bl, "RCD": t.RCD, "RP": t.RP, "RPab": t.RPab,
        "RAS": t.RAS, "RC": t.RC, "CCD_S": t.CCD_S, "CCD_L": t.CCD_L, "RRD_S": t.RRD_S,
        "RRD_L": t.RRD_L, "FAW": t.FAW, "RTP": t.RTP, "RFC": t.RFC, "REFI": t.REFI,
        "RFCpb": t.RFCpb, "REFIpb": t.REFIpb,
        "RD2WR": t.CL + bl + 2 - t.CWL,
        "WR2RD_S": t.CWL + bl + t.WTR_S,
        "WR2RD_L": t.CWL + bl + t.WTR_L,
        "WR2PRE": t.CWL + bl + t.WR,
        "RD2RD_R": bl + t.RTRS,
        "WR2WR_R": bl + t.RTRS,
        "RD2WR_R": t.CL + bl + t.RTRS - t.CWL,
        "WR2RD_R": t.CWL + bl + t.RTRS - t.CL,
        "CKE": t.CKE, "CKESR": t.CKESR, "XP": t.XP, "XPDLL": t.XPDLL, "XS": t.XS, "XSDLL": t.XSDLL,
    }
    return v


def timing_array(spec: Spec) -> np.ndarray:
    """The kernel's timing input: int64 cycles in :data:`dramsim.kernel.TIMING_LAYOUT` order."""
    v = derived(spec)
    return np.array([v[name] for name in TIMING_LAYOUT], dtype=np.int64)


def constraints(spec: Spec) -> list[tuple[str, str, str, int]]:
    """The rules as (earlier command, later command, scope, minimum distance in cycles)."""
    v = derived(spec)
    rules = [
        ("ACT", "ACT", "same bank", v["RC"]),
        ("ACT", "RD/WR", "same bank", v["RCD"]),
        ("ACT", "PRE/PREA", "same bank", v["RAS"]),
        ("PRE", "ACT", "same bank", v["RP"]),
        ("PREA", "ACT", "same rank", v["RPab"]),
        ("RD", "PRE", "same bank", v["RTP"]),
        ("WR", "PRE", "same bank", v["WR2PRE"]),
        ("ACT", "ACT", "same rank, same bank group", v["RRD_L"]),
        ("ACT", "ACT", "same rank, other bank group", v["RRD_S"]),
        ("4 x ACT", "ACT", "same rank (window)", v["FAW"]),
        ("RD", "RD", "same rank, same bank group", v["CCD_L"]),
        ("RD", "RD", "same rank, other bank group", v["CCD_S"]),
        ("WR", "WR", "same rank, same bank group", v["CCD_L"]),
        ("WR", "WR", "same rank, other bank group", v["CCD_S"]),
        ("RD", "WR", "same rank", v["RD2WR"]),
        ("WR", "RD", "same rank, same bank group", v["WR2RD_L"]),
        ("WR", "RD", "same rank, other bank group", v["WR2RD_S"]),
        ("RD", "RD", "other rank", v["RD2RD_R"]),
        ("WR", "WR", "other rank", v["WR2WR_R"]),
        ("RD", "WR", "other rank", v["RD2WR_R"]),
        ("WR", "RD", "other rank", v["WR2RD_R"]),
        ("PRE", "REF", "same rank (every bank)", v["RP"]),
        ("REF", "ACT/REF", "same rank", v["RFC"]),
    ]
    if spec.timing.RFCpb:
        rules += [("REFpb", "ACT/REFpb", "same bank / same rank", v["RFCpb"]),
                  ("ACT", "REFpb", "same rank", v["RRD_S"])]
    return rules
