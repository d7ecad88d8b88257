"""DRAM standards as data: load, validate and freeze a device specification.

A specification (:class:`Spec`) is three things, kept apart as in Ramulator 2:

* :class:`Organization` -- channels, ranks, bank groups, banks, rows, columns, device width,
  burst length, devices per rank;
* :class:`Timing` -- every timing parameter in memory-clock cycles, plus the clock period
  ``tck_ns``;
* :class:`Rail` -- per supply rail, its voltage and the IDD currents (mA) of one device, used by
  :mod:`dramsim.energy`.

Built-in standards are YAML files in ``dramsim/standards/`` (one per standard). A user copies one,
edits it and passes the path: ``load_spec("my_ddr3.yaml")``. Channels and ranks are options of a
run, not of the file (``load_spec(name, channels=2, ranks=2)``).

YAML layout::

    name: DDR3-1600K
    standard: DDR3                 # family: DDR3, DDR4, DDR5, GDDR6, HBM2, HBM3, LPDDR3, LPDDR4, LPDDR5
    description: ...
    source: ...                    # where the numbers come from
    organization: {density_gbit: 4, dq: 8, devices_per_rank: 8, bankgroups: 1,
                   banks_per_group: 8, rows: 65536, columns: 1024, burst_length: 8}
    timing: {tck_ns: 1.25, CL: 11, CWL: 8, RCD: 11, ...}   # cycles (see Timing)
    power:
      VDD: {voltage_v: 1.35, IDD0: 55, IDD2N: 32, ...}    # mA per device
    table: DDR3                    # optional: the timing table (default: the family's,
                                   # dramsim/standards/tables/<standard>.yaml), or one inline

The timing table (:mod:`dramsim.table`) holds the JEDEC rules as data; :attr:`Spec.table` is it
evaluated for this spec's timing values.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import yaml

from dramsim.errors import InputError
from dramsim.table import Table, build_table, read_table

STANDARDS_DIR = Path(__file__).with_name("standards")
FAMILIES = ("DDR3", "DDR4", "DDR5", "GDDR6", "HBM2", "HBM3", "LPDDR3", "LPDDR4", "LPDDR5")
#: Data beats per memory clock (CK) where a family's data clock is not CK at double data rate
#: (2 beats per CK elsewhere). GDDR6: data on WCK = 4 x CK at double data rate, 8 beats per CK
#: (BL16 -> 2 CK per burst; 14 Gb/s per pin at CK 1,750 MHz). LPDDR5 gives its burst time in the
#: spec instead (``timing.BL_min``, WCK:CK 4:1 or 2:1).
BEATS_PER_CLOCK = {"GDDR6": 8}

#: IDD currents an energy model may read, per rail, in mA per device (DRAMPower naming).
#: ``IDD2P0``/``IDD3P0`` are the slow-exit (DLL off) and ``IDD2P1``/``IDD3P1`` the fast-exit power-down
#: currents; a rail that gives only ``IDD2P``/``IDD3P`` uses it for both.
CURRENTS = ("IDD0", "IDD2N", "IDD3N", "IDD4R", "IDD4W", "IDD5", "IDD5PB", "IDD2P", "IDD3P", "IDD6",
            "IDD2P0", "IDD2P1", "IDD3P0", "IDD3P1")
_CURRENT_FALLBACK = {"IDD2P0": "IDD2P", "IDD2P1": "IDD2P", "IDD3P0": "IDD3P", "IDD3P1": "IDD3P"}
#: Families with a DLL: their slow-exit power-down and self-refresh exits wait tXPDLL / tXSDLL.
DLL_FAMILIES = ("DDR3", "DDR4")
#: JEDEC values a spec of a family gets when it does not give them: cycles, and ns (rounded up to
#: cycles of the spec's clock). JESD209-4: tPPD 4 nCK, tWPRE 2 nCK, tRPST 0.5 nCK (RD -> 0),
#: tDQSCK(max) 3.5 ns; JESD209-3: tDQSCK(max) 5.5 ns.
FAMILY_DEFAULTS = {"LPDDR3": {}, "LPDDR4": {"PPD": 4, "WPRE": 2, "RPST": 0}}
FAMILY_DEFAULTS_NS = {"LPDDR3": {"DQSCK": 5.5}, "LPDDR4": {"DQSCK": 3.5}}
#: LPDDR spellings of low-power timing parameters, read as ours (JESD209-3/-4: tXSR; LPDDR4: tSR).
LPDDR_TIMING_ALIASES = {"XSR": "XS", "SR": "CKESR"}


@dataclass(frozen=True)
class Organization:
    """Geometry of the memory system.

    Parameters
    ----------
    channels, ranks : int
        Independent channels, and ranks per channel (options of a run).
    bankgroups : int
        Bank groups per rank (1 for standards without bank groups); per SID where there are SIDs.
    banks_per_group : int
        Banks in each bank group.
    rows, columns : int
        Rows per bank and device column addresses per row.
    dq : int
        Device data width in bits (x8 -> 8).
    devices_per_rank : int
        Devices side by side forming one rank (channel width = dq x devices_per_rank).
    burst_length : int
        Beats per burst (BL8 -> 8). One burst moves ``burst_bytes`` and consumes
        ``burst_length`` column addresses.
    density_gbit : float
        Device density in Gbit (informational; checked against the geometry).
    sids : int
        Stack IDs per rank (HBM3: the dies of a stack sharing a pseudo-channel, each with its own
        bank groups and banks); 1 for every other standard.
    """

    channels: int
    ranks: int
    bankgroups: int
    banks_per_group: int
    rows: int
    columns: int
    dq: int
    devices_per_rank: int
    burst_length: int
    density_gbit: float
    sids: int = 1

    @property
    def banks(self) -> int:
        """Banks per rank (over its SIDs)."""
        return self.sids * self.bankgroups * self.banks_per_group

    @property
    def channel_width_bits(self) -> int:
        return self.dq * self.devices_per_rank

    @property
    def burst_bytes(self) -> int:
        """Bytes moved by one read or write burst (the request size)."""
        return self.channel_width_bits * self.burst_length // 8

    @property
    def bursts_per_row(self) -> int:
        return self.columns // self.burst_length

    @property
    def row_bytes(self) -> int:
        """Bytes in one row of one rank (the row-buffer size seen by the controller)."""
        return self.bursts_per_row * self.burst_bytes

    @property
    def capacity_bytes(self) -> int:
        return self.channels * self.ranks * self.banks * self.rows * self.row_bytes


#: Low-power timing parameters (optional; see Timing).
LOW_POWER_TIMING = ("CKE", "CKESR", "XP", "XPDLL", "XS", "XSDLL")
#: Timing parameters, all in memory-clock cycles. Optional ones default as noted in Timing.
#: Timing parameters that may be 0 (the family has no such rule) besides the low-power ones.
OPTIONAL_TIMING = ("RC_energy", "PPD", "DQSCK", "WPRE", "RPST", "CCD_S_WR", "CCD_L_WR", "RREFD", "BL_min", "BL_max",
                   "PBR2PBR", "PBR2ACT", "RFCsb", "REFIsb", "REFSBRD", "CCD_R", "RTW")
TIMING_REQUIRED = ("CL", "CWL", "RCD", "RP", "RAS", "RC", "CCD_S", "RRD_S", "FAW", "WTR_S",
                   "RTP", "WR", "RFC", "REFI")


@dataclass(frozen=True)
class Timing:
    """Timing parameters in memory-clock cycles (``tck_ns`` is the clock period in ns).

    Names follow JEDEC without the leading ``t``. ``_S``/``_L``: different / same bank group
    (equal for standards without bank groups). ``RPab``: precharge-all (LPDDR; = RP elsewhere).
    ``RFCpb``, ``REFIpb``: per-bank refresh (LPDDR; 0 when the standard has none). ``RTRS``:
    rank-to-rank data-bus switching gap, idle clocks between two ranks' bursts (1 when a file does
    not give it, as DRAMsim3; the built-in DDR3-1600K and DDR4-2400R use 2, see
    :mod:`dramsim.kernel`). ``BL`` on the bus is ``burst_length / 2`` cycles (DDR; GDDR6
    ``burst_length / 8``, see :data:`BEATS_PER_CLOCK`).

    Low-power timing (0 when the spec does not give it; the power-down policy then refuses to
    run): ``CKE`` minimum CKE low (and high) pulse, i.e. minimum power-down residency;
    ``CKESR`` minimum self-refresh residency (LPDDR4: tSR); ``XP`` power-down exit to the next
    command; ``XPDLL`` the same after a slow exit (DLL off; = XP without a DLL); ``XS``
    self-refresh exit to a command that needs no DLL (LPDDR: tXSR); ``XSDLL`` to one that does
    (a RD/WR; = XS without a DLL). ``RC_energy``: the tRC the energy model's PRE term uses when a
    memspec's own tRC is below RAS + RP (Micron LPDDR3 4 Gb: 48, where timing uses 51), as
    DRAMPower bills the memspec's value; 0 means ``RC``.

    LPDDR read/write turnaround and precharge spacing (0 where the family has none): ``PPD``
    precharge to precharge (LPDDR4 tPPD); ``DQSCK`` RU(tDQSCK(max) / tCK), the read data's
    output skew; ``WPRE`` write preamble (tWPRE, clocks); ``RPST`` RD(tRPST), the read
    postamble rounded down. A family's timing table (:mod:`dramsim.table`) says where they enter.

    ``CCD_S_WR`` / ``CCD_L_WR``: write to write, other / same bank group, where the standard
    separates them from reads (DDR5 tCCD_S_WR, tCCD_L_WR); they default to ``CCD_S`` / ``CCD_L``.

    ``RCD_WR``: ACT to a write where the standard separates it from ACT to a read (GDDR6 and HBM
    tRCDWR; ``RCD`` is then tRCDRD); it defaults to ``RCD``. ``RREFD``: per-bank refresh to an
    ACT or REFpb of another bank (GDDR6 tRREFD; 0 where the family has none).

    ``BL_min`` / ``BL_max``: data-bus cycles of one burst, and the column array's cycle per burst,
    where the data clock is not the command clock (LPDDR5, WCK:CK 4:1: a BL16 burst takes BL/n_min
    = 2 CK, the array BL/n_max = 4 CK, JESD209-5). ``BL_min`` 0 means :func:`burst_cycles` (double
    data rate on CK; GDDR6 8 beats per CK), ``BL_max`` 0 means ``BL_min``. ``PBR2PBR`` /
    ``PBR2ACT``: per-bank refresh to per-bank refresh of another bank, and to an ACT of another
    bank (LPDDR5 tpbR2pbR, tpbR2act; 0 where the family has no such rule).

    Same-bank refresh (DDR5 REFsb: bank k of every bank group at once; 0 where the standard has
    none): ``RFCsb`` its refresh cycle time (tRFCsb), ``REFIsb`` the average interval between two
    REFsb of a rank (tREFI2 / banks per group: each bank set once per tREFI2), ``REFSBRD`` REFsb to
    an ACT of a bank outside the set (tREFSBRD).

    ``CCD_R``: read to read of another SID of the same pseudo-channel (HBM3 tCCDR; 0 elsewhere).
    ``RTW``: read to write, where the standard gives the turnaround as one value (HBM3 tRTW, as
    Ramulator 2.1's preset; 0 elsewhere: the table derives it from CL, CWL and the burst).

    ``ticks_per_ck``: engine cycles per memory clock CK. 1 for every standard but HBM3, whose
    spec counts in half-CK ticks (2): ``tck_ns`` is then the tick (half of tCK) and every value
    here, the refresh interval and the energy model's times are in ticks; row commands take 1 tick,
    ACT 3, column commands 2 (one CK), and a timing table's commands issue on CK's rising edge
    (every ``ticks_per_ck``-th tick) unless it says ``edges: both`` (:mod:`dramsim.table`).
    """

    tck_ns: float
    CL: int
    CWL: int
    RCD: int
    RP: int
    RAS: int
    RC: int
    CCD_S: int
    CCD_L: int
    RRD_S: int
    RRD_L: int
    FAW: int
    WTR_S: int
    WTR_L: int
    RTP: int
    WR: int
    RFC: int
    REFI: int
    RPab: int
    RFCpb: int = 0
    REFIpb: int = 0
    RTRS: int = 1
    CKE: int = 0
    CKESR: int = 0
    XP: int = 0
    XPDLL: int = 0
    XS: int = 0
    XSDLL: int = 0
    RC_energy: int = 0
    PPD: int = 0
    DQSCK: int = 0
    WPRE: int = 0
    RPST: int = 0
    CCD_S_WR: int = 0
    CCD_L_WR: int = 0
    RCD_WR: int = 0
    RREFD: int = 0
    BL_min: int = 0
    BL_max: int = 0
    PBR2PBR: int = 0
    PBR2ACT: int = 0
    RFCsb: int = 0
    REFIsb: int = 0
    REFSBRD: int = 0
    CCD_R: int = 0
    RTW: int = 0
    ticks_per_ck: int = 1

    @property
    def rc_energy(self) -> int:
        """tRC as the energy model's PRE term uses it (``RC_energy`` when given, else ``RC``)."""
        return self.RC_energy or self.RC

    def ns(self, name: str) -> float:
        """A timing parameter converted to nanoseconds."""
        return getattr(self, name) * self.tck_ns

    @property
    def ck_ns(self) -> float:
        """The memory clock CK's period in ns (``tck_ns`` x ``ticks_per_ck``)."""
        return self.tck_ns * self.ticks_per_ck


@dataclass(frozen=True)
class Rail:
    """One supply rail of one device: its voltage (V) and IDD currents (mA)."""

    name: str
    voltage_v: float
    currents_ma: Mapping[str, float] = field(default_factory=dict)

    def current(self, name: str) -> float:
        """IDD current in mA (0 when the datasheet gives none for this rail).

        ``IDD2P0``/``IDD2P1`` fall back to ``IDD2P`` and ``IDD3P0``/``IDD3P1`` to ``IDD3P``.
        """
        if name not in self.currents_ma and name in _CURRENT_FALLBACK:
            name = _CURRENT_FALLBACK[name]
        return float(self.currents_ma.get(name, 0.0))


@dataclass(frozen=True)
class Spec:
    """A frozen, validated DRAM specification (see the module docstring)."""

    name: str
    standard: str
    organization: Organization
    timing: Timing
    rails: tuple[Rail, ...]
    description: str = ""
    source: str = ""
    path: str = ""
    table_ref: object = field(default=None, compare=False, repr=False)
    table_data: Mapping | None = field(default=None, compare=False, repr=False)
    table_where: str = field(default="", compare=False, repr=False)

    @cached_property
    def table(self) -> Table:
        """The timing table evaluated for this spec's timing (see :mod:`dramsim.table`); built once
        per spec (the spec is frozen and ``table_data`` a read-only view)."""
        return build_table(self.table_data, self.table_where, _timing_values(self.timing), self.burst_cycles)

    @property
    def burst_cycles(self) -> int:
        """Data-bus cycles of one burst: ``timing.BL_min`` where given (LPDDR5), else
        :func:`burst_cycles` (double data rate on the command clock; GDDR6 8 beats per CK)."""
        return self.timing.BL_min or burst_cycles(self.standard, self.organization.burst_length)

    @property
    def has_dll(self) -> bool:
        """Whether the family has a DLL (DDR3, DDR4): slow exits and RD/WR after SREX wait for it."""
        return self.standard in DLL_FAMILIES

    def rail(self, name: str) -> Rail:
        for r in self.rails:
            if r.name == name:
                return r
        raise KeyError(name)

    def with_options(self, channels: int | None = None, ranks: int | None = None) -> "Spec":
        """The same device with another number of channels and/or ranks.

        Raises
        ------
        InputError
            A count that is not a positive integer, named as the option it comes from
            (``--channels 0: ...``), not as a field of the spec file.
        """
        org = self.organization
        for name, value in (("channels", channels), ("ranks", ranks)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise InputError(f"--{name} {value}: expected a positive integer")
        new = dataclasses.replace(
            org,
            channels=org.channels if channels is None else channels,
            ranks=org.ranks if ranks is None else ranks,
        )
        return dataclasses.replace(self, organization=new)

    def to_dict(self) -> dict:
        """Plain-data form (the YAML layout), for printing and saving."""
        org = dataclasses.asdict(self.organization)
        return {
            "name": self.name,
            "standard": self.standard,
            "description": self.description,
            "source": self.source,
            "organization": org,
            "timing": dataclasses.asdict(self.timing),
            "power": {r.name: {"voltage_v": r.voltage_v, **dict(r.currents_ma)} for r in self.rails},
            **({} if self.table_ref in (None, self.standard) else {"table": self.table_ref}),
        }


def burst_cycles(standard: str, burst_length: int) -> int:
    """Memory-clock cycles one burst of ``burst_length`` beats occupies the data bus (at least 1)."""
    return max(burst_length // BEATS_PER_CLOCK.get(standard, 2), 1)


def builtin_standards() -> list[str]:
    """Names of the built-in standards (the YAML files shipped in ``dramsim/standards``)."""
    return sorted(p.stem for p in STANDARDS_DIR.glob("*.yaml"))


def load_spec(name_or_path: str | Path, channels: int | None = None, ranks: int | None = None) -> Spec:
    """Load a built-in standard by name or a spec file by path, validate it and freeze it.

    Parameters
    ----------
    name_or_path : str or Path
        A built-in name (``"DDR3-1600K"``, see :func:`builtin_standards`) or a path to a YAML
        spec. Other formats (DRAMPower XML/JSON, DRAMsim3 INI) are read by
        :mod:`dramsim.importers` when present.
    channels, ranks : int, optional
        Override the file's channel and rank counts (default 1 each).

    Raises
    ------
    InputError
        Unknown name, unreadable file, or a missing, non-positive or impossible field.
    """
    text = str(name_or_path)
    path = Path(text)
    if not path.suffix and (STANDARDS_DIR / f"{text}.yaml").exists():
        path = STANDARDS_DIR / f"{text}.yaml"
    elif not path.exists():
        raise InputError(f"unknown standard or missing spec file {text!r}; built-in standards: "
                         + ", ".join(builtin_standards()))
    if path.suffix.lower() in (".yaml", ".yml"):
        spec = spec_from_dict(read_yaml(path), str(path))
    else:
        try:
            from dramsim import importers
        except ImportError:
            raise InputError(f"{path}: unsupported spec format {path.suffix!r}; expected .yaml") from None
        spec = importers.load(path)
    return spec.with_options(channels, ranks)


#: PyYAML's safe loader, the C one (libyaml, 2-3x faster) where PyYAML was built with it.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path):
    """The parsed content of the YAML file ``path``.

    Raises
    ------
    InputError
        The file cannot be read, is not UTF-8 text (binary garbage), or is not valid YAML; the
        message names the file (and the line or byte offset).
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({(exc.strerror or str(exc)).lower()})") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not a YAML text file (byte {exc.start} is not UTF-8)") from None
    try:
        return yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"{path}:{where} not valid YAML ({getattr(exc, 'problem', None) or exc})") from None


#: The top-level keys of a spec file.
SPEC_KEYS = ("name", "standard", "description", "source", "organization", "timing", "power", "table")


def spec_from_dict(data: Mapping, where: str = "<spec>") -> Spec:
    """Validate a spec in the YAML layout (a dict) and freeze it; ``where`` names it in errors."""
    if not isinstance(data, Mapping):
        raise InputError(f"{where}: expected a mapping with name, standard, organization, timing, power")
    for key in ("name", "standard", "organization", "timing", "power"):
        if key not in data:
            raise InputError(f"{where}: missing field {key!r}")
    unknown = [k for k in data if k not in SPEC_KEYS]
    if unknown:
        raise InputError(f"{where}: unknown top-level key {unknown[0]!r}; expected {', '.join(SPEC_KEYS)}")
    standard = str(data["standard"]).upper()
    if standard not in FAMILIES:
        raise InputError(f"{where}: field 'standard' is {data['standard']!r}; expected one of {', '.join(FAMILIES)}")

    o = _mapping(data["organization"], "organization", where)
    org = Organization(
        channels=_positive_int(o.get("channels", 1), "organization.channels", where),
        ranks=_positive_int(o.get("ranks", 1), "organization.ranks", where),
        bankgroups=_positive_int(o.get("bankgroups", 1), "organization.bankgroups", where),
        banks_per_group=_positive_int(_req(o, "banks_per_group", "organization", where), "organization.banks_per_group", where),
        rows=_positive_int(_req(o, "rows", "organization", where), "organization.rows", where),
        columns=_positive_int(_req(o, "columns", "organization", where), "organization.columns", where),
        dq=_positive_int(_req(o, "dq", "organization", where), "organization.dq", where),
        devices_per_rank=_positive_int(_req(o, "devices_per_rank", "organization", where), "organization.devices_per_rank", where),
        burst_length=_positive_int(_req(o, "burst_length", "organization", where), "organization.burst_length", where),
        density_gbit=_positive_float(_req(o, "density_gbit", "organization", where), "organization.density_gbit", where),
        sids=_positive_int(o.get("sids", 1), "organization.sids", where),
    )
    for name in ("rows", "columns", "banks_per_group", "bankgroups", "burst_length", "sids"):
        value = getattr(org, name)
        if value & (value - 1):
            raise InputError(f"{where}: organization.{name} is {value}; expected a power of two")
    if org.columns % org.burst_length:
        raise InputError(f"{where}: organization.columns ({org.columns}) is not a multiple of burst_length ({org.burst_length})")
    bits = org.banks * org.rows * org.columns * org.dq
    if abs(bits / 2**30 - org.density_gbit) > 1e-9 * org.density_gbit:
        raise InputError(f"{where}: organization gives {bits / 2**30:g} Gbit per device "
                         f"(banks x rows x columns x dq) but density_gbit is {org.density_gbit:g}")

    t = dict(_mapping(data["timing"], "timing", where))
    if standard.startswith("LP"):
        for theirs, ours in LPDDR_TIMING_ALIASES.items():
            if theirs in t:
                if ours in t:
                    raise InputError(f"{where}: timing gives both {theirs} and {ours} (the same parameter)")
                t[ours] = t.pop(theirs)
    for name in TIMING_REQUIRED:
        _req(t, name, "timing", where)
    tck_ns = _positive_float(_req(t, "tck_ns", "timing", where), "timing.tck_ns", where)
    for name, value in FAMILY_DEFAULTS.get(standard, {}).items():
        t.setdefault(name, value)
    for name, value_ns in FAMILY_DEFAULTS_NS.get(standard, {}).items():
        t.setdefault(name, math.ceil(value_ns / tck_ns - 1e-9))
    values = {}
    for f in dataclasses.fields(Timing):
        if f.name == "tck_ns":
            continue
        default = {"CCD_L": t.get("CCD_S"), "RRD_L": t.get("RRD_S"), "WTR_L": t.get("WTR_S"),
                   "RPab": t.get("RP"), "XPDLL": t.get("XP", 0), "XSDLL": t.get("XS", 0),
                   "CCD_S_WR": t.get("CCD_S"), "CCD_L_WR": t.get("CCD_L", t.get("CCD_S")),
                   "RCD_WR": t.get("RCD"), "BL_max": t.get("BL_min", 0)}.get(f.name, f.default)
        raw = t.get(f.name, default)
        if f.name in ("RFCpb", "REFIpb", "RTRS") or f.name in LOW_POWER_TIMING or f.name in OPTIONAL_TIMING:
            values[f.name] = _nonnegative_int(raw, f"timing.{f.name}", where)
        else:
            values[f.name] = _positive_int(raw, f"timing.{f.name}", where)
    unknown = set(t) - {f.name for f in dataclasses.fields(Timing)}
    if unknown:
        raise InputError(f"{where}: unknown timing field(s) {', '.join(sorted(unknown))}; expected names of dramsim.spec.Timing")
    timing = Timing(tck_ns=tck_ns, **values)
    if timing.RC < timing.RAS + timing.RP:
        raise InputError(f"{where}: timing.RC ({timing.RC}) < RAS + RP ({timing.RAS} + {timing.RP}); impossible timing")
    if timing.REFI <= timing.RFC:
        raise InputError(f"{where}: timing.REFI ({timing.REFI}) must exceed RFC ({timing.RFC})")
    if bool(timing.RFCpb) != bool(timing.REFIpb):
        raise InputError(f"{where}: timing.RFCpb and timing.REFIpb must be given together")
    if bool(timing.RFCsb) != bool(timing.REFIsb):
        raise InputError(f"{where}: timing.RFCsb and timing.REFIsb must be given together")
    if timing.REFIsb and timing.REFIsb <= timing.RFCsb:
        raise InputError(f"{where}: timing.REFIsb ({timing.REFIsb}) must exceed RFCsb ({timing.RFCsb})")
    if (timing.CCD_L < timing.CCD_S or timing.RRD_L < timing.RRD_S or timing.WTR_L < timing.WTR_S
            or timing.CCD_L_WR < timing.CCD_S_WR):
        raise InputError(f"{where}: timing *_L values must be >= their *_S counterparts")
    if timing.XPDLL < timing.XP or timing.XSDLL < timing.XS:
        raise InputError(f"{where}: timing.XPDLL / XSDLL must be >= XP / XS (the DLL only adds to an exit)")
    burst = timing.BL_min or burst_cycles(standard, org.burst_length)
    if timing.BL_max and timing.BL_max < burst:
        raise InputError(f"{where}: timing.BL_max ({timing.BL_max}) is below BL_min ({burst})")
    for name in ("CCD_S", "CCD_L", "CCD_S_WR", "CCD_L_WR"):
        if getattr(timing, name) < burst:
            raise InputError(f"{where}: timing.{name} ({getattr(timing, name)}) is below the burst time "
                             f"({burst} cycles for burst_length {org.burst_length}, BL_min {timing.BL_min}); "
                             "bursts would overlap")
    if timing.RAS < max(timing.RCD, timing.RCD_WR):
        raise InputError(f"{where}: timing.RAS ({timing.RAS}) < RCD ({max(timing.RCD, timing.RCD_WR)}); "
                         "impossible timing")
    table_ref = data.get("table", standard)
    if not (isinstance(table_ref, str) or isinstance(table_ref, Mapping)):
        raise InputError(f"{where}: field 'table' is {table_ref!r}; expected a table name or a mapping")
    raw_table, table_where = read_table(table_ref, where)
    if not isinstance(table_ref, str):
        table_where = f"{where}: table"
    build_table(raw_table, table_where, _timing_values(timing), burst)   # refuse a bad table now

    p = _mapping(data["power"], "power", where)
    rails = []
    for rail_name, entry in p.items():
        e = _mapping(entry, f"power.{rail_name}", where)
        voltage = _positive_float(_req(e, "voltage_v", f"power.{rail_name}", where), f"power.{rail_name}.voltage_v", where)
        currents = {}
        for key, value in e.items():
            if key == "voltage_v":
                continue
            if key not in CURRENTS:
                raise InputError(f"{where}: unknown current power.{rail_name}.{key}; expected one of {', '.join(CURRENTS)}")
            currents[key] = _nonnegative_float(value, f"power.{rail_name}.{key}", where)
        rails.append(Rail(str(rail_name), voltage, MappingProxyType(currents)))
    if not rails:
        raise InputError(f"{where}: power needs at least one rail")

    return Spec(name=str(data["name"]), standard=standard, organization=org, timing=timing,
                rails=tuple(rails), description=str(data.get("description", "")),
                source=str(data.get("source", "")), path=where,
                table_ref=table_ref if isinstance(table_ref, str) else dict(table_ref),
                table_data=MappingProxyType(raw_table), table_where=table_where)


def _timing_values(timing: Timing) -> dict:
    return {f.name: getattr(timing, f.name) for f in dataclasses.fields(Timing)}


def _mapping(value, name, where):
    if not isinstance(value, Mapping):
        raise InputError(f"{where}: field {name!r} must be a mapping")
    return value


def _req(m, key, section, where):
    if key not in m:
        raise InputError(f"{where}: missing field {section}.{key}")
    return m[key]


def _number(value, name, where, kind):
    if isinstance(value, bool):
        raise InputError(f"{where}: field {name} is {value!r}; expected {kind}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: field {name} is {value!r}; expected {kind}") from None
    return number


def _positive_int(value, name, where="<spec>"):
    number = _number(value, name, where, "a positive integer")
    if number <= 0 or number != int(number):
        raise InputError(f"{where}: field {name} is {value!r}; expected a positive integer")
    return int(number)


def _nonnegative_int(value, name, where):
    number = _number(value, name, where, "a non-negative integer")
    if number < 0 or number != int(number):
        raise InputError(f"{where}: field {name} is {value!r}; expected a non-negative integer")
    return int(number)


def _positive_float(value, name, where):
    number = _number(value, name, where, "a positive number")
    if not number > 0:
        raise InputError(f"{where}: field {name} is {value!r}; expected a positive number")
    return number


def _nonnegative_float(value, name, where):
    number = _number(value, name, where, "a non-negative number")
    if not number >= 0:
        raise InputError(f"{where}: field {name} is {value!r}; expected a non-negative number")
    return number
