"""Compiled (numba) versions of the sentence alignment's inner loops, for large workloads.

The passage stage aligns tens of thousands of document pairs on a big corpus, each a few dozen
sentences a side: the numpy versions in :mod:`dedup.align` spend most of their time in the
overhead of numpy calls on small arrays. These kernels compute the same thing in plain loops,
with the same floating-point operations in the same order, so they give identical results
(``tests/test_kernels.py`` compares them on real documents and random matrices).

numba takes ~0.2 s to import and the kernels ~0.1-0.3 s to load from their on-disk cache (numba
writes it next to this file, or in the user's cache directory; the first run compiles them, 10-15
s), so :func:`dedup.passages.find_passages` switches them on (:func:`enabled`) only for a
workload that pays for it (``dedup.passages.KERNEL_MIN_SAVING``). Without numba
everything runs in numpy. :func:`language` does the same for langdetect's trial loop
(:mod:`dedup.detectors.fastdetect`), loaded alone when many documents need langdetect.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

import numpy as np

#: The compiled kernels while :func:`enabled` is active (None: the numpy versions run).
K = None
#: langdetect's trial kernel (:func:`dedup._jit.langdetect_trial`) while :func:`language` is
#: active (None: :mod:`dedup.detectors.fastdetect` runs its numpy version).
LANG = None
_LOADED: dict[str, object] = {}


@contextlib.contextmanager
def _switched(name: str, load: Callable[[], object], on: bool) -> Iterator[bool]:
    """Set the module's ``name`` (``K`` or ``LANG``) to what ``load`` loads (once per process) in
    the block when ``on`` and numba is installed, to None otherwise; yields whether it is set."""
    was = globals()[name]
    if on and name not in _LOADED:
        try:
            _LOADED[name] = load()
        except Exception:  # noqa: BLE001 - no numba, or nowhere to write its cache: numpy then
            on = False
    globals()[name] = _LOADED[name] if on else None
    try:
        yield globals()[name] is not None
    finally:
        globals()[name] = was


def enabled(on: bool = True) -> contextlib.AbstractContextManager[bool]:
    """Use the compiled alignment kernels in the block when ``on`` and numba is installed (yields
    whether they are used); the numpy versions otherwise."""
    return _switched("K", _compile, on)


def language(on: bool = True) -> contextlib.AbstractContextManager[bool]:
    """Use the compiled langdetect trial in the block when ``on``, numba is installed and Python is
    older than 3.12 (yields whether it is used): the kernel sums as ``sum()`` did before 3.12,
    which compensates its float sums. Only that kernel is loaded: ~0.45 s with numba's import."""
    return _switched("LANG", _load_language, on and sys.version_info < (3, 12))


_SCRATCH = np.zeros(0, dtype=np.int64)


def scratch(size: int) -> np.ndarray:
    """A reused int64 array of at least ``size`` zeros (the kernels that take one leave it so)."""
    global _SCRATCH
    if len(_SCRATCH) < size:
        _SCRATCH = np.zeros(max(size, 2 * len(_SCRATCH)), dtype=np.int64)
    return _SCRATCH


@contextlib.contextmanager
def _no_blas_probe() -> Iterator[None]:
    """While numba is first imported and loads the first kernel, ``scipy.linalg.cython_blas``
    cannot be imported: numba looks for a BLAS there as it loads ``numba.np.arraymath``
    (``_HAVE_BLAS``), which imports ``scipy.linalg`` when scipy is installed (datasketch needs it):
    0.25-0.4 s of a scan's start-up, for a BLAS that none of these kernels calls. numba then takes
    its own loop for the one function that asks (a dot product inside ``np.cov`` and
    ``np.correlate``); nothing else changes. A process that imported numba already is left alone."""
    name = "scipy.linalg.cython_blas"
    if "numba" in sys.modules or name in sys.modules:
        yield
        return
    sys.modules[name] = None  # an import of it fails at once, before its parent packages load
    try:
        yield
    finally:
        if name in sys.modules and sys.modules[name] is None:
            del sys.modules[name]


def _compile():
    """Import the kernels and run each once on the types the passage stage gives them: numba
    compiles them (or loads them from its cache) here, before the stage forks its workers, which
    then inherit them."""
    with _no_blas_probe():
        from . import _jit

        f32, f64, i64 = np.zeros((2, 2), dtype=np.float32), np.ones(2), np.zeros(2, dtype=np.int64)
        _jit.align(f32, f32[:1], f32[:, :1].copy(), f64, f64, 0.3, 0.0, 0.15, 0.6, 0.05, 3.0, np.float32(0.45))
        _jit.containment(f32, f64, f64, 0.5, 0.25, 20.0)
        _jit.keep_needed(f32, f32.copy(), f32.copy(), i64, i64, np.float32(0.15))
        _jit.dice3(*[i64] * 18, np.zeros(4, dtype=np.int64), i64, i64, np.float32(0.15))
        _jit.dice_rows3(*[i64] * 22, np.zeros(4, dtype=np.int64))
        return _jit


def _load_language():
    """Import langdetect's trial kernel and run it once (numba compiles it or loads it from its
    cache here, before the workers fork)."""
    with _no_blas_probe():
        from . import _jit

        w = np.zeros(1, dtype=np.int64)
        _jit.langdetect_trial(np.ones(2), np.ones((1, 2)), w, w, 1, 0.5, 0.99, 10)  # ends at once: no words
        return _jit.langdetect_trial


def warm() -> float:
    """Compile (or load) the kernels now; the seconds it took (``make bench`` does this first, so
    that numba's one-time compilation on a fresh install is not timed as part of a scan)."""
    import time

    t = time.perf_counter()
    with enabled(), language():
        pass
    return time.perf_counter() - t
