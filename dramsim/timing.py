"""The kernel's view of a spec: its compiled timing table and the few scalars the policies need.

Every inter-command rule lives in the spec's timing table (:mod:`dramsim.table`, one YAML file per
standard family); :func:`kernel_inputs` compiles it into the arrays :func:`dramsim.kernel.run`
applies, so one compiled kernel serves every standard. :func:`constraints` lists the rules with
their values in cycles, for reading (``dramsim.checker`` keeps its own rules and shares none).
"""
from __future__ import annotations

import numpy as np

from dramsim.kernel import POLICY_LAYOUT
from dramsim.spec import Spec
from dramsim.table import Compiled, compile_table


def policy_values(spec: Spec) -> dict[str, int]:
    """The scalars of :data:`dramsim.kernel.POLICY_LAYOUT`, in cycles.

    ``RD_DONE`` / ``WR_DONE``: a read's (write's) data ends CL + BL (CWL + BL) after its command;
    ``RD2PDEN`` = CL + BL + 1 and ``WR2PDEN`` = the table's write-to-precharge time + 1 (JEDEC
    tRDPDEN / tWRPDEN, the earliest power-down entry after a column command); the refresh
    intervals and the low-power timing as in the spec.
    """
    t = spec.timing
    bl = spec.burst_cycles
    wr2pre = spec.table.parameters.get("WR2PRE", t.CWL + bl + t.WR)
    v = {"RD_DONE": t.CL + bl, "WR_DONE": t.CWL + bl, "RD2PDEN": t.CL + bl + 1, "WR2PDEN": wr2pre + 1,
         "RFC": t.RFC, "REFI": t.REFI, "REFIpb": t.REFIpb}
    v.update({name: getattr(t, name) for name in ("CKE", "CKESR", "XP", "XPDLL", "XS", "XSDLL")})
    v["REFIsb"] = t.REFIsb
    return v


def policy_array(spec: Spec) -> np.ndarray:
    """:func:`policy_values` as an int64 array in :data:`POLICY_LAYOUT` order."""
    v = policy_values(spec)
    return np.array([v[name] for name in POLICY_LAYOUT], dtype=np.int64)


def compiled(spec: Spec, issued=None) -> Compiled:
    """The spec's timing table as kernel arrays for its organization (``issued``: see
    :func:`dramsim.table.compile_table`)."""
    o = spec.organization
    return compile_table(spec.table, issued, (o.channels, o.ranks, o.sids, o.bankgroups, o.banks_per_group))


def kernel_inputs(spec: Spec, issued=None) -> tuple:
    """The leading arguments of :func:`dramsim.kernel.run`: policy scalars, then the table."""
    c = compiled(spec, issued)
    return (policy_array(spec), c.rule_start, c.rules, c.windows, c.window_prev, c.window_next, c.clocks, c.bus,
            c.word_within, c.word_blocks, c.edge, c.n_sid)


def constraints(spec: Spec) -> list[tuple[str, str, str, int]]:
    """The rules as (earlier commands, later commands, where, minimum distance in cycles).

    ``where`` is the level (``same bank``, ``same rank``, ...), ``other rank`` for sibling rules,
    and ``rank (window of N)`` for rolling-window rules such as tFAW.
    """
    out = []
    for r in spec.table.rules:
        if r.latency <= 0:
            continue
        where = (f"other {r.level}" if r.sibling else
                 f"{r.level} (window of {r.window})" if r.window else f"same {r.level}")
        out.append(("/".join(r.prev), "/".join(r.next), where, r.latency))
    return out
