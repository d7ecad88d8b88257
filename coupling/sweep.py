"""Resumable parameter sweeps, locally over a process pool or on a Dask distributed cluster.

A sweep file (YAML)::

    step: tolerance          # tolerance | energy | candidate | fat
    results: sweep.parquet   # .parquet or .csv; relative paths are relative to the sweep file
    base:                    # RunConfig fields shared by every point (enforcesnn run --print-config)
      train_limit: 1000
      eval_samples: 200
    grid:                    # every axis a list; the sweep is their Cartesian product
      neurons: [100, 400]
      bits: [32, 8]
      policy: [drmap]
      ber: [1.0e-5, 1.0e-3]  # or vdd: [1.2, 0.978] (core-rail volts, as dramsim --vdd; BER from the voltage table)
      error_model: [0, 2]
      seed: [0, 1, 2]        # device seed
    fat:                     # step fat only
      samples_per_step: 500
      steps: 4

Axes (:data:`AXES`): ``neurons, bits, policy, vdd, ber, error_model, seed, location_aware,
target_ber``; left out, ``bits`` is 8, ``policy`` drmap, ``seed`` base's ``device_seed``, and the rest
comes from ``base``. A point is one combination; its key is the first 16 hex digits of the SHA-1 of
the canonical JSON of (step, base, point) so the same point always has the same key.

Steps (each a pure function of the point, :func:`run_point`):

``tolerance``
    Accuracy at the point's BER (``ber``, or ``vdd`` -> BER(V)) for the model of ``neurons``
    at ``bits``, ``policy``, ``error_model``, device ``seed``: :func:`coupling.tolerance.accuracy_at_ber`.
``energy``
    DRAM energy and time per inference of ``(neurons, bits, policy)`` at ``vdd``:
    :func:`coupling.select.dram_cost`.
``candidate``
    Both, plus memory footprint: one model-selection candidate (:func:`coupling.select.evaluate_candidate`),
    accuracy and energy measured on the validation split (``validation_samples`` training digits the
    model did not train on; column ``split``); a candidate sweep's results file is a valid
    ``enforcesnn select --candidates`` input.
``fat``
    Fault-aware training at ``target_ber`` (``location_aware`` true/false), then accuracy at the
    point's ``ber`` (default the target) on device ``seed``.

Resumability: every finished point is written at once, atomically, as one JSON file
``<results>.parts/<key>.json`` (floats round-trip exactly); a restarted sweep skips points whose
part exists, so a killed sweep loses at most the points in flight. At the end the parts of the
grid are consolidated, sorted by key, into the results file (also every minute while running;
wall-clock times are kept out of it, in the parts only), so an interrupted-and-restarted sweep and an uninterrupted one write
byte-identical files. Models are trained once per distinct training setting and cached
(``base.cache_dir``) before the points are dispatched.

Execution: ``scheduler=None`` runs a ``ProcessPoolExecutor`` (spawned workers, one Numba
thread each) over ``workers`` processes (0: in this process); ``scheduler="tcp://HOST:PORT"``
submits the same function to an existing Dask distributed cluster
(``distributed.Client(address)``). Every point depends only on its parameters and seeds, so all
modes give identical numbers.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import os
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from coupling.config import RunConfig, read_yaml
from dramsim.errors import InputError

STEPS = ("tolerance", "energy", "candidate", "fat")
#: Grid axes and their types.
AXES = {"neurons": int, "bits": int, "policy": str, "vdd": float, "ber": float, "error_model": int,
        "seed": int, "location_aware": bool, "target_ber": float}
#: Values of axes a grid leaves out (other settings come from ``base``).
_AXIS_DEFAULTS = {"bits": 8, "policy": "drmap"}


def _check_axis_value(axis: str, v, where: str) -> None:
    """Range of one grid value, checked when the sweep file is read (not when its point runs)."""
    from coupling.layout import POLICIES, parse_order
    from snn.quantize import PRECISIONS

    if axis == "policy" and v not in POLICIES:
        try:
            parse_order(v)
        except InputError:
            raise InputError(f"{where}: grid axis policy: {v!r}; expected {', '.join(POLICIES)} "
                             "or an order string of Ch Ra Bg Ba Ro Co") from None
    ok, expected = {
        "neurons": (lambda: v >= 1, "positive integers"),
        "bits": (lambda: v in PRECISIONS, "bits per weight from " + ", ".join(map(str, PRECISIONS))),
        "vdd": (lambda: v > 0, "positive voltages (V)"),
        "ber": (lambda: 0 <= v <= 1, "probabilities in [0, 1]"),
        "target_ber": (lambda: 0 <= v <= 1, "probabilities in [0, 1]"),
        "error_model": (lambda: v in (0, 1, 2, 3), "0, 1, 2 or 3"),
        "seed": (lambda: v >= 0, "non-negative integers"),
    }.get(axis, (lambda: True, ""))
    if not ok():
        raise InputError(f"{where}: grid axis {axis}: {v!r}; expected {expected}")


@dataclass
class SweepSpec:
    """A parsed sweep file (see the module docstring)."""

    step: str
    base: dict
    grid: dict
    results: Path
    fat: dict

    @classmethod
    def from_dict(cls, data, where: str = "<sweep>", root: Path | None = None) -> "SweepSpec":
        if not isinstance(data, dict):
            raise InputError(f"{where}: expected a mapping with step, results, base, grid")
        unknown = sorted(set(data) - {"step", "results", "base", "grid", "fat"})
        if unknown:
            raise InputError(f"{where}: unknown key {unknown[0]!r}; expected step, results, base, grid, fat")
        step = data.get("step", "tolerance")
        if step not in STEPS:
            raise InputError(f"{where}: step is {step!r}; expected one of {', '.join(STEPS)}")
        base = data.get("base") or {}
        RunConfig.from_dict(base, f"{where}: base")            # validates the names and values
        grid = data.get("grid") or {}
        if not isinstance(grid, dict) or not grid:
            raise InputError(f"{where}: grid must be a non-empty mapping of axis -> list")
        clean = {}
        for axis, values in grid.items():
            if axis not in AXES:
                raise InputError(f"{where}: grid axis {axis!r} unknown; expected one of {', '.join(AXES)}")
            if not isinstance(values, list) or not values:
                raise InputError(f"{where}: grid axis {axis} must be a non-empty list")
            try:
                clean[axis] = [_cast(AXES[axis], v) for v in values]
            except (TypeError, ValueError):
                raise InputError(f"{where}: grid axis {axis}: expected {AXES[axis].__name__} values") from None
            for v in clean[axis]:
                _check_axis_value(axis, v, where)
        if step in ("tolerance",) and "ber" not in clean and "vdd" not in clean:
            raise InputError(f"{where}: step tolerance needs a grid axis ber or vdd")
        if step in ("energy", "candidate") and "vdd" not in clean:
            raise InputError(f"{where}: step {step} needs a grid axis vdd")
        if step == "fat" and "target_ber" not in clean:
            raise InputError(f"{where}: step fat needs a grid axis target_ber")
        fat = data.get("fat") or {}
        if not isinstance(fat, dict) or set(fat) - {"samples_per_step", "steps", "schedule"}:
            raise InputError(f"{where}: fat must be a mapping with samples_per_step, steps, schedule")
        results = Path(data.get("results", "sweep.parquet"))
        if results.suffix not in (".parquet", ".csv"):
            raise InputError(f"{where}: results {results}: expected a .parquet or .csv file")
        if not results.is_absolute() and root is not None:
            results = root / results
        return cls(step, dict(base), clean, results, dict(fat))

    @classmethod
    def load(cls, path) -> "SweepSpec":
        path = Path(path)
        return cls.from_dict(read_yaml(path), str(path), path.parent)

    def points(self) -> list[dict]:
        """Every point of the grid: dicts with ``key``, ``step``, ``base``, ``fat`` and the axis values."""
        axes = list(self.grid)
        out = []
        for combo in itertools.product(*(self.grid[a] for a in axes)):
            p = dict(zip(axes, combo))
            out.append({"key": point_key(self.step, self.base, self.fat, p), "step": self.step,
                        "base": self.base, "fat": self.fat, "params": p})
        return out


def _cast(typ, v):
    if typ is bool:
        if not isinstance(v, bool):
            raise ValueError
        return v
    if typ is int and (isinstance(v, bool) or int(v) != v):
        raise ValueError
    if typ is str and not isinstance(v, str):
        raise ValueError
    return typ(v)


def point_key(step: str, base: dict, fat: dict, params: dict) -> str:
    """Stable key of a point: SHA-1 (16 hex digits) of the canonical JSON of everything it depends on."""
    blob = json.dumps({"step": step, "base": base, "fat": fat if step == "fat" else {}, "params": params},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(blob.encode()).hexdigest()[:16]


# -- evaluating one point (runs in workers) -------------------------------------------------------
_MODELS: dict = {}
_DATA: dict = {}


def _config(base: dict, params: dict) -> RunConfig:
    d = dict(base)
    if params.get("neurons") is not None:
        d["neurons"] = params["neurons"]
    if params.get("error_model") is not None:
        d["error_model"] = params["error_model"]
    d["device_seed"] = params.get("seed", d.get("device_seed", 0))
    return RunConfig.from_dict(d, "sweep point")


def _model(cfg: RunConfig):
    from coupling.pipeline import trained_model
    key = (cfg.data, cfg.neurons, cfg.epochs, cfg.train_seed, cfg.train_limit, cfg.preset, cfg.validation_samples,
           str(Path(cfg.cache_dir).expanduser()))
    if key not in _MODELS:
        _MODELS[key] = trained_model(cfg, progress=False)[0]
    return _MODELS[key]


def _data(cfg: RunConfig, part: str):
    from snn import data as snn_data
    key = (cfg.data, part, cfg.validation_samples)
    if key not in _DATA:
        _DATA[key] = snn_data.load(cfg.data, part, cfg.validation_samples)
    X, y = _DATA[key]
    if part == "test" and cfg.eval_samples is not None:
        X, y = X[:cfg.eval_samples], y[:cfg.eval_samples]
    if part == "train" and cfg.train_limit is not None:
        X, y = X[:cfg.train_limit], y[:cfg.train_limit]
    return X, y


def _ber(cfg: RunConfig, params: dict) -> float:
    if params.get("ber") is not None:
        return float(params["ber"])
    from coupling.select import ber_at
    return ber_at(cfg, params["vdd"])


def run_point(point: dict) -> dict:
    """Evaluate one point (a dict from :meth:`SweepSpec.points`); returns plain numbers (JSON-safe)."""
    from coupling import tolerance
    params = point["params"]
    cfg = _config(point["base"], params)
    bits = params.get("bits", _AXIS_DEFAULTS["bits"])
    policy = params.get("policy", _AXIS_DEFAULTS["policy"])
    seed = cfg.device_seed
    step = point["step"]
    if step == "tolerance":
        model = _model(cfg)
        Xt, yt = _data(cfg, "test")
        ber = _ber(cfg, params)
        out = {"ber_used": ber, **tolerance.accuracy_at_ber(model, Xt, yt, cfg, bits, ber, seed, policy)}
        out["clean_accuracy"] = tolerance.accuracy_at_ber(model, Xt, yt, cfg, bits, 0.0, seed, policy)["accuracy"]
    elif step in ("energy", "candidate"):
        from coupling.select import dram_cost, evaluate_candidate
        model = _model(cfg)
        Xt, yt = _data(cfg, "test")
        if step == "energy":
            out = dram_cost(model, Xt, cfg, bits, policy, params["vdd"])
        else:      # a candidate's accuracy is measured on the validation split: selection must not see test digits
            Xv, yv = _data(cfg, "validation")
            out = {**evaluate_candidate(model, Xv, yv, cfg, bits, policy, params["vdd"], seeds=[seed]),
                   "split": "validation"}
    else:
        from coupling.fat import fault_aware_training
        model = _model(cfg)
        X, y = _data(cfg, "train")
        Xt, yt = _data(cfg, "test")
        f = point["fat"]
        target = params["target_ber"]
        from coupling.fat import parse_schedule
        schedule = f.get("schedule") or parse_schedule(None, target, f.get("steps", 4))
        res = fault_aware_training(model, X, y, cfg, target, schedule=schedule,
                                   samples_per_step=f.get("samples_per_step", 1000), bits=bits, policy=policy,
                                   location_aware=params.get("location_aware", True), seed=seed)
        ber = params.get("ber", target)
        out = {"ber_used": ber, **tolerance.accuracy_at_ber(res.model, Xt, yt, cfg, bits, ber, seed, policy)}
        out["clean_accuracy"] = tolerance.accuracy_at_ber(res.model, Xt, yt, cfg, bits, 0.0, seed, policy)["accuracy"]
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in out.items()}


def _timed(point: dict) -> tuple[dict, dict, float]:
    t0 = time.perf_counter()
    r = run_point(point)
    return point, r, time.perf_counter() - t0


def _init_worker(parent_pid: int | None = None):
    """Set up a pool worker: one Numba thread, and death with the sweep's process.

    A worker must not outlive its parent, even one killed by SIGKILL (which runs no cleanup): on
    Linux the kernel sends the worker SIGKILL when the parent dies (``PR_SET_PDEATHSIG``); a daemon
    thread also exits the worker once its parent pid changes (other systems, or a parent that died
    before the request was made).
    """
    import numba
    numba.set_num_threads(1)
    if parent_pid is None:
        return
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal
            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)   # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass

    def watch():
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os._exit(1)
    if os.getppid() != parent_pid:
        os._exit(1)
    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


# -- storage ---------------------------------------------------------------------------------------
def parts_dir(results: Path) -> Path:
    """Directory of the per-point parts of a results file."""
    results = Path(results)
    return results.with_name(results.name + ".parts")


def _write_part(directory: Path, point: dict, result: dict, seconds: float) -> None:
    from traces._atomic import atomic_write
    blob = json.dumps({"key": point["key"], "step": point["step"], "params": point["params"], "result": result,
                       "meta": {"seconds": seconds}}, sort_keys=True)
    atomic_write(directory / f"{point['key']}.json", lambda f: f.write(blob.encode()))


def consolidate(spec: SweepSpec) -> pd.DataFrame:
    """Collect the parts of ``spec``'s grid (sorted by key) into the results file; returns the table.

    Only finished points are included; columns: key, step, the axes, the results.
    """
    d = parts_dir(spec.results)
    rows = []
    for p in sorted(spec.points(), key=lambda q: q["key"]):
        f = d / f"{p['key']}.json"
        if f.exists():
            part = json.loads(f.read_text())
            rows.append({"key": p["key"], "step": p["step"], **p["params"], **part["result"]})
    df = pd.DataFrame(rows)
    from traces._atomic import atomic_write as _atomic
    spec.results.parent.mkdir(parents=True, exist_ok=True)
    if spec.results.suffix == ".parquet":
        _atomic(spec.results, lambda f: df.to_parquet(f, index=False, engine="pyarrow", compression="zstd"))
    else:
        _atomic(spec.results, lambda f: f.write(df.to_csv(index=False, float_format=None).encode()))
    return df


@dataclass
class SweepOutcome:
    """Result of :func:`run_sweep`: the table, points done now, skipped (already done), total."""

    results: pd.DataFrame
    done: int
    skipped: int
    total: int
    complete: bool


def run_sweep(spec: SweepSpec, workers: int | None = None, scheduler: str | None = None,
              max_new_points: int | None = None, progress: bool = False,
              consolidate_every_s: float = 60.0) -> SweepOutcome:
    """Run every point of ``spec`` not done yet, storing each as it finishes; consolidate at the end.

    Parameters
    ----------
    workers : int, optional
        Local processes (default: CPU count; 0: run in this process). Ignored with ``scheduler``.
    scheduler : str, optional
        Address of a Dask distributed scheduler (``tcp://HOST:PORT``).
    max_new_points : int, optional
        Stop after this many new points (a test hook that simulates a killed sweep; the results
        file is then not consolidated at the end).
    consolidate_every_s : float
        While running, also rewrite the results file with the points finished so far at most this
        often (seconds), so a long sweep can be inspected; the final file does not depend on it.
    """
    points = spec.points()
    d = parts_dir(spec.results)
    d.mkdir(parents=True, exist_ok=True)
    for stale in d.glob(".*.tmp*"):          # a temp part left by a killed run
        stale.unlink(missing_ok=True)
    todo = [p for p in points if not (d / f"{p['key']}.json").exists()]
    skipped = len(points) - len(todo)
    if max_new_points is not None:
        todo = todo[:int(max_new_points)]
    # Train the models once, here, before the workers need them (they load them from the cache).
    for neurons in sorted({p["params"].get("neurons") or spec.base.get("neurons", 100) for p in todo}):
        _model(_config(spec.base, {"neurons": neurons}))
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(todo), desc="sweep", unit="point")
    done = 0
    last = time.monotonic()

    def finished(point, result, seconds):
        nonlocal done, last
        _write_part(d, point, result, seconds)
        done += 1
        if bar is not None:
            bar.update(1)
        if time.monotonic() - last > consolidate_every_s:
            consolidate(spec)
            last = time.monotonic()

    if not todo:
        pass
    elif scheduler is not None:
        try:
            from distributed import Client, as_completed as dask_completed
        except ImportError:
            raise InputError("--scheduler needs the 'distributed' package (pip install 'dask[distributed]')") from None
        try:
            client = Client(scheduler, timeout=30)
        except (OSError, TimeoutError) as e:
            raise InputError(f"--scheduler {scheduler}: cannot connect ({e})") from None
        try:
            futures = client.map(_timed, todo, pure=False)
            for fut in dask_completed(futures):
                finished(*fut.result())
        finally:
            client.close()
    elif workers == 0 or len(todo) <= 1:
        for p in todo:
            finished(*_timed(p))
    else:
        import multiprocessing
        n = workers or os.cpu_count() or 1
        pool = ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_init_worker, initargs=(os.getpid(),))
        try:
            futures = [pool.submit(_timed, p) for p in todo]
            for fut in as_completed(futures):
                finished(*fut.result())
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)      # a failed point stops the sweep now
            raise
        pool.shutdown()
    if bar is not None:
        bar.close()
    complete = skipped + done == len(points)
    table = consolidate(spec) if complete else pd.DataFrame()
    return SweepOutcome(table, done, skipped, len(points), complete)
