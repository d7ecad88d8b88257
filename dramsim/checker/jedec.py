"""The checker's own JEDEC values: nanoseconds and nCK minimums per standard, rounded its own way.

Nothing here comes from the controller (``dramsim.timing`` / ``kernel``): the values are typed in
from the JEDEC standards (JESD79-3F DDR3, JESD79-4B DDR4, JESD79-5 DDR5, JESD209-3C LPDDR3,
JESD209-4B LPDDR4, JESD209-5 LPDDR5: its ns values as Micron's LPDDR5 data sheets and Ramulator 2.1's
LPDDR5 rules quote them; HBM2, JESD235, see :data:`_HBM2`; for GDDR6 the few values public sources give,
see :data:`_GDDR6`)
and turned into clock cycles by :func:`to_cycles`, JEDEC's integer rounding algorithm
(nCK = truncate((tPARAM_ps * 1000 / tCK_ps + 974) / 1000), i.e. round up with a tolerance of
2.6 % of a clock). A rule "max(n nCK, x ns)" is ``max(n, to_cycles(x))``.

:func:`limits` combines them with the few values a spec may give (the checker reads only
``spec.standard``, ``spec.organization`` and the primary values of ``spec.timing`` as written in the
user's file):

* CL and CWL are the part's mode-register latencies: the spec's values, exactly.
* A minimum-distance parameter is ``max(JEDEC, spec)``: a spec looser than JEDEC (``CCD_S: 2`` on
  DDR3) is held to JEDEC, a stricter one (a slower part) to its own value.
* tREFI / tREFIpb (maxima) are ``min(JEDEC rounded down, spec)``.
* A parameter the table does not hold (a speed bin's tRCD / tRP, tRTRS, DDR4 tXPDLL / tXSDLL,
  any parameter of a standard or speed the table does not know, e.g. an imported INI of another
  speed) is the spec's value: its cycles are ns = value x tCK and back with :func:`to_cycles`, which
  gives the value itself. The table-free invariants apply in every case.
"""
from __future__ import annotations

import math

from dramsim.spec import Spec

#: Standards with a table, and whether their turnaround formulas are the LPDDR ones.
KNOWN = ("DDR3", "DDR4", "DDR5", "GDDR6", "HBM2", "HBM3", "LPDDR3", "LPDDR4", "LPDDR5")
LPDDR = ("LPDDR3", "LPDDR4", "LPDDR5")
#: Standards with a separate ACT -> WR distance (tRCDWR besides tRCDRD).
SPLIT_RCD = ("GDDR6", "HBM2", "HBM3")
#: Standards whose rule names follow JESD235's spelling (tRCDRD, tRRDS, tCCDL, tWTRS, ...; JESD238
#: HBM3 as Ramulator 2.1 spells it too).
JESD235_NAMES = ("HBM2", "HBM3")
#: Standards with a row and a column command bus, and a data bus per rank (pseudo-channel).
DUAL_BUS = ("HBM2", "HBM3")
#: Standards without a DLL: slow power-down exits and self-refresh exits cost tXP / tXS before a
#: read or write too (tXPDLL = tXP, tXSDLL = tXS). HBM2: JESD235 names no DLL exit distinction
#: that we know of.
NO_DLL = LPDDR + ("HBM2", "HBM3")
#: HBM2's low-power commands travel on the row bus (CKE events and SRE / SRX: never a column-bus
#: cycle; the same choice as the spec's table, made here on its own).
LOW_POWER_BUS = {name: 1 for name in ("PDN_F_PRE", "PDN_S_PRE", "PDN_F_ACT", "PDN_S_ACT", "PUP_PRE", "PUP_ACT",
                                      "SREN", "SREX")}


def to_cycles(ns: float, tck_ns: float) -> int:
    """Cycles of a minimum ``ns`` at clock ``tck_ns``: JEDEC's rounding (up, 2.6 % tolerance)."""
    t_ps = int(round(ns * 1000))
    tck_ps = int(round(tck_ns * 1000))
    return (t_ps * 1000 // tck_ps + 974) // 1000


def to_cycles_down(ns: float, tck_ns: float) -> int:
    """Cycles of a maximum interval ``ns`` (tREFI): rounded down."""
    return int(math.floor(ns / tck_ns + 1e-9))


def _bin(rate_mts: float, bins) -> int | None:
    """The speed bin (MT/s) within 3 % of ``rate_mts``, else None."""
    for b in bins:
        if abs(rate_mts - b) <= 0.03 * b:
            return b
    return None


# ---- DDR3, JESD79-3F: speed bins (MT/s) -> ns; 1 KB / 2 KB page ----
_DDR3_BINS = (800, 1066, 1333, 1600, 1866, 2133)
_DDR3_RAS = {800: 37.5, 1066: 37.5, 1333: 36.0, 1600: 35.0, 1866: 34.0, 2133: 33.0}
_DDR3_RRD = {1: {800: 10.0, 1066: 7.5, 1333: 6.0, 1600: 6.0, 1866: 5.0, 2133: 5.0},
             2: {800: 10.0, 1066: 10.0, 1333: 7.5, 1600: 7.5, 1866: 6.0, 2133: 6.0}}
_DDR3_FAW = {1: {800: 40.0, 1066: 37.5, 1333: 30.0, 1600: 30.0, 1866: 27.0, 2133: 25.0},
             2: {800: 50.0, 1066: 50.0, 1333: 45.0, 1600: 40.0, 1866: 35.0, 2133: 35.0}}
_DDR3_CKE = {800: 7.5, 1066: 5.625, 1333: 5.625, 1600: 5.0, 1866: 5.0, 2133: 5.0}
_DDR3_XP = {800: 7.5, 1066: 7.5, 1333: 6.0, 1600: 6.0, 1866: 6.0, 2133: 6.0}
_DDR3_RFC = {0.5: 90.0, 1: 110.0, 2: 160.0, 4: 260.0, 8: 350.0}

# ---- DDR4, JESD79-4B ----
_DDR4_BINS = (1600, 1866, 2133, 2400, 2666, 2933, 3200)
_DDR4_RAS = {1600: 35.0, 1866: 34.0, 2133: 33.0, 2400: 32.0, 2666: 32.0, 2933: 32.0, 3200: 32.0}
_DDR4_CCD_L = {1600: 6.25, 1866: 5.355, 2133: 5.355, 2400: 5.0, 2666: 5.0, 2933: 5.0, 3200: 5.0}
_DDR4_RRD_S = {1: {1600: 5.0, 1866: 4.2, 2133: 3.7, 2400: 3.3, 2666: 3.0, 2933: 2.7, 3200: 2.5},
               2: {1600: 6.0, 1866: 5.3, 2133: 5.3, 2400: 5.3, 2666: 5.3, 2933: 5.3, 3200: 5.3}}
_DDR4_RRD_L = {1: {1600: 6.0, 1866: 5.3, 2133: 5.3, 2400: 4.9, 2666: 4.9, 2933: 4.9, 3200: 4.9},
               2: {1600: 7.5, 1866: 6.4, 2133: 6.4, 2400: 6.4, 2666: 6.4, 2933: 6.4, 3200: 6.4}}
_DDR4_FAW = {0.5: (16, {1600: 20.0, 1866: 17.0, 2133: 15.0, 2400: 13.0, 2666: 12.0, 2933: 10.875, 3200: 10.0}),
             1: (20, {1600: 25.0, 1866: 23.0, 2133: 21.0, 2400: 21.0, 2666: 21.0, 2933: 21.0, 3200: 21.0}),
             2: (28, {1600: 35.0, 1866: 30.0, 2133: 30.0, 2400: 30.0, 2666: 30.0, 2933: 30.0, 3200: 30.0})}
_DDR4_RFC = {2: 160.0, 4: 260.0, 8: 350.0, 16: 550.0}

# ---- DDR5, JESD79-5: speed-independent minima (nCK, ns); tRFC1 (REFab) by die density ----
_DDR5 = {"RAS": (0, 32.0), "RRD_S": (8, 0.0), "RRD_L": (8, 5.0), "CCD_S": (8, 0.0), "CCD_L": (8, 5.0),
         "CCD_S_WR": (8, 0.0), "CCD_L_WR": (32, 20.0), "WTR_S": (4, 2.5), "WTR_L": (16, 10.0),
         "RTP": (12, 7.5), "WR": (0, 30.0), "PPD": (2, 0.0)}
_DDR5_BINS = (3200, 3600, 4000, 4400, 4800, 5200, 5600, 6000, 6400)
_DDR5_FAW = {1: (32, 0.0), 2: (40, 0.0)}    # floor by page size (KB); a part's own tFAW binds above it
_DDR5_RFC = {8: 195.0, 16: 295.0, 32: 410.0}
# same-bank refresh (REFsb, fine-granularity mode only): tRFCsb and tREFSBRD by die density, as
# public sources quote JESD79-5 Table 282 (DRAMsim3-derived DDR5 configs: tRFC_sb 115 / 130 ns for
# 8 / 16 Gb; controller code: tREFSBRD 30 ns); tREFI2 = 1.95 us, each bank set once in it: a REFsb
# every tREFI2 / (banks per bank group) on average.
_DDR5_RFCSB = {8: (115.0, 30.0), 16: (130.0, 30.0)}
_DDR5_REFI2 = 1950.0

# ---- GDDR6, JESD250: "AC timings ... were not standardized" (JEDEC's abstract of JESD250D): the
# vendor data sheets give them, and the public ones (Micron MT61K256M32 8Gb GDDR6 product brief)
# give only tCCDL = 3 or 4 nCK (4 bank groups), refresh 32 ms / 16k commands (tREFI 1953.125 ns),
# and the burst: BL16 on WCK = 4 x CK at double data rate, 8 beats per CK (tCCDS = nBL = 2 nCK).
# Every other GDDR6 minimum (tRCDRD/WR, tRP, tRAS, tRRD, tFAW, tWR, tRTP, tWTR, tRFCab, tPPD) is
# the spec's own value; the checker's distance formulas (limits) are its own.
_GDDR6 = {"CCD_S": (2, 0.0), "CCD_L": (3, 0.0), "REFI": (0, 32e6 / 16384)}
#: Data beats per CK where the data clock is not CK at double data rate (else 2).
_BEATS_PER_CK = {"GDDR6": 8}
# ---- HBM2, JESD235 (per pseudo-channel). The standard's text was not available to us: these are
# the JESD235 values Ramulator 2.1's HBM2 model quotes in its comments (tRRDS = tRRDL = 4 ns, tRFC
# by density per pseudo-channel, tREFI 3.9 us) and tCCDS = BL/2 = 2 nCK (BL4 on a DDR bus; two
# bursts of a pseudo-channel cannot be closer). Every other HBM2 minimum is the spec's own value.
_HBM2 = {"CCD_S": (2, 0.0), "RRD_S": (0, 4.0), "RRD_L": (0, 4.0)}
_HBM2_RFC = {1: 110.0, 2: 160.0, 4: 260.0, 8: 350.0}
# per-bank refresh (REFSB), the JESD235 values Ramulator 2.1's HBM2 model quotes: tRFCSB 160 ns up
# to 8 Gb per pseudo-channel (200 above), tRREFD 8 ns; tREFISB = tREFI / banks of the pseudo-channel.
_HBM2_RFCSB = {1: 160.0, 2: 160.0, 4: 160.0, 8: 160.0}
_HBM2_RREFD = 8.0
# ---- HBM3, JESD238 (per pseudo-channel; counted in half-CK ticks, the spec's ticks_per_ck 2: an nCK
# value here is of CK and counts ticks_per_ck ticks). JESD238 was not available to us: these are
# the values Ramulator 2.1's HBM3 model quotes from it (python/ramulator/dram/hbm3.py: tRFCab by
# channel density, i.e. the pseudo-channel pair's, 260 / 350 / 450 / 550 ns for <= 4 / 8 / 16 / more Gb
# ("Table 84 in JESD238"); tREFI 3.9 us) and tCCDS = BL/4 = 2 nCK (BL8 at 4 data beats per CK: two
# bursts of a pseudo-channel cannot be closer). tRRDS / tRRDL, tCCDL, tCCDR, tPPD, tRTW, tFAW and
# every other minimum are the spec's (Ramulator's preset, not a JEDEC value we could check).
_HBM3 = {"CCD_S": (2, 0.0)}
_HBM3_RFC = ((4, 260.0), (8, 350.0), (16, 450.0))

# ---- LPDDR3, JESD209-3C (speed-independent ns values); tRFCab / tRFCpb by die density ----
_LPDDR3_RFC = {4: (130.0, 60.0), 8: (210.0, 90.0)}
# ---- LPDDR4, JESD209-4B; tRFCab / tRFCpb by density per channel (a die holds two channels) ----
_LPDDR4_RFC = {2: (130.0, 60.0), 3: (180.0, 90.0), 4: (180.0, 90.0), 6: (280.0, 140.0), 8: (280.0, 140.0)}
# ---- LPDDR5, JESD209-5, bank-group mode (the checker knows no 16-bank or 8-bank mode): speed-
# independent minima (nCK, ns); RBTP: read burst end to precharge; tRFCab / tRFCpb by density per
# channel (a x16 die is one channel); tREFI = 32 ms / 8192, tREFIpb = tREFI / 8. Not checked:
# tpbR2pbR, tpbR2act (the checker's walk has no such rule) ----
_LPDDR5 = {"RCD": (0, 18.0), "RP": (0, 18.0), "RPab": (0, 21.0), "RAS": (0, 42.0), "RRD_S": (4, 5.0),
           "RRD_L": (4, 5.0), "FAW": (16, 20.0), "WTR_S": (0, 6.25), "WTR_L": (0, 12.0), "RBTP": (0, 7.5),
           "WR": (0, 34.0), "PPD": (2, 0.0)}
_LPDDR5_RFC = {2: (130.0, 60.0), 4: (180.0, 90.0), 8: (210.0, 120.0), 16: (280.0, 140.0), 32: (380.0, 190.0)}


def _page_kb(spec: Spec) -> float:
    org = spec.organization
    return org.columns * org.dq / 8 / 1024


def table(spec: Spec) -> dict[str, tuple[int, float]]:
    """JEDEC values for ``spec``'s standard, speed, density and page size: name -> (nCK, ns).

    Names are the spec's timing names (``RRD_S`` ...) plus ``DQSCK`` (tDQSCK max, LPDDR) and
    ``PPD`` (LPDDR4). Empty when the standard or speed is not in the table.
    """
    std, org = spec.standard, spec.organization
    tck = spec.timing.tck_ns
    rate = 2000.0 / tck
    page = _page_kb(spec)
    dens = org.density_gbit
    v: dict[str, tuple[int, float]] = {}
    if std == "DDR3":
        b = _bin(rate, _DDR3_BINS)
        if b is None:
            return {}
        p = 1 if page <= 1 else 2
        v.update(CCD_S=(4, 0.0), RTP=(4, 7.5), WTR_S=(4, 7.5), WR=(0, 15.0), RAS=(0, _DDR3_RAS[b]),
                 RRD_S=(4, _DDR3_RRD[p][b]), FAW=(0, _DDR3_FAW[p][b]),
                 CKE=(3, _DDR3_CKE[b]), XP=(3, _DDR3_XP[b]), XPDLL=(10, 24.0), XSDLL=(512, 0.0))
        v["CKESR"] = (max(3, to_cycles(_DDR3_CKE[b], tck)) + 1, 0.0)  # tCKE(min) + 1 nCK
        if dens in _DDR3_RFC:
            v["RFC"] = (0, _DDR3_RFC[dens])
            v["XS"] = (5, _DDR3_RFC[dens] + 10.0)
        v["REFI"] = (0, 7800.0)
    elif std == "DDR4":
        b = _bin(rate, _DDR4_BINS)
        if b is None:
            return {}
        p = 1 if page <= 1 else 2
        fp = 0.5 if page <= 0.5 else p
        faw_nck, faw = _DDR4_FAW[fp]
        v.update(CCD_S=(4, 0.0), CCD_L=(5, _DDR4_CCD_L[b]), RRD_S=(4, _DDR4_RRD_S[p][b]),
                 RRD_L=(4, _DDR4_RRD_L[p][b]), FAW=(faw_nck, faw[b]), WTR_S=(2, 2.5), WTR_L=(4, 7.5),
                 RTP=(4, 7.5), WR=(0, 15.0), RAS=(0, _DDR4_RAS[b]), CKE=(3, 5.0), XP=(4, 6.0))
        v["CKESR"] = (max(3, to_cycles(5.0, tck)) + 1, 0.0)
        if dens in _DDR4_RFC:
            v["RFC"] = (0, _DDR4_RFC[dens])
            v["XS"] = (0, _DDR4_RFC[dens] + 10.0)
        v["REFI"] = (0, 7800.0)
    elif std == "DDR5":
        v.update(_DDR5)
        v["FAW"] = _DDR5_FAW[1 if page <= 1 else 2]
        if dens in _DDR5_RFC:
            v["RFC"] = (0, _DDR5_RFC[dens])
        v["REFI"] = (0, 3900.0)
        if dens in _DDR5_RFCSB:
            v.update(RFCsb=(0, _DDR5_RFCSB[dens][0]), REFSBRD=(0, _DDR5_RFCSB[dens][1]))
        v["REFIsb"] = (0, _DDR5_REFI2 / org.banks_per_group)
    elif std == "GDDR6":
        v.update(_GDDR6)
    elif std == "HBM2":
        v.update(_HBM2)
        if dens in _HBM2_RFC:
            v["RFC"] = (0, _HBM2_RFC[dens])
        v["REFI"] = (0, 3900.0)
        if dens in _HBM2_RFCSB:
            v["RFCpb"] = (0, _HBM2_RFCSB[dens])
        v.update(REFIpb=(0, 3900.0 / org.banks), RREFD=(0, _HBM2_RREFD))
    elif std == "HBM3":
        v.update(_HBM3)
        channel_gbit = dens * 2          # a channel is two pseudo-channels (our ranks)
        v["RFC"] = (0, next((ns for top, ns in _HBM3_RFC if channel_gbit <= top), 550.0))
        v["REFI"] = (0, 3900.0)
    elif std == "LPDDR3":
        v.update(RCD=(3, 18.0), RP=(3, 18.0), RPab=(3, 21.0), RAS=(3, 42.0), RRD_S=(2, 10.0),
                 FAW=(8, 50.0), WTR_S=(4, 7.5), RTP=(4, 7.5), WR=(4, 15.0), CCD_S=(4, 0.0),
                 DQSCK=(0, 5.5), CKE=(3, 7.5), CKESR=(3, 15.0), XP=(3, 7.5))
        if dens in _LPDDR3_RFC:
            ab, pb = _LPDDR3_RFC[dens]
            v.update(RFC=(0, ab), RFCpb=(0, pb), XS=(2, ab + 10.0))
        v.update(REFI=(0, 3900.0), REFIpb=(0, 487.5))
    elif std == "LPDDR4":
        v.update(RCD=(4, 18.0), RP=(4, 18.0), RPab=(4, 21.0), RAS=(3, 42.0), RRD_S=(4, 10.0),
                 FAW=(0, 40.0), WTR_S=(8, 10.0), RTP=(8, 7.5), WR=(4, 18.0), CCD_S=(org.burst_length // 2, 0.0),
                 PPD=(4, 0.0), DQSCK=(0, 3.5), CKE=(4, 7.5), CKESR=(3, 15.0), XP=(5, 7.5))
        if dens in _LPDDR4_RFC:
            ab, pb = _LPDDR4_RFC[dens]
            v.update(RFC=(0, ab), RFCpb=(0, pb), XS=(2, ab + 7.5))
        v.update(REFI=(0, 3904.0), REFIpb=(0, 488.0))
    elif std == "LPDDR5":
        v.update(_LPDDR5)
        # WCK:CK 4:1 (bank-group mode): a BL16 burst is BL/n_min = 2 nCK, the column cycle BL/n_max 4
        v.update(CCD_S=(org.burst_length // 8, 0.0), CCD_L=(org.burst_length // 4, 0.0))
        if dens in _LPDDR5_RFC:
            ab, pb = _LPDDR5_RFC[dens]
            v.update(RFC=(0, ab), RFCpb=(0, pb))
        v.update(REFI=(0, 3906.25), REFIpb=(0, 3906.25 / 8))
    return v


def jedec_tck_ns(spec: Spec) -> float:
    """The clock period JEDEC's nCK values are computed at: the spec's, except for DDR5, whose
    JESD79-5 speed bins count at the bin's nominal clock (DDR5-4800: 2400 MHz, 416.67 ps, where
    a spec may give the truncated 0.416 ns of Ramulator 2.1's preset)."""
    tck = spec.timing.tck_ns
    if spec.standard == "DDR5":
        b = _bin(2000.0 / tck, _DDR5_BINS)
        if b is not None:
            return 2000.0 / b
    return tck


def jedec_cycles(spec: Spec) -> dict[str, int]:
    """:func:`table` in cycles: minima by :func:`to_cycles` at :func:`jedec_tck_ns`; the maxima (tREFI)
    rounded down at the run's own clock, ``spec.timing.tck_ns``: they bound absolute time, and a
    device clocked at the truncated 0.416 ns of a DDR5-4800 preset gets 3.9 us in 9,375 of its cycles."""
    tck = jedec_tck_ns(spec)
    # a spec counting ticks shorter than CK (HBM3 half-CK ticks, ticks_per_ck 2): JEDEC's nCK are
    # of CK, so a minimum is rounded up to nCK at tCK and counts ticks_per_ck ticks per nCK
    per_ck = spec.timing.ticks_per_ck
    out = {}
    for name, (nck, ns) in table(spec).items():
        if name.startswith("REFI"):
            out[name] = to_cycles_down(ns, spec.timing.tck_ns)
        else:
            out[name] = max(nck, to_cycles(ns, tck * per_ck) if ns else 0) * per_ck
    return out


#: Minimum-distance parameters the checker takes (spec name); RRD/CCD/WTR ``_L`` default to ``_S``.
_MIN_PARAMS = ("RCD", "RCD_WR", "RP", "RPab", "RAS", "RC", "CCD_S", "CCD_L", "CCD_S_WR", "CCD_L_WR", "RRD_S",
               "RRD_L", "FAW", "WTR_S", "WTR_L", "RTP", "WR", "RFC", "RFCpb", "RTRS", "CKE", "CKESR", "XP", "XPDLL",
               "XS", "XSDLL")


def limits(spec: Spec) -> dict[str, int]:
    """Every value the checker uses, in cycles: the JEDEC table joined with the spec (module doc).

    Keys: the parameters (``RCD``, ``RCD_WR`` (= RCD but on GDDR6), ``RRD_L``, ``PPD``, ...), the
    latencies ``CL``, ``CWL``, ``nBL`` (burst_length / 2; GDDR6 / 8), and the checker's own
    command-to-command distances ``RD2PRE``, ``WR2PRE``, ``RD2WR``, ``WR2RD_S``, ``WR2RD_L``:

    ======== ======================================= ==================================================
    distance DDR3 / DDR4 / GDDR6 (unknown standards) LPDDR3 / LPDDR4
    ======== ======================================= ==================================================
    RD2PRE   tRTP                                    BL/2 + max(nRTPmin, RU(tRTP/tCK)) - nRTPmin = tRTP
    WR2PRE   CWL + BL/2 + tWR                        WL + BL/2 + 1 + RU(tWR/tCK)
    RD2WR    RL + BL/2 + 2 - WL (1 nCK preambles);   LPDDR3 RL + RU(tDQSCKmax/tCK) + BL/2 + 1 - WL;
             DDR5 RL + BL/2 + 2 - WL + tWPRE (2 nCK)
             + (tRPST - 0.5 nCK) (tRPST 0.5 nCK)
                                                     LPDDR4 RL + RU(tDQSCKmax/tCK) + BL/2 - WL + tWPRE
                                                     (2 nCK) + RD(tRPST) (0.5 nCK -> 0)
    WR2RD    CWL + BL/2 + tWTR(_S/_L)                WL + BL/2 + 1 + RU(tWTR/tCK)
    ======== ======================================= ==================================================
    """
    t = spec.timing
    j = jedec_cycles(spec)
    v: dict[str, int] = {}
    for name in _MIN_PARAMS:
        own = getattr(t, name)
        if name.endswith("_L") and spec.organization.bankgroups < 2:
            own = max(own, getattr(t, name[:-2] + "_S"))
        ref = j.get(name, j.get(name[:-2] + "_S", 0) if name.endswith("_L") else 0)
        v[name] = max(own, ref)
    for name in ("RRD", "CCD", "WTR"):
        v[name + "_L"] = max(v[name + "_L"], v[name + "_S"])
    # write to write: never closer than read to read (the standards without a separate tCCD_WR)
    v["CCD_S_WR"] = max(v["CCD_S_WR"], v["CCD_S"])
    v["CCD_L_WR"] = max(v["CCD_L_WR"], v["CCD_L"], v["CCD_S_WR"])
    v["RPab"] = max(v["RPab"], v["RP"])
    if spec.standard not in SPLIT_RCD:  # ACT to write is ACT to read (tRCD) but on GDDR6 / HBM2 (tRCDWR)
        v["RCD_WR"] = max(v["RCD_WR"], v["RCD"])
    v["RC"] = max(v["RC"], v["RAS"] + v["RP"])
    v["REFI"] = min(t.REFI, j["REFI"]) if "REFI" in j else t.REFI
    v["REFIpb"] = min(t.REFIpb, j["REFIpb"]) if ("REFIpb" in j and t.REFIpb) else t.REFIpb
    if not v["RFCpb"] and "RFCpb" in j:
        v["RFCpb"] = j["RFCpb"]
    # without a DLL (LPDDR, HBM2), slow exits cost the same as fast ones
    if spec.standard in NO_DLL:
        v["XPDLL"] = v["XP"]
        v["XSDLL"] = v["XS"]
    v["PPD"] = j.get("PPD", 0)
    _same_bank_limits(spec, j, v)
    v["RREFD"] = 0
    if spec.standard == "GDDR6":        # tPPD and tRREFD are vendor values on GDDR6: the spec's
        v["PPD"] = t.PPD
        v["RREFD"] = t.RREFD
    elif spec.standard == "HBM2":       # JESD235 tRREFD (REFSB to an ACT / REFSB of another bank)
        v["RREFD"] = max(t.RREFD, j.get("RREFD", 0))
    # a REFpb that is no activation (counts in no tRRD / tFAW) waits this after another bank's ACT;
    # 0: it is one (JESD235 HBM2, LPDDR4, GDDR6)
    v["REFPB_RRD"] = 0
    if spec.standard == "HBM3":         # tRREFD the spec's (Ramulator's preset); REFpb after ACT tRRDS
        v["RREFD"] = t.RREFD
        v["REFPB_RRD"] = v["RRD_S"]
    v["CCD_R"] = 0
    if spec.standard == "HBM3":         # tPPD and tCCDR: Ramulator's preset values (the spec's)
        v["PPD"] = t.PPD
        v["CCD_R"] = max(t.CCD_R, v["CCD_S"])
    # (HBM3: 4 beats per CK at 2 ticks per CK, 2 per tick: BL8 = 4 ticks)
    nbl = max(spec.organization.burst_length // _BEATS_PER_CK.get(spec.standard, 2), 1)
    cl, cwl = t.CL, t.CWL
    v.update(CL=cl, CWL=cwl, nBL=nbl, RD2PRE=v["RTP"])
    if spec.standard == "LPDDR5":
        _lpddr5_distances(spec, j, v)
    elif spec.standard in LPDDR:
        dqsck = j["DQSCK"]
        v["WR2PRE"] = cwl + nbl + 1 + v["WR"]
        v["WR2RD_S"] = cwl + nbl + 1 + v["WTR_S"]
        v["WR2RD_L"] = cwl + nbl + 1 + v["WTR_L"]
        if spec.standard == "LPDDR3":
            v["RD2WR"] = cl + dqsck + nbl + 1 - cwl
        else:
            v["RD2WR"] = cl + dqsck + nbl - cwl + 2 + 0
    else:
        v["WR2PRE"] = cwl + nbl + v["WR"]
        v["WR2RD_S"] = cwl + nbl + v["WTR_S"]
        v["WR2RD_L"] = cwl + nbl + v["WTR_L"]
        v["RD2WR"] = cl + nbl + 2 - cwl     # GDDR6 too: the data bus plus 2 clocks of turnaround
        if spec.standard == "DDR5":         # + tWPRE (2 nCK) + (tRPST - 0.5 nCK), tRPST 0.5 nCK
            v["RD2WR"] = cl + nbl + 2 - cwl + 2 + 0
        if spec.standard == "HBM3":         # the data bus plus 2 nCK, or the spec's tRTW (Ramulator's)
            v["RD2WR"] = max(cl + nbl + 2 * t.ticks_per_ck - cwl, t.RTW)
    return v


def _same_bank_limits(spec: Spec, j: dict, v: dict) -> None:
    """Same-bank refresh (DDR5 REFsb) values in ``v``: tRFCsb and tREFSBRD ``max(JEDEC, spec)``, the
    REFsb interval ``min(JEDEC rounded down, spec)`` (JEDEC's alone when the spec gives none); 0
    where neither has them (a REFsb in the trace is then refused by :func:`dramsim.checker.check`)."""
    t = spec.timing
    v["RFCsb"] = max(t.RFCsb, j.get("RFCsb", 0))
    v["REFSBRD"] = max(t.REFSBRD, j.get("REFSBRD", 0))
    own = [x for x in (t.REFIsb, j.get("REFIsb", 0)) if x]
    v["REFIsb"] = min(own) if own else 0


def _lpddr5_distances(spec: Spec, j: dict, v: dict) -> None:
    """LPDDR5 (JESD209-5, bank-group mode, WCK:CK 4:1) burst and command-to-command distances in ``v``.

    A BL16 burst holds the data bus BL/n_min = burst_length / 8 nCK (8 data beats per CK: WCK at
    4 x CK, both edges) and the column array BL/n_max = burst_length / 4 nCK. RD2PRE = BL/n_min +
    RU(tRBTP/tCK); WR2PRE = WL + BL/n_min + RU(tWR/tCK); RD2WR = RL + BL/n_min + 2 - WL; WR2RD_S =
    WL + BL/n_min + RU(tWTR_S/tCK); WR2RD_L = WL + BL/n_max + RU(tWTR_L/tCK).
    """
    nbl, nbl_max = spec.organization.burst_length // 8, spec.organization.burst_length // 4
    cl, cwl = spec.timing.CL, spec.timing.CWL
    v.update(nBL=nbl, RD2PRE=max(v["RTP"], nbl + j["RBTP"]), WR2PRE=cwl + nbl + v["WR"],
             RD2WR=cl + nbl + 2 - cwl, WR2RD_S=cwl + nbl + v["WTR_S"], WR2RD_L=cwl + nbl_max + v["WTR_L"])


#: JESD209-5 tAAD (ACTIVATE-1 to ACTIVATE-2, a maximum), nCK.
LPDDR5_AAD_NCK = 8


def timing_offsets(spec: Spec) -> dict[str, int]:
    """Clocks from a command's issue cycle to the clock its JEDEC distances count from.

    DDR5 (JESD79-5) ACT, RD, RDA, WR, WRA are 2-clock commands that the DRAM acts on once their
    second clock has arrived: the checker measures every distance to and from them at that clock
    (1 after the issue cycle), as Ramulator 2.1 does. Every other command and standard: 0 (LPDDR4's
    multi-clock commands count from their first clock, JESD209-4).
    """
    if spec.standard == "DDR5":
        return {"ACT": 1, "RD": 1, "WR": 1, "RDA": 1, "WRA": 1}
    if spec.standard == "HBM2":           # JESD235: ACT is 2 clocks on the row bus
        return {"ACT": 1}
    if spec.standard == "HBM3":           # half-CK ticks: ACT 3 (1.5 nCK), column commands 2 (1 nCK),
        return {"ACT": 2, "RD": 1, "WR": 1, "RDA": 1, "WRA": 1}   # measured from their last tick
    return {}


def command_slots(spec: Spec) -> dict[str, int]:
    """Command-bus clocks each command occupies (JESD209-4 LPDDR4: ACTIVATE-1/-2 and RD/WR + CAS-2
    are 4 clocks, PRE/PREA/REF/REFpb/SRE/SRX 2; power-down entry/exit is CKE only: 1 slot of
    deselect; JESD79-5 DDR5: ACT, RD, WR, RDA, WRA 2 clocks; JESD209-5 LPDDR5: ACT 2 clocks, ACTIVATE-1
    and ACTIVATE-2, the second deferrable: :func:`deferred_words`). Every other standard: 1 clock per command."""
    if spec.standard == "DDR5":
        return {"ACT": 2, "RD": 2, "WR": 2, "RDA": 2, "WRA": 2}
    if spec.standard in ("HBM2", "LPDDR5"):     # JESD235 ACT on the row bus; JESD209-5 ACTIVATE-1 + -2
        return {"ACT": 2}
    if spec.standard == "HBM3":                 # half-CK ticks: ACT 1.5 nCK, row commands 0.5, column 1
        return {"ACT": 3, "RD": 2, "WR": 2, "RDA": 2, "WRA": 2}
    if spec.standard == "LPDDR4":
        return {"ACT": 4, "RD": 4, "WR": 4, "RDA": 4, "WRA": 4, "PRE": 2, "PREA": 2, "REF": 2,
                "REFpb": 2, "SREN": 2, "SREX": 2}
    return {}


def deferred_words(spec: Spec) -> dict[str, int]:
    """Commands whose second word may come later than the clock after the first, with its latest
    distance in clocks: JESD209-5 LPDDR5 ACTIVATE-2 within tAAD = 8 nCK of ACTIVATE-1, other
    commands between them allowed, no other ACTIVATE-1 before it. The trace records ACT once (at
    ACTIVATE-1); the walk places ACTIVATE-2 into the first free command clock after it."""
    if spec.standard == "LPDDR5":
        return {"ACT": LPDDR5_AAD_NCK}
    return {}


def command_buses(spec: Spec) -> dict[str, int]:
    """The command bus of each command where a channel has two (JESD235 HBM2: ACT, PRE, PREA, REF,
    REFpb on the row bus, 1; RD, WR, RDA, WRA on the column bus, 0; power-down and self-refresh
    entries and exits, :data:`LOW_POWER_BUS`, on the row bus); every other standard: one bus,
    0 for every command (the empty dict)."""
    if spec.standard in DUAL_BUS:
        return {"ACT": 1, "PRE": 1, "PREA": 1, "REF": 1, "REFpb": 1, **LOW_POWER_BUS}
    return {}


def clock_edges(spec: Spec) -> dict[str, int]:
    """Commands that issue on CK's rising edge only, in a spec counting half-CK ticks: name -> the
    cycles between rising edges (HBM3 as Ramulator 2.1's HBM34 controller models JESD238: column
    commands, ACT and REF on the rising edge, PRE / PREA on either). Empty: any cycle."""
    if spec.standard == "HBM3" and spec.timing.ticks_per_ck > 1:
        n = spec.timing.ticks_per_ck
        return {name: n for name in ("ACT", "RD", "WR", "RDA", "WRA", "REF", "REFpb")}
    return {}


def data_bus_per_rank(spec: Spec) -> bool:
    """Whether each rank has its own data bus (HBM2 pseudo-channels: no burst of one meets a burst
    of the other, and there is no rank-to-rank gap)."""
    return spec.standard in DUAL_BUS
