"""Named, documented parameters of the Diehl & Cook (2015) network, with units.

The default preset, :data:`BINDSNET`, is the network as BindsNET 0.3 builds it in ``eth_mnist.py``
(current-based delta synapses, 250 ms presentation at dt = 1 ms); see
``shared/reference/snn/PEERS.md``. All voltages are in mV, times in ms, rates in Hz.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from functools import lru_cache

import numpy as np
from scipy import stats

from .errors import InputError

#: Input inter-spike-interval distributions; the index is the kernel code (``P_INTERVALS``).
INPUT_INTERVALS = ("poisson", "exponential")


@dataclass(frozen=True)
class NetworkParams:
    """Parameters of the network, its input encoding and its learning rule.

    Attributes
    ----------
    n_inputs : int
        Number of input (Poisson) neurons, one per pixel (784 for 28 x 28 images).
    intensity_hz : float
        Firing rate of an input neuron for a pixel of value 255, Hz; rate = pixel / 255 x intensity_hz.
    input_intervals : {"poisson", "exponential"}
        How an input neuron's inter-spike intervals are drawn (mean 1000 / (rate x dt_ms) steps).
        ``"poisson"`` (default, BindsNET 0.3's ``PoissonEncoder``): integer intervals, in steps,
        from a Poisson distribution with that mean, a zero interval counted as 1; spikes fall in
        steps ``T - 1`` for the cumulative sums ``T`` <= n_steps. Spike trains are therefore far
        more regular than a Poisson process (a 255 pixel fires every 8 +- 3 ms) and dim pixels
        (mean interval > n_steps) hardly ever fire. ``"exponential"``: a Poisson process,
        exponential intervals in continuous time, each spike in step floor(t), at most one spike
        per input and step (the engine's encoding before 2026-11-24).
    time_ms : float
        Presentation time of one sample, ms.
    dt_ms : float
        Simulation time step, ms.
    exc_rest_mv, exc_reset_mv, exc_thresh_mv : float
        Excitatory rest, reset and (base) threshold potentials, mV.
    exc_tau_ms : float
        Excitatory membrane time constant, ms.
    exc_refrac_ms : float
        Excitatory refractory period, ms (input is ignored while refractory).
    theta_plus_mv : float
        Adaptive-threshold increment per excitatory spike during training, mV.
    theta_tau_ms : float
        Adaptive-threshold decay time constant during training, ms. Theta is kept between samples.
    one_spike : bool
        If True, when several excitatory neurons cross threshold in one step only one, chosen
        uniformly at random, emits the spike (all crossing neurons are reset and, in training,
        get the theta increment, as in BindsNET).
    inh_rest_mv, inh_reset_mv, inh_thresh_mv : float
        Inhibitory rest, reset and threshold potentials, mV.
    inh_tau_ms : float
        Inhibitory membrane time constant, ms.
    inh_refrac_ms : float
        Inhibitory refractory period, ms.
    w_exc_inh_mv : float
        One-to-one excitatory -> inhibitory weight, mV per spike.
    w_inh_exc_mv : float
        All-but-self inhibitory -> excitatory weight magnitude, mV per spike (applied as -w).
    trace_tau_ms : float
        Time constant of the pre- and postsynaptic STDP traces, ms (trace set to 1 on a spike).
    nu_pre : float
        STDP depression rate: on an input spike, w -= nu_pre x postsynaptic trace.
    nu_post : float
        STDP potentiation rate: on an excitatory spike, w += nu_post x presynaptic trace.
    w_min, w_max : float
        Weight clipping bounds (dimensionless, mV per spike).
    w_norm : float
        Per-excitatory-neuron sum of incoming weights after every training sample.
    w_init_scale : float
        Initial weights are w_init_scale x U(0, 1).
    """

    n_inputs: int = 784
    intensity_hz: float = 128.0
    time_ms: float = 250.0
    dt_ms: float = 1.0
    exc_rest_mv: float = -65.0
    exc_reset_mv: float = -60.0
    exc_thresh_mv: float = -52.0
    exc_tau_ms: float = 100.0
    exc_refrac_ms: float = 5.0
    theta_plus_mv: float = 0.05
    theta_tau_ms: float = 1e7
    one_spike: bool = True
    inh_rest_mv: float = -60.0
    inh_reset_mv: float = -45.0
    inh_thresh_mv: float = -40.0
    inh_tau_ms: float = 10.0
    inh_refrac_ms: float = 2.0
    w_exc_inh_mv: float = 22.5
    w_inh_exc_mv: float = 120.0
    trace_tau_ms: float = 20.0
    nu_pre: float = 1e-4
    nu_post: float = 1e-2
    w_min: float = 0.0
    w_max: float = 1.0
    w_norm: float = 78.4
    w_init_scale: float = 0.3
    input_intervals: str = "poisson"

    def __post_init__(self):
        if self.input_intervals not in INPUT_INTERVALS:
            raise InputError(f"parameter input_intervals: expected one of {', '.join(INPUT_INTERVALS)}, "
                             f"got {self.input_intervals!r}")
        for name in ("intensity_hz", "time_ms", "dt_ms", "exc_tau_ms", "inh_tau_ms",
                     "theta_tau_ms", "trace_tau_ms"):
            if not getattr(self, name) > 0:
                raise InputError(f"parameter {name}: expected a positive number, got {getattr(self, name)!r}")
        if self.n_inputs < 1:
            raise InputError(f"parameter n_inputs: expected >= 1, got {self.n_inputs!r}")
        if not self.w_max > self.w_min:
            raise InputError("parameters w_min, w_max: expected w_min < w_max")

    @property
    def n_steps(self) -> int:
        """Number of simulation steps per sample (time_ms / dt_ms, rounded)."""
        return int(round(self.time_ms / self.dt_ms))

    def to_dict(self) -> dict:
        """Plain dict of all parameters (for metadata)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "NetworkParams":
        """Build from :meth:`to_dict` output; unknown keys raise :class:`InputError`."""
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise InputError(f"unknown network parameter(s): {', '.join(sorted(unknown))}")
        return cls(**d)

    def with_(self, **changes) -> "NetworkParams":
        """Copy with some parameters changed."""
        return replace(self, **changes)

    def kernel_array(self) -> np.ndarray:
        """The float64 parameter vector the Numba kernels read (layout: :mod:`snn.kernels` ``P_*``)."""
        dt = self.dt_ms
        return np.array([
            self.intensity_hz, dt,
            self.exc_rest_mv, self.exc_reset_mv, self.exc_thresh_mv, np.exp(-dt / self.exc_tau_ms),
            round(self.exc_refrac_ms / dt), self.theta_plus_mv, np.exp(-dt / self.theta_tau_ms),
            1.0 if self.one_spike else 0.0,
            self.inh_rest_mv, self.inh_reset_mv, self.inh_thresh_mv, np.exp(-dt / self.inh_tau_ms),
            round(self.inh_refrac_ms / dt),
            self.w_exc_inh_mv, self.w_inh_exc_mv, np.exp(-dt / self.trace_tau_ms),
            self.nu_pre, self.nu_post, self.w_min, self.w_max, self.w_norm,
            INPUT_INTERVALS.index(self.input_intervals),
        ], dtype=np.float64)

    def interval_cdf(self) -> np.ndarray:
        """Table of the ``"poisson"`` input intervals the kernels sample by inversion (read only).

        Returns
        -------
        cdf : float64 (256, n_steps + 1)
            ``cdf[v, k]`` = P(interval <= k steps) for a pixel of value v, where the interval is
            max(X, 1) with X ~ Poisson(1000 / (v / 255 x intensity_hz x dt_ms)); row 0 is zero.
        """
        return interval_cdf(self.intensity_hz, self.dt_ms, self.n_steps)


@lru_cache(maxsize=8)
def interval_cdf(intensity_hz: float, dt_ms: float, n_steps: int) -> np.ndarray:
    """See :meth:`NetworkParams.interval_cdf` (cached per rate scale and number of steps)."""
    values = np.arange(1, 256, dtype=np.float64)
    mean_steps = 1000.0 / (values / 255.0 * intensity_hz * dt_ms)
    cdf = np.zeros((256, n_steps + 1))
    cdf[1:, 1:] = stats.poisson.cdf(np.arange(1, n_steps + 1)[None, :], mean_steps[:, None])
    cdf.flags.writeable = False
    return cdf


#: BindsNET 0.3 ``DiehlAndCook2015`` as run by ``eth_mnist.py`` (the default preset).
BINDSNET = NetworkParams()

#: The same with exponential input intervals (a Poisson process; the engine's default before 2026-11-24).
BINDSNET_EXPONENTIAL = BINDSNET.with_(input_intervals="exponential")

PRESETS = {"bindsnet": BINDSNET, "bindsnet-exponential": BINDSNET_EXPONENTIAL}


def preset(name: str) -> NetworkParams:
    """Return a named preset (``"bindsnet"``, ``"bindsnet-exponential"``)."""
    try:
        return PRESETS[name]
    except KeyError:
        raise InputError(f"unknown preset {name!r}; expected one of {', '.join(PRESETS)}") from None
