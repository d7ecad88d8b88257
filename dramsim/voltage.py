"""Operating points: what a supply voltage does to a DRAM's energy, timing and bit errors.

A :class:`VoltageTable` lists, per core-rail voltage ``vdd`` (V): timing for reliable operation
in ns (columns ``t_rcd_ns``, ``t_rp_ns``, ``t_ras_ns``, any ``t_<timing>_ns`` naming a field of
:class:`dramsim.spec.Timing`), the bit error rate per vendor profile and statistic (columns
``ber_<vendor>_<statistic>``, e.g. ``ber_B_mean``; empty = not characterised) and, optionally,
per vendor: ``n_<vendor>`` (modules measured behind the point), ``lower_bound_<vendor>`` (0/1:
a module behind the point is saturated, so the BER is a lower bound) and ``raised_<vendor>``
(0/1: the monotone rule below raised a value). Table-wide settings: ``nominal_vdd``, the
current-scaling law ``scaling`` and ``array_share``, the label ``timing_model`` and
``timing_basis`` (``absolute``: the ns are the device's timings; ``relative``: only their ratio
to the nominal row is applied to the spec's own timings), ``detection_limit_ber`` (BER of one
erroneous line in one module, see below), and (YAML only) per-vendor ``bank_weakness`` and
``device_spread``.

Voltage convention
------------------
``vdd`` everywhere in dramsim is the device's own core-rail voltage: VDD for DDR3/DDR4/DDR5/HBM2/HBM3
(VPP, DDR5/HBM2/HBM3 VDDQ unchanged) and for GDDR6 (VDDQ, VPP unchanged; GDDR6-14000 has VDD = VDDQ = 1.25 V), VDD2
for LPDDR3/LPDDR4 (VDD1, VDDQ unchanged), VDD2H for LPDDR5 (the core and periphery rail at 1.05 V; VDD1,
VDD2L, VDDQ unchanged); ``core=`` picks another rail. A table
applies to any standard by relative voltage: a spec whose core-rail nominal differs from the
table's sees the table's voltages scaled by ``V_rail_nominal / V_table_nominal``.
:class:`OperatingPoint` carries both numbers: ``vdd`` (rail) and ``vdd_table_equivalent``
(``vdd x table.nominal_vdd / rail nominal``, the voltage on the table's scale, 1.35 V nominal
for the shipped DDR3L table). A voltage above the rail's nominal, or below the lowest voltage
characterised for the vendor, is an :class:`InputError` that names the rail's nominal and the
table's range on both scales; within 0.5 mV (:data:`EDGE_TOLERANCE_V`) outside the range counts as
its end, because the range is printed to 1 mV (LPDDR3's 0.911 V is the table's 1.025 V).

The shipped table (``tables/DDR3L_voltron.yaml``)
-------------------------------------------------
Built by ``dramsim voltage-table VOLTRON_DIR`` (:func:`build_voltron_table`) from the Voltron
measurements (Chang et al., SIGMETRICS 2017; released data in ``shared/reference/voltron``,
``dimm_faulty_cachelines_out.csv``: per module and voltage the percentage of 64-byte lines with
errors at tRCD = tRP = 10 ns, 20 C), on 1.35 V to 1.025 V in 25 mV steps. The rules:

* **Per-module BER.** ``BER_i = 1 - (1 - f_i)^(1/512)`` from module i's line fraction ``f_i``
  (independent bit errors; clustered errors would give a higher BER for the same ``f``).
* **Monotone.** BER must not fall as the voltage drops (a weak cell stays weak). Per module,
  a running maximum toward lower voltage over the voltages it was measured at; then, per
  vendor and statistic, a running maximum of the aggregate (the set of measured modules
  changes between voltages). ``raised_<vendor>`` is 1 where either changed a value.
* **Aggregates.** ``ber_<vendor>_mean`` is the mean of the per-module BERs (not the BER of the
  mean fraction, which is lower by Jensen's inequality), ``_median``, ``_max``; ``n_<vendor>``
  the number of modules measured at that voltage (modules Voltron did not test there are not
  counted, nor carried: the points below 1.05 V rest on fewer modules, see ``n``).
* **Saturation** (:data:`SATURATION_FRACTION`, :data:`PLATEAU_TOLERANCE`,
  :data:`PLATEAU_MIN_POINTS`). A module's point is saturated, its BER a lower bound, when
  (a) the vendor's fractions show a plateau: at least 3 points lie within 1 percentage point
  below the vendor's largest fraction (vendor C: every module stops at 49.2-50.03 %, the
  instrument records no more), and the point is on it; or (b) ``f >= 0.75``: three quarters of
  the lines fail, the fraction is near its ceiling 1 and the map of failing rows is full (vendor
  A's 81.9 % and 89.6 % modules; the same 0.75 as the saturated bank maps below).
  ``lower_bound_<vendor>`` is 1 where a module behind the point is saturated.
* **Zero points.** A measured 0 means "below the detection limit": the file's smallest
  nonzero fraction, 2^-25 (one line in 2^25 tested), gives ``detection_limit_ber`` = the BER of
  one erroneous line per module. At a zero point the table holds 0. Between a zero point and a
  nonzero one the BER is interpolated in log space from the limit of the statistic at the zero
  point (mean: ``detection_limit_ber / n``, median and max: ``detection_limit_ber``; capped at
  the nonzero neighbour's value) to the nonzero value. Without a ``detection_limit_ber`` (a
  user table) that segment is linear.
* **Interpolation.** Log space between nonzero points, the zero rule above next to a zero,
  0 between zeros; timings linearly. Grid voltages Voltron did not test (1.325, 1.275,
  1.225 V) take ``n`` as the smaller and the flags as the OR of their two neighbours; so do
  queries between rows. Voltages below a vendor's last tested one stay empty (not
  characterised); outside the table :class:`InputError` is raised.
* **Timings** are a *model* (alpha-power-law delay scaling, :func:`alpha_power_factor`),
  labelled as such; Voltron's measured latencies are not in the released data.
* **Bank weakness** (``bank_weakness``): per vendor, the relative error density per bank (mean 1)
  from ``spatial_summary.txt`` (:func:`voltron_bank_weakness`).
* **Device-to-device spread** (``device_spread``, :func:`fit_device_spread`), for per-device
  sampling: a device draws a BER multiplier ``m ~ Gamma(ber_shape, scale 1/ber_shape)`` (mean 1,
  fixed across voltage; device BER(V) = min(1, m x vendor mean(V))) and a bank weakness
  ``w ~ B x Dirichlet(alpha)`` with ``alpha_b = max(bank_concentration x mean_b / B, bank_floor)``
  (:meth:`VoltageTable.bank_alpha`; ``E[w_b]`` = the mean profile up to the floor). ``ber_shape``
  = 1 / pooled squared coefficient of variation of module BER / vendor mean BER over the voltages
  with >= 3 modules, >= 2 of them with errors and no saturated module (if none qualifies, with
  saturated ones, counted in ``saturated_points``: ``ber_shape`` is then an upper bound);
  ``bank_concentration`` from the
  per-map spread of the normalised bank profiles (moments of the Dirichlet:
  ``sum q(1-q) / sum var - 1``); ``bank_floor`` (:data:`BANK_FLOOR`) keeps banks with mean
  weakness 0 drawable.

Other modelling choices (documented, configurable):

* Current scaling of the core rail's IDD currents: ``v2`` (default) I ~ V, so every energy term
  scales with V^2; ``v1`` constant current, energy ~ V; ``array``: only the share ``array_share``
  of the energy scales (with V^2), the rest stays at its nominal value (currents multiplied by
  ``(1 - a) Vn / V + a V / Vn``).
* Modes: ``approximate`` keeps nominal timing and reports BER(V) (EnforceSNN); ``reliable``
  stretches timing to the table's values and reports BER 0 (Voltron).

Users replace the table with ``--voltage-table`` (CSV with ``#`` comment lines, or YAML in the
shipped layout).
"""
from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np
import yaml

from dramsim.energy import core_rail
from dramsim.errors import InputError
from dramsim.spec import Rail, Spec, Timing

TABLES_DIR = Path(__file__).with_name("tables")
DEFAULT_TABLE = TABLES_DIR / "DDR3L_voltron.yaml"
MODES = ("approximate", "reliable")
SCALINGS = ("v2", "v1", "array")
STATISTICS = ("mean", "median", "max")
_TIMING_FIELDS = {f.name.lower(): f.name for f in dataclasses.fields(Timing) if f.name not in ("tck_ns", "ticks_per_ck")}
_TOL = 1e-9
#: A rail voltage this close (V) outside the table's range counts as the range's end (the
#: range is printed to 1 mV, e.g. 0.911 V for the table's 1.025 V on a 1.2 V rail).
EDGE_TOLERANCE_V = 5e-4

#: Alpha-power-law parameters of the shipped timing model (a model, not a measurement).
ALPHA = 1.3
VTH_V = 0.35

#: A module's line fraction at or above which its BER is a lower bound (saturation rule b).
SATURATION_FRACTION = 0.75
#: Saturation rule a: points within this fraction (1 percentage point) below a vendor's largest
#: fraction sit on its plateau, if at least :data:`PLATEAU_MIN_POINTS` do.
PLATEAU_TOLERANCE = 0.01
PLATEAU_MIN_POINTS = 3
#: Fewest modules at a voltage for it to enter the fit of ``ber_shape``.
MIN_SPREAD_MODULES = 3
#: Smallest Dirichlet parameter of a bank (banks whose mean weakness is 0 stay drawable).
BANK_FLOOR = 1e-3

_FLAG_COLUMNS = {"n": "n_modules", "lower_bound": "lower_bound", "raised": "raised"}


def alpha_power_factor(vdd, nominal_vdd: float, alpha: float = ALPHA, vth_v: float = VTH_V):
    """Delay at ``vdd`` relative to ``nominal_vdd`` under the alpha-power law (Sakurai-Newton).

    ``delay ~ V / (V - Vth)^alpha``; 1 at the nominal voltage, > 1 below it.
    """
    v = np.asarray(vdd, dtype=float)
    return (v / (v - vth_v) ** alpha) / (nominal_vdd / (nominal_vdd - vth_v) ** alpha)


def _log_interp(ya: float, yb: float, x: float) -> float:
    """``ya`` to ``yb`` (both > 0) at fraction ``x``, linear in log space."""
    return float(math.exp(math.log(ya) + x * (math.log(yb) - math.log(ya))))


@dataclass(frozen=True)
class VoltageTable:
    """Per-voltage timing and BER of a device family (see the module docstring).

    Attributes
    ----------
    vdd : ndarray
        Core-rail voltages (V), descending.
    timing_ns : dict[str, ndarray]
        Timing field name (``"RCD"``) -> ns per voltage.
    ber_columns : dict[tuple[str, str], ndarray]
        (vendor, statistic) -> BER per voltage (NaN: not characterised).
    n_modules : mapping of str to ndarray
        Vendor -> modules measured behind each row (NaN: unknown).
    lower_bound, raised : mapping of str to ndarray of bool
        Vendor -> per row: the BER is a lower bound (saturated module); the monotone rule
        raised a value.
    detection_limit_ber : float or None
        BER of one erroneous line in one module (the zero-point rule); None: unknown.
    device_spread : mapping of str to mapping
        Vendor -> ``ber_shape``, ``bank_concentration``, ``bank_floor`` and the counts behind
        them (see the module docstring).
    """

    vdd: np.ndarray
    nominal_vdd: float
    timing_ns: dict
    ber_columns: dict
    standard: str = ""
    scaling: str = "v2"
    array_share: float = 0.5
    timing_model: str = "table"
    timing_basis: str = "absolute"
    bank_weakness: dict = field(default_factory=dict)
    source: str = ""
    path: str = "<table>"
    name: str = ""
    n_modules: dict = field(default_factory=dict)
    lower_bound: dict = field(default_factory=dict)
    raised: dict = field(default_factory=dict)
    detection_limit_ber: float | None = None
    device_spread: dict = field(default_factory=dict)

    @property
    def vendors(self) -> list[str]:
        return sorted({v for v, _ in self.ber_columns})

    @property
    def label(self) -> str:
        """Name for messages (``DDR3L-Voltron``; else the standard or the path)."""
        return self.name or self.standard or self.path

    def scaled_to(self, nominal_vdd: float) -> "VoltageTable":
        """The same table on another nominal voltage (voltages scaled by the ratio)."""
        if abs(nominal_vdd - self.nominal_vdd) < _TOL:
            return self
        k = nominal_vdd / self.nominal_vdd
        return dataclasses.replace(self, vdd=self.vdd * k, nominal_vdd=nominal_vdd, timing_basis="relative",
                                   path=f"{self.path} (scaled from {self.nominal_vdd:g} V to nominal {nominal_vdd:g} V)")

    def _bracket(self, vdd: float) -> tuple[int, int, float]:
        """Indices (hi_v, lo_v) around ``vdd`` and the fraction toward the lower voltage."""
        v = self.vdd
        if not (v[-1] - _TOL <= vdd <= v[0] + _TOL):
            raise InputError(f"{self.path}: vdd {vdd:g} V outside the voltage table "
                             f"({v[-1]:g} V to {v[0]:g} V)")
        i = int(np.searchsorted(-v, -vdd - _TOL))        # first index with v[i] <= vdd + tol
        i = min(i, len(v) - 1)
        if abs(v[i] - vdd) <= _TOL or i == 0:
            return i, i, 0.0
        return i - 1, i, (v[i - 1] - vdd) / (v[i - 1] - v[i])

    def _column(self, vendor: str, statistic: str) -> np.ndarray:
        key = (vendor, statistic)
        if key not in self.ber_columns:
            raise InputError(f"{self.path}: no BER column ber_{vendor}_{statistic}; available: "
                             + ", ".join(f"ber_{a}_{b}" for a, b in sorted(self.ber_columns)))
        return self.ber_columns[key]

    def lowest_vdd(self, vendor: str = "B", statistic: str = "mean") -> float:
        """Lowest voltage (V) at which the vendor's BER is characterised."""
        col = self._column(vendor, statistic)
        known = self.vdd[~np.isnan(col)]
        if not len(known):
            raise InputError(f"{self.path}: vendor {vendor} has no BER at any voltage")
        return float(known.min())

    def characterised(self, vdd: float, vendor: str = "B", statistic: str = "mean") -> bool:
        """Whether the table gives the vendor's BER at ``vdd`` (inside the table, not below the
        vendor's lowest tested voltage)."""
        col = self._column(vendor, statistic)
        a, b, _ = self._bracket(float(vdd))
        return not (math.isnan(col[a]) or math.isnan(col[b]))

    def _characterised_bracket(self, vdd: float, vendor: str, statistic: str) -> tuple[int, int, float]:
        a, b, x = self._bracket(float(vdd))
        col = self._column(vendor, statistic)
        if math.isnan(col[a]) or math.isnan(col[b]):
            known = self.vdd[~np.isnan(col)]
            low = f"; characterised down to {known.min():g} V" if len(known) else ""
            raise InputError(f"{self.path}: vendor {vendor} has no BER at {vdd:g} V{low}")
        return a, b, x

    def zero_limit(self, vendor: str, statistic: str, row: int) -> float | None:
        """Smallest nonzero value the statistic could take at table row ``row`` (the zero rule).

        Mean: ``detection_limit_ber / n`` (one line in one of the n modules); median and max:
        ``detection_limit_ber``. None without a detection limit.
        """
        if self.detection_limit_ber is None:
            return None
        n = self.n_modules.get(vendor)
        n = float(n[row]) if n is not None else math.nan
        if statistic == "mean" and n >= 1:
            return self.detection_limit_ber / n
        return self.detection_limit_ber

    def ber(self, vdd: float, vendor: str = "B", statistic: str = "mean") -> float:
        """Bit error rate at ``vdd`` for a vendor profile and statistic (interpolated).

        Log space between nonzero rows; next to a zero row from the statistic's detection limit
        there (:meth:`zero_limit`, capped at the nonzero neighbour); 0 between zero rows.
        """
        col = self._column(vendor, statistic)
        a, b, x = self._characterised_bracket(vdd, vendor, statistic)
        ya, yb = float(col[a]), float(col[b])
        if a == b or x == 0.0:
            return ya
        if ya == 0.0 and yb > 0.0:
            limit = self.zero_limit(vendor, statistic, a)
            if limit is not None:
                ya = min(limit, yb)
        elif yb == 0.0 and ya > 0.0:               # a falling user table: the limit on the low side
            limit = self.zero_limit(vendor, statistic, b)
            if limit is not None:
                yb = min(limit, ya)
        if ya > 0 and yb > 0:
            return _log_interp(ya, yb, x)
        return float(ya + x * (yb - ya))

    def timing_at(self, vdd: float) -> dict[str, float]:
        """Timing field -> ns at ``vdd`` (linear interpolation)."""
        a, b, x = self._bracket(float(vdd))
        return {k: float(col[a] + x * (col[b] - col[a])) for k, col in self.timing_ns.items()}

    def _flag(self, values: dict, vdd: float, vendor: str, combine):
        """A per-row vendor value at ``vdd`` (``combine`` of the two rows between rows)."""
        stats = [s for v, s in self.ber_columns if v == vendor]
        a, b, x = self._characterised_bracket(vdd, vendor, "mean" if "mean" in stats else (stats or ["mean"])[0])
        col = values.get(vendor)
        if col is None:
            return None
        return col[a] if (a == b or x == 0.0) else combine(col[a], col[b])

    def modules(self, vdd: float, vendor: str = "B") -> int | None:
        """Modules measured behind the vendor's BER at ``vdd`` (between rows: the smaller); None
        when the table does not say."""
        n = self._flag(self.n_modules, vdd, vendor, min)
        return None if n is None or math.isnan(n) else int(n)

    def is_lower_bound(self, vdd: float, vendor: str = "B") -> bool:
        """Whether the vendor's BER at ``vdd`` is a lower bound (a saturated module; between rows:
        either neighbour)."""
        return bool(self._flag(self.lower_bound, vdd, vendor, lambda p, q: p or q))

    def is_raised(self, vdd: float, vendor: str = "B") -> bool:
        """Whether the monotone rule raised the vendor's BER at ``vdd`` (between rows: either)."""
        return bool(self._flag(self.raised, vdd, vendor, lambda p, q: p or q))

    def weakness(self, vendor: str, banks: int) -> np.ndarray:
        """Relative error density per bank (mean 1) for ``banks`` banks; ones when unknown.

        The measured profile has 8 banks; bank b of a larger device uses entry b mod 8.
        """
        w = self.bank_weakness.get(vendor)
        if w is None or len(w) == 0:
            return np.ones(banks)
        w = np.asarray(w, dtype=float)
        out = w[np.arange(banks) % len(w)]
        return out / out.mean() if out.mean() > 0 else np.ones(banks)

    def bank_alpha(self, vendor: str, banks: int) -> np.ndarray:
        """Dirichlet parameters of a device's bank weakness: ``w ~ banks x Dirichlet(alpha)``.

        ``alpha_b = max(c x weakness_b / banks, bank_floor)`` with ``c`` the vendor's
        ``bank_concentration``, so ``E[w_b]`` is :meth:`weakness` (up to the floor's share).

        Raises
        ------
        InputError
            The table has no ``device_spread`` for the vendor.
        """
        spread = self.device_spread.get(vendor)
        if spread is None:
            raise InputError(f"{self.path}: no device_spread for vendor {vendor}; vendors with one: "
                             + (", ".join(sorted(self.device_spread)) or "none"))
        c = float(spread["bank_concentration"])
        return np.maximum(c * self.weakness(vendor, banks) / banks, float(spread.get("bank_floor", BANK_FLOOR)))


@dataclass(frozen=True)
class OperatingPoint:
    """A spec at a supply voltage and mode.

    Attributes
    ----------
    spec : Spec
        Core rail at ``vdd`` with scaled currents; in reliable mode stretched timing.
    vdd, nominal_vdd : float
        Core-rail voltage and its nominal value (V), on the device's own rail.
    vdd_table_equivalent, table_nominal_vdd : float
        The same voltage on the voltage table's scale (``vdd x table_nominal_vdd / nominal_vdd``)
        and the table's nominal (1.35 V for the shipped DDR3L table).
    mode : str
        ``approximate`` or ``reliable``.
    ber : float
        Bit error rate of the stored data (0 in reliable mode).
    n_modules : int or None
        Modules measured behind the table's BER at this voltage (None: the table does not say).
    ber_lower_bound : bool
        The BER is a lower bound (a saturated module behind it; False in reliable mode).
    timing_model : str
        ``"nominal"`` or the table's label (e.g. the alpha-power model).
    bank_weakness : ndarray
        Relative error density per bank (mean 1) for the vendor.
    device_spread : mapping or None
        The vendor's device-to-device spread (``ber_shape``, ``bank_concentration``,
        ``bank_floor``, counts), None if the table has none.
    """

    spec: Spec
    vdd: float
    nominal_vdd: float
    mode: str
    ber: float
    timing_model: str
    scaling: str
    vendor: str
    statistic: str
    core_rail: str
    bank_weakness: np.ndarray
    table_path: str = ""
    vdd_table_equivalent: float = math.nan
    table_nominal_vdd: float = math.nan
    n_modules: int | None = None
    ber_lower_bound: bool = False
    device_spread: dict | None = None

    def to_dict(self) -> dict:
        tm = self.spec.timing
        return {"vdd": self.vdd, "nominal_vdd": self.nominal_vdd, "vdd_table_equivalent": self.vdd_table_equivalent,
                "table_nominal_vdd": self.table_nominal_vdd, "mode": self.mode, "ber": self.ber,
                "n_modules": self.n_modules, "ber_lower_bound": self.ber_lower_bound,
                "timing_model": self.timing_model, "scaling": self.scaling, "vendor": self.vendor,
                "statistic": self.statistic, "core_rail": self.core_rail, "voltage_table": self.table_path,
                "device_spread": None if self.device_spread is None else dict(self.device_spread),
                "timing_cycles": {"RCD": tm.RCD, "RP": tm.RP, "RAS": tm.RAS, "RC": tm.RC}}


def load_table(path=None, standard: str | None = None) -> VoltageTable:
    """Load a voltage table (CSV or YAML); ``None`` gives the shipped Voltron DDR3L table.

    ``standard`` only labels which family the table is used for; the shipped table serves every
    family through relative voltage scaling (see the module docstring).
    """
    p = DEFAULT_TABLE if path is None else Path(path)
    if not p.exists():
        raise InputError(f"voltage table {str(p)!r} not found")
    if p.suffix.lower() in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(p.read_text())
        except yaml.YAMLError as exc:
            raise InputError(f"{p}: not valid YAML ({exc})".splitlines()[0]) from None
        if not isinstance(data, dict) or not isinstance(data.get("points"), list):
            raise InputError(f"{p}: expected a mapping with a 'points' list")
        meta = {k: v for k, v in data.items() if k != "points"}
        if not all(isinstance(point, dict) for point in data["points"]):
            raise InputError(f"{p}: expected every entry of 'points' to be a mapping")
        names = list(dict.fromkeys(k for point in data["points"] for k in point))
        columns = {k: [point.get(k) for point in data["points"]] for k in names}  # missing: None (NaN)
    elif p.suffix.lower() == ".csv":
        import pandas as pd

        try:
            frame = pd.read_csv(p, comment="#", skipinitialspace=True)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise InputError(f"{p}: not a readable CSV table ({str(exc).splitlines()[0]})") from None
        meta = {}
        for col in ("nominal_vdd", "scaling", "array_share", "timing_model", "timing_basis", "standard", "name",
                    "detection_limit_ber"):
            if col in frame:
                values = frame[col].dropna().unique()
                if len(values) > 1:
                    raise InputError(f"{p}: column {col!r} must hold one value for the whole table")
                if len(values):
                    meta[col] = values[0].item() if hasattr(values[0], "item") else values[0]
                frame = frame.drop(columns=col)
        columns = {col: frame[col].to_numpy() for col in frame.columns}
    else:
        raise InputError(f"{p}: unsupported voltage table format {p.suffix!r}; expected .csv or .yaml")
    table = _table_from(columns, meta, str(p))
    if standard is not None and not table.standard:
        table = dataclasses.replace(table, standard=str(standard))
    return table


def _device_spread_from(raw, where: str) -> dict:
    """Validated ``device_spread`` mapping (vendor -> read-only mapping)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InputError(f"{where}: device_spread must map vendors to {{ber_shape, bank_concentration, ...}}")
    out = {}
    for vendor, entry in raw.items():
        if not isinstance(entry, dict):
            raise InputError(f"{where}: device_spread.{vendor} must be a mapping")
        clean = dict(entry)
        for key in ("ber_shape", "bank_concentration", "bank_floor"):
            if key not in entry and key != "bank_floor":
                raise InputError(f"{where}: device_spread.{vendor} lacks {key}")
            value = entry.get(key, BANK_FLOOR)
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise InputError(f"{where}: device_spread.{vendor}.{key} must be a positive number") from None
            if not (math.isfinite(value) and value > 0):
                raise InputError(f"{where}: device_spread.{vendor}.{key} is {value}; expected a positive number")
            clean[key] = value
        out[str(vendor)] = MappingProxyType(clean)
    return out


def _table_from(frame: dict, meta: dict, where: str) -> VoltageTable:
    """The table from its columns (name -> sequence of values, None or NaN where empty)."""
    if "vdd" not in frame:
        raise InputError(f"{where}: missing column 'vdd'")
    try:
        vdd = np.asarray(frame["vdd"], dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{where}: column 'vdd' must hold numbers (V)") from None
    if len(vdd) == 0 or np.any(~np.isfinite(vdd)) or np.any(vdd <= 0):
        raise InputError(f"{where}: column 'vdd' must hold positive voltages")
    order = np.argsort(-vdd, kind="stable")
    if len(np.unique(vdd)) != len(vdd):
        raise InputError(f"{where}: duplicate voltages in column 'vdd'")
    vdd = vdd[order]
    timing, ber = {}, {}
    flags = {name: {} for name in _FLAG_COLUMNS.values()}
    for col in frame:
        if col == "vdd":
            continue
        m_t = re.fullmatch(r"t_([a-z_]+?)_ns", col, flags=re.I)
        m_b = re.fullmatch(r"ber_([A-Za-z0-9]+)_([a-z]+)", col)
        m_f = re.fullmatch(r"(n|lower_bound|raised)_([A-Za-z0-9]+)", col)
        try:
            values = np.asarray(frame[col], dtype=float)[order]
        except (TypeError, ValueError):
            raise InputError(f"{where}: column {col!r} must hold numbers") from None
        known = values[~np.isnan(values)]
        if m_t:
            name = _TIMING_FIELDS.get(m_t.group(1).lower())
            if name is None:
                raise InputError(f"{where}: column {col!r} names no timing parameter; expected "
                                 "t_<name>_ns with a dramsim.spec.Timing field (t_rcd_ns, t_rp_ns, ...)")
            if np.any(~np.isfinite(values)) or np.any(values <= 0):
                raise InputError(f"{where}: column {col!r} must hold positive times (ns) in every row")
            timing[name] = values
        elif m_b:
            if np.any(known < 0) or np.any(known > 1):
                raise InputError(f"{where}: column {col!r} must hold probabilities in [0, 1]")
            ber[(m_b.group(1), m_b.group(2))] = values
        elif m_f:
            kind, vendor = m_f.groups()
            if kind == "n":
                if np.any(known < 0) or np.any(known != np.round(known)):
                    raise InputError(f"{where}: column {col!r} must hold module counts (whole numbers >= 0)")
                flags["n_modules"][vendor] = values
            else:
                if not np.all(np.isin(known, (0.0, 1.0))):
                    raise InputError(f"{where}: column {col!r} must hold flags 0 or 1")
                flags[_FLAG_COLUMNS[kind]][vendor] = np.nan_to_num(values) > 0
        else:
            raise InputError(f"{where}: unknown column {col!r}; expected vdd, t_<timing>_ns, "
                             "ber_<vendor>_<statistic>, n_<vendor>, lower_bound_<vendor> or raised_<vendor>")
    scaling = str(meta.get("scaling", "v2"))
    if scaling not in SCALINGS:
        raise InputError(f"{where}: scaling is {scaling!r}; expected one of {', '.join(SCALINGS)}")
    basis = str(meta.get("timing_basis", "absolute"))
    if basis not in ("absolute", "relative"):
        raise InputError(f"{where}: timing_basis is {basis!r}; expected absolute or relative")
    try:
        share = float(meta.get("array_share", 0.5))
        nominal = float(meta.get("nominal_vdd", vdd[0]))
        limit = meta.get("detection_limit_ber")
        limit = None if limit is None else float(limit)
    except (TypeError, ValueError):
        raise InputError(f"{where}: array_share, nominal_vdd and detection_limit_ber must be numbers") from None
    if not 0 <= share <= 1:
        raise InputError(f"{where}: array_share is {share}; expected a fraction in [0, 1]")
    if limit is not None and not 0 < limit < 1:
        raise InputError(f"{where}: detection_limit_ber is {limit}; expected a probability in (0, 1)")
    if basis == "relative" and timing and abs(vdd[0] - nominal) > _TOL:
        raise InputError(f"{where}: a relative timing table needs a row at nominal_vdd {nominal:g} V")
    weak = {}
    for vendor, values in (meta.get("bank_weakness") or {}).items():
        try:
            arr = np.asarray(values, dtype=float)
        except (TypeError, ValueError):
            raise InputError(f"{where}: bank_weakness.{vendor} must be a list of numbers") from None
        if arr.ndim != 1 or np.any(arr < 0):
            raise InputError(f"{where}: bank_weakness.{vendor} must be a list of non-negative numbers")
        weak[str(vendor)] = arr
    return VoltageTable(vdd=vdd, nominal_vdd=nominal, timing_ns=timing, ber_columns=ber,
                        standard=str(meta.get("standard", "")), scaling=scaling, array_share=share,
                        timing_model=str(meta.get("timing_model", "table")), timing_basis=basis,
                        bank_weakness=MappingProxyType(weak), source=str(meta.get("source", "")), path=where,
                        name=str(meta.get("name", "")), detection_limit_ber=limit,
                        device_spread=MappingProxyType(_device_spread_from(meta.get("device_spread"), where)),
                        **{k: MappingProxyType(v) for k, v in flags.items()})


def current_factor(scaling: str, vdd: float, nominal_vdd: float, array_share: float = 0.5) -> float:
    """Factor on the core rail's IDD currents at ``vdd`` under a scaling law (see module doc)."""
    r = vdd / nominal_vdd
    if scaling == "v2":
        return r
    if scaling == "v1":
        return 1.0
    if scaling == "array":
        return (1.0 - array_share) / r + array_share * r
    raise InputError(f"scaling is {scaling!r}; expected one of {', '.join(SCALINGS)}")


def _volts(x: float) -> str:
    return f"{round(float(x), 3):g}"


def check_rail_voltage(spec: Spec, vdd: float, table: VoltageTable, *, vendor: str = "B",
                       statistic: str = "mean", core: str | None = None) -> float:
    """``vdd`` (V, the spec's core rail) on the table's scale; InputError if the table cannot serve it.

    Within :data:`EDGE_TOLERANCE_V` outside the range counts as its end (see
    :func:`table_lookup_vdd`).

    Raises
    ------
    InputError
        ``vdd`` is above the rail's nominal voltage or below the lowest voltage characterised for
        the vendor; the one-line message names the rail's nominal and the table's range on both
        scales, e.g. ``LPDDR3-1600: vdd 1.35 V is above the VDD2 nominal 1.2 V (the
        DDR3L-Voltron table's 1.35..1.025 V range is 1.2..0.911 V on this rail)``.
    """
    rail = core_rail(spec, core)
    nominal = spec.rail(rail).voltage_v
    k = nominal / table.nominal_vdd
    top = min(table.nominal_vdd, float(table.vdd[0]))
    low = table.lowest_vdd(vendor, statistic)
    span = (f"the {table.label} table's {_volts(top)}..{_volts(low)} V range"
            + (f" for vendor {vendor}" if low > table.vdd[-1] + _TOL else "")
            + f" is {_volts(top * k)}..{_volts(low * k)} V on this rail")
    if vdd > nominal + EDGE_TOLERANCE_V:
        raise InputError(f"{spec.name}: vdd {vdd:g} V is above the {rail} nominal {nominal:g} V ({span})")
    if vdd > top * k + EDGE_TOLERANCE_V:
        raise InputError(f"{spec.name}: vdd {vdd:g} V is outside the table's range, above it ({span})")
    if vdd < low * k - EDGE_TOLERANCE_V:
        raise InputError(f"{spec.name}: vdd {vdd:g} V is outside the table's range, below it ({span})")
    return vdd / k


def table_lookup_vdd(vdd: float, table: VoltageTable, vendor: str = "B", statistic: str = "mean") -> float:
    """``vdd`` (on ``table``'s scale) clamped into the vendor's characterised range: a voltage
    within :data:`EDGE_TOLERANCE_V` outside it reads the end row."""
    top = min(table.nominal_vdd, float(table.vdd[0]))
    return min(max(vdd, table.lowest_vdd(vendor, statistic)), top)


def operating_point(spec: Spec, vdd: float | None = None, *, mode: str = "approximate",
                    table: VoltageTable | str | Path | None = None, scaling: str | None = None,
                    vendor: str = "B", statistic: str = "mean", array_share: float | None = None,
                    core: str | None = None) -> OperatingPoint:
    """The spec at core-rail voltage ``vdd`` (V) in ``mode`` (see the module docstring).

    Parameters
    ----------
    spec : Spec
        The nominal device.
    vdd : float, optional
        The device's own core-rail voltage in V (VDD; VDD2 for LPDDR3/4, VDD2H for LPDDR5; default: nominal).
    mode : {"approximate", "reliable"}
    table : VoltageTable or path, optional
        Default: the shipped Voltron DDR3L table.
    scaling : {"v2", "v1", "array"}, optional
        Current-scaling law (default: the table's, ``v2`` in the shipped one).
    vendor, statistic : str
        BER profile (``ber_<vendor>_<statistic>`` column) and bank-weakness vendor.
    array_share : float, optional
        Energy share of the array for ``scaling="array"`` (default: the table's, 0.5).
    core : str, optional
        Rail the voltage applies to (default VDD; VDD2 for LPDDR3/4, VDD2H for LPDDR5).

    Raises
    ------
    InputError
        Unknown mode/scaling/vendor, or a voltage above the rail's nominal or below the table's
        range (:func:`check_rail_voltage`).
    """
    if mode not in MODES:
        raise InputError(f"mode is {mode!r}; expected one of {', '.join(MODES)}")
    rail_name = core_rail(spec, core)
    nominal = spec.rail(rail_name).voltage_v
    if not isinstance(table, VoltageTable):
        table = load_table(table, spec.standard)
    if (vendor, statistic) not in table.ber_columns:
        raise InputError(f"{table.path}: no BER profile ber_{vendor}_{statistic}; vendors "
                         f"{', '.join(table.vendors)}, statistics {', '.join(STATISTICS)}")
    vdd = nominal if vdd is None else float(vdd)
    if not vdd > 0:
        raise InputError(f"vdd is {vdd}; expected a positive voltage")
    equivalent = check_rail_voltage(spec, vdd, table, vendor=vendor, statistic=statistic, core=rail_name)
    table_nominal = table.nominal_vdd
    table = table.scaled_to(nominal)
    scaling = scaling or table.scaling
    share = table.array_share if array_share is None else float(array_share)
    if not 0 <= share <= 1:     # outside [0, 1] the array energy would grow as the voltage falls
        raise InputError(f"--array-share {array_share:g}: expected a fraction in [0, 1]")
    factor = current_factor(scaling, vdd, nominal, share)
    lookup = table_lookup_vdd(vdd, table, vendor, statistic)
    ber = table.ber(lookup, vendor, statistic)
    lower_bound = table.is_lower_bound(lookup, vendor)
    rails = tuple(
        Rail(r.name, vdd, MappingProxyType({k: v * factor for k, v in r.currents_ma.items()}))
        if r.name == rail_name else r for r in spec.rails)
    new = dataclasses.replace(spec, rails=rails)
    timing_model = "nominal"
    if mode == "reliable":
        new = dataclasses.replace(new, timing=stretched_timing(spec.timing, table, lookup))
        timing_model = table.timing_model
        ber, lower_bound = 0.0, False
    return OperatingPoint(spec=new, vdd=vdd, nominal_vdd=nominal, mode=mode, ber=ber,
                          timing_model=timing_model, scaling=scaling, vendor=vendor, statistic=statistic,
                          core_rail=rail_name, bank_weakness=table.weakness(vendor, spec.organization.banks),
                          table_path=table.path, vdd_table_equivalent=equivalent, table_nominal_vdd=table_nominal,
                          n_modules=table.modules(lookup, vendor), ber_lower_bound=lower_bound,
                          device_spread=table.device_spread.get(vendor))


def stretched_timing(timing: Timing, table: VoltageTable, vdd: float) -> Timing:
    """Timing for reliable operation at ``vdd`` (cycles rounded up; RC kept >= RAS + RP).

    ``absolute`` tables give the ns directly; ``relative`` ones scale the nominal cycles by
    ``ns(vdd) / ns(nominal)``. RPab moves with RP.
    """
    at = table.timing_at(vdd)
    nominal = table.timing_at(table.vdd[0]) if table.timing_basis == "relative" else None
    values = {}
    for name, ns in at.items():
        old = getattr(timing, name)
        if nominal is not None:
            new = math.ceil(old * ns / nominal[name] - 1e-9)
        else:
            new = max(1, math.ceil(ns / timing.tck_ns - 1e-9))
        values[name] = new
    if "RP" in values and "RPab" not in values:
        values["RPab"] = max(1, timing.RPab + values["RP"] - timing.RP)
    out = dataclasses.replace(timing, **values)
    return dataclasses.replace(out, RC=max(out.RC, out.RAS + out.RP))


# ----------------------------------------------------------------------------------------------
# Building the shipped table from the Voltron data
# ----------------------------------------------------------------------------------------------

VOLTRON_GRID = tuple(round(1.35 - 0.025 * i, 3) for i in range(14))      # 1.35 .. 1.025 V
_VOLTRON_TIMING_NS = {"RCD": 13.75, "RP": 13.75, "RAS": 35.0}          # DDR3-1600K nominal
VOLTRON_MODULES_FILE = "dimm_faulty_cachelines_out.csv"
VOLTRON_MAPS_FILE = "spatial_summary.txt"
_MODULE_COLUMNS = ("dimm_name", "vdd", "vendor", "error_cacheline_percent")


def ber_from_line_fraction(f):
    """BER from the fraction ``f`` of 64-byte lines with at least one error (independent bits)."""
    return 1.0 - (1.0 - np.asarray(f, dtype=float)) ** (1.0 / 512.0)


@dataclass(frozen=True)
class VendorModules:
    """One vendor's Voltron modules, per module and tested voltage (see the module docstring).

    Attributes
    ----------
    modules : tuple of str
        Module names (``B1``, ...).
    vdd : ndarray
        Voltages (V) at which at least one module was tested, descending.
    fraction : ndarray
        (modules, voltages) fraction of 64-byte lines with errors; NaN where not tested.
    ber : ndarray
        Per-module BER after the monotone running maximum toward lower voltage.
    saturated, raised : ndarray of bool
        The module's BER there is a lower bound; the running maximum raised it.
    """

    vendor: str
    modules: tuple
    vdd: np.ndarray
    fraction: np.ndarray
    ber: np.ndarray
    saturated: np.ndarray
    raised: np.ndarray


def saturated_points(fraction: np.ndarray) -> np.ndarray:
    """Which of a vendor's (module, voltage) line fractions are saturated (NaN: untested).

    Rule (a), plateau: at least :data:`PLATEAU_MIN_POINTS` fractions lie within
    :data:`PLATEAU_TOLERANCE` below the vendor's largest; those points are saturated. Rule (b):
    a fraction >= :data:`SATURATION_FRACTION`.
    """
    f = np.asarray(fraction, dtype=float)
    tested = ~np.isnan(f)
    out = np.zeros(f.shape, dtype=bool)
    if not tested.any():
        return out
    top = np.nanmax(f)
    near = tested & (np.nan_to_num(f, nan=-1.0) >= top - PLATEAU_TOLERANCE)
    if top > 0 and near.sum() >= PLATEAU_MIN_POINTS:
        out |= near
    return out | (tested & (np.nan_to_num(f) >= SATURATION_FRACTION))


def monotone_envelope(ber: np.ndarray, saturated: np.ndarray):
    """Per row (module), a running maximum toward lower voltage (columns in descending voltage).

    NaN (untested) entries stay NaN and are skipped. Returns ``(ber, saturated, raised)``: a
    raised entry inherits the saturation of the entry it was raised to.
    """
    ber = np.asarray(ber, dtype=float)
    out, sat, raised = ber.copy(), np.asarray(saturated, dtype=bool).copy(), np.zeros(ber.shape, dtype=bool)
    for row in range(ber.shape[0]):
        best, best_sat = -1.0, False
        for col in range(ber.shape[1]):
            value = ber[row, col]
            if math.isnan(value):
                continue
            if value < best:
                out[row, col], sat[row, col], raised[row, col] = best, best_sat or sat[row, col], True
            else:
                best, best_sat = value, bool(sat[row, col])
    return out, sat, raised


def read_voltron_modules(path) -> dict[str, VendorModules]:
    """Per-vendor module data from Voltron's ``dimm_faulty_cachelines_out.csv``.

    Raises
    ------
    InputError
        Missing file or columns, non-numeric or out-of-range values, duplicate rows.
    """
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file; expected Voltron's {VOLTRON_MODULES_FILE}")
    try:
        frame = pd.read_csv(p)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    missing = [c for c in _MODULE_COLUMNS if c not in frame]
    if missing:
        raise InputError(f"{p}: missing column(s) {', '.join(missing)}; expected {', '.join(_MODULE_COLUMNS)}")
    for col in ("vdd", "error_cacheline_percent"):
        values = pd.to_numeric(frame[col], errors="coerce")
        if values.isna().any():
            line = int(values.isna().to_numpy().argmax()) + 2
            raise InputError(f"{p}:{line}: column {col!r} must hold numbers")
        frame[col] = values
    if ((frame["error_cacheline_percent"] < 0) | (frame["error_cacheline_percent"] > 100)).any():
        raise InputError(f"{p}: column 'error_cacheline_percent' must hold percentages in [0, 100]")
    if (frame["vdd"] <= 0).any():
        raise InputError(f"{p}: column 'vdd' must hold positive voltages")
    frame["vdd"] = frame["vdd"].round(4)
    if frame.duplicated(["dimm_name", "vdd"]).any():
        raise InputError(f"{p}: a module appears twice at one voltage")
    if frame.groupby("dimm_name")["vendor"].nunique().max() > 1:
        raise InputError(f"{p}: a module is listed under two vendors")
    out = {}
    for vendor, part in frame.groupby("vendor", sort=True):
        wide = part.pivot(index="dimm_name", columns="vdd", values="error_cacheline_percent")
        wide = wide[sorted(wide.columns, reverse=True)]
        fraction = wide.to_numpy(dtype=float) / 100.0
        ber, sat, raised = monotone_envelope(ber_from_line_fraction(fraction), saturated_points(fraction))
        out[str(vendor)] = VendorModules(str(vendor), tuple(str(m) for m in wide.index),
                                         np.asarray(wide.columns, dtype=float), fraction, ber, sat, raised)
    return out


def vendor_statistics(vm: VendorModules) -> dict[str, np.ndarray]:
    """Per tested voltage: ``mean``/``median``/``max`` of the module BERs (each then made
    monotone toward lower voltage), ``n``, ``lower_bound``, ``raised`` (see the module docstring)."""
    tested = ~np.isnan(vm.ber)
    n = tested.sum(axis=0)
    out = {"n": n.astype(float), "lower_bound": (vm.saturated & tested).any(axis=0),
           "raised": (vm.raised & tested).any(axis=0)}
    with np.errstate(all="ignore"):
        raw = {"mean": np.nanmean(vm.ber, axis=0), "median": np.nanmedian(vm.ber, axis=0),
               "max": np.nanmax(vm.ber, axis=0)}
    for stat, values in raw.items():
        monotone = np.fmax.accumulate(values)
        out["raised"] = out["raised"] | (monotone > values)
        out[stat] = monotone
    return out


def fit_ber_shape(vm: VendorModules) -> dict | None:
    """Moment fit of the Gamma shape ``k`` of the device BER multiplier (mean 1).

    ``k = 1 / s^2`` with ``s^2`` the pooled variance of module BER / vendor mean BER over the
    voltages with >= :data:`MIN_SPREAD_MODULES` modules, >= 2 of them with errors (one erroneous
    module gives ``s^2 = n - 1`` whatever the modules are like) and no saturated module. If no
    voltage qualifies, the voltages with saturated modules are used and ``saturated_points``
    counts them: their BERs are lower bounds, so ``s^2`` is understated and ``k`` an upper bound.

    Returns ``{"ber_shape", "modules", "points", "saturated_points", "voltages"}``, or None when
    no voltage qualifies even then or the spread is 0 (degenerate).
    """
    for allow_saturated in (False, True):
        squares, dof, used, points, sat, volts = 0.0, 0, set(), 0, 0, []
        for j, v in enumerate(vm.vdd):
            tested = ~np.isnan(vm.ber[:, j])
            x = vm.ber[tested, j]
            n_sat = int(vm.saturated[tested, j].sum())
            if len(x) < MIN_SPREAD_MODULES or (x > 0).sum() < 2 or (n_sat and not allow_saturated):
                continue
            squares += float(((x / x.mean() - 1.0) ** 2).sum())
            dof += len(x) - 1
            points += len(x)
            sat += n_sat
            used |= {m for m, t in zip(vm.modules, tested) if t}
            volts.append(float(v))
        if dof and squares > 0:
            return {"ber_shape": float(f"{dof / squares:.4g}"), "modules": len(used), "points": points,
                    "saturated_points": sat, "voltages": volts}
    return None


def voltron_bank_maps(spatial_summary) -> dict[str, tuple[np.ndarray, tuple]]:
    """Per vendor, the normalised bank profiles of Voltron's error maps and their modules.

    Uniform rows (every bank equal: no errors, or the all-1.00 artefact maps the file's note
    warns about) and saturated rows (mean fraction > 0.75: nearly every row of every bank
    erroneous) carry no bank information and are skipped; in the others each bank's fraction
    above the row's minimum (the plotting baseline) is normalised to sum 1. Returns vendor ->
    ``(profiles (maps, 8), module name per map)``.
    """
    p = Path(spatial_summary)
    if not p.is_file():
        raise InputError(f"{p}: no such file; expected Voltron's {VOLTRON_MAPS_FILE}")
    rows: dict[str, list] = {}
    for line in p.read_text().splitlines():
        m = re.match(r"^([A-Z])(\d+)\s+([\d.]+)V\s*\|\s*\d+\s*\|\s*[\d.]+\s*\|((?:\s*[\d.]+){8})", line)
        if not m:
            continue
        frac = np.array(m.group(4).split(), dtype=float)
        excess = frac - frac.min()
        if excess.max() <= 0.015 or frac.mean() > 0.75:   # uniform or saturated map
            continue
        rows.setdefault(m.group(1), []).append((excess / excess.sum(), m.group(1) + m.group(2)))
    return {v: (np.array([r for r, _ in rs]), tuple(name for _, name in rs)) for v, rs in sorted(rows.items())}


def voltron_bank_weakness(spatial_summary) -> dict[str, list[float]]:
    """Per-vendor relative error density per bank (mean 1): the mean of the vendor's normalised
    map profiles (:func:`voltron_bank_maps`), rescaled to mean 1."""
    return {v: [round(float(x), 3) for x in profiles.mean(axis=0) * profiles.shape[1]]
            for v, (profiles, _) in voltron_bank_maps(spatial_summary).items()}


def fit_bank_concentration(profiles: np.ndarray) -> float | None:
    """Moment fit of the Dirichlet concentration ``c`` of per-map bank profiles (rows sum 1).

    For ``p ~ Dirichlet(c q)``, ``Var p_b = q_b (1 - q_b) / (c + 1)``; pooled over banks,
    ``c = sum q (1 - q) / sum var - 1`` with ``q`` the mean profile and ``var`` the sample
    variance across maps. None with fewer than 2 maps or when ``c <= 0`` (degenerate: the maps
    vary more than any Dirichlet around ``q`` allows).
    """
    profiles = np.asarray(profiles, dtype=float)
    if profiles.ndim != 2 or profiles.shape[0] < 2:
        return None
    q = profiles.mean(axis=0)
    var = profiles.var(axis=0, ddof=1).sum()
    if var <= 0:
        return None
    c = float((q * (1 - q)).sum() / var - 1.0)
    return float(f"{c:.4g}") if c > 0 else None


def fit_device_spread(modules: dict[str, VendorModules], maps: dict) -> dict:
    """``device_spread`` per vendor: ``ber_shape`` (:func:`fit_ber_shape`) and
    ``bank_concentration`` (:func:`fit_bank_concentration`) with their counts and ``bank_floor``.
    A vendor with a degenerate fit is left out."""
    out = {}
    for vendor in sorted(modules):
        shape = fit_ber_shape(modules[vendor])
        profiles, names = maps.get(vendor, (np.empty((0, 8)), ()))
        c = fit_bank_concentration(profiles)
        if shape is None or c is None:
            continue
        out[vendor] = {"ber_shape": shape["ber_shape"], "modules": shape["modules"], "points": shape["points"],
                       "saturated_points": shape["saturated_points"], "voltages": shape["voltages"], "bank_concentration": c, "maps": int(profiles.shape[0]),
                       "map_modules": len(set(names)), "bank_floor": BANK_FLOOR}
    return out


def _vendor_table(vm: VendorModules, detection_limit_ber: float) -> VoltageTable:
    """The vendor's statistics at its tested voltages as a table (the interpolation rules)."""
    stats = vendor_statistics(vm)
    return VoltageTable(vdd=vm.vdd, nominal_vdd=float(vm.vdd[0]), timing_ns={},
                        ber_columns={(vm.vendor, s): stats[s] for s in STATISTICS}, path=f"vendor {vm.vendor}",
                        n_modules={vm.vendor: stats["n"]}, lower_bound={vm.vendor: stats["lower_bound"]},
                        raised={vm.vendor: stats["raised"]}, detection_limit_ber=detection_limit_ber)


def build_voltron_table(voltron_dir) -> dict:
    """The shipped table's content (YAML layout) from the Voltron data directory."""
    voltron_dir = Path(voltron_dir)
    if not voltron_dir.is_dir():
        raise InputError(f"{voltron_dir}: not a directory; expected the Voltron data ({VOLTRON_MODULES_FILE}, "
                         f"{VOLTRON_MAPS_FILE})")
    modules = read_voltron_modules(voltron_dir / VOLTRON_MODULES_FILE)
    maps = voltron_bank_maps(voltron_dir / VOLTRON_MAPS_FILE)
    positive = np.concatenate([vm.fraction[vm.fraction > 0] for vm in modules.values()])
    if not len(positive):
        raise InputError(f"{voltron_dir / VOLTRON_MODULES_FILE}: no module shows errors; nothing to build")
    limit = float(f"{float(ber_from_line_fraction(positive.min())):.6g}")
    grid = np.array(VOLTRON_GRID)
    factor = alpha_power_factor(grid, 1.35)
    points = [{"vdd": float(v), **{f"t_{k.lower()}_ns": round(float(ns * f), 3)
                                    for k, ns in _VOLTRON_TIMING_NS.items()}}
              for v, f in zip(grid, factor)]
    for vendor, vm in modules.items():
        table = _vendor_table(vm, limit)
        for p, g in zip(points, grid):
            inside = table.vdd[-1] - _TOL <= g <= table.vdd[0] + _TOL
            known = inside and table.characterised(g, vendor)
            for stat in STATISTICS:
                p[f"ber_{vendor}_{stat}"] = float(f"{table.ber(g, vendor, stat):.4g}") if known else None
            p[f"n_{vendor}"] = table.modules(g, vendor) if known else None
            p[f"lower_bound_{vendor}"] = int(table.is_lower_bound(g, vendor)) if known else None
            p[f"raised_{vendor}"] = int(table.is_raised(g, vendor)) if known else None
    return {
        "name": "DDR3L-Voltron",
        "standard": "DDR3",
        "nominal_vdd": 1.35,
        "source": f"Voltron (Chang et al., SIGMETRICS 2017) released data: {VOLTRON_MODULES_FILE} (per module and "
                  "voltage, percent of 64-byte lines with errors, tRCD = tRP = 10 ns, 20 C) and "
                  f"{VOLTRON_MAPS_FILE} (per-bank error maps)",
        "timing_model": f"alpha-power model (delay ~ V/(V-Vth)^alpha, Vth {VTH_V} V, alpha {ALPHA}; "
                        "a model, not Voltron's measured latencies)",
        "timing_basis": "relative",
        "scaling": "v2",
        "array_share": 0.5,
        "detection_limit_ber": limit,
        "bank_weakness": voltron_bank_weakness(voltron_dir / VOLTRON_MAPS_FILE),
        "device_spread": fit_device_spread(modules, maps),
        "points": points,
    }


_HEADER = """\
# Default DDR3L operating points, built by `dramsim voltage-table <shared>/reference/voltron`
# (or `python -m dramsim.voltage <shared>/reference/voltron`) from the Voltron measurements
# (Chang et al., SIGMETRICS 2017; dimm_faulty_cachelines_out.csv, 1.35 V to 1.025 V, 25 mV grid).
# Rules (dramsim/voltage.py module docstring): per module BER = 1 - (1 - f)^(1/512), f = fraction
# of 64-byte lines with errors, made monotone toward lower voltage (running max); ber_<V>_mean/
# median/max over the modules measured at that voltage (aggregates also running-maxed), n_<V> =
# modules measured, lower_bound_<V> = 1 where a module is saturated (vendor plateau within 1 pp
# of its largest fraction, or f >= 0.75), raised_<V> = 1 where the monotone rule changed a value.
# Untested grid voltages: log interpolation (next to a zero from the detection limit
# detection_limit_ber = BER of the file's smallest nonzero fraction, per module; / n for the mean);
# empty = below the lowest voltage tested for that vendor. Timings (ns, relative basis) are a
# MODEL (alpha-power law), not measured. bank_weakness: relative error density per bank (mean 1)
# from spatial_summary.txt. device_spread, fitted by moments: ber_shape k of a Gamma(k, 1/k) BER
# multiplier = 1 / pooled squared CV of module BER / vendor mean over `voltages` (>= 3 modules,
# >= 2 with errors, no saturated module; if none qualifies, with saturated ones, counted in
# `saturated_points`: k is then an upper bound; `modules`, `points` behind it); bank_concentration c of
# w ~ 8 x Dirichlet(max(c x bank_weakness / 8, bank_floor)) = sum q(1-q) / sum var - 1 over the
# `maps` normalised bank profiles (of `map_modules` modules) that bank_weakness averages.
"""


def write_voltron_table(voltron_dir, out=DEFAULT_TABLE) -> dict:
    """Regenerate the YAML table (``dramsim voltage-table VOLTRON_DIR``); returns its content."""
    data = build_voltron_table(voltron_dir)
    out = Path(out)
    if not out.parent.is_dir():
        raise InputError(f"{out}: directory {str(out.parent)!r} does not exist")
    body = yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=200)
    from traces._atomic import atomic_write

    atomic_write(out, lambda f: f.write((_HEADER + body).encode()))
    return data


def spread_check(data: dict, vendor: str, voltron_dir, bank: int = 0, draws: int = 20000, seed: int = 0):
    """Bank ``bank``'s weakness over the vendor's maps (mean, sd) and over ``draws`` devices drawn
    from the table's Dirichlet (mean, sd): a check of ``bank_concentration``."""
    profiles, _ = voltron_bank_maps(Path(voltron_dir) / VOLTRON_MAPS_FILE)[vendor]
    banks = profiles.shape[1]
    maps = profiles[:, bank] * banks
    table = _table_from({"vdd": [p["vdd"] for p in data["points"]]}, data, "<built>")
    w = banks * np.random.default_rng(seed).dirichlet(table.bank_alpha(vendor, banks), size=draws)[:, bank]
    return (float(maps.mean()), float(maps.std(ddof=1))), (float(w.mean()), float(w.std(ddof=1)))


def summary_lines(data: dict, voltron_dir) -> list[str]:
    """What ``dramsim voltage-table`` prints: per vendor the mean BER per tested-or-grid voltage
    with n and flags, and the device spread with its check."""
    lines = []
    vendors = sorted({k.split("_")[1] for p in data["points"] for k in p if k.startswith("ber_")})
    for vendor in vendors:
        cells = []
        for p in data["points"]:
            b = p.get(f"ber_{vendor}_mean")
            if b is None or b == 0:
                continue
            mark = ("*" if p[f"lower_bound_{vendor}"] else "") + ("^" if p[f"raised_{vendor}"] else "")
            cells.append(f"{p['vdd']:g} V {b:.3g} (n {p[f'n_{vendor}']}){mark}")
        lines.append(f"vendor {vendor} mean BER: " + "; ".join(cells))
        spread = data["device_spread"].get(vendor)
        if spread is None:
            lines.append(f"vendor {vendor} device spread: degenerate fit, none stored")
            continue
        (mm, ms), (dm, ds) = spread_check(data, vendor, voltron_dir)
        lines.append(f"vendor {vendor} device spread: ber_shape {spread['ber_shape']:g} ({spread['points']} points, "
                     f"{spread['saturated_points']} saturated, "
                     f"{spread['modules']} modules, {', '.join(f'{v:g}' for v in spread['voltages'])} V), "
                     f"bank_concentration {spread['bank_concentration']:g} ({spread['maps']} maps); bank 0 weakness "
                     f"maps {mm:.2f} +- {ms:.2f}, Dirichlet draws {dm:.2f} +- {ds:.2f} (sd)")
    lines.append("* lower bound (saturated module), ^ raised by the monotone rule; zero points not listed")
    return lines


if __name__ == "__main__":   # pragma: no cover - maintenance entry point
    import sys

    try:
        written = write_voltron_table(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_TABLE)
    except (InputError, IndexError) as exc:
        print(f"dramsim.voltage: error: {exc if isinstance(exc, InputError) else 'usage: VOLTRON_DIR [OUT]'}",
              file=sys.stderr)
        sys.exit(2)
    print("\n".join(summary_lines(written, Path(sys.argv[1]))))
