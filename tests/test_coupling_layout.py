"""Layout policies: placement, inverse mapping, bit location, row bursts."""
import numpy as np
import pytest

from coupling.faults import ErrorProfile, FaultModel
from coupling.layout import Geometry, WeightLayout, enumerate_slots, parse_order
from dramsim.errors import InputError
from dramsim.mapping import AddressMapping
from dramsim.spec import load_spec

SMALL = Geometry(channels=1, ranks=1, bankgroups=1, banks_per_group=4, rows=64, bursts_per_row=8,
                 burst_length=8, burst_bits=512)


def test_bank_serial_fills_one_bank_first_drmap_spreads_over_banks():
    base = WeightLayout(SMALL, 20, 10, 8, "bank-serial")     # 1600 bits -> 4 bursts
    big_base = WeightLayout(SMALL, 784, 10, 8, "bank-serial")  # 123 bursts
    big_drmap = WeightLayout(SMALL, 784, 10, 8, "drmap")
    assert base.n_bursts == 4
    assert np.all(big_base.bank == 0)                     # 123 bursts < 64 rows x 8 bursts
    assert np.array_equal(big_base.row, np.arange(123) // 8)
    # drmap: columns of a row, then the same row in the next bank
    assert np.array_equal(big_drmap.burst_col[:10], [0, 1, 2, 3, 4, 5, 6, 7, 0, 1])
    assert np.array_equal(big_drmap.bank[:17], [0] * 8 + [1] * 8 + [2])
    assert np.all(big_drmap.row[:32] == 0) and big_drmap.row[32] == 1


def test_slots_are_distinct_and_addresses_invert_the_controller_mapping():
    spec = load_spec("DDR3-1600K")
    g = Geometry.from_spec(spec)
    for policy in ("bank-serial", "linear", "drmap", "enforcesnn", "RoBaRaCoCh"):
        lay = WeightLayout(g, 784, 100, 4, policy)
        for order in ("RoBaRaCoCh", "RoRaBaChCo"):
            amap = AddressMapping(spec, order)
            addr = lay.addresses(amap)
            assert len(np.unique(addr)) == lay.n_bursts
            d = amap.decode(addr)
            for k in ("bank", "row", "column", "rank", "channel"):
                assert np.array_equal(d[k], getattr(lay, k)), (policy, order, k)


def test_bit_location_roundtrip_both_packings():
    rng = np.random.default_rng(0)
    for packing in ("weight", "bitplane"):
        lay = WeightLayout(SMALL, 30, 7, 6, "drmap", packing=packing)
        i, j, k = rng.integers(0, 30, 500), rng.integers(0, 7, 500), rng.integers(0, 6, 500)
        pos = lay.stream_position(i, j, k)
        assert pos.max() < lay.n_bits
        i2, j2, k2 = lay.weight_of(pos)
        assert np.array_equal(i, i2) and np.array_equal(j, j2) and np.array_equal(k, k2)
        all_pos = lay.stream_position(*np.meshgrid(np.arange(30), np.arange(7), np.arange(6), indexing="ij"))
        assert len(np.unique(all_pos)) == lay.n_bits      # a bijection onto the stream
        loc = lay.locate(i, j, k)
        assert np.array_equal(loc["row"], lay.row[pos // 512])


def test_row_bursts_cover_exactly_the_bursts_of_each_row():
    for packing in ("weight", "bitplane"):
        lay = WeightLayout(SMALL, 13, 37, 4, "drmap", packing=packing)
        indptr, bursts = lay.row_bursts()
        for i in range(13):
            jj, kk = np.meshgrid(np.arange(37), np.arange(4), indexing="ij")
            expect = np.unique(lay.stream_position(i, jj, kk) // 512)
            assert np.array_equal(bursts[indptr[i]:indptr[i + 1]], expect)


def test_enforcesnn_avoids_weak_wordlines_and_weak_banks():
    fm = FaultModel(SMALL, ErrorProfile(model=2, weak_wordline_fraction=0.25), device_seed=5)
    weak = fm.region_weakness()
    lay = WeightLayout(SMALL, 784, 10, 8, "enforcesnn", region_weakness=weak, max_weakness=0.0)
    assert lay.bursts_above_threshold == 0
    assert np.all(weak[lay.flat_bank, lay.row] == 0)
    # Too little safe capacity: the layout still fits and reports the overflow.
    full = WeightLayout(SMALL, 784, 160, 8, "enforcesnn", region_weakness=weak, max_weakness=0.0)
    assert full.bursts_above_threshold > 0
    # bank weakness: the weakest bank is used last
    fm = FaultModel(SMALL, ErrorProfile(model=0, bank_weakness=(1, 1, 5, 1)), 0)
    lay = WeightLayout(SMALL, 784, 10, 8, "enforcesnn", region_weakness=fm.region_weakness(), max_weakness=1.0)
    assert not np.any(lay.bank == 2)
    assert set(np.unique(lay.bank)) == {0, 1, 3}           # still bank-parallel over the safe banks
    assert np.array_equal(lay.bank[:24], [0] * 8 + [1] * 8 + [3] * 8)
    # without a threshold: strictly safest first (one bank)
    fm = FaultModel(SMALL, ErrorProfile(model=0, bank_weakness=(1, 2, 5, 0.5)), 0)
    lay = WeightLayout(SMALL, 784, 10, 8, "enforcesnn", region_weakness=fm.region_weakness())
    assert np.all(lay.bank == 3)


def test_enforcesnn_equals_drmap_when_all_regions_are_equal():
    a = WeightLayout(SMALL, 784, 10, 8, "enforcesnn")
    b = WeightLayout(SMALL, 784, 10, 8, "drmap")
    for k in ("bank", "row", "column"):
        assert np.array_equal(getattr(a, k), getattr(b, k))


def test_bad_input():
    with pytest.raises(InputError):
        parse_order("RoBaRo")
    with pytest.raises(InputError):
        WeightLayout(SMALL, 784, 10, 8, "nonsense")
    with pytest.raises(InputError):
        WeightLayout(SMALL, 784, 10000, 32, "drmap")      # does not fit
    with pytest.raises(InputError):
        enumerate_slots(SMALL, "ChRaBgBaRoCo", SMALL.n_slots + 1)


def test_bitplane_enforcesnn_puts_msb_planes_in_the_safest_regions():
    fm = FaultModel(SMALL, ErrorProfile(model=0, bank_weakness=(1, 2, 4, 0.5)), 0)
    weak = fm.region_weakness()
    # 784 x 80 x 8 bits = 980 bursts; the safest bank (3) holds only 512 of them
    lay = WeightLayout(SMALL, 784, 80, 8, "enforcesnn", packing="bitplane", region_weakness=weak)
    i, j = np.arange(784)[:, None], np.arange(80)[None, :]
    msb, lsb = lay.locate(i, j, 7), lay.locate(i, j, 0)
    assert np.all(msb["flat_bank"] == 3) and not np.any(lsb["flat_bank"] == 3)
    assert weak[msb["flat_bank"], msb["row"]].max() < weak[lsb["flat_bank"], lsb["row"]].min()
    plain = WeightLayout(SMALL, 784, 80, 8, "drmap")
    assert np.any(plain.locate(i, j, 7)["flat_bank"] == 2)   # drmap puts MSBs in the weakest bank too
