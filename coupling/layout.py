"""Weights in DRAM: dense packing into bursts and the mapping policies that place the bursts.

A quantized weight matrix ``W`` (``n_inputs x n_neurons`` codes of ``bits`` bits each) is
packed densely into a *bit stream*, cut into bursts of ``burst_bits`` bits (512 for a 64-byte
burst), and burst ``n`` of the stream is stored at the DRAM slot a *mapping policy* gives it:
(channel, rank, bank group, bank, row, column). Physical addresses come from the controller's
address mapping (:meth:`WeightLayout.addresses`, via ``dramsim.mapping.AddressMapping.encode``),
so the controller sees exactly the placement the policy chose.

Packing (``packing=``)
----------------------
``"weight"`` (default)
    Input row after input row, weight after weight, each weight's ``bits`` bits contiguous,
    least significant bit first: bit ``k`` of ``W[i, j]`` is stream bit
    ``(i * n_neurons + j) * bits + k``. An input spike then reads a contiguous run of bursts.
``"bitplane"``
    Bit plane after bit plane, most significant plane first; inside a plane, row-major:
    bit ``k`` of ``W[i, j]`` is stream bit ``(bits - 1 - k) * n_inputs * n_neurons + i * n_neurons + j``.
    Together with the ``enforcesnn`` policy (safest slots first) this puts the most
    significant bit planes in the safest DRAM regions. An input spike reads ``bits`` short runs.

Policies (``policy=``)
----------------------
Slots are enumerated by an *order string*: the DRAM levels ``Ch`` (channel), ``Ra`` (rank),
``Bg`` (bank group), ``Ba`` (bank), ``Ro`` (row), ``Co`` (burst column) written most
significant first, like a controller mapping string; burst ``n`` goes to the ``n``-th slot of
that mixed-radix count (``Co`` counts bursts, the column address is ``burst column x burst
length``).

``"linear"`` (the reference point of every saving and speed-up)
    The conventional layout: the weight stream at consecutive physical addresses (burst ``n``
    at byte address ``n x burst_bytes``) under the controller's own address mapping
    (``controller_mapping``), i.e. the enumeration order *is* the mapping string. What a
    competent engineer gets without any placement policy.
``"bank-serial"`` = ``"ChRaBgBaRoCo"`` (an explicitly named worst case, not a baseline)
    Fill every column of a row, then the next row *of the same bank*, and only when the bank is
    full move to the next bank: consecutive bursts never use another bank (no bank-level
    parallelism), and each row change in a stream of reads is a row conflict. (Called
    ``baseline`` before version 0.2.)
``"drmap"`` = ``"RoRaBaBgChCo"``
    DRMap (Putra et al., DAC 2020): fill the columns of a row (row-buffer hits), then the same
    row in the next channel, bank group and bank (bank-level parallelism: that row can be
    opened while another bank streams), then the next rank, and only then the next row.
any order string, e.g. ``"RoBaRaCoCh"``
    The slots enumerated in that order.
``"enforcesnn"``
    Error-aware DRMap. Every DRAM row (a *region*: channel, rank, bank group, bank, row) has a
    relative weakness ``region_weakness`` (its expected BER divided by the device BER; from
    :meth:`coupling.faults.FaultModel.region_weakness`: bank weakness of the vendor profile,
    weak wordlines of EDEN model 2). Regions with weakness <= ``max_weakness`` are *safe* and
    form one level; every other region is its own level, ranked by its weakness. The policy
    takes the ``ceil(n_bursts / bursts_per_row)`` regions of the lowest levels (DRMap order
    breaks ties, so the safe regions are used row by row across all safe banks: bank-level
    parallelism is kept) and fills them in that order: the DRMap order restricted to the safe
    regions, then, only if the safe capacity is too small, the least weak other regions.
    ``max_weakness=None`` makes every distinct weakness its own level (strictly safest first,
    at the price of bank parallelism). With equal weakness everywhere it is exactly ``drmap``.
    With ``packing="bitplane"`` the most significant planes come first in the stream, hence go
    to the safe regions first. :attr:`WeightLayout.bursts_above_threshold` counts bursts that had
    to go to regions above ``max_weakness`` because the device had too little safe capacity.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dramsim.errors import InputError

LEVELS = ("Ch", "Ra", "Bg", "Ba", "Ro", "Co")
POLICY_ORDERS = {"bank-serial": "ChRaBgBaRoCo", "drmap": "RoRaBaBgChCo"}
POLICIES = ("linear", "bank-serial", "drmap", "enforcesnn")
#: The policy every saving and speed-up is divided by, unless a table says otherwise.
REFERENCE_POLICY = "linear"
PACKINGS = ("weight", "bitplane")


@dataclass(frozen=True)
class Geometry:
    """DRAM geometry as the layout sees it (plain integers; see :func:`Geometry.from_spec`).

    Parameters
    ----------
    channels, ranks, bankgroups, banks_per_group, rows : int
        Organization of the memory system.
    bursts_per_row : int
        Bursts in one row of one rank (device columns / burst length).
    burst_length : int
        Column addresses consumed by one burst.
    burst_bits : int
        Data bits moved by one burst (512 for 64 bytes).
    """

    channels: int
    ranks: int
    bankgroups: int
    banks_per_group: int
    rows: int
    bursts_per_row: int
    burst_length: int
    burst_bits: int

    @classmethod
    def from_spec(cls, spec) -> "Geometry":
        """Geometry of a ``dramsim.spec.Spec`` (HBM3: its bank groups counted over the SIDs, as the
        simulator's flat bank and command traces count them)."""
        o = spec.organization
        return cls(o.channels, o.ranks, o.sids * o.bankgroups, o.banks_per_group, o.rows,
                   o.bursts_per_row, o.burst_length, o.burst_bytes * 8)

    @property
    def radix(self) -> dict:
        """Number of values of each level (``Co`` counts bursts)."""
        return {"Ch": self.channels, "Ra": self.ranks, "Bg": self.bankgroups,
                "Ba": self.banks_per_group, "Ro": self.rows, "Co": self.bursts_per_row}

    @property
    def n_banks(self) -> int:
        """Banks in the whole memory system (channels x ranks x bank groups x banks)."""
        return self.channels * self.ranks * self.bankgroups * self.banks_per_group

    @property
    def n_slots(self) -> int:
        return self.n_banks * self.rows * self.bursts_per_row

    @property
    def row_bits(self) -> int:
        """Bits in one row of one rank (the number of bitlines of a bank)."""
        return self.bursts_per_row * self.burst_bits


def parse_order(order: str) -> tuple[str, ...]:
    """Split an order string (``"RoBaBgRaChCo"``) into its six level names, most significant first.

    ``Bg`` may be left out (as in :mod:`dramsim.mapping`): it is then placed right below ``Ba``.

    Raises
    ------
    InputError
        Not exactly the six levels Ch, Ra, Bg, Ba, Ro, Co, each once.
    """
    text = str(order)
    parts = [text[i:i + 2] for i in range(0, len(text), 2)]
    if "Bg" not in parts and "Ba" in parts:      # as dramsim.mapping: Ba = bank group and bank, Bg lowest
        parts.insert(parts.index("Ba") + 1, "Bg")
    if len(text) % 2 or sorted(parts) != sorted(LEVELS):
        raise InputError(f"mapping order {order!r}: expected each of {', '.join(LEVELS)} exactly once "
                         "(most significant first), or a policy name: " + ", ".join(POLICIES))
    return tuple(parts)


def enumerate_slots(geometry: Geometry, order: str, count: int) -> dict:
    """The first ``count`` slots of the mixed-radix count given by ``order``.

    Returns
    -------
    dict of ndarray of int64
        ``channel, rank, bankgroup, bank, row, burst_col`` of each slot.
    """
    levels = parse_order(order)
    radix = geometry.radix
    if count > geometry.n_slots:
        raise InputError(f"weights need {count} bursts but the device has only {geometry.n_slots}")
    n = np.arange(count, dtype=np.int64)
    out = {}
    for level in reversed(levels):
        out[level] = n % radix[level]
        n = n // radix[level]
    return _named(out)


def _named(by_level: dict) -> dict:
    return {"channel": by_level["Ch"], "rank": by_level["Ra"], "bankgroup": by_level["Bg"],
            "bank": by_level["Ba"], "row": by_level["Ro"], "burst_col": by_level["Co"]}


def flat_bank(geometry: Geometry, channel, rank, bankgroup, bank) -> np.ndarray:
    """Index of a bank in the whole system: ``((ch * ranks + ra) * bankgroups + bg) * banks_per_group + ba``."""
    g = geometry
    return ((np.asarray(channel, np.int64) * g.ranks + rank) * g.bankgroups + bankgroup) * g.banks_per_group + bank


class WeightLayout:
    """Where every bit of a quantized weight matrix lives in DRAM.

    Parameters
    ----------
    geometry : Geometry
        The device (``Geometry.from_spec(spec)``).
    n_inputs, n_neurons : int
        Shape of the weight matrix (784 x N).
    bits : int
        Bits per stored weight (32 for float32, else the quantization width).
    policy : str
        ``"linear"``, ``"bank-serial"``, ``"drmap"``, ``"enforcesnn"`` or an order string (see the
        module docstring).
    packing : str
        ``"weight"`` or ``"bitplane"``.
    region_weakness : ndarray, shape (geometry.n_banks, geometry.rows), optional
        Relative weakness of every DRAM row (``enforcesnn`` only; default: all equal).
    max_weakness : float, optional
        ``enforcesnn``: regions with weakness above this are not used while others remain.
    controller_mapping : str
        ``linear``: the controller's address mapping string (most significant first).

    Attributes
    ----------
    n_bursts : int
        Bursts the matrix occupies (the last one may be partly padding).
    channel, rank, bankgroup, bank, row, column : ndarray of int64, shape (n_bursts,)
        DRAM coordinates of each burst (``column`` is the device column address).
    bursts_above_threshold : int
        ``enforcesnn``: bursts placed in regions above ``max_weakness`` (0 otherwise).
    """

    def __init__(self, geometry: Geometry, n_inputs: int, n_neurons: int, bits: int, policy: str = "drmap",
                 packing: str = "weight", region_weakness=None, max_weakness: float | None = None,
                 controller_mapping: str = "RoBaRaCoCh"):
        for name, value in (("n_inputs", n_inputs), ("n_neurons", n_neurons), ("bits", bits)):
            if int(value) != value or value <= 0:
                raise InputError(f"layout: {name} is {value!r}; expected a positive integer")
        if not 1 <= bits <= 32:
            raise InputError(f"layout: bits is {bits}; expected 1..32")
        if policy == "baseline":
            raise InputError("layout policy 'baseline' was renamed 'bank-serial' (a worst case); the reference "
                             "layout is now 'linear' (consecutive addresses under the controller's mapping)")
        if packing not in PACKINGS:
            raise InputError(f"layout: packing is {packing!r}; expected one of {', '.join(PACKINGS)}")
        self.geometry = geometry
        self.n_inputs, self.n_neurons, self.bits = int(n_inputs), int(n_neurons), int(bits)
        self.packing = packing
        self.policy = policy
        self.n_bits = self.n_inputs * self.n_neurons * self.bits
        self.n_bursts = -(-self.n_bits // geometry.burst_bits)
        self.bursts_above_threshold = 0
        if policy == "enforcesnn":
            slots = self._error_aware_slots(region_weakness, max_weakness)
            self.order = POLICY_ORDERS["drmap"]
        elif policy == "linear":
            self.order = "".join(parse_order(controller_mapping))
            slots = enumerate_slots(geometry, self.order, self.n_bursts)
        else:
            self.order = POLICY_ORDERS.get(policy, policy)
            slots = enumerate_slots(geometry, self.order, self.n_bursts)
        self.channel = slots["channel"]
        self.rank = slots["rank"]
        self.bankgroup = slots["bankgroup"]
        self.bank = slots["bank"]
        self.row = slots["row"]
        self.burst_col = slots["burst_col"]
        self.column = self.burst_col * geometry.burst_length
        self.flat_bank = flat_bank(geometry, self.channel, self.rank, self.bankgroup, self.bank)

    # -- placement -------------------------------------------------------------------------
    def _error_aware_slots(self, region_weakness, max_weakness) -> dict:
        g = self.geometry
        n_regions = g.n_banks * g.rows
        if region_weakness is None:
            weakness = np.ones(n_regions)
        else:
            weakness = np.asarray(region_weakness, dtype=np.float64)
            if weakness.shape != (g.n_banks, g.rows):
                raise InputError(f"layout: region_weakness has shape {weakness.shape}; expected {(g.n_banks, g.rows)}")
            weakness = weakness.reshape(-1)
        # Regions (DRAM rows) enumerated in DRMap order: the DRMap order string without Co.
        regions = enumerate_slots(Geometry(g.channels, g.ranks, g.bankgroups, g.banks_per_group, g.rows, 1,
                                           g.burst_length, g.burst_bits), POLICY_ORDERS["drmap"], n_regions)
        region_id = flat_bank(g, regions["channel"], regions["rank"], regions["bankgroup"], regions["bank"]) * g.rows \
            + regions["row"]
        w_drmap = weakness[region_id]                    # weakness of the k-th region in DRMap order
        needed = -(-self.n_bursts // g.bursts_per_row)
        if needed > n_regions:
            raise InputError(f"weights need {self.n_bursts} bursts but the device has only {g.n_slots}")
        level = w_drmap if max_weakness is None else np.where(w_drmap <= max_weakness, -1.0, w_drmap)
        chosen = np.lexsort((np.arange(n_regions), level))[:needed]   # lowest level, then DRMap order
        per_region = np.minimum(g.bursts_per_row, self.n_bursts - np.arange(needed) * g.bursts_per_row)
        reg = np.repeat(chosen, per_region)
        col = np.concatenate([np.arange(c) for c in per_region]) if needed else np.zeros(0, np.int64)
        if max_weakness is not None:
            unsafe_region = w_drmap[chosen] > max_weakness
            self.bursts_above_threshold = int(per_region[unsafe_region].sum())
        self.region_weakness_used = w_drmap[reg]
        return {"channel": regions["channel"][reg], "rank": regions["rank"][reg],
                "bankgroup": regions["bankgroup"][reg], "bank": regions["bank"][reg],
                "row": regions["row"][reg], "burst_col": col.astype(np.int64)}

    # -- where is a bit ----------------------------------------------------------------------
    def stream_position(self, i, j, k) -> np.ndarray:
        """Stream bit index of bit ``k`` (0 = least significant) of weight ``(i, j)`` (vectorised)."""
        i, j, k = (np.asarray(a, dtype=np.int64) for a in (i, j, k))
        if self.packing == "weight":
            return (i * self.n_neurons + j) * self.bits + k
        return (self.bits - 1 - k) * (self.n_inputs * self.n_neurons) + i * self.n_neurons + j

    def weight_of(self, position) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Inverse of :meth:`stream_position`: ``(i, j, k)`` of stream bits (vectorised)."""
        p = np.asarray(position, dtype=np.int64)
        if self.packing == "weight":
            w, k = np.divmod(p, self.bits)
        else:
            plane, w = np.divmod(p, self.n_inputs * self.n_neurons)
            k = self.bits - 1 - plane
        i, j = np.divmod(w, self.n_neurons)
        return i, j, k

    def locate(self, i, j, k) -> dict:
        """DRAM location of bit ``k`` of weight ``(i, j)``: burst, flat bank, row, column, bit in burst.

        ``bitline`` is the bit's position within its row (``burst_col * burst_bits + bit``), which
        together with ``flat_bank`` names the bitline the cell sits on.
        """
        pos = self.stream_position(i, j, k)
        return self.locate_positions(pos)

    def locate_positions(self, pos) -> dict:
        """As :meth:`locate`, for stream bit indices."""
        pos = np.asarray(pos, dtype=np.int64)
        burst, bit = np.divmod(pos, self.geometry.burst_bits)
        return {"burst": burst, "bit": bit, "flat_bank": self.flat_bank[burst], "row": self.row[burst],
                "column": self.column[burst], "bitline": self.burst_col[burst] * self.geometry.burst_bits + bit}

    # -- which bursts an input spike reads ---------------------------------------------------------
    def row_bursts(self) -> tuple[np.ndarray, np.ndarray]:
        """Bursts holding each input row's weights, as CSR arrays.

        Returns
        -------
        indptr : ndarray of int64, shape (n_inputs + 1,)
        bursts : ndarray of int64
            ``bursts[indptr[i]:indptr[i + 1]]`` are the burst ids (ascending) holding row ``i``.
        """
        B = self.geometry.burst_bits
        i = np.arange(self.n_inputs, dtype=np.int64)
        if self.packing == "weight":
            starts = [(i * self.n_neurons * self.bits) // B]
            ends = [((i + 1) * self.n_neurons * self.bits - 1) // B]
        else:
            plane_bits = self.n_inputs * self.n_neurons
            starts, ends = [], []
            for plane in range(self.bits):
                base = plane * plane_bits
                starts.append((base + i * self.n_neurons) // B)
                ends.append((base + (i + 1) * self.n_neurons - 1) // B)
        lists = [[np.arange(s[r], e[r] + 1) for s, e in zip(starts, ends)] for r in range(self.n_inputs)]
        rows = [np.unique(np.concatenate(parts)) for parts in lists]
        indptr = np.zeros(self.n_inputs + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(r) for r in rows])
        return indptr, np.concatenate(rows).astype(np.int64)

    def addresses(self, mapping) -> np.ndarray:
        """Physical byte address of every burst under a controller address mapping.

        Parameters
        ----------
        mapping : dramsim.mapping.AddressMapping
            The controller's mapping; its ``encode`` is the inverse of the decode the
            controller applies, so each burst lands on this layout's coordinates.
        """
        org = mapping.spec.organization
        bankgroup, sid = self.bankgroup, {}
        if org.sids > 1:                 # this layout's bank group counts over the SIDs
            bankgroup, sid = np.asarray(self.bankgroup) % org.bankgroups, {"sid": np.asarray(self.bankgroup) // org.bankgroups}
        return np.asarray(mapping.encode(channel=self.channel, rank=self.rank, bankgroup=bankgroup,
                                         bank=self.bank, row=self.row, column=self.column, **sid), dtype=np.uint64)

    def summary(self) -> dict:
        """Plain-data description (policy, order, bursts, banks and rows used)."""
        return {"policy": self.policy, "order": self.order, "packing": self.packing, "bits": self.bits,
                "n_bursts": self.n_bursts, "banks_used": int(len(np.unique(self.flat_bank))),
                "rows_used": int(len(np.unique(self.flat_bank * self.geometry.rows + self.row))),
                "bursts_above_threshold": self.bursts_above_threshold}
