"""Time one Ramulator 2.1 run through its Python bindings (child process of dram_speed.py).

Usage: python benchmarks/ramulator2_run.py TRACE DRAM_CLASS ORG_PRESET TIMING_PRESET [CONTROLLER]

The ``ramulator`` package must be importable (dram_speed.py puts the user's build on PYTHONPATH;
nothing here builds it). The configuration is the one PEERS.md / PEERS-2.md drove: 1 channel,
1 rank, ``LoadStoreTrace``, ``GenericDDR`` (or ``CONTROLLER``, e.g. ``HBM12`` for HBM2, the controller
PEERS-2.md used; without it LPDDR5 runs Ramulator 2.1's own ``LPDDR5`` controller, :data:`CONTROLLERS`,
as PEERS-2.md ran it) with FR-FCFS, all-bank refresh, open row, ``RoBaRaCoCh``.
Prints one JSON line on stdout: ``import_s`` (``import ramulator``), ``build_s`` (configuration and
trace loading), ``run_s`` (``Simulation.run``, the simulation loop only) and ``cycles``.
Ramulator's own log lines go to stderr.
"""
from __future__ import annotations

import json
import sys
import time

#: Ramulator 2.1 controller class for a DRAM class that does not run on ``GenericDDR``.
CONTROLLERS = {"LPDDR5": "LPDDR5"}


def main(argv: list[str]) -> int:
    if len(argv) not in (4, 5):
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    trace, dram_class, org, timing = argv[:4]
    controller_class = argv[4] if len(argv) == 5 else CONTROLLERS.get(dram_class, "GenericDDR")
    t0 = time.perf_counter()
    import ramulator

    t1 = time.perf_counter()
    dram = getattr(ramulator.dram, dram_class)(org_preset=org, timing_preset=timing)
    controller = getattr(ramulator.controller, controller_class)(
        dram=dram,
        scheduler=ramulator.scheduler.FRFCFS(),
        refresh_manager=ramulator.refresh_manager.AllBank(),
        row_policy=ramulator.row_policy.Open(),
        addr_mapper=ramulator.addr_mapper.RoBaRaCoCh(),
    )
    memory = ramulator.memory_system.GenericDRAM(
        clock_ratio=1, controllers=[controller], channel_mapper=ramulator.channel_mapper.CacheLineInterleave())
    sim = ramulator.Simulation(ramulator.frontend.LoadStoreTrace(clock_ratio=1, path=trace), memory)
    t2 = time.perf_counter()
    sim.run()
    t3 = time.perf_counter()
    cycles = int(sim.stats["memory_system"]["controller"]["cycles"])
    print(json.dumps({"import_s": t1 - t0, "build_s": t2 - t1, "run_s": t3 - t2, "cycles": cycles}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
