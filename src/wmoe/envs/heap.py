"""Keep a native vector env's per-step temporaries on glibc's heap instead of fresh mappings.

A batched step allocates and frees arrays of a few megabytes (the satellite core's
``(n, C, K+M, K)`` couplings are ~1.3 MiB at 256 envs). glibc's ``malloc`` maps an array above
its *mmap threshold* (128 KiB at start) with ``mmap`` and unmaps it on ``free``; the first free
of such a mapping raises the threshold to its size and the heap's *trim threshold* to twice
that. A step whose temporaries peak above the trim threshold then returns the heap's top to
the OS on every step and faults it back in on the next: ~970 minor page faults and about a
sixth of the time of a 256-env ``SatelliteBeamforming-v1`` step (``benchmarks/perf/README.md``).

glibc's own rule ends this: freeing one mapped block of 32 MB raises the mmap threshold to
32 MB (the most it adapts to on 64-bit) and the trim threshold to 64 MB. :func:`settle_heap`
does exactly that once per process, with an untouched :func:`numpy.empty` block (no page is
faulted in). Cost: the process may keep up to 64 MB of freed heap instead of returning it.

It does nothing outside glibc, or when the user chose the allocator's settings (any
``MALLOC_*_`` variable or glibc tunable of ``malloc``, which also turn glibc's adaptation
off): e.g. ``MALLOC_MMAP_THRESHOLD_=131072`` restores glibc's start-up behaviour.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping

import numpy as np

__all__ = ["SETTLING_BLOCK_BYTES", "settle_heap", "user_set_allocator"]

SETTLING_BLOCK_BYTES = 32_000_000
"""Size of the block :func:`settle_heap` allocates and frees; within glibc's 32 MiB cap
(``DEFAULT_MMAP_THRESHOLD_MAX`` on 64-bit) including the chunk header."""

_ALLOCATOR_VARIABLES = (
    "MALLOC_MMAP_THRESHOLD_",
    "MALLOC_TRIM_THRESHOLD_",
    "MALLOC_TOP_PAD_",
    "MALLOC_MMAP_MAX_",
)
_settled = False


def user_set_allocator(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the environment sets glibc's heap parameters (variables or tunables)."""
    tunables = environ.get("GLIBC_TUNABLES", "")
    return any(name in environ for name in _ALLOCATOR_VARIABLES) or "glibc.malloc." in tunables


def settle_heap() -> bool:
    """Raise glibc's adaptive mmap and trim thresholds once per process.

    Returns:
        Whether this call allocated and freed the settling block (False after the first
        call, outside glibc, or when :func:`user_set_allocator`).
    """
    global _settled
    if _settled or platform.libc_ver()[0] != "glibc" or user_set_allocator():
        return False
    _settled = True
    block = np.empty(SETTLING_BLOCK_BYTES, dtype=np.uint8)
    del block
    return True
