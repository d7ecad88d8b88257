"""snn: a spike-driven Diehl & Cook (2015) engine with quantized weights and a weight-read hook.

Public API::

    from snn import NetworkParams, BINDSNET, train, infer, evaluate, Model
    from snn import WeightSource, StoredWeights, ReadEvents
    from snn import quantize, to_codes, from_codes, footprint_bytes
    from snn import save_model, load_model, InputError

Input spike trains follow BindsNET's ``PoissonEncoder`` (integer Poisson-distributed intervals;
``NetworkParams.input_intervals``, ``"exponential"`` gives a Poisson process instead).

Deviations from BindsNET 0.3 (all deliberate, documented where they live):

* the last window of ``update_interval`` training samples also assigns labels (BindsNET's
  ``eth_mnist.py`` assigns before each window and never uses the last one);
* a neuron that never fired during training gets no label (-1) instead of class 0;
* weights are not re-normalised after inference samples (BindsNET calls ``normalize`` after
  every run; this only matters for quantized weights).

``snn`` never imports ``dramsim``.
"""
from .errors import InputError
from .io import load_model, save_model
from .network import Model, evaluate, infer, train
from .params import BINDSNET, NetworkParams, preset
from .quantize import footprint_bytes, from_codes, quantize, quantize_codes, to_codes
from .weights import ReadEvents, StoredWeights, WeightSource

__all__ = ["InputError", "load_model", "save_model", "Model", "evaluate", "infer", "train", "BINDSNET",
           "NetworkParams", "preset", "footprint_bytes", "from_codes", "quantize", "quantize_codes",
           "to_codes", "ReadEvents", "StoredWeights", "WeightSource"]
