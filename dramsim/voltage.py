"""Operating points: what a supply voltage does to a DRAM's energy, timing and bit errors.

A :class:`VoltageTable` lists, per core-rail voltage ``vdd`` (V): timing for reliable operation
in ns (columns ``t_rcd_ns``, ``t_rp_ns``, ``t_ras_ns``, any ``t_<timing>_ns`` naming a field of
:class:`dramsim.spec.Timing`) and the bit error rate per vendor profile and statistic (columns
``ber_<vendor>_<statistic>``, e.g. ``ber_B_mean``; empty = not characterised). Table-wide
settings: ``nominal_vdd``, the current-scaling law ``scaling`` and ``array_share``, the label
``timing_model`` and ``timing_basis`` (``absolute``: the ns are the device's timings;
``relative``: only their ratio to the nominal row is applied to the spec's own timings), and
per-vendor ``bank_weakness`` (YAML only).

The shipped table ``tables/DDR3L_voltron.yaml`` is built by :func:`build_voltron_table` from the
Voltron measurements (Chang et al., SIGMETRICS 2017, released data in
``shared/reference/voltron``): 1.35 V to 1.025 V in 25 mV steps, BER = 1 - (1 - f)^(1/512)
from the fraction f of 64-byte lines with errors (vendors A, B, C; mean, median, max over
modules), voltages the study did not test interpolated in log space, voltages below a vendor's
last tested one left empty. Its timings are a *model* (alpha-power-law delay scaling, see
:func:`alpha_power_factor`), labelled as such. Users replace the table with ``--voltage-table``
(CSV with ``#`` comment lines, or YAML in the shipped layout).

Modelling choices (documented, configurable):

* The voltage acts on the *core rail*: VDD for DDR3/DDR4 (VPP unchanged), VDD2 for
  LPDDR3/LPDDR4 (VDD1, VDDQ unchanged); ``core_rail=`` picks another.
* A table applies to any standard by relative voltage: a spec whose core-rail nominal voltage
  differs from the table's sees the table's voltages scaled by ``V_spec / V_table``.
* Current scaling of the core rail's IDD currents: ``v2`` (default) I ~ V, so every energy term
  scales with V^2; ``v1`` constant current, energy ~ V; ``array``: only the share ``array_share``
  of the energy scales (with V^2), the rest stays at its nominal value (currents multiplied by
  ``(1 - a) Vn / V + a V / Vn``).
* Modes: ``approximate`` keeps nominal timing and reports BER(V) (EnforceSNN); ``reliable``
  stretches timing to the table's values and reports BER 0 (Voltron).
* Between listed voltages BER is interpolated in log space (linearly when one side is 0) and
  timings linearly; outside the table :class:`InputError` is raised.
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
_TIMING_FIELDS = {f.name.lower(): f.name for f in dataclasses.fields(Timing) if f.name != "tck_ns"}
_TOL = 1e-9

#: Alpha-power-law parameters of the shipped timing model (a model, not a measurement).
ALPHA = 1.3
VTH_V = 0.35


def alpha_power_factor(vdd, nominal_vdd: float, alpha: float = ALPHA, vth_v: float = VTH_V):
    """Delay at ``vdd`` relative to ``nominal_vdd`` under the alpha-power law (Sakurai-Newton).

    ``delay ~ V / (V - Vth)^alpha``; 1 at the nominal voltage, > 1 below it.
    """
    v = np.asarray(vdd, dtype=float)
    return (v / (v - vth_v) ** alpha) / (nominal_vdd / (nominal_vdd - vth_v) ** alpha)


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

    @property
    def vendors(self) -> list[str]:
        return sorted({v for v, _ in self.ber_columns})

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

    def ber(self, vdd: float, vendor: str = "B", statistic: str = "mean") -> float:
        """Bit error rate at ``vdd`` for a vendor profile and statistic (interpolated)."""
        key = (vendor, statistic)
        if key not in self.ber_columns:
            raise InputError(f"{self.path}: no BER column ber_{vendor}_{statistic}; available: "
                             + ", ".join(f"ber_{a}_{b}" for a, b in sorted(self.ber_columns)))
        col = self.ber_columns[key]
        a, b, x = self._bracket(float(vdd))
        ya, yb = col[a], col[b]
        if math.isnan(ya) or math.isnan(yb):
            known = self.vdd[~np.isnan(col)]
            low = f"; characterised down to {known.min():g} V" if len(known) else ""
            raise InputError(f"{self.path}: vendor {vendor} has no BER at {vdd:g} V{low}")
        if a == b or x == 0.0:
            return float(ya)
        if ya > 0 and yb > 0:
            return float(math.exp(math.log(ya) + x * (math.log(yb) - math.log(ya))))
        return float(ya + x * (yb - ya))

    def timing_at(self, vdd: float) -> dict[str, float]:
        """Timing field -> ns at ``vdd`` (linear interpolation)."""
        a, b, x = self._bracket(float(vdd))
        return {k: float(col[a] + x * (col[b] - col[a])) for k, col in self.timing_ns.items()}

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


@dataclass(frozen=True)
class OperatingPoint:
    """A spec at a supply voltage and mode.

    Attributes
    ----------
    spec : Spec
        Core rail at ``vdd`` with scaled currents; in reliable mode stretched timing.
    vdd, nominal_vdd : float
        Core-rail voltage and its nominal value (V).
    mode : str
        ``approximate`` or ``reliable``.
    ber : float
        Bit error rate of the stored data (0 in reliable mode).
    timing_model : str
        ``"nominal"`` or the table's label (e.g. the alpha-power model).
    bank_weakness : ndarray
        Relative error density per bank (mean 1) for the vendor.
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

    def to_dict(self) -> dict:
        tm = self.spec.timing
        return {"vdd": self.vdd, "nominal_vdd": self.nominal_vdd, "mode": self.mode, "ber": self.ber,
                "timing_model": self.timing_model, "scaling": self.scaling, "vendor": self.vendor,
                "statistic": self.statistic, "core_rail": self.core_rail, "voltage_table": self.table_path,
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
        for col in ("nominal_vdd", "scaling", "array_share", "timing_model", "timing_basis", "standard"):
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
    for col in frame:
        if col == "vdd":
            continue
        m_t = re.fullmatch(r"t_([a-z_]+?)_ns", col, flags=re.I)
        m_b = re.fullmatch(r"ber_([A-Za-z0-9]+)_([a-z]+)", col)
        try:
            values = np.asarray(frame[col], dtype=float)[order]
        except (TypeError, ValueError):
            raise InputError(f"{where}: column {col!r} must hold numbers") from None
        if m_t:
            name = _TIMING_FIELDS.get(m_t.group(1).lower())
            if name is None:
                raise InputError(f"{where}: column {col!r} names no timing parameter; expected "
                                 "t_<name>_ns with a dramsim.spec.Timing field (t_rcd_ns, t_rp_ns, ...)")
            if np.any(~np.isfinite(values)) or np.any(values <= 0):
                raise InputError(f"{where}: column {col!r} must hold positive times (ns) in every row")
            timing[name] = values
        elif m_b:
            if np.any(values[~np.isnan(values)] < 0) or np.any(values[~np.isnan(values)] > 1):
                raise InputError(f"{where}: column {col!r} must hold probabilities in [0, 1]")
            ber[(m_b.group(1), m_b.group(2))] = values
        else:
            raise InputError(f"{where}: unknown column {col!r}; expected vdd, t_<timing>_ns or "
                             "ber_<vendor>_<statistic>")
    scaling = str(meta.get("scaling", "v2"))
    if scaling not in SCALINGS:
        raise InputError(f"{where}: scaling is {scaling!r}; expected one of {', '.join(SCALINGS)}")
    basis = str(meta.get("timing_basis", "absolute"))
    if basis not in ("absolute", "relative"):
        raise InputError(f"{where}: timing_basis is {basis!r}; expected absolute or relative")
    try:
        share = float(meta.get("array_share", 0.5))
        nominal = float(meta.get("nominal_vdd", vdd[0]))
    except (TypeError, ValueError):
        raise InputError(f"{where}: array_share and nominal_vdd must be numbers") from None
    if not 0 <= share <= 1:
        raise InputError(f"{where}: array_share is {share}; expected a fraction in [0, 1]")
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
                        bank_weakness=MappingProxyType(weak), source=str(meta.get("source", "")), path=where)


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
        Core-rail voltage in V (default: nominal).
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
        Rail the voltage applies to (default VDD; VDD2 for LPDDR).

    Raises
    ------
    InputError
        Unknown mode/scaling/vendor, or a voltage outside the table.
    """
    if mode not in MODES:
        raise InputError(f"mode is {mode!r}; expected one of {', '.join(MODES)}")
    rail_name = core_rail(spec, core)
    nominal = spec.rail(rail_name).voltage_v
    if not isinstance(table, VoltageTable):
        table = load_table(table, spec.standard)
    table = table.scaled_to(nominal)
    scaling = scaling or table.scaling
    share = table.array_share if array_share is None else float(array_share)
    vdd = nominal if vdd is None else float(vdd)
    if not vdd > 0:
        raise InputError(f"vdd is {vdd}; expected a positive voltage")
    factor = current_factor(scaling, vdd, nominal, share)
    if (vendor, statistic) not in table.ber_columns:
        raise InputError(f"{table.path}: no BER profile ber_{vendor}_{statistic}; vendors "
                         f"{', '.join(table.vendors)}, statistics {', '.join(STATISTICS)}")
    ber = table.ber(vdd, vendor, statistic)           # also checks the voltage range
    rails = tuple(
        Rail(r.name, vdd, MappingProxyType({k: v * factor for k, v in r.currents_ma.items()}))
        if r.name == rail_name else r for r in spec.rails)
    new = dataclasses.replace(spec, rails=rails)
    timing_model = "nominal"
    if mode == "reliable":
        new = dataclasses.replace(new, timing=stretched_timing(spec.timing, table, vdd))
        timing_model = table.timing_model
        ber = 0.0
    return OperatingPoint(spec=new, vdd=vdd, nominal_vdd=nominal, mode=mode, ber=ber,
                          timing_model=timing_model, scaling=scaling, vendor=vendor, statistic=statistic,
                          core_rail=rail_name, bank_weakness=table.weakness(vendor, spec.organization.banks),
                          table_path=table.path)


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


def ber_from_line_fraction(f):
    """BER from the fraction ``f`` of 64-byte lines with at least one error (independent bits)."""
    return 1.0 - (1.0 - np.asarray(f, dtype=float)) ** (1.0 / 512.0)


def _fill_grid(volts: np.ndarray, values: np.ndarray, grid) -> np.ndarray:
    """Values on ``grid``: measured where tested, log-interpolated between tested voltages,
    NaN below the lowest tested voltage."""
    out = np.full(len(grid), np.nan)
    order = np.argsort(-volts)
    volts, values = volts[order], values[order]
    for i, g in enumerate(grid):
        hit = np.abs(volts - g) < 1e-6
        if hit.any():
            out[i] = values[hit][0]
            continue
        above, below = volts[volts > g], volts[volts < g]
        if len(above) == 0 or len(below) == 0:
            continue
        va, vb = above.min(), below.max()
        ya, yb = values[volts == va][0], values[volts == vb][0]
        x = (va - g) / (va - vb)
        out[i] = math.exp(math.log(ya) + x * (math.log(yb) - math.log(ya))) if ya > 0 and yb > 0 \
            else ya + x * (yb - ya)
    return out


def voltron_bank_weakness(spatial_summary: Path) -> dict[str, list[float]]:
    """Per-vendor relative error density per bank (mean 1) from Voltron's spatial summary.

    Uniform rows (every bank equal: no errors, or the all-1.00 artefact maps the file's note
    warns about) and saturated rows (mean fraction > 0.75: nearly every row of every bank
    erroneous) carry no bank information and are skipped; in the others each bank's fraction
    above the row's minimum (the plotting baseline) is normalised to sum 1, averaged over a
    vendor's modules and voltages, and rescaled to mean 1.
    """
    rows: dict[str, list[np.ndarray]] = {}
    for line in Path(spatial_summary).read_text().splitlines():
        m = re.match(r"^([A-Z])(\d+)\s+([\d.]+)V\s*\|\s*\d+\s*\|\s*[\d.]+\s*\|((?:\s*[\d.]+){8})", line)
        if not m:
            continue
        frac = np.array(m.group(4).split(), dtype=float)
        excess = frac - frac.min()
        if excess.max() <= 0.015 or frac.mean() > 0.75:   # uniform or saturated map
            continue
        rows.setdefault(m.group(1), []).append(excess / excess.sum())
    return {v: [round(float(x), 3) for x in (np.mean(r, axis=0) * len(r[0]))] for v, r in sorted(rows.items())}


def build_voltron_table(voltron_dir: Path) -> dict:
    """The shipped table's content (YAML layout) from the Voltron data directory."""
    import pandas as pd

    voltron_dir = Path(voltron_dir)
    src = pd.read_csv(voltron_dir / "derived_vendor_voltage_errors.csv")
    grid = np.array(VOLTRON_GRID)
    factor = alpha_power_factor(grid, 1.35)
    points = [{"vdd": float(v), **{f"t_{k.lower()}_ns": round(float(ns * f), 3)
                                    for k, ns in _VOLTRON_TIMING_NS.items()}}
              for v, f in zip(grid, factor)]
    for vendor, part in src.groupby("vendor"):
        volts = part["vdd_V"].to_numpy(dtype=float)
        for stat in STATISTICS:
            ber = ber_from_line_fraction(part[f"{stat}_frac_lines_err"].to_numpy(dtype=float))
            col = _fill_grid(volts, ber, grid)
            for p, b in zip(points, col):
                p[f"ber_{vendor}_{stat}"] = None if math.isnan(b) else float(f"{b:.4g}")
    return {
        "name": "DDR3L-Voltron",
        "standard": "DDR3",
        "nominal_vdd": 1.35,
        "source": "Voltron (Chang et al., SIGMETRICS 2017) released data: derived_vendor_voltage_errors.csv "
                  "(per-vendor mean/median/max fraction of erroneous 64-byte lines, tRCD = tRP = 10 ns, 20 C) "
                  "and spatial_summary.txt (per-bank error maps)",
        "timing_model": f"alpha-power model (delay ~ V/(V-Vth)^alpha, Vth {VTH_V} V, alpha {ALPHA}; "
                        "a model, not Voltron's measured latencies)",
        "timing_basis": "relative",
        "scaling": "v2",
        "array_share": 0.5,
        "bank_weakness": voltron_bank_weakness(voltron_dir / "spatial_summary.txt"),
        "points": points,
    }


def write_voltron_table(voltron_dir: Path, out: Path = DEFAULT_TABLE) -> None:
    """Regenerate the shipped YAML table (``python -m dramsim.voltage VOLTRON_DIR``)."""
    data = build_voltron_table(voltron_dir)
    header = (
        "# Default DDR3L operating points, built by `python -m dramsim.voltage <shared>/reference/voltron`\n"
        "# from the Voltron measurements (Chang et al., SIGMETRICS 2017; 1.35 V to 1.025 V in 25 mV steps).\n"
        "# BER = 1 - (1 - f)^(1/512), f = fraction of 64-byte lines with errors (per vendor: mean, median,\n"
        "# max over modules). Voltages Voltron did not test are log-interpolated; empty = below the lowest\n"
        "# voltage tested for that vendor. Timings (ns, relative basis: ratios to the 1.35 V row) are a\n"
        "# MODEL (alpha-power law), not measured. Other standards use this table on the relative scale\n"
        "# of their core rail (VDD2 for LPDDR) - a modelling choice. bank_weakness: relative error\n"
        "# density per bank (mean 1) from spatial_summary.txt.\n")
    body = yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=200)
    tmp = Path(out).with_suffix(".tmp")
    tmp.write_text(header + body)
    tmp.replace(out)


if __name__ == "__main__":   # pragma: no cover - maintenance entry point
    import sys

    write_voltron_table(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_TABLE)
