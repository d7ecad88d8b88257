"""Read peer tools' memory specifications into a :class:`dramsim.spec.Spec`.

Formats (chosen by file suffix; :func:`load` is what :func:`dramsim.spec.load_spec` calls for
non-YAML paths):

* ``.xml`` -- DRAMPower 4 memspec: ``<parameter id=... value=...>`` in memarchitecturespec,
  memtimingspec (cycles, ``clkMhz``) and mempowerspec (mA, V). ``idd*2`` currents belong to the
  second rail ``vdd2``.
* ``.json`` -- DRAMSys / DRAMPower 5 memspec, SI units: currents in A (converted to mA), ``tCK``
  in s (to ns), timings in cycles. Keys are matched case-insensitively.
* ``.ini`` -- DRAMsim3 config: [dram_structure], [timing] (cycles, ``tCK`` ns), [power] (mA, V),
  [system]. The refresh interval is read from ``tREFI``; a file that only spells ``REFI`` (as
  DRAMsim3's stock files do, a key DRAMsim3 itself ignores) is read with a warning.

Rails: DDR3 -> ``VDD``; DDR4 -> ``VDD`` and ``VPP`` (IPP currents under the IDD names; VPP
2.5 V when the file gives no voltage); LPDDR3/LPDDR4 -> ``VDD1``, ``VDD2``, ``VDDQ`` (a
one-rail DRAMsim3 LPDDR file becomes ``VDD2``, the core rail).

Organization fields a memspec may lack (documented choices):

* ``devices_per_rank``: the JSON's ``nbrOfDevices``, the INI's ``bus_width / device_width``;
  otherwise a 64-bit channel for DDR3/DDR4/LPDDR3 and a 32-bit one for LPDDR4 divided by the
  device width.
* ``ranks`` and ``channels``: 1, except DRAMsim3 INI (``channels``; ranks = ``channel_size``
  MB / rank capacity, as DRAMsim3 derives them).
* ``CCD_S``/``CCD_L`` below the burst's bus time (BL / 2; the DRAMsim3 LPDDR4 INI has BL16 with
  tCCD 4/6) are raised to it with a warning: bursts never overlap on the data bus.
* The timing table is the family's (``dramsim/standards/tables``), filled with the imported values;
  LPDDR values the file lacks (tDQSCK, tPPD, tWPRE, tRPST) take their JEDEC defaults
  (:data:`dramsim.spec.FAMILY_DEFAULTS`).
* ``RC`` missing: ``RAS + RP``; a file with ``RC < RAS + RP`` (Micron LPDDR3 4 Gb) is raised to
  ``RAS + RP`` with a warning, and its own value kept as ``RC_energy`` for the PRE energy term.
* Low-power timing (``CKE``, ``CKESR``, ``XP``, ``XPDLL``, ``XS``, ``XSDLL``) when the file gives
  it (DRAMSys LPDDR4: ``SR`` -> CKESR, ``XSR`` -> XS; DRAMsim3: ``tCKE``, ``tXP``, ...). ``RTRS`` missing: 1. ``CWL`` is the memspec's ``WL``.
"""
from __future__ import annotations

import configparser
import json
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

from dramsim.errors import InputError
from dramsim.spec import LOW_POWER_TIMING, Spec, spec_from_dict

CHANNEL_BITS = {"DDR3": 64, "DDR4": 64, "LPDDR3": 64, "LPDDR4": 32}
VPP_DEFAULT_V = 2.5


def load(path) -> Spec:
    """Read a DRAMPower 4 XML, DRAMSys/DRAMPower 5 JSON or DRAMsim3 INI memspec."""
    path = Path(path)
    readers = {".xml": _read_xml, ".json": _read_json, ".ini": _read_ini}
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise InputError(f"{path}: unsupported spec format {path.suffix!r}; expected .yaml, .xml, .json or .ini")
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({exc.__class__.__name__})") from None
    data = reader(text, str(path))
    _fix_ccd(data["timing"], data["organization"]["burst_length"], str(path))
    return spec_from_dict(data, str(path))


# -- helpers -------------------------------------------------------------------------------------

def _family(name, where) -> str:
    fam = str(name).upper()
    if fam not in CHANNEL_BITS:
        raise InputError(f"{where}: memory type {name!r} not supported; expected DDR3, DDR4, LPDDR3 or LPDDR4")
    return fam


def _num(d: dict, key: str, where: str, section: str):
    if key not in d:
        raise InputError(f"{where}: missing {section} parameter {key!r}")
    try:
        return float(d[key])
    except (TypeError, ValueError):
        raise InputError(f"{where}: {section} parameter {key!r} is {d[key]!r}; expected a number") from None


def _first(d: dict, keys, default=None):
    for k in keys:
        if k in d:
            return d[k]
    return default


def _organization(fam, width, banks, bankgroups, rows, columns, bl, devices, where, ranks=1, channels=1):
    width, banks, bankgroups = int(width), int(banks), max(1, int(bankgroups))
    if banks % bankgroups:
        raise InputError(f"{where}: {banks} banks do not split into {bankgroups} bank groups")
    if devices is None:
        devices = max(1, CHANNEL_BITS[fam] // width)
    return {"channels": int(channels), "ranks": int(ranks), "bankgroups": bankgroups,
            "banks_per_group": banks // bankgroups, "rows": int(rows), "columns": int(columns),
            "dq": width, "devices_per_rank": int(devices), "burst_length": int(bl),
            "density_gbit": banks * int(rows) * int(columns) * width / 2**30}


def _fix_ccd(timing: dict, burst_length: int, where: str) -> None:
    """Raise a tCCD below the burst's data-bus time to it, with a warning (DRAMsim3 LPDDR4 INI:
    BL16 with tCCD 4/6; a burst occupies BL/2 = 8 clocks and column commands of the rank cannot
    come closer, as DRAMsim3 itself spaces them)."""
    burst = int(burst_length) // 2
    for name in ("CCD_S", "CCD_L"):
        if name in timing and timing[name] < burst:
            warnings.warn(f"{where}: {name} {timing[name]} is below the burst time ({burst} cycles for BL"
                          f"{burst_length}); using {burst}", stacklevel=3)
            timing[name] = burst


def _fix_rc(timing: dict, where: str) -> dict:
    low = timing["RAS"] + timing["RP"]
    if "RC" not in timing:
        timing["RC"] = low
    elif timing["RC"] < low:
        warnings.warn(f"{where}: RC {timing['RC']} < RAS + RP = {low}; using {low} "
                      f"(the energy model's PRE term keeps RC {timing['RC']}, as DRAMPower)", stacklevel=3)
        timing["RC_energy"] = timing["RC"]
        timing["RC"] = low
    return timing


def _ints(timing: dict) -> dict:
    return {k: (v if k == "tck_ns" else int(round(v))) for k, v in timing.items()}


# -- DRAMPower 4 XML -----------------------------------------------------------------------------

def _read_xml(text: str, where: str) -> dict:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise InputError(f"{where}: not valid XML ({exc})") from None
    if root.tag != "memspec":
        raise InputError(f"{where}: root element is <{root.tag}>; expected <memspec>")

    def section(name):
        node = root.find(name)
        if node is None:
            raise InputError(f"{where}: missing <{name}>")
        return {p.get("id"): p.get("value") for p in node.findall("parameter")}

    top = {p.get("id"): p.get("value") for p in root.findall("parameter")}
    fam = _family(top.get("memoryType", ""), where)
    arch, tim, pwr = section("memarchitecturespec"), section("memtimingspec"), section("mempowerspec")
    a = lambda k: _num(arch, k, where, "memarchitecturespec")  # noqa: E731
    org = _organization(fam, a("width"), a("nbrOfBanks"), float(arch.get("nbrOfBankGroups", 1)),
                        a("nbrOfRows"), a("nbrOfColumns"), a("burstLength"), None, where,
                        ranks=a("nbrOfRanks"))
    t = lambda k: _num(tim, k, where, "memtimingspec")  # noqa: E731
    timing = {"tck_ns": 1000.0 / t("clkMhz")}
    for ours, theirs in (("CL", ("CL", "RL")), ("CWL", ("WL",)), ("RCD", ("RCD",)), ("RP", ("RP",)),
                         ("RAS", ("RAS",)), ("FAW", ("FAW",)), ("RTP", ("RTP",)), ("WR", ("WR",)),
                         ("RFC", ("RFC",)), ("REFI", ("REFI",)), ("CCD_S", ("CCD_S", "CCD")),
                         ("CCD_L", ("CCD_L", "CCD")), ("RRD_S", ("RRD_S", "RRD")), ("RRD_L", ("RRD_L", "RRD")),
                         ("WTR_S", ("WTR_S", "WTR")), ("WTR_L", ("WTR_L", "WTR")), ("RC", ("RC",))):
        key = _first(tim, theirs)
        if key is None:
            if ours == "RC":
                continue
            raise InputError(f"{where}: missing memtimingspec parameter {theirs[0]!r}")
        timing[ours] = t(next(k for k in theirs if k in tim))
    for name in LOW_POWER_TIMING:
        if name in tim:
            timing[name] = t(name)
    timing = _ints(_fix_rc(timing, where))
    p = lambda k: _num(pwr, k, where, "mempowerspec")  # noqa: E731
    names = {"IDD0": "idd0", "IDD2N": "idd2n", "IDD3N": "idd3n", "IDD4R": "idd4r", "IDD4W": "idd4w",
             "IDD5": "idd5", "IDD2P": ("idd2p0", "idd2p1"), "IDD3P": ("idd3p0", "idd3p1"), "IDD6": "idd6",
             "IDD2P0": "idd2p0", "IDD2P1": "idd2p1", "IDD3P0": "idd3p0", "IDD3P1": "idd3p1"}

    def currents(suffix):
        out = {}
        for ours, theirs in names.items():
            for k in (theirs if isinstance(theirs, tuple) else (theirs,)):
                if k + suffix in pwr:
                    out[ours] = p(k + suffix)
                    break
        for both in ("IDD2P", "IDD3P"):       # fast = slow exit: IDD2P / IDD3P says it once
            if out.get(both + "0") == out.get(both + "1"):
                out.pop(both + "0", None)
                out.pop(both + "1", None)
        return out

    power = {}
    first, second = currents(""), currents("2")
    if fam in ("LPDDR3", "LPDDR4"):
        power["VDD1"] = {"voltage_v": p("vdd"), **first}
        if second:
            power["VDD2"] = {"voltage_v": p("vdd2"), **second}
    else:
        power["VDD"] = {"voltage_v": p("vdd"), **first}
        if fam == "DDR4" and second:
            power["VPP"] = {"voltage_v": float(pwr.get("vdd2", VPP_DEFAULT_V)), **second}
    return {"name": top.get("memoryId", Path(where).stem), "standard": fam,
            "description": f"imported from DRAMPower 4 memspec {Path(where).name}",
            "source": where, "organization": org, "timing": timing, "power": power}


# -- DRAMSys / DRAMPower 5 JSON ------------------------------------------------------------------

def _read_json(text: str, where: str) -> dict:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: line {exc.lineno}: not valid JSON ({exc.msg})") from None
    spec = data.get("memspec", data) if isinstance(data, dict) else None
    if not isinstance(spec, dict):
        raise InputError(f"{where}: expected a JSON object with 'memspec'")
    for key in ("memarchitecturespec", "memtimingspec", "mempowerspec"):
        if not isinstance(spec.get(key), dict):
            raise InputError(f"{where}: missing object memspec.{key}")
    fam = _family(spec.get("memoryType", ""), where)
    arch = spec["memarchitecturespec"]
    tim = {k.upper(): v for k, v in spec["memtimingspec"].items()}
    pwr = {k.lower(): v for k, v in spec["mempowerspec"].items()}
    a = lambda k: _num(arch, k, where, "memarchitecturespec")  # noqa: E731
    org = _organization(fam, a("width"), a("nbrOfBanks"), float(arch.get("nbrOfBankGroups", 1)),
                        a("nbrOfRows"), a("nbrOfColumns"), a("burstLength"),
                        arch.get("nbrOfDevices"), where, ranks=a("nbrOfRanks"),
                        channels=float(arch.get("nbrOfChannels", 1)))
    t = lambda *keys: _num(tim, next((k for k in keys if k in tim), keys[0]), where, "memtimingspec")  # noqa: E731
    timing = {"tck_ns": t("TCK") * 1e9, "CL": t("CL", "RL"), "CWL": t("WL"), "RCD": t("RCD"),
              "RP": t("RP", "RPPB"), "RAS": t("RAS"), "FAW": t("FAW"), "RTP": t("RTP"), "WR": t("WR"),
              "RFC": t("RFC", "RFC1", "RFCAB"), "REFI": t("REFI"),
              "CCD_S": t("CCD_S", "CCD"), "CCD_L": t("CCD_L", "CCD"), "RRD_S": t("RRD_S", "RRD"),
              "RRD_L": t("RRD_L", "RRD"), "WTR_S": t("WTR_S", "WTR"), "WTR_L": t("WTR_L", "WTR")}
    for ours, keys in (("RC", ("RC", "RCPB")), ("RPab", ("RPAB",)), ("RTRS", ("RTRS",)),
                       ("RFCpb", ("RFCPB",)), ("REFIpb", ("REFIPB",)), ("CKE", ("CKE",)),
                       ("CKESR", ("CKESR", "SR")), ("XP", ("XP",)), ("XPDLL", ("XPDLL",)),
                       ("XS", ("XS", "XSR")), ("XSDLL", ("XSDLL",))):
        if any(k in tim for k in keys):
            timing[ours] = t(*keys)
    timing = _ints(_fix_rc(timing, where))
    ma = lambda k: _num(pwr, k, where, "mempowerspec") * 1000.0  # noqa: E731  A -> mA

    def currents(pattern):
        """IDD name -> mA for keys in ``pattern`` form ({} replaced by the JSON's stem)."""
        stems = {"IDD0": ("idd0",), "IDD2N": ("idd2n",), "IDD3N": ("idd3n",), "IDD4R": ("idd4r",),
                 "IDD4W": ("idd4w",), "IDD5": ("idd5", "idd5b", "idd5ab"), "IDD5PB": ("idd5pb",),
                 "IDD2P": ("idd2p",), "IDD3P": ("idd3p",), "IDD6": ("idd6", "idd6n")}
        out = {}
        for ours, options in stems.items():
            for stem in options:
                key = pattern.format(stem)
                if key in pwr:
                    out[ours] = ma(key)
                    break
        return out

    power = {}
    if fam in ("LPDDR3", "LPDDR4"):
        for rail, suffix in (("VDD1", "1"), ("VDD2", "2"), ("VDDQ", "q")):
            cur = currents("{}" + suffix)
            if suffix == "q" and "idd0ql" in pwr:
                cur.setdefault("IDD0", ma("idd0ql"))
            volt = pwr.get("vdd" + suffix)
            if cur and volt:
                power[rail] = {"voltage_v": float(volt), **cur}
    else:
        power["VDD"] = {"voltage_v": _num(pwr, "vdd", where, "mempowerspec"), **currents("{}")}
        if fam == "DDR4":
            vpp = {k: v for k, v in ((o, pwr.get(o.lower().replace("idd", "ipp")))
                                     for o in ("IDD0", "IDD2N", "IDD3N", "IDD4R", "IDD4W", "IDD2P", "IDD3P"))
                   if v is not None}
            cur = {k: float(v) * 1000.0 for k, v in vpp.items()}
            for ours, key in (("IDD5", "ipp5b"), ("IDD6", "ipp6n")):
                if key in pwr:
                    cur[ours] = float(pwr[key]) * 1000.0
            if cur:
                power["VPP"] = {"voltage_v": float(pwr.get("vpp", VPP_DEFAULT_V)), **cur}
    if not power:
        raise InputError(f"{where}: mempowerspec gives no rail with currents")
    return {"name": spec.get("memoryId", Path(where).stem), "standard": fam,
            "description": f"imported from DRAMSys/DRAMPower 5 memspec {Path(where).name}",
            "source": where, "organization": org, "timing": timing, "power": power}


# -- DRAMsim3 INI --------------------------------------------------------------------------------

def _read_ini(text: str, where: str) -> dict:
    cp = configparser.ConfigParser(inline_comment_prefixes=("#", ";"))
    cp.optionxform = str
    try:
        cp.read_string(text, source=where)
    except configparser.Error as exc:
        raise InputError(f"{where}: not a valid INI file ({str(exc).splitlines()[0]})") from None
    for sec in ("dram_structure", "timing", "power"):
        if not cp.has_section(sec):
            raise InputError(f"{where}: missing section [{sec}]")
    st, tim, pwr = dict(cp["dram_structure"]), dict(cp["timing"]), dict(cp["power"])
    system = dict(cp["system"]) if cp.has_section("system") else {}
    fam = _family(st.get("protocol", ""), where)
    s = lambda k: _num(st, k, where, "[dram_structure]")  # noqa: E731
    width = s("device_width")
    bankgroups = float(st.get("bankgroups", 1))
    banks = bankgroups * s("banks_per_group")
    devices = int(float(system["bus_width"]) // width) if "bus_width" in system else None
    rank_mb = banks * s("rows") * s("columns") * width * (devices or CHANNEL_BITS[fam] // width) / 8 / 2**20
    ranks = max(1, int(round(float(system["channel_size"]) / rank_mb))) if "channel_size" in system else 1
    org = _organization(fam, width, banks, bankgroups, s("rows"), s("columns"), s("BL"), devices, where,
                        ranks=ranks, channels=float(system.get("channels", 1)))
    t = lambda k: _num(tim, k, where, "[timing]")  # noqa: E731
    if "tREFI" in tim:
        refi = t("tREFI")
    elif "REFI" in tim:
        warnings.warn(f"{where}: [timing] spells the refresh interval 'REFI', which DRAMsim3 does not "
                      "read (it falls back to 7800 cycles); using REFI = " + tim["REFI"], stacklevel=3)
        refi = t("REFI")
    else:
        raise InputError(f"{where}: missing [timing] parameter 'tREFI'")
    timing = {"tck_ns": t("tCK"), "CL": t("CL"), "CWL": t("CWL"), "RCD": t("tRCD"), "RP": t("tRP"),
              "RAS": t("tRAS"), "RFC": t("tRFC"), "REFI": refi, "RRD_S": t("tRRD_S"),
              "RRD_L": t("tRRD_L"), "WTR_S": t("tWTR_S"), "WTR_L": t("tWTR_L"), "FAW": t("tFAW"),
              "WR": t("tWR"), "RTP": t("tRTP"), "CCD_S": t("tCCD_S"), "CCD_L": t("tCCD_L")}
    if "tRTRS" in tim:
        timing["RTRS"] = t("tRTRS")
    for name in LOW_POWER_TIMING:
        if "t" + name in tim:
            timing[name] = t("t" + name)
    if "tRFCb" in tim and "tREFIb" in tim:
        timing["RFCpb"], timing["REFIpb"] = t("tRFCb"), t("tREFIb")
    timing = _ints(_fix_rc(timing, where))
    p = lambda k: _num(pwr, k, where, "[power]")  # noqa: E731
    cur = {}
    for ours, theirs in (("IDD0", "IDD0"), ("IDD2N", "IDD2N"), ("IDD3N", "IDD3N"), ("IDD4R", "IDD4R"),
                         ("IDD4W", "IDD4W"), ("IDD5", "IDD5AB"), ("IDD2P", "IDD2P"), ("IDD3P", "IDD3P"),
                         ("IDD6", "IDD6x")):
        if theirs in pwr:
            cur[ours] = p(theirs)
    power = {("VDD2" if fam.startswith("LP") else "VDD"): {"voltage_v": p("VDD"), **cur}}
    if fam == "DDR4" and float(pwr.get("IPP0", 0) or 0) > 0:
        power["VPP"] = {"voltage_v": float(pwr.get("VPP", VPP_DEFAULT_V)), "IDD0": p("IPP0")}
    return {"name": Path(where).stem, "standard": fam,
            "description": f"imported from DRAMsim3 config {Path(where).name}",
            "source": where, "organization": org, "timing": timing, "power": power}
