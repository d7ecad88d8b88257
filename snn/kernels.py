"""Numba kernels of the spike-driven Diehl & Cook engine (plain arrays only).

Event-driven: per step only the weight rows of inputs that spiked in the previous step are added
(current-based delta synapses, ``v += W^T s(t-1)``), and STDP touches only the rows of inputs that
spike (in the columns of neurons that have spiked in the sample) and the columns of excitatory
neurons that spike. Presynaptic traces are evaluated lazily
from each input's last spike step. Randomness comes from Numba's generator, seeded per sample,
so a sample's spikes do not depend on the thread that simulates it.

Every kernel takes ``p`` (:meth:`NetworkParams.kernel_array`) and ``cdf``
(:meth:`NetworkParams.interval_cdf`, the table the default ``"poisson"`` input intervals are
drawn from).

Quantization codes in-kernel: ``qmode`` 0 nearest (round half up), 1 truncate, 2 stochastic;
``qscale`` = 2**bits (0 means no quantization).
"""
from __future__ import annotations

import numba as nb
import numpy as np

# Layout of the float64 parameter vector built by NetworkParams.kernel_array().
P_INTENSITY, P_DT = 0, 1
P_E_REST, P_E_RESET, P_E_THRESH, P_E_DECAY, P_E_REFRAC = 2, 3, 4, 5, 6
P_THETA_PLUS, P_THETA_DECAY, P_ONE_SPIKE = 7, 8, 9
P_I_REST, P_I_RESET, P_I_THRESH, P_I_DECAY, P_I_REFRAC = 10, 11, 12, 13, 14
P_W_EI, P_W_IE, P_TRACE_DECAY = 15, 16, 17
P_NU_PRE, P_NU_POST, P_W_MIN, P_W_MAX, P_W_NORM = 18, 19, 20, 21, 22
P_INTERVALS = 23               # 0 poisson (BindsNET), 1 exponential


@nb.njit(cache=True)
def poisson_spikes(pixels, intensity_hz, n_steps, dt_ms, intervals, cdf):
    """Input spikes of one sample, bucketed per step (at most one spike per input and step).

    Each non-zero pixel fires with rate pixel / 255 x intensity_hz (Hz), mean inter-spike interval
    m = 1000 / (rate x dt_ms) steps. ``intervals`` 0 (BindsNET's PoissonEncoder): integer intervals
    max(Poisson(m), 1), spikes in steps T - 1 for the cumulative sums T <= n_steps; drawn by
    inversion of ``cdf`` (float64 (256, n_steps + 1), ``cdf[v, k]`` = P(interval <= k) for pixel
    value v, see :func:`snn.params.interval_cdf`). ``intervals`` 1: exponential(m) intervals in
    continuous time, a spike at time t in step floor(t) (``cdf`` unused).

    Returns
    -------
    offsets : int64 (n_steps + 1,)
        Spikes of step s are ``inputs[offsets[s]:offsets[s + 1]]`` (ascending input index).
    inputs : int32
        Input indices.
    """
    n_in = pixels.shape[0]
    expected = 0.0
    for i in range(n_in):
        expected += pixels[i] / 255.0 * intensity_hz * dt_ms / 1000.0 * n_steps
    cap = int(1.5 * expected) + 64     # grown on demand; small buffers avoid mmap per sample
    buf_step = np.empty(cap, np.int32)
    buf_inp = np.empty(cap, np.int32)
    m = 0
    for i in range(n_in):
        p = pixels[i]
        if p == 0:
            continue
        mean_isi = 1000.0 / (p / 255.0 * intensity_hz * dt_ms)  # steps
        last = -1
        ti = 0                                     # poisson: cumulative integer time, steps
        tf = 0.0                                   # exponential: continuous time, steps
        if intervals != 0:
            tf = np.random.exponential(mean_isi)
        while True:
            if intervals == 0:
                # Smallest interval k with cdf > u; none within the steps left ends the train.
                u = np.random.random()
                row = cdf[p]
                if u >= row[n_steps - ti]:
                    break
                k = 1                              # linear scan: at most n_steps per train in all
                while row[k] <= u:
                    k += 1
                ti += k
                s = ti - 1
            else:
                if tf >= n_steps:
                    break
                s = int(tf)
                tf += np.random.exponential(mean_isi)
            if s != last:
                if m == cap:
                    cap *= 2
                    grown = np.empty(cap, np.int32)
                    grown[:m] = buf_step[:m]
                    buf_step = grown
                    grown = np.empty(cap, np.int32)
                    grown[:m] = buf_inp[:m]
                    buf_inp = grown
                buf_step[m] = s
                buf_inp[m] = i
                m += 1
                last = s
    offsets = np.zeros(n_steps + 1, np.int64)
    for k in range(m):
        offsets[buf_step[k] + 1] += 1
    for s in range(n_steps):
        offsets[s + 1] += offsets[s]
    pos = offsets[:-1].copy()
    inputs = np.empty(m, np.int32)
    for k in range(m):
        s = buf_step[k]
        inputs[pos[s]] = buf_inp[k]
        pos[s] += 1
    return offsets, inputs


@nb.njit(cache=True, inline="always")
def _uniform(rs):
    """U[0, 1) from a xorshift64 state held in rs[0] (uint64; cheaper than Numba's generator)."""
    x = rs[0]
    x ^= x << np.uint64(13)
    x ^= x >> np.uint64(7)
    x ^= x << np.uint64(17)
    rs[0] = x
    return (x >> np.uint64(11)) * (1.0 / 9007199254740992.0)


#: Public name of the xorshift64 uniform draw, for other packages' kernels (coupling.transient).
xorshift_uniform = _uniform


@nb.njit(cache=True, inline="always")
def _quantize_value(x, qscale, qmax, qmode, rs):
    y = x * qscale
    if qmode == 0:
        c = np.floor(y + 0.5)
    elif qmode == 1:
        c = np.floor(y)
    else:
        c = np.floor(y + _uniform(rs))
    if c < 0.0:
        c = 0.0
    elif c > qmax:
        c = qmax
    return c * (1.0 / qscale)          # exactly c / qscale (a power of two), without a division


@nb.njit(cache=True, inline="always")
def _clip_store(W, Wf, i, j, w_min, w_max, qscale, qmax, qmode, rs):
    """Clip the float shadow weight Wf[i, j] to [w_min, w_max]; with quantization on (qscale > 0)
    store its quantized value in the integrated matrix W."""
    w = min(max(Wf[i, j], w_min), w_max)
    Wf[i, j] = w
    if qscale > 0.0:
        W[i, j] = _quantize_value(w, qscale, qmax, qmode, rs)


@nb.njit(cache=True, inline="always")
def _quantize_row(w_row, wf_row, qscale, qmax, qmode, rs):
    """``w_row[j] = quantized wf_row[j]`` for every j, the values of :func:`_quantize_value`.

    Deterministic rounding takes a branch-free loop the compiler vectorizes (floor, clamp,
    multiply by 1/qscale: exact, qscale being a power of two); stochastic rounding draws per
    entry, in order."""
    if qmode == 2:
        for j in range(wf_row.shape[0]):
            w_row[j] = _quantize_value(wf_row[j], qscale, qmax, qmode, rs)
        return
    offset = 0.5 if qmode == 0 else 0.0
    inv = 1.0 / qscale
    for j in range(wf_row.shape[0]):
        c = np.floor(wf_row[j] * qscale + offset)
        w_row[j] = min(max(c, 0.0), qmax) * inv


@nb.njit(cache=True, inline="always")
def _clip_store_row(w_row, wf_row, w_min, w_max, qscale, qmax, qmode, rs):
    """:func:`_clip_store` over a whole row (the same values; one vectorizable pass unless the
    rounding is stochastic)."""
    if qscale > 0.0 and qmode != 2:
        offset = 0.5 if qmode == 0 else 0.0
        inv = 1.0 / qscale
        for j in range(wf_row.shape[0]):
            w = min(max(wf_row[j], w_min), w_max)
            wf_row[j] = w
            w_row[j] = min(max(np.floor(w * qscale + offset), 0.0), qmax) * inv
        return
    for j in range(wf_row.shape[0]):
        wf_row[j] = min(max(wf_row[j], w_min), w_max)
    if qscale > 0.0:
        _quantize_row(w_row, wf_row, qscale, qmax, qmode, rs)


@nb.njit(cache=True)
def simulate_sample(W, Wf, theta, pixels, p, cdf, n_steps, learn, qscale, qmode, rs, counts,
                    corr_ptr, corr_col, corr_val, dense):
    """Simulate one sample; add excitatory spike counts to ``counts`` (int32, (N,)).

    W is the matrix the network integrates (n_inputs, N) float32. When ``learn``: STDP updates
    Wf (the float shadow, the same array as W when qscale == 0) and theta; touched entries of W
    are re-quantized (stochastic rounding draws from the xorshift state ``rs``, uint64 (1,)).
    Without learning nothing but ``counts`` is written.

    Depression on an input spike subtracts ``nu_pre x xpost[j]`` from the input's row, and
    ``xpost[j]`` is zero until neuron j first spikes in this sample, so only the columns of
    neurons that have spiked (a few per sample) change. Unless ``dense``, the rows of spiking
    inputs are depressed, clipped and re-quantized in those columns only, the same values
    provided every entry of Wf starts the sample within [w_min, w_max] (clipping then changes
    nothing elsewhere) and rounding is deterministic (re-quantizing an unchanged entry then
    gives its old value). ``dense`` touches every column of those rows: needed for stochastic
    rounding (whose draws it keeps in order) and for weights not yet clipped; the reference the
    sparse path is tested against.

    Per-read corrections (CSR over the sample's reads; all three None: none, and Numba compiles
    that case without the correction code): read ``r`` is
    the r-th input spike in step order then ascending input (the order of :func:`read_events`),
    and while integrating it neuron ``corr_col[c]`` receives ``corr_val[c]`` instead of
    ``W[input, corr_col[c]]`` for ``c`` in ``corr_ptr[r]:corr_ptr[r + 1]``.

    Returns
    -------
    active : int32 array
        The neurons that spiked in this sample (in order of their first spike): the only columns
        of Wf this sample changed, unless ``dense``.
    """
    n_in, N = W.shape
    offsets, inputs = poisson_spikes(pixels, p[P_INTENSITY], n_steps, p[P_DT], int(p[P_INTERVALS]), cdf)
    e_rest = p[P_E_REST]
    e_reset = p[P_E_RESET]
    e_thr = p[P_E_THRESH]
    e_dec = p[P_E_DECAY]
    e_ref = int(p[P_E_REFRAC])
    i_rest = p[P_I_REST]
    i_reset = p[P_I_RESET]
    i_thr = p[P_I_THRESH]
    i_dec = p[P_I_DECAY]
    i_ref = int(p[P_I_REFRAC])
    w_ei = p[P_W_EI]
    w_ie = p[P_W_IE]
    th_plus = p[P_THETA_PLUS]
    th_dec = p[P_THETA_DECAY]
    one_spike = p[P_ONE_SPIKE] != 0.0
    tr_dec = p[P_TRACE_DECAY]
    nu_pre = np.float32(p[P_NU_PRE])
    nu_post = np.float32(p[P_NU_POST])
    w_min = np.float32(p[P_W_MIN])
    w_max = np.float32(p[P_W_MAX])
    qmax = qscale - 1.0

    v = np.full(N, e_rest)
    ref = np.zeros(N, np.int32)
    vi = np.full(N, i_rest)
    refi = np.zeros(N, np.int32)
    cur = np.zeros(N, np.float32)
    e_prev = np.zeros(N, np.int8)      # excitatory spikes of the previous step
    i_prev = np.zeros(N, np.int8)      # inhibitory spikes of the previous step
    i_now = np.zeros(N, np.int8)
    cross = np.empty(N, np.int32)
    spk = np.empty(N, np.int32)
    n_e_prev = 0
    n_i_prev = 0
    xpost = np.zeros(N, np.float32)
    last_pre = np.full(n_in, -1, np.int32)
    pow_tab = np.empty(n_steps + 1, np.float32)
    nz = np.empty(n_in, np.int32)
    n_nz = 0
    active = np.empty(N, np.int32)
    is_active = np.zeros(N, np.int8)
    n_act = 0
    if learn:
        for k in range(n_steps + 1):
            pow_tab[k] = tr_dec ** k
        for i in range(n_in):
            if pixels[i] != 0:
                nz[n_nz] = i
                n_nz += 1

    for t in range(n_steps):
        # Synaptic input from spikes of step t - 1.
        for j in range(N):
            cur[j] = 0.0
        if t > 0:
            for k in range(offsets[t - 1], offsets[t]):
                row = W[inputs[k]]
                for j in range(N):
                    cur[j] += row[j]
                if corr_ptr is not None:
                    for c in range(corr_ptr[k], corr_ptr[k + 1]):
                        jc = corr_col[c]
                        cur[jc] += corr_val[c] - row[jc]
        # Excitatory layer.
        n_cross = 0
        for j in range(N):
            v[j] = e_dec * (v[j] - e_rest) + e_rest
            if learn:
                theta[j] *= th_dec
            if ref[j] <= 0:
                x = cur[j]
                if n_i_prev > 0:
                    x -= w_ie * (n_i_prev - i_prev[j])
                v[j] += x
            ref[j] -= 1
            if v[j] >= e_thr + theta[j]:
                cross[n_cross] = j
                n_cross += 1
                ref[j] = e_ref
                v[j] = e_reset
                if learn:
                    theta[j] += th_plus
        n_spk = 0
        if n_cross > 0:
            if one_spike and n_cross > 1:
                spk[0] = cross[np.random.randint(0, n_cross)]
                n_spk = 1
            else:
                for k in range(n_cross):
                    spk[k] = cross[k]
                n_spk = n_cross
        for k in range(n_spk):
            counts[spk[k]] += 1
        # Inhibitory layer (one-to-one input from excitatory spikes of step t - 1).
        n_i_now = 0
        for j in range(N):
            vi[j] = i_dec * (vi[j] - i_rest) + i_rest
            if refi[j] <= 0 and e_prev[j] != 0:
                vi[j] += w_ei
            refi[j] -= 1
            if vi[j] >= i_thr:
                i_now[j] = 1
                n_i_now += 1
                refi[j] = i_ref
                vi[j] = i_reset
            else:
                i_now[j] = 0
        # Swap spike buffers.
        if n_e_prev > 0:
            for j in range(N):
                e_prev[j] = 0
        for k in range(n_spk):
            e_prev[spk[k]] = 1
        n_e_prev = n_spk
        for j in range(N):
            i_prev[j] = i_now[j]
        n_i_prev = n_i_now

        if learn:
            # Traces: post decays, set to 1 on a spike; pre is lazy (last spike step).
            for j in range(N):
                xpost[j] *= tr_dec
            for k in range(n_spk):
                j = spk[k]
                xpost[j] = 1.0
                if is_active[j] == 0:
                    is_active[j] = 1
                    active[n_act] = j
                    n_act += 1
            s0 = offsets[t]
            s1 = offsets[t + 1]
            for k in range(s0, s1):
                last_pre[inputs[k]] = t
            # Depression on input spikes (rows), potentiation on excitatory spikes (columns).
            if dense:
                for k in range(s0, s1):
                    row = Wf[inputs[k]]
                    for j in range(N):
                        row[j] -= nu_pre * xpost[j]
            else:
                for k in range(s0, s1):
                    row = Wf[inputs[k]]
                    for a in range(n_act):
                        j = active[a]
                        row[j] -= nu_pre * xpost[j]
            for q in range(n_spk):
                j = spk[q]
                for a in range(n_nz):
                    i = nz[a]
                    if last_pre[i] >= 0:
                        Wf[i, j] += nu_post * pow_tab[t - last_pre[i]]
            # Clip touched entries and re-quantize them.
            for k in range(s0, s1):
                i = inputs[k]
                if dense:
                    _clip_store_row(W[i], Wf[i], w_min, w_max, qscale, qmax, qmode, rs)
                else:
                    for a in range(n_act):
                        _clip_store(W, Wf, i, active[a], w_min, w_max, qscale, qmax, qmode, rs)
            for q in range(n_spk):
                j = spk[q]
                for a in range(n_nz):
                    _clip_store(W, Wf, nz[a], j, w_min, w_max, qscale, qmax, qmode, rs)
    return active[:n_act]


@nb.njit(cache=True)
def _within(Wf, w_min, w_max):
    """Whether every entry of Wf lies within [w_min, w_max] (and none is -0.0, whose sign a clip may drop)."""
    n_in, N = Wf.shape
    for i in range(n_in):
        for j in range(N):
            w = Wf[i, j]
            if not (w >= w_min and w <= w_max) or (w == 0.0 and np.signbit(w)):
                return False
    return True


@nb.njit(cache=True)
def train_samples(W, Wf, theta, images, seeds, p, cdf, n_steps, qscale, qmode, clip_last, counts, dense=False):
    """Train on ``images`` (n, n_inputs) uint8 in order; counts (n, N) int32 receives spike counts.

    Per sample: seed the generator, simulate with STDP, then normalise each column of Wf to sum
    w_norm and clip to [w_min, w_max] in the same pass. (BindsNET clamps the whole matrix at every
    learning step; the first step of the next sample integrates nothing and changes no weight, so
    clipping right after normalisation is the same, except after the very last sample, which is
    left unclipped unless ``clip_last``.) When quantizing, W is refreshed from Wf at the start and
    after every normalisation.

    STDP runs sparse (see :func:`simulate_sample`) unless ``dense``, the rounding is stochastic
    or, for the first sample only, Wf does not start within [w_min, w_max]; the weights are the
    same either way.
    """
    n_in, N = Wf.shape
    w_min = np.float32(p[P_W_MIN])
    w_max = np.float32(p[P_W_MAX])
    norm = p[P_W_NORM]
    qmax = qscale - 1.0
    rs = np.ones(1, np.uint64)
    n = images.shape[0]
    if qscale > 0.0 and n > 0:
        rs[0] = np.uint64(seeds[0]) * np.uint64(0xD1B54A32D192ED03) + np.uint64(1)
        for i in range(n_in):
            for j in range(N):
                W[i, j] = _quantize_value(Wf[i, j], qscale, qmax, qmode, rs)
    dense = dense or (qscale > 0.0 and qmode == 2)
    clipped = dense or _within(Wf, w_min, w_max)
    colsum = _column_sums(Wf)
    factor = np.empty(N, np.float64)
    for s in range(n):
        np.random.seed(seeds[s])
        rs[0] = np.uint64(seeds[s]) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(1)
        sparse = not dense and clipped
        active = simulate_sample(W, Wf, theta, images[s], p, cdf, n_steps, True, qscale, qmode, rs, counts[s],
                                 None, None, None, not sparse)
        if sparse:
            for j in active:             # the only columns the sample changed
                colsum[j] = 0.0
                for i in range(n_in):
                    colsum[j] += abs(Wf[i, j])
        else:
            colsum = _column_sums(Wf)
        clipped = clip_last or s < n - 1
        _normalise(W, Wf, norm, w_min, w_max, clipped, qscale, qmax, qmode, rs, colsum, factor)


@nb.njit(cache=True)
def _column_sums(Wf):
    """Sum of |Wf| over each column (float64, rows in ascending order)."""
    colsum = np.zeros(Wf.shape[1], np.float64)
    for i in range(Wf.shape[0]):
        for j in range(Wf.shape[1]):
            colsum[j] += abs(Wf[i, j])
    return colsum


@nb.njit(cache=True)
def _normalise(W, Wf, norm, w_min, w_max, clip, qscale, qmax, qmode, rs, colsum, factor):
    """Normalise the columns of Wf to sum ``norm`` (zero-sum columns unchanged), clip, re-quantize into W.

    ``colsum`` (float64 (N,)) holds :func:`_column_sums` of Wf on entry and receives those of the
    result, accumulated in the same order while writing (so the next sample need only recompute
    the columns it changes); ``factor`` is scratch of the same shape.
    """
    n_in, N = Wf.shape
    for j in range(N):
        factor[j] = norm / colsum[j] if colsum[j] != 0.0 else 1.0
        colsum[j] = 0.0
    lo = w_min if clip else np.float32(-np.inf)
    hi = w_max if clip else np.float32(np.inf)
    for i in range(n_in):
        wf = Wf[i]
        for j in range(N):
            wf[j] = np.float32(wf[j] * factor[j])
        _clip_store_row(W[i], wf, lo, hi, qscale, qmax, qmode, rs)
        for j in range(N):
            colsum[j] += abs(wf[j])


@nb.njit(cache=True)
def train_one_read_corrected(W, Wf, theta, pixels, seed, p, cdf, n_steps, clip, counts, corr_ptr, corr_col, corr_val):
    """Train on one sample whose forward pass integrates ``W`` with per-read corrections.

    As one sample of :func:`train_samples` with a separate forward matrix (``qscale = 0``): STDP
    updates Wf and theta, then Wf is normalised and (``clip``) clipped. ``corr_*`` as in
    :func:`simulate_sample` (read order of :func:`read_events` for the same seed).
    """
    N = Wf.shape[1]
    rs = np.ones(1, np.uint64)
    np.random.seed(seed)
    rs[0] = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(1)
    simulate_sample(W, Wf, theta, pixels, p, cdf, n_steps, True, 0.0, 0, rs, counts,
                    corr_ptr, corr_col, corr_val, not _within(Wf, np.float32(p[P_W_MIN]), np.float32(p[P_W_MAX])))
    _normalise(W, Wf, p[P_W_NORM], np.float32(p[P_W_MIN]), np.float32(p[P_W_MAX]), clip, 0.0, -1.0, 0, rs,
               _column_sums(Wf), np.empty(N, np.float64))


@nb.njit(cache=True, parallel=True)
def infer_samples(W, theta, images, seeds, p, cdf, n_steps, counts):
    """Inference (no learning) over samples in parallel; counts (n, N) int32 receives spike counts.

    Call with a small ``numba.set_parallel_chunksize`` (network.infer uses 4) so that samples are
    handed out dynamically and a core slowed by other work does not hold the others back.
    """
    for s in nb.prange(images.shape[0]):
        np.random.seed(seeds[s])
        simulate_sample(W, W, theta, images[s], p, cdf, n_steps, False, 0.0, 0, np.ones(1, np.uint64), counts[s],
                        None, None, None, True)


@nb.njit(cache=True)
def infer_one(W, theta, pixels, seed, p, cdf, n_steps, counts, corr_ptr, corr_col, corr_val):
    """Inference of a single sample (non-static or per-read weight sources).

    ``corr_ptr, corr_col, corr_val``: per-read corrections as in :func:`simulate_sample`
    (int64, int32, float32 arrays, or three None for none).
    """
    np.random.seed(seed)
    simulate_sample(W, W, theta, pixels, p, cdf, n_steps, False, 0.0, 0, np.ones(1, np.uint64), counts,
                    corr_ptr, corr_col, corr_val, True)


@nb.njit(cache=True)
def read_events(images, seeds, p, cdf, n_steps):
    """Regenerate the input spikes of each sample and list the weight-row reads they cause.

    An input spike at step s is integrated (its weight row read) at step s + 1; spikes in the
    last step are never integrated. Returns CSR arrays: per-sample offsets (n + 1,), read step and
    input index, in step order then ascending input.
    """
    n = images.shape[0]
    offs = np.zeros(n + 1, np.int64)
    chunks_s = []
    chunks_i = []
    for s in range(n):
        np.random.seed(seeds[s])
        o, inp = poisson_spikes(images[s], p[P_INTENSITY], n_steps, p[P_DT], int(p[P_INTERVALS]), cdf)
        m = o[n_steps - 1]
        st = np.empty(m, np.int32)
        for t in range(n_steps - 1):
            for k in range(o[t], o[t + 1]):
                st[k] = t + 1
        chunks_s.append(st)
        chunks_i.append(inp[:m].copy())
        offs[s + 1] = offs[s] + m
    steps = np.empty(offs[n], np.int32)
    idx = np.empty(offs[n], np.int32)
    for s in range(n):
        steps[offs[s]:offs[s + 1]] = chunks_s[s]
        idx[offs[s]:offs[s + 1]] = chunks_i[s]
    return offs, steps, idx
