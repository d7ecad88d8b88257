"""Request trace formats: round trips, auto-detection, malformed lines, atomic writes."""
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from traces import InputError, RequestTrace, detect_format, read_requests, write_requests
from traces.request_io import parse_uint


def _trace(n=200, seed=0, arrival=True):
    rng = np.random.default_rng(seed)
    address = rng.integers(0, 2**40, n, dtype=np.uint64)
    address[:3] = [0, 2**64 - 1, 4096]
    return RequestTrace(address, rng.random(n) < 0.4,
                        np.sort(rng.integers(0, 10**6, n)) if arrival else None)


@pytest.mark.parametrize("fmt", ["ramulator2", "ramulator1", "dramsim3", "npz"])
def test_round_trip(tmp_path, fmt):
    t = _trace()
    path = tmp_path / f"t.{fmt}"
    write_requests(t, path, fmt)
    assert detect_format(path) == fmt
    r = read_requests(path)
    np.testing.assert_array_equal(r.address, t.address)
    np.testing.assert_array_equal(r.is_write, t.is_write)
    if fmt in ("dramsim3", "npz"):
        np.testing.assert_array_equal(r.arrival, t.arrival)
    else:
        assert r.arrival is None


def test_dramsim3_without_arrival_writes_zero(tmp_path):
    t = _trace(arrival=False)
    write_requests(t, tmp_path / "t.txt", "dramsim3")
    r = read_requests(tmp_path / "t.txt")
    assert (r.arrival == 0).all()


def test_npy_addresses_are_reads(tmp_path):
    a = np.arange(10, dtype=np.uint64) * 64
    np.save(tmp_path / "a.npy", a)
    assert detect_format(tmp_path / "a.npy") == "npy"
    r = read_requests(tmp_path / "a.npy")
    np.testing.assert_array_equal(r.address, a)
    assert r.writes == 0 and r.arrival is None


def test_hex_and_decimal_blank_lines_and_spacing(tmp_path):
    p = tmp_path / "t.trace"
    p.write_text("LD 0x1f40\n\nST 4096\n   LD    0X10  \nST 0xFFFFFFFFFFFFFFFF\n")
    r = read_requests(p)
    assert r.address.tolist() == [0x1F40, 4096, 16, 2**64 - 1]
    assert r.is_write.tolist() == [False, True, False, True]


def test_ramulator1_and_dramsim3_text(tmp_path):
    p = tmp_path / "r1"
    p.write_text("0x12345680 R\n0x4cbd56c0 W\n")
    r = read_requests(p)
    assert detect_format(p) == "ramulator1"
    assert r.address.tolist() == [0x12345680, 0x4CBD56C0] and r.is_write.tolist() == [False, True]
    p = tmp_path / "d3"
    p.write_text("0x1f40 READ 12\n0x2000 WRITE 15\n")
    r = read_requests(p)
    assert r.arrival.tolist() == [12, 15] and r.is_write.tolist() == [False, True]


@pytest.mark.parametrize("text, line, got", [
    ("LD 0x10\n\nST 20\nXX 12\n", 4, "XX 12"),
    ("LD 0x10\nLD 0xZZ\n", 2, "LD 0xZZ"),
    ("LD 0x10\n\n\nLD 5 6\n", 4, "LD 5 6"),
    ("LD 0x10\nLD\n", 2, "LD"),
    ("LD 0x10\nLD 0x" + "1" * 17 + "\n", 2, "LD 0x" + "1" * 17),
    ("LD 0x10\nLD -5\n", 2, "LD -5"),
])
def test_malformed_line_names_file_and_line(tmp_path, text, line, got):
    p = tmp_path / "trace.txt"
    p.write_text(text)
    with pytest.raises(InputError) as exc:
        read_requests(p)
    msg = str(exc.value)
    assert msg == f"{p}:{line}: expected 'LD|ST ADDRESS', got {got!r}"
    assert "\n" not in msg


def test_dramsim3_bad_cycle_and_order(tmp_path):
    p = tmp_path / "d3.txt"
    p.write_text("0x10 READ 5\n0x20 WRITE soon\n")
    with pytest.raises(InputError, match=r"d3.txt:2: expected 'ADDRESS READ\|WRITE CYCLE'"):
        read_requests(p)
    p.write_text("0x10 READ 5\n\n0x20 WRITE 4\n")
    with pytest.raises(InputError, match=r"d3.txt:3: arrival cycle 4"):
        read_requests(p)


def test_unknown_format(tmp_path):
    p = tmp_path / "x.txt"
    p.write_text("hello world foo bar\n")
    with pytest.raises(InputError, match="unknown trace format"):
        read_requests(p)
    with pytest.raises(InputError, match="cannot read"):
        read_requests(tmp_path / "missing.txt")


def test_parse_uint_edges():
    values, ok = parse_uint(np.array(["0x10", "16", "", "0x", "12a", "0x" + "f" * 16,
                                      "9" * 19, "1" * 20, "x1"], dtype=object))
    assert ok.tolist() == [True, True, False, False, False, True, True, False, False]
    assert values[[0, 1, 5, 6]].tolist() == [16, 16, 2**64 - 1, 10**19 - 1]


def test_no_partial_file_on_error(tmp_path):
    p = tmp_path / "out.trace"
    p.write_text("old\n")

    t = _trace(20)
    bad = RequestTrace(t.address, t.is_write, None)
    object.__setattr__(bad, "address", np.array(["not", "numbers"], dtype=object))  # breaks the writer
    with pytest.raises(Exception):
        write_requests(bad, p, "ramulator2")
    assert p.read_text() == "old\n"
    assert sorted(os.listdir(tmp_path)) == ["out.trace"]


def test_empty_and_crlf_files(tmp_path):
    p = tmp_path / "empty.trace"
    p.write_text("")
    assert len(read_requests(p)) == 0
    assert len(read_requests(p, "dramsim3")) == 0
    p = tmp_path / "crlf.trace"
    p.write_bytes(b"LD 0x10\r\nST 32\r\n")
    r = read_requests(p)
    assert r.address.tolist() == [16, 32] and r.is_write.tolist() == [False, True]


def test_explicit_format_mismatch_names_line(tmp_path):
    p = tmp_path / "t.trace"
    p.write_text("LD 0x10\n")
    with pytest.raises(InputError, match=r"t.trace:1: expected 'ADDRESS R\|W', got 'LD 0x10'"):
        read_requests(p, "ramulator1")


def test_reads_shared_reference_traces(tmp_path):
    """The peers' reference trace generator (shared/reference/dram/make_traces.py) writes .npy and
    Ramulator 2 files; both must read back to the same addresses."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "shared" / "reference" / "dram" / "make_traces.py"
    if not script.exists():
        pytest.skip("shared reference material absent")
    subprocess.run([sys.executable, str(script), str(tmp_path), "stride"], check=True, capture_output=True)
    npy = read_requests(tmp_path / "stride.npy")
    text = read_requests(tmp_path / "stride.ramulator2.trace")
    assert len(npy) == 200_000 and npy.writes == 0
    np.testing.assert_array_equal(text.address, npy.address)
    np.testing.assert_array_equal(text.address[:3], [0, 8192, 16384])


@settings(max_examples=60, deadline=None)
@given(addresses=st.lists(st.integers(0, 2**64 - 1), max_size=40), seed=st.integers(0, 2**16),
       fmt=st.sampled_from(["ramulator2", "ramulator1", "dramsim3", "npz"]))
def test_round_trip_property(tmp_path_factory, addresses, seed, fmt):
    rng = np.random.default_rng(seed)
    n = len(addresses)
    t = RequestTrace(np.array(addresses, dtype=np.uint64), rng.random(n) < 0.5,
                     np.cumsum(rng.integers(0, 2**40, n)))
    path = tmp_path_factory.mktemp("rt") / "t"
    write_requests(t, path, fmt)
    r = read_requests(path, fmt if n == 0 else "auto")
    np.testing.assert_array_equal(r.address, t.address)
    np.testing.assert_array_equal(r.is_write, t.is_write)
    if fmt in ("dramsim3", "npz"):
        np.testing.assert_array_equal(r.arrival, t.arrival)


@pytest.mark.parametrize("text, expected", [
    ("LD\t0x10\nST\t\t32", ([16, 32], [False, True])),                 # tabs, no final newline
    ("  \t \nLD 0x10 \t\r\n\n   \n", ([16], [False])),                   # whitespace-only lines
    ("LD 0x10\r\nST 0X20\r\n", ([16, 32], [False, True])),               # CR LF, 0X
])
def test_whitespace_variants(tmp_path, text, expected):
    p = tmp_path / "t.trace"
    p.write_bytes(text.encode())
    r = read_requests(p, "ramulator2")
    assert (r.address.tolist(), r.is_write.tolist()) == expected


@pytest.mark.parametrize("raw, line, got", [
    (b"LD 0x10\nLD 0x1\xff\n", 2, "LD 0x1\ufffd"),      # non-ASCII byte
    (b"LD 0x10\nld 0x20\n", 2, "ld 0x20"),              # ops are case-sensitive
    (b"LD 0x10\n\t\nST 0x20 x", 3, "ST 0x20 x"),        # extra field on an unterminated last line
    (b"LD 0x10\nLD 18446744073709551616\n", 2, "LD 18446744073709551616"),  # 2**64: 20 digits
])
def test_malformed_bytes_name_the_line(tmp_path, raw, line, got):
    p = tmp_path / "trace.txt"
    p.write_bytes(raw)
    with pytest.raises(InputError) as exc:
        read_requests(p, "ramulator2")
    assert str(exc.value) == f"{p}:{line}: expected 'LD|ST ADDRESS', got {got!r}"


def test_dramsim3_bad_line_wins_over_earlier_backwards_cycle(tmp_path):
    p = tmp_path / "d3.txt"
    p.write_text("0x10 READ 5\n0x20 READ 4\n0x30 READ\n")
    with pytest.raises(InputError, match=r"d3.txt:3: expected 'ADDRESS READ\|WRITE CYCLE', got '0x30 READ'"):
        read_requests(p)
    p.write_text("0x10 read 5\n0x20 write 9\n0x30 READ 2\n")
    with pytest.raises(InputError, match=r"d3.txt:3: arrival cycle 2 is before the previous line's 9"):
        read_requests(p)


def test_text_readers_import_neither_pandas_nor_pyarrow(tmp_path):
    """Reading a text trace must stay light (peak memory of `dramsim replay`): no pandas/pyarrow."""
    import subprocess
    import sys

    p = tmp_path / "t.trace"
    p.write_text("LD 0x10\nST 0x20\n")
    code = ("import sys; from traces import read_requests; r = read_requests(sys.argv[1]); "
            "assert len(r) == 2; print(sorted(m for m in ('pandas', 'pyarrow') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(p)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
