"""coupling: the SNN engine (:mod:`snn`) on simulated approximate DRAM (:mod:`dramsim`).

Public API
----------
* :mod:`coupling.layout` -- :class:`~coupling.layout.Geometry`, :class:`~coupling.layout.WeightLayout`
  (policies ``baseline``, ``drmap``, ``enforcesnn``, order strings; where is every weight bit;
  which bursts an input spike reads; addresses through the controller mapping).
* :mod:`coupling.faults` -- :class:`~coupling.faults.ErrorProfile`, :class:`~coupling.faults.FaultModel`
  (EDEN error models 0-3, weak cells per device seed, fast flip sampling), :func:`~coupling.faults.apply_flips`.
* :mod:`coupling.weights` -- :class:`~coupling.weights.DramWeightSource` (an ``snn`` weight source
  returning the weights with bit errors; persistent, or transient: re-drawn on every row read).
* :mod:`coupling.transient` -- :class:`~coupling.transient.RowFlipTable` (fast per-read flip sampling).
* :mod:`coupling.access` -- :func:`~coupling.access.burst_reads` (spike / sample / step access),
  :func:`~coupling.access.lru_misses` (on-chip buffer), :func:`~coupling.access.request_trace`.
* :mod:`coupling.pipeline` -- :func:`~coupling.pipeline.run` (the ``enforcesnn run`` job) and its pieces.
* :mod:`coupling.config` -- :class:`~coupling.config.RunConfig`; :mod:`coupling.report` -- outputs.
* :mod:`coupling.tolerance` -- accuracy against BER over device seeds, largest tolerable BER.
* :mod:`coupling.fat` -- fault-aware training (location-aware or uniform errors, BER curriculum).
* :mod:`coupling.select` -- model selection under accuracy and memory constraints, Pareto front.
* :mod:`coupling.sweep` -- resumable grids of any step above, on a process pool or a Dask cluster.
"""
