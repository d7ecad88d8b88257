"""HBM2-2000 energy and low power: DRAMsim3's channel currents halved per pseudo-channel, hand-checked,
and power-down / self-refresh on two command buses."""
import numpy as np
import pytest

from dramsim.energy import command_energies_pj, compute_energy, energy_note
from dramsim.spec import load_spec
from traces.commands import CommandTrace

#: DRAMsim3 configs/HBM2_4Gb_x128.ini, one 128-bit legacy channel (mA, VDD 1.2 V).
CHANNEL_MA = {"IDD0": 65, "IDD2P": 28, "IDD2N": 40, "IDD3P": 40, "IDD3N": 55, "IDD4W": 500, "IDD4R": 390,
              "IDD5": 250, "IDD6": 31}


@pytest.fixture(scope="module")
def spec():
    return load_spec("HBM2-2000")


def _empty():
    z = np.zeros(0, np.int64)
    return CommandTrace(cycle=z, cmd=z, channel=z, rank=z, bankgroup=z, bank=z, row=z, column=z)


def test_pseudo_channel_currents_are_half_the_channel(spec):
    vdd = spec.rails[0]
    assert vdd.name == "VDD" and vdd.voltage_v == 1.2
    assert {k: 2 * v for k, v in vdd.currents_ma.items() if v} == CHANNEL_MA


def test_pseudo_channel_pair_idles_at_the_channel_idd2n(spec):
    """Two idle pseudo-channels (a channel) for 1,000 cycles of 1 ns: 40 mA x 1.2 V x 1,000 ns = 48,000 pJ."""
    e = compute_energy(spec, _empty(), 1000)
    assert spec.organization.ranks == 2
    assert e.total == pytest.approx(40 * 1.2 * 1000.0)
    assert e.background == e.total and e.per_rail["VPP"] == 0 and e.per_rail["VDDQ"] == 0


def test_energy_per_byte_equals_the_channel_burst(spec):
    """A 32-byte RD burst of a pseudo-channel costs half of DRAMsim3's 64-byte channel burst:
    1.2 V x (390 - 55) mA / 2 x 2 clocks x 1 ns = 402 pJ, 12.56 pJ per byte either way."""
    rd = command_energies_pj(spec)["rd"]["VDD"]
    assert rd == pytest.approx(1.2 * (390 - 55) / 2 * 2)
    assert rd / spec.organization.burst_bytes == pytest.approx(1.2 * (390 - 55) * 2 / 64)


def test_note_names_the_missing_rails(spec):
    assert energy_note(spec) == "energy counts VDD only: no public currents for VPP, VDDQ (HBM2-2000)"
