"""The numba kernels of :mod:`dedup.kernels` (imported only when they are switched on: importing
this module imports numba). Module-level functions, so that numba's on-disk cache finds them again
in the next process (functions made in a closure are compiled anew every time)."""

import numba
import numpy as np

_jit = numba.njit(cache=True, nogil=True)
_inline = numba.njit(cache=True, nogil=True, inline="always")  # small helpers, inlined where called


@_jit
def best_chain(g11, g21, g12):
    """:func:`dedup.align._best_chain`: beads as rows ``(a0, a1, b0, b1)`` in order (for
    :func:`align`)."""
    n, m = g11.shape
    D = np.zeros((n + 1, m + 1))
    for i in range(1, n + 1):
        live = False
        for j in range(m):
            if g11[i - 1, j] > 0.0:
                live = True
                break
        if not live and i >= 2:
            for j in range(m):
                if g21[i - 2, j] > 0.0:
                    live = True
                    break
        if not live:
            for j in range(m - 1):
                if g12[i - 1, j] > 0.0:
                    live = True
                    break
        run = D[i - 1, 0]
        D[i, 0] = run
        for j in range(1, m + 1):
            e = D[i - 1, j]
            if live:
                g = g11[i - 1, j - 1]
                if g > 0.0 and D[i - 1, j - 1] + g > e:
                    e = D[i - 1, j - 1] + g
                if i >= 2:
                    g = g21[i - 2, j - 1]
                    if g > 0.0 and D[i - 2, j - 1] + g > e:
                        e = D[i - 2, j - 1] + g
                if j >= 2:
                    g = g12[i - 1, j - 2]
                    if g > 0.0 and D[i - 1, j - 2] + g > e:
                        e = D[i - 1, j - 2] + g
            if e > run:
                run = e
            D[i, j] = run
    out = np.empty((n + m, 4), dtype=np.int64)
    k = 0
    i, j = n, m
    while i > 0 and j > 0:
        d = D[i, j]
        if d == D[i - 1, j]:
            i -= 1
            continue
        if d == D[i, j - 1]:
            j -= 1
            continue
        if g11[i - 1, j - 1] > 0.0 and d == D[i - 1, j - 1] + g11[i - 1, j - 1]:
            da, db = 1, 1
        elif i >= 2 and g21[i - 2, j - 1] > 0.0 and d == D[i - 2, j - 1] + g21[i - 2, j - 1]:
            da, db = 2, 1
        else:
            da, db = 1, 2
        out[k, 0], out[k, 1], out[k, 2], out[k, 3] = i - da, i, j - db, j
        k += 1
        i, j = i - da, j - db
    return out[:k][::-1].copy()


@_jit
def containment(s11, la, lb, min_containment, margin, min_size):
    """:func:`dedup.align._containment`: kept rows, their best column, its containment, and
    the containment of each kept row in every column."""
    n, m = s11.shape
    rows = np.empty(n, dtype=np.int64)
    best = np.empty(n, dtype=np.int64)
    c1s = np.empty(n)
    cont = np.empty((n, m))
    k = 0
    for i in range(n):
        if la[i] < min_size:
            continue
        lr = la[i]
        b, c1 = 0, -np.inf
        for j in range(m):
            c = s11[i, j] * (lr + lb[j]) / 2 / lr if lr > 0 else 0.0
            cont[k, j] = c
            if c > c1:
                b, c1 = j, c
        c2 = 0.0
        if m > 1:
            c2 = -np.inf
            for j in range(m):
                if j != b and cont[k, j] > c2:
                    c2 = cont[k, j]
        if c1 >= min_containment and c1 - c2 >= margin:
            rows[k], best[k], c1s[k] = i, b, c1
            k += 1
    return rows[:k].copy(), best[:k].copy(), c1s[:k].copy(), cont[:k].copy()


@_jit
def _used(beads, n, m):
    """Which sentences of each side the beads (rows ``(a0, a1, b0, b1)``) align."""
    used_a = np.zeros(n, dtype=np.bool_)
    used_b = np.zeros(m, dtype=np.bool_)
    for k in range(len(beads)):
        used_a[beads[k, 0]:beads[k, 1]] = True
        used_b[beads[k, 2]:beads[k, 3]] = True
    return used_a, used_b


@_jit
def swaps(beads, s11, window, threshold):
    """:func:`dedup.align.recover_swaps`: the 1-1 beads ``(i, j)`` it adds (``beads``: rows
    ``(a0, a1, b0, b1)`` in chain order; ``threshold``: ``min_score + margin`` as ``s11``'s type)."""
    n, m = s11.shape
    used_a, used_b = _used(beads, n, m)
    free_a, free_b = np.flatnonzero(~used_a), np.flatnonzero(~used_b)
    if len(free_a) == 0 or len(free_b) == 0:
        return np.empty((0, 2), dtype=np.int64)
    anchors_a = np.empty(len(beads) + 2)
    anchors_b = np.empty(len(beads) + 2)
    anchors_a[0], anchors_b[0] = -1.0, -1.0
    for k in range(len(beads)):
        anchors_a[k + 1], anchors_b[k + 1] = beads[k, 0], beads[k, 2]
    anchors_a[-1], anchors_b[-1] = n, m
    expect = np.interp(free_a.astype(np.float64), anchors_a, anchors_b)
    sub = np.zeros((len(free_a), len(free_b)), dtype=s11.dtype)
    for x in range(len(free_a)):
        for y in range(len(free_b)):
            if not abs(free_b[y] - expect[x]) > window:
                sub[x, y] = s11[free_a[x], free_b[y]]
    best_b = np.empty(len(free_a), dtype=np.int64)
    best_a = np.empty(len(free_b), dtype=np.int64)
    for x in range(len(free_a)):
        best_b[x] = np.argmax(sub[x])
    for y in range(len(free_b)):
        best_a[y] = np.argmax(sub[:, y])
    out = np.empty((len(free_a), 2), dtype=np.int64)
    k = 0
    for x in range(len(free_a)):
        y = best_b[x]
        if sub[x, y] >= threshold and best_a[y] == x:
            out[k, 0], out[k, 1] = free_a[x], free_b[y]
            k += 1
    return out[:k].copy()


@_jit
def attach(beads, scores, s11, s21, s12, la, lb, min_containment, slack):
    """:func:`dedup.align.attach_contained` without character lengths: the beads (rows
    ``(a0, a1, b0, b1)``, in the order given) and their scores afterwards."""
    n, m = s11.shape
    used_a, used_b = _used(beads, n, m)
    out = beads.copy()
    outs = scores.copy()
    zero = s11.dtype.type(0.0)
    for k in range(len(beads)):
        i, i1, j, j1 = beads[k, 0], beads[k, 1], beads[k, 2], beads[k, 3]
        if i1 - i != 1 or j1 - j != 1:
            continue
        found, best, side, at = False, 0.0, 0, 0
        for c in range(4):  # neighbours on the b side (a 1-2 bead), then on the a side (2-1)
            on_b = c < 2
            t = (j - 1 if c == 0 else j + 1) if on_b else (i - 1 if c == 2 else i + 1)
            if on_b:
                if not (0 <= t < m and not used_b[t] and lb[t] > 0):
                    continue
                v, own, other, score = s11[i, t], lb[t], la[i], np.float64(s12[i, min(j, t)])
                top = zero  # the best unaligned sentence of the other side for it
                for r in range(n):
                    if not used_a[r] and s11[r, t] > top:
                        top = s11[r, t]
            else:
                if not (0 <= t < n and not used_a[t] and la[t] > 0):
                    continue
                v, own, other, score = s11[t, j], la[t], lb[j], np.float64(s21[min(i, t), j])
                top = zero
                for r in range(m):
                    if not used_b[r] and s11[t, r] > top:
                        top = s11[t, r]
            if v < top:
                continue
            cont = v * (other + own) / 2 / own
            if cont >= min_containment and score >= scores[k] - slack and (not found or cont > best):
                found, best, side, at = True, cont, 1 if on_b else 2, t
                if on_b:
                    out[k, 0], out[k, 1], out[k, 2], out[k, 3] = i, i1, min(j, t), max(j, t) + 1
                else:
                    out[k, 0], out[k, 1], out[k, 2], out[k, 3] = min(i, t), max(i, t) + 1, j, j1
                outs[k] = score
        if side == 1:
            used_b[at] = True
        elif side == 2:
            used_a[at] = True
    return out, outs


@_inline
def _stem_table(entries):
    """An empty open-addressing table of stems (stem ids are ranks of hashes, so their low bits
    spread: a table over all stem ids missed the cache on every lookup) for ``entries`` stems at
    most, and its mask."""
    size = 64
    while size < 4 * entries:
        size *= 2
    return np.full(size, -1, dtype=np.int64), size - 1


@_inline
def _slot(keys, mask, s):
    """The slot of stem ``s`` in the table ``keys``: its own, or the empty one where it goes."""
    h = s & mask
    while keys[h] != -1 and keys[h] != s:
        h = (h + 1) & mask
    return h


@_inline
def _add(inter, cells, k, c, v):
    """``inter[c] += v``, cell ``c`` recorded in ``cells[:k]`` the first time: ``cells, k``."""
    if inter[c] == 0:
        if k == len(cells):
            cells = np.concatenate((cells, np.empty(k, dtype=np.int64)))
        cells[k] = c
        k += 1
    inter[c] += v
    return cells, k


@_inline
def _similarity(inter, cells, k, asize, bsize):
    """The ``len(asize) x len(bsize)`` Dice matrix from the shared weights ``inter`` of the cells
    ``cells[:k]`` (``row * len(bsize) + column``; zeroed again) and the bag sizes of the rows and
    columns: ``1 - (tot - 2 * inter) / tot`` in float64, stored as float32, 0.0 elsewhere."""
    n, m = len(asize), len(bsize)
    sim = np.zeros((n, m), dtype=np.float32)
    for c in cells[:k]:
        i, j = c // m, c % m
        if asize[i] != 0 and bsize[j] != 0:
            tot = np.float64(asize[i] + bsize[j])
            sim[i, j] = np.float32(1.0 - (tot - 2 * np.float64(inter[c])) / tot)
        inter[c] = 0
    return sim


@_jit
def dice(xs, xr, xc, xsize, ys, yr, yc, yw, ysize, inter):
    """:func:`dedup.align.dice_counts` of counts ``x`` (entries sorted by stem) and ``y`` (in
    any order), each given as its ``stem, row, count, size`` (and ``y``'s ``weight``);
    ``inter``: scratch of at least ``len(xsize) * len(ysize)`` zeros (left so)."""
    m = len(ysize)
    keys, mask = _stem_table(len(xs))  # where each stem of x starts
    vals = np.empty(len(keys), dtype=np.int64)
    for f in range(len(xs)):
        if f == 0 or xs[f] != xs[f - 1]:
            h = _slot(keys, mask, xs[f])
            keys[h], vals[h] = xs[f], f
    cells = np.empty(len(ys) * 4, dtype=np.int64)  # cells that share a stem
    k = 0
    for e in range(len(ys)):
        h = _slot(keys, mask, ys[e])
        if keys[h] == -1:
            continue
        f = vals[h]
        while f < len(xs) and xs[f] == ys[e]:
            cells, k = _add(inter, cells, k, xr[f] * m + yr[e], yw[e] * min(yc[e], xc[f]))
            f += 1
    return _similarity(inter, cells, k, xsize, ysize)


@_jit
def dice_rows(xs, xc, xstart, xsize, xrows, ys, yc, yw, ystart, ysize, yrows, inter):
    """:func:`dice` of rows ``xrows`` of counts ``x`` against rows ``yrows`` of counts ``y`` (-1:
    an empty row), each side's entries in row order (``stem, count``, row ``r``'s entries at
    ``start[r]:start[r + 1]``, bag sizes ``size`` by row, ``y``'s ``weight``): the matrix of
    :meth:`dedup.align.StemCounts.select` of both, without selecting. ``inter``: as in dice."""
    n, m = len(xrows), len(yrows)
    asize, bsize = np.zeros(n, dtype=np.int64), np.zeros(m, dtype=np.int64)  # of the rows taken
    total = 0
    for i in range(n):
        if xrows[i] >= 0:
            total += xstart[xrows[i] + 1] - xstart[xrows[i]]
            asize[i] = xsize[xrows[i]]
    for j in range(m):
        if yrows[j] >= 0:
            bsize[j] = ysize[yrows[j]]
    keys, mask = _stem_table(total)  # stem -> its last entry of x, chained
    head = np.empty(len(keys), dtype=np.int64)
    row, count, nxt = np.empty(total, dtype=np.int64), np.empty(total, dtype=np.int64), np.empty(total, dtype=np.int64)
    k = 0
    for i in range(n):
        r = xrows[i]
        if r < 0:
            continue
        for f in range(xstart[r], xstart[r + 1]):
            h = _slot(keys, mask, xs[f])
            if keys[h] == -1:
                keys[h], head[h] = xs[f], -1
            row[k], count[k], nxt[k] = i, xc[f], head[h]
            head[h] = k
            k += 1
    cells = np.empty(64, dtype=np.int64)  # cells that share a stem
    k = 0
    for j in range(m):
        r = yrows[j]
        if r < 0:
            continue
        for e in range(ystart[r], ystart[r + 1]):
            h = _slot(keys, mask, ys[e])
            if keys[h] == -1:
                continue
            f = head[h]
            while f != -1:
                cells, k = _add(inter, cells, k, row[f] * m + j, yw[e] * min(yc[e], count[f]))
                f = nxt[f]
    return _similarity(inter, cells, k, asize, bsize)


@_jit
def keep_needed(s11, s21, s12, starts1, starts2, half):
    """:func:`dedup.align._keep_needed` of each partner's block of the merged matrices (the
    partner's sentences are columns ``starts1[k]:starts1[k + 1]`` of ``s11`` and ``s21``, its
    merged pairs ``starts2[k]:starts2[k + 1]`` of ``s12``), in place."""
    n = s11.shape[0]
    for k in range(len(starts1) - 1):
        lo1, hi1, lo2, hi2 = starts1[k], starts1[k + 1], starts2[k], starts2[k + 1]
        rowhot = np.zeros(n, dtype=np.bool_)
        colhot = np.zeros(hi1 - lo1, dtype=np.bool_)
        for r in range(n):
            for c in range(hi1 - lo1):
                if s11[r, lo1 + c] >= half:
                    rowhot[r] = True
                    colhot[c] = True
        for r in range(n - 1):
            for c in range(hi1 - lo1):
                if not ((rowhot[r] or rowhot[r + 1]) and colhot[c]):
                    s21[r, lo1 + c] = 0.0
        for r in range(n):
            for c in range(hi2 - lo2):
                if not (rowhot[r] and (colhot[c] or colhot[c + 1])):
                    s12[r, lo2 + c] = 0.0


@_jit
def dice3(a1s, a1r, a1c, a1size, a2s, a2r, a2c, a2size, b1s, b1r, b1c, b1w, b1size, b2s, b2r, b2c, b2w, b2size,
          inter, starts1, starts2, half):
    """:func:`dice` of ``a1`` (single sentences) and ``a2`` (merged) against ``b1``, and of ``a1``
    against ``b2``, then :func:`keep_needed` of the three: the matrices of
    :func:`dedup.align.matrices_against` in one call."""
    s11 = dice(a1s, a1r, a1c, a1size, b1s, b1r, b1c, b1w, b1size, inter)
    s21 = dice(a2s, a2r, a2c, a2size, b1s, b1r, b1c, b1w, b1size, inter)
    s12 = dice(a1s, a1r, a1c, a1size, b2s, b2r, b2c, b2w, b2size, inter)
    keep_needed(s11, s21, s12, starts1, starts2, half)
    return s11, s21, s12


@_jit
def dice_rows3(a1s, a1c, a1start, a1size, a2s, a2c, a2start, a2size, ra, pa,
               b1s, b1c, b1w, b1start, b1size, b2s, b2c, b2w, b2start, b2size, rb, pb, inter):
    """:func:`dice_rows` of rows ``ra`` of ``a1`` against rows ``rb`` of ``b1``, merged rows ``pa``
    of ``a2`` against ``rb`` of ``b1``, ``ra`` of ``a1`` against merged rows ``pb`` of ``b2``."""
    return (dice_rows(a1s, a1c, a1start, a1size, ra, b1s, b1c, b1w, b1start, b1size, rb, inter),
            dice_rows(a2s, a2c, a2start, a2size, pa, b1s, b1c, b1w, b1start, b1size, rb, inter),
            dice_rows(a1s, a1c, a1start, a1size, ra, b2s, b2c, b2w, b2start, b2size, pb, inter))


@_jit
def align(s11, s21, s12, la, lb, min_score, merge_penalty, fill_score, min_containment, slack, window,
          swap_threshold):
    """:func:`dedup.align.align_sentences` given its matrices (``allowed`` already applied),
    with swaps (``window``; ``swap_threshold``: ``min_score + margin`` in the matrices' type), gaps
    filled only when equal (``fill_unequal=False``), bag sizes ``la``/``lb`` and no character
    lengths: the beads as rows ``(a0, a1, b0, b1)`` and their scores."""
    n, m = s11.shape
    t = s11.dtype.type
    ms, mp = t(min_score), t(merge_penalty)
    g11, g21, g12 = np.empty((n, m)), np.empty((max(n - 1, 0), m)), np.empty((n, max(m - 1, 0)))
    for i in range(n):  # the gains as numpy computes them: in the matrices' type, then float64
        for j in range(m):
            g11[i, j] = s11[i, j] - ms
            if i + 1 < n:
                g21[i, j] = (s21[i, j] - ms) - mp
            if j + 1 < m:
                g12[i, j] = (s12[i, j] - ms) - mp
    chain = best_chain(g11, g21, g12)
    added = swaps(chain, s11, window, swap_threshold)
    beads = np.concatenate((chain, np.zeros((len(added), 4), dtype=np.int64)))
    for k in range(len(added)):
        beads[len(chain) + k, 0], beads[len(chain) + k, 1] = added[k, 0], added[k, 0] + 1
        beads[len(chain) + k, 2], beads[len(chain) + k, 3] = added[k, 1], added[k, 1] + 1
    beads = beads[np.argsort(beads[:, 0], kind="mergesort")]  # each a sentence starts one bead
    fs = t(fill_score)
    out = np.empty((len(beads) + n + 1, 4), dtype=np.int64)
    k = prev_a = prev_b = 0
    for x in range(len(beads) + 1):  # fill_gaps(unequal=False): equal gaps of 1 or 2
        end_a, end_b = (beads[x, 0], beads[x, 2]) if x < len(beads) else (n, m)
        ka = end_a - prev_a
        if 1 <= ka <= 2 and ka == end_b - prev_b and (k > 0 or x < len(beads)):
            ok = True
            for d in range(ka):
                if not s11[prev_a + d, prev_b + d] >= fs:
                    ok = False
            if ok:
                for d in range(ka):
                    out[k, 0], out[k, 1], out[k, 2], out[k, 3] = prev_a + d, prev_a + d + 1, prev_b + d, prev_b + d + 1
                    k += 1
        if x < len(beads):
            out[k] = beads[x]
            k += 1
            prev_a, prev_b = max(prev_a, beads[x, 1]), max(prev_b, beads[x, 3])
    out = out[:k].copy()
    scores = np.empty(k)
    for x in range(k):
        da, db = out[x, 1] - out[x, 0], out[x, 3] - out[x, 2]
        i, j = out[x, 0], out[x, 2]
        scores[x] = np.float64(s11[i, j] if da == db else (s21[i, j] if da == 2 else s12[i, j]))
    return attach(out, scores, s11, s21, s12, la, lb, min_containment, slack)


@_jit
def langdetect_trial(prob, rows, ids, words, pos, weight, conv_threshold, iteration_limit):
    """One trial of langdetect's ``Detector._detect_block`` on ``prob`` (in place), its n-grams
    given as rows of ``rows`` (``ids``: one per n-gram, in order) and its random draws as the 32-bit
    words of Python's seeded Mersenne Twister from ``words[pos]`` on: ``random.choice`` draws
    ``getrandbits(k)`` (the word's top ``k`` bits) until one is below the number of n-grams. The
    position after the trial, or -1 when ``words`` ran out first."""
    n = len(ids)
    k = 0
    while (n >> k) != 0:  # n.bit_length()
        k += 1
    shift = 32 - k
    size = len(prob)
    i = 0
    while True:
        while True:
            if pos >= len(words):
                return -1
            r = words[pos] >> shift
            pos += 1
            if r < n:
                break
        row = rows[ids[r]]
        for j in range(size):
            prob[j] *= weight + row[j]
        if i % 5 == 0:
            total = 0.0  # builtin sum() of floats before Python 3.12: left to right
            for j in range(size):
                total += prob[j]
            top = 0.0
            for j in range(size):
                p = prob[j] / total
                if top < p:
                    top = p
                prob[j] = p
            if top > conv_threshold or i >= iteration_limit:
                return pos
        i += 1
