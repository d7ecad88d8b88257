"""Command trace formats: CSV round trip, DRAMPower 4/5 writers, malformed lines, atomic writes."""
import os

import numpy as np
import pytest

from traces import CommandTrace, InputError, read_commands, write_commands
from traces.commands import ACT, FIELDS, PRE, PREA, RD, REF, REFPB, WRA


def _trace():
    return CommandTrace(
        cycle=[0, 5, 16, 20, 40, 60, 70, 80],
        cmd=[ACT, ACT, RD, WRA, PRE, PREA, REF, REFPB],
        channel=[0, 0, 0, 0, 0, 0, 0, 1], rank=[0, 1, 0, 1, 0, 1, 0, 0],
        bankgroup=[0, 1, 0, 1, 0, -1, -1, 0], bank=[3, 2, 3, 2, 3, -1, -1, 1],
        row=[7, 8, 7, 8, 7, -1, -1, -1], column=[-1, -1, 8, 16, -1, -1, -1, -1])


def _equal(a, b):
    return all(np.array_equal(getattr(a, f), getattr(b, f)) for f, _ in FIELDS)


def test_csv_round_trip(tmp_path):
    c = _trace()
    assert write_commands(c, tmp_path / "c.csv") == [tmp_path / "c.csv"]
    text = (tmp_path / "c.csv").read_text().splitlines()
    assert text[0] == "cycle,cmd,channel,rank,bankgroup,bank,row,column"
    assert text[3] == "16,RD,0,0,0,3,7,8"
    assert _equal(read_commands(tmp_path / "c.csv"), c)


def test_csv_random_round_trip(tmp_path):
    rng = np.random.default_rng(3)
    n = 5000
    c = CommandTrace(cycle=np.sort(rng.integers(0, 10**9, n)), cmd=rng.integers(0, 9, n),
                     channel=rng.integers(0, 2, n), rank=rng.integers(0, 4, n),
                     bankgroup=rng.integers(-1, 4, n), bank=rng.integers(-1, 4, n),
                     row=rng.integers(-1, 2**17, n), column=rng.integers(-1, 1024, n))
    write_commands(c, tmp_path / "c.csv")
    assert _equal(read_commands(tmp_path / "c.csv"), c)


def test_empty_csv_round_trip(tmp_path):
    c = CommandTrace(*([[]] * 8))
    write_commands(c, tmp_path / "e.csv")
    assert len(read_commands(tmp_path / "e.csv")) == 0


def test_drampower4_files_per_rank_and_read_back(tmp_path):
    c = _trace()
    paths = write_commands(c, tmp_path / "c.trace", "drampower4", banks_per_group=4)
    assert [p.name for p in paths] == ["c.ch0.rank0.trace", "c.ch0.rank1.trace",
                                       "c.ch1.rank0.trace", "c.ch1.rank1.trace"]
    assert paths[0].read_text().splitlines() == ["0,ACT,3", "16,RD,3", "40,PRE,3", "70,REF,0", "81,END"]
    assert paths[1].read_text().splitlines() == ["5,ACT,6", "20,WRA,6", "60,PREA,0", "81,END"]
    assert paths[2].read_text().splitlines() == ["80,REFB,1", "81,END"]
    back = read_commands(paths[1], banks_per_group=4, rank=1)
    assert back.cycle.tolist() == [5, 20, 60] and back.cmd.tolist() == [ACT, WRA, PREA]
    assert back.bankgroup.tolist() == [1, 1, -1] and back.bank.tolist() == [2, 2, -1]
    assert (back.rank == 1).all()


def test_drampower4_single_rank_uses_path(tmp_path):
    c = _trace()
    sel = (c.channel == 0) & (c.rank == 0)
    one = CommandTrace(*(getattr(c, f)[sel] for f, _ in FIELDS))
    assert write_commands(one, tmp_path / "one.trace", "drampower4") == [tmp_path / "one.trace"]


def test_drampower5(tmp_path):
    c = _trace()
    paths = write_commands(c, tmp_path / "c5.trace", "drampower5", data_bytes=2)
    assert [p.name for p in paths] == ["c5.ch0.trace", "c5.ch1.trace"]
    lines = paths[0].read_text().splitlines()
    assert lines[0] == "0,ACT,0,0,3,7,0"
    assert lines[2] == "16,RD,0,0,3,7,8,0000"
    assert lines[5] == "60,PREA,1,0,0,0,0"
    assert lines[6] == "70,REFA,0,0,0,0,0"
    assert lines[-1] == "81,END,0,0,0,0,0"
    assert paths[1].read_text().splitlines()[0] == "80,REFB,0,0,1,0,0"


HEADER = "cycle,cmd,channel,rank,bankgroup,bank,row,column\n"


@pytest.mark.parametrize("body, line, expected", [
    ("0,ACT,0,0,0,0,1,-1\n5,XYZ,0,0,0,0,1,-1\n", 3, "a command name"),
    ("0,ACT,0,0,0,0,1,-1\n\n5,RD,0,0,0,0,1.5,-1\n", 4, "an integer row"),
    ("0,ACT,0,0,0,0,1,-1\n5,RD,0,0,0,0,1,-1,7\n", 3, "8 comma-separated fields"),
    ("-3,ACT,0,0,0,0,1,-1\n", 2, "an integer cycle >= 0"),
])
def test_csv_malformed_line(tmp_path, body, line, expected):
    p = tmp_path / "cmd.csv"
    p.write_text(HEADER + body)
    with pytest.raises(InputError) as exc:
        read_commands(p)
    assert str(exc.value).startswith(f"{p}:{line}: expected {expected}")


def test_csv_bad_header(tmp_path):
    p = tmp_path / "cmd.csv"
    p.write_text("cycle,cmd,rank\n0,ACT,0\n")
    with pytest.raises(InputError, match="expected 8 comma-separated|expected header"):
        read_commands(p, "csv")


def test_no_partial_files_on_error(tmp_path):
    c = _trace()
    bad = CommandTrace(*(getattr(c, f) for f, _ in FIELDS))
    object.__setattr__(bad, "cmd", np.array([0, 1, 99, 3, 4, 5, 6, 7], np.uint8))  # no such command
    with pytest.raises(IndexError):
        write_commands(bad, tmp_path / "c.trace", "drampower4", banks_per_group=4)
    assert os.listdir(tmp_path) == []


def test_drampower5_read_back(tmp_path):
    c = _trace()
    paths = write_commands(c, tmp_path / "c5.trace", "drampower5")
    back = read_commands(paths[0])  # auto-detected
    sel = c.channel == 0
    for name, _ in FIELDS:
        if name != "channel":
            np.testing.assert_array_equal(getattr(back, name), getattr(c, name)[sel], err_msg=name)
    assert (read_commands(paths[1], "drampower5", channel=1).channel == 1).all()
    p = tmp_path / "bad5.trace"
    p.write_text("0,ACT,0,0,3,7,0\n5,RD,0,0,3,x,8,00\n")
    with pytest.raises(InputError, match=r"bad5.trace:2: expected an integer row"):
        read_commands(p)
