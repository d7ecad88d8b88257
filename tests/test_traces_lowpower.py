"""Low-power commands in the command trace formats, and the fast DRAMPower 4 reader."""
import numpy as np
import pytest

from traces import CommandTrace, InputError, read_commands, write_commands
from traces.commands import CODE, COMMANDS, FIELDS, RANK_COMMANDS

LOW = ["PDN_F_PRE", "PUP_PRE", "PDN_S_PRE", "PUP_PRE", "SREN", "SREX", "PDN_F_ACT", "PUP_ACT", "PDN_S_ACT", "PUP_ACT"]


def _trace():
    names = ["ACT", "RD", "PRE"] + LOW[:6] + ["ACT"] + LOW[6:] + ["PRE"]
    code = np.array([CODE[n] for n in names])
    wide = np.isin(code, RANK_COMMANDS)
    n = len(names)
    return CommandTrace(cycle=np.arange(n) * 10, cmd=code, channel=np.zeros(n), rank=np.zeros(n),
                        bankgroup=np.where(wide, -1, 0), bank=np.where(wide, -1, 3),
                        row=np.where(wide, -1, 7), column=np.where(code == CODE["RD"], 8, -1))


def _equal(a, b, fields=None):
    return all(np.array_equal(getattr(a, f), getattr(b, f)) for f, _ in FIELDS if fields is None or f in fields)


def test_low_power_commands_round_trip_csv_and_drampower4(tmp_path):
    c = _trace()
    write_commands(c, tmp_path / "c.csv")
    assert _equal(read_commands(tmp_path / "c.csv"), c)
    write_commands(c, tmp_path / "c.trace", "drampower4", banks_per_group=8)
    lines = (tmp_path / "c.trace").read_text().splitlines()
    assert lines[2] == "20,PRE,3" and lines[3] == "30,PDN_F_PRE,0" and lines[7] == "70,SREN,0" and lines[-1] == f"{len(c) * 10 - 9},END"
    back, end = read_commands(tmp_path / "c.trace", banks_per_group=8, with_end=True)
    assert end == len(c) * 10 - 9
    assert _equal(back, c, ("cycle", "cmd", "bankgroup", "bank"))


def test_drampower5_has_no_fast_or_slow_exit(tmp_path):
    c = _trace()
    write_commands(c, tmp_path / "c5.trace", "drampower5")
    text = (tmp_path / "c5.trace").read_text()
    for name in ("PDEP", "PDXP", "SREFEN", "SREFEX", "PDEA", "PDXA"):
        assert f",{name}," in text
    back, end = read_commands(tmp_path / "c5.trace", with_end=True)
    names = [COMMANDS[k] for k in back.cmd]
    assert "PDN_S_PRE" not in names and names.count("PDN_F_PRE") == 2 and names.count("PDN_F_ACT") == 2
    assert end == len(c) * 10 - 9


def test_fast_reader_agrees_with_the_format(tmp_path):
    p = tmp_path / "t.trace"
    p.write_text("0,ACT,3\r\n 4 , RD , 3\n\n9,PREA\n12,REF,0\n20,SREN\n300,SREX,0\n400,END\n")
    c, end = read_commands(p, "drampower4", banks_per_group=2, with_end=True)
    assert c.cycle.tolist() == [0, 4, 9, 12, 20, 300] and end == 400
    assert [COMMANDS[k] for k in c.cmd] == ["ACT", "RD", "PREA", "REF", "SREN", "SREX"]
    assert c.bankgroup.tolist() == [1, 1, -1, -1, -1, -1] and c.bank.tolist() == [1, 1, -1, -1, -1, -1]
    p2 = tmp_path / "noend.trace"
    p2.write_text("0,ACT,0\n")
    assert read_commands(p2, "drampower4", with_end=True)[1] is None


@pytest.mark.parametrize("body, line, expected", [
    ("0,ACT,0\n5,XYZ,0\n", 2, "a command name"),
    ("0,PDN_F_PRE\n5,PDN_F_PRX,0\n", 2, "a command name"),          # differs in its 9th byte only
    ("0,ACT,0\n5,RD\n", 2, "3 comma-separated fields"),
    ("0,ACT,0\n\nx,RD,0\n", 3, "an integer cycle"),
    ("0,ACT,0\n5,RD,0,9\n", 2, "3 comma-separated fields"),
    ("0,ACT,0\nz,END\n", 2, "an integer cycle"),
])
def test_drampower4_bad_lines(tmp_path, body, line, expected):
    p = tmp_path / "bad.trace"
    p.write_text(body)
    with pytest.raises(InputError) as exc:
        read_commands(p, "drampower4")
    assert str(exc.value).startswith(f"{p}:{line}: expected {expected}"), str(exc.value)


def _fast_parse(path):
    """``_dp4_parse.parse`` on a file, as ``read_commands`` calls it: (cycle, code, bank, end, bad_line)."""
    from traces import _dp4_parse, command_io

    data, size = _dp4_parse.read_padded(path)
    table, lengths = _dp4_parse.name_table(command_io._DP4_NAMES + ("END",))
    wide = np.isin(np.arange(len(table)), RANK_COMMANDS)
    return _dp4_parse.parse(data, size, table, lengths, len(command_io._DP4_NAMES), wide)


@pytest.mark.parametrize("body, cycles, banks, end, bad", [
    ("0,ACT,3\r\n4,RD,3\r\n9,PREA\r\n", [0, 4, 9], [3, 3, 0], -1, 0),       # CRLF, a rank-wide command
    ("0,ACT,3\n4,RD,3", [0, 4], [3, 3], -1, 0),                               # no last line feed
    ("\n\n0,ACT,12\n\n7,END\n9,RD,12\n10,END\n", [0, 9], [12, 12], 10, 0),  # blank lines, END inside
    ("123456789012345,PDN_S_ACT\n", [123456789012345], [0], -1, 0),          # 15 digits, a 9-byte name
    ("", [], [], -1, 0),
    ("0,ACT,3\n4,RD,3\r", [0, 4], [3, 3], -1, 0),                             # a last CR without LF
    ("0,ACT,3\n4 ,RD,3\n", [], [], -1, 2),                                   # a space: the slow reader's
    ("0,ACT,3\n4,RD,3\rx\n", [], [], -1, 2),                                # a CR inside a line
    ("0,ACT,3\n\n4,RD\n", [], [], -1, 3),                                    # RD needs its bank
    ("0,ACT,3\n12345678901234567,RD,3\n", [], [], -1, 2),                    # 17 digits
    ("0,ACT,3\n4,,3\n", [], [], -1, 2),
    ("0,ACT,+3\n", [], [], -1, 1),
])
def test_fast_parser_reads_what_it_may_and_names_the_first_line_it_may_not(tmp_path, body, cycles, banks, end,
                                                                            bad):
    p = tmp_path / "t.trace"
    p.write_bytes(body.encode())
    cycle, code, bank, end_cycle, bad_line = _fast_parse(p)
    assert (bad_line, end_cycle, cycle.tolist(), bank.tolist()) == (bad, end, cycles, banks)


@pytest.mark.parametrize("seed", range(6))
def test_fast_reader_equals_the_pandas_reader(tmp_path, seed):
    """Random well-formed DRAMPower 4 files (every command name, cycles of 1 to 15 digits, banks,
    CRLF, blank lines): the vectorised parser and the pandas reader give the same trace (cycles
    below 2**53, which the pandas reader converts exactly)."""
    from traces import command_io

    rng = np.random.default_rng(seed)
    n = 3000
    names = np.array(command_io._DP4_NAMES)
    cmd = rng.integers(0, len(names), n)
    cycle = np.sort(rng.integers(0, 10 ** int(rng.integers(1, 16)), n))   # pandas reads via float64
    bank = rng.integers(0, 16 if seed % 2 else 30000, n)
    eol = "\r\n" if seed % 3 == 0 else "\n"
    lines = [f"{c},{names[k]}" + ("" if k in RANK_COMMANDS and rng.random() < 0.5 else f",{b}")
             for c, k, b in zip(cycle, cmd, bank)]
    lines.insert(n // 2, "")
    lines.append(f"{cycle[-1] + 5},END")
    p = tmp_path / "r.trace"
    p.write_text(eol.join(lines) + eol)
    fast, end = read_commands(p, "drampower4", banks_per_group=4, with_end=True)
    cyc, code, flat, slow_end = command_io._read_dp4_slowly(p)
    assert _fast_parse(p)[4] == 0                           # the fast parser read it all itself
    assert end == slow_end == cycle[-1] + 5
    np.testing.assert_array_equal(fast.cycle, cyc)
    np.testing.assert_array_equal(fast.cmd, code)
    wide = np.isin(code, RANK_COMMANDS)
    np.testing.assert_array_equal(fast.bank[~wide] + 4 * fast.bankgroup[~wide], flat[~wide])


@pytest.mark.parametrize("name", ["RDX", "R", "ACTA", "PRE_", "REFBB", "PDN_F_PRX", "PDN_F_PREE", "SRE", "SREXX",
                                  "PUP_AC", "EN", "ENDD", "act"])
def test_fast_parser_refuses_names_next_to_the_known_ones(tmp_path, name):
    """A hashed name lookup may only accept the names themselves: one byte more, less or changed is line 2."""
    p = tmp_path / "n.trace"
    p.write_bytes(f"0,ACT,3\n4,{name},3\n".encode())
    assert _fast_parse(p)[4] == 2


def test_name_lookup_gives_every_name_its_own_slot():
    from traces import _dp4_parse, command_io

    names = command_io._DP4_NAMES + ("END",)
    table, lengths = _dp4_parse.name_table(names)
    keys, multiplier, slots = _dp4_parse.name_lookup(table, lengths)
    slot = (keys * multiplier) >> np.uint64(64 - _dp4_parse.SLOT_BITS)
    assert len(set(slot.tolist())) == len(names)
    assert slots[slot].tolist() == list(range(len(names)))
