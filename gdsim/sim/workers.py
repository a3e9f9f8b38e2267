"""Worker processes for the engine: forked children that run blocks into shared memory.

NumPy's many short calls hand the GIL back and forth too often for threads to help, so the engine
forks one child per core; the outputs live in anonymous shared mappings, so what a child writes
is what the parent reads. Nothing here changes a number: a block computes the same bits in a
child as in the parent.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import warnings

import numpy as np


def run_in_processes(engine, blocks, workers):
    """Share the blocks between ``workers`` forked children, then wait for them.

    The outputs live in an anonymous shared mapping, so what a child writes is what the parent
    reads; each child only runs NumPy on its blocks and exits. All the work happens in children
    so that each can tune its own memory allocator (see ``_keep_freed_memory``) without touching
    the user's process.
    """
    shares = [blocks[i::workers] for i in range(workers)]
    children = []
    with warnings.catch_warnings():
        # Python >= 3.12 warns about fork in a multi-threaded process (e.g. a Jupyter kernel);
        # the child touches nothing but NumPy arrays and leaves with os._exit.
        warnings.simplefilter("ignore", DeprecationWarning)
        for share in shares:
            pid = os.fork()
            if pid == 0:
                status = 1
                try:
                    _keep_freed_memory()
                    for block in share:
                        engine.run_block(block)
                    status = 0
                finally:
                    os._exit(status)
            children.append(pid)
    failed = [pid for pid in children if os.waitpid(pid, 0)[1] != 0]
    if failed:
        # a child died (e.g. out of memory): compute its blocks here rather than return holes
        for pid, share in zip(children, shares):
            if pid in failed:
                for block in share:
                    engine.run_block(block)


def _keep_freed_memory():
    """In a worker only: let glibc reuse freed memory instead of returning it to the system.

    A block's temporaries are a few hundred kB each; by default glibc maps every allocation of
    128 kB or more afresh and unmaps it when freed, so each NumPy operation would pay for page
    faults and memory that is not in cache. Raising the two thresholds keeps them on the heap,
    which roughly halves a step's cost. No effect where there is no glibc ``mallopt``.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    mallopt(M_MMAP_THRESHOLD, 64 << 20)
    mallopt(M_TRIM_THRESHOLD, 512 << 20)


def shared_empty(shape, dtype=float, shared=False):
    """An uninitialised array, in memory shared with forked children when ``shared``."""
    nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
    if not shared or nbytes == 0:
        return np.empty(shape, dtype)
    return np.frombuffer(mmap.mmap(-1, nbytes), dtype=dtype).reshape(shape)
