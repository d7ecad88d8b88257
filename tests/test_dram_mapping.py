"""Address mapping: the documented bit order, both directions, the XOR hash and bad input."""

import numpy as np
import pytest

from dramsim.errors import InputError
from dramsim.mapping import AddressMapping
from dramsim.spec import load_spec


def test_default_reproduces_peer_layout():
    """RoBaRaCoCh, 1 channel 1 rank DDR3: 6 offset bits, 7 column bits, 3 bank bits, then row (PEERS.md)."""
    spec = load_spec("DDR3-1600K")
    m = AddressMapping(spec)
    a = np.array([0, 64, 64 * 127, 64 * 128, 8192 * 8, 8192 * 8 * 5 + 8192 * 3 + 64 * 9 + 17], np.uint64)
    co = m.decode(a)
    assert list(co["column"]) == [0, 8, 127 * 8, 0, 0, 72]
    assert list(co["bank"]) == [0, 0, 0, 1, 0, 3]
    assert list(co["row"]) == [0, 0, 0, 0, 1, 5]


def test_channel_bits_lowest_in_roBaRaCoCh():
    spec = load_spec("DDR3-1600K", channels=2, ranks=2)
    co = AddressMapping(spec, "RoBaRaCoCh").decode(np.array([0, 64, 128, 128 * 128], np.uint64))
    assert list(co["channel"]) == [0, 1, 0, 0]
    assert list(co["column"]) == [0, 0, 8, 0]
    assert list(co["rank"]) == [0, 0, 0, 1]
    co = AddressMapping(spec, "ChRaBaRoCo").decode(np.array([spec.organization.capacity_bytes // 2], np.uint64))
    assert co["channel"][0] == 1


@pytest.mark.parametrize("standard", ["DDR3-1600K", "DDR4-2400R", "LPDDR4-3200"])
@pytest.mark.parametrize("order", ["RoBaRaCoCh", "ChRaBaRoCo", "RoBgBaRaCoCh", "CoRoBaBgChRa"])
@pytest.mark.parametrize("xor", [False, True])
def test_encode_decode_roundtrip(standard, order, xor):
    spec = load_spec(standard, channels=2, ranks=2)
    m = AddressMapping(spec, order, xor)
    rng = np.random.default_rng(0)
    bursts = spec.organization.capacity_bytes // spec.organization.burst_bytes
    a = rng.integers(0, bursts, 5000, dtype=np.uint64) * np.uint64(spec.organization.burst_bytes)
    co = m.decode(a)
    np.testing.assert_array_equal(m.encode(**co), a)
    # and the other direction over a full small grid
    org = spec.organization
    grid = dict(channel=np.arange(2)[:, None], bank=np.arange(org.banks_per_group)[None, :], row=7, column=16)
    b = m.encode(**grid)
    back = m.decode(b.ravel())
    assert list(back["bank"]) == list(np.tile(np.arange(org.banks_per_group), 2))


def test_mapping_is_a_bijection_on_a_small_space():
    spec = load_spec("DDR3-1600K", channels=2, ranks=2)
    m = AddressMapping(spec, "RoBaRaCoCh", xor_bank_hash=True)
    a = np.arange(1 << 16, dtype=np.uint64) * np.uint64(64)
    co = m.decode(a)
    keys = set(zip(*(co[k].tolist() for k in ("channel", "rank", "bankgroup", "bank", "row", "column"))))
    assert len(keys) == len(a)


def test_xor_hash_spreads_row_conflicts():
    spec = load_spec("DDR3-1600K")
    a = np.arange(8, dtype=np.uint64) * np.uint64(8 * 8192)  # same bank, consecutive rows
    assert len(set(AddressMapping(spec).decode(a)["bank"])) == 1
    assert len(set(AddressMapping(spec, xor_bank_hash=True).decode(a)["bank"])) == 8


@pytest.mark.parametrize("order", ["RoBaRaCo", "RoBaRaCoChCh", "RoBaRaCoXx", "robaracoch", "RoBaRaCoCh "])
def test_bad_order(order):
    with pytest.raises(InputError, match="mapping"):
        AddressMapping(load_spec("DDR3-1600K"), order)


def test_out_of_range():
    spec = load_spec("DDR3-1600K")
    m = AddressMapping(spec)
    with pytest.raises(InputError, match=r"request 1 \(0-based\): address .* beyond the capacity"):
        m.decode(np.array([0, spec.organization.capacity_bytes], np.uint64), where="request")
    assert m.decode(np.array([spec.organization.capacity_bytes + 128], np.uint64), wrap=True)["column"][0] == 16
    with pytest.raises(InputError, match="row"):
        m.encode(row=spec.organization.rows)
    with pytest.raises(InputError, match="power of two"):
        AddressMapping(load_spec("DDR3-1600K", channels=3))


@pytest.mark.parametrize("standard, order, xor", [("DDR3-1600K", "RoBaRaCoCh", False), ("DDR4-2400R", "RoBgBaRaCoCh", True),
                                                  ("LPDDR4-3200", "ChRaBaRoCo", True), ("DDR4-2400R", "CoRoBaChRa", False)])
def test_flat_equals_decode(standard, order, xor):
    spec = load_spec(standard, channels=2, ranks=2)
    m = AddressMapping(spec, order, xor)
    rng = np.random.default_rng(1)
    a = rng.integers(0, spec.organization.capacity_bytes, 20000, dtype=np.uint64)
    co = m.decode(a)
    org = spec.organization
    bank, row, column = m.flat(a)
    expect = ((co["channel"] * org.ranks + co["rank"]) * org.bankgroups + co["bankgroup"]) * org.banks_per_group + co["bank"]
    np.testing.assert_array_equal(bank, expect)
    np.testing.assert_array_equal(row, co["row"])
    np.testing.assert_array_equal(column, co["column"])
    with pytest.raises(InputError, match="request 3"):
        m.flat(np.array([0, 0, 0, org.capacity_bytes], np.uint64), where="request")
    wrapped = m.flat(a + np.uint64(spec.organization.capacity_bytes), wrap=True)
    np.testing.assert_array_equal(wrapped[0], bank)
