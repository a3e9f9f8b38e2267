"""Worker processes for the engine: forked children that run blocks into shared memory.

NumPy's many short calls hand the GIL back and forth too often for threads to help, so the engine
forks one child per core; the outputs live in anonymous shared mappings, so what a child writes
is what the parent reads. Nothing here changes a number: a block computes the same bits in a
child as in the parent.

Nothing is left behind, whatever happens:

* Ctrl-C (to the parent alone, or to its process group as a terminal and Jupyter send it), or
  any exception in the parent: the parent kills its workers (SIGKILL), reaps them, then lets the
  exception go on to the user. The workers never run the parent's KeyboardInterrupt handling:
  they block and ignore SIGINT and leave the decision to the parent.
* The parent dies (killed, crashed): Linux kills the workers with it (``PR_SET_PDEATHSIG``);
  elsewhere a worker notices it has been orphaned at its next progress report and exits.
* A worker dies (say, out of memory): the parent computes its blocks itself, so the result has
  no holes.

Progress: each block reports how many steps it has done into a counter shared with the parent,
which shows a tqdm bar (see :class:`Progress`) while the workers compute.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import select
import signal
import sys
import time
import warnings

import numpy as np

PROGRESS_EVERY = 64  # steps between two progress reports of a block (ms, tens for a big one)
PROGRESS_AFTER = 3.0  # seconds: with progress=None, a call expected to last longer shows a bar
PROGRESS_LOOK = 0.5  # seconds into a call when its length is first estimated from its speed
REFRESH = 0.1  # seconds between two updates of the bar
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class Progress:
    """How far a call has got, and the tqdm bar that shows it.

    ``done[i]`` is the number of steps block ``i`` has finished. It lives in memory shared with
    the workers: each block has a single writer, and an aligned 8-byte store is atomic, so the
    parent can read the counts at any time. ``show`` is True (always a bar), False (never) or
    None: a bar for a call that, at the speed of its first ``PROGRESS_LOOK`` seconds, will take
    more than ``PROGRESS_AFTER`` seconds in all.
    """

    def __init__(self, blocks, steps, show, shared=False, desc="simulate"):
        self.show, self.desc = show, desc
        self.done = shared_empty(len(blocks), np.int64, shared=shared)
        self.done[:] = 0
        self.sizes = np.array([stop - start for start, stop in blocks], dtype=np.int64)
        self.slot = {start: i for i, (start, _) in enumerate(blocks)}
        self.total = int(self.sizes.sum()) * steps
        self.began = time.monotonic()
        self.next_look = self.began if show else self.began + PROGRESS_LOOK
        self.bar = None
        self.parent = None  # in a worker: the pid of the parent, whose death ends the worker

    def report(self, start, steps_done):
        """The block starting at run ``start`` has done ``steps_done`` steps (called by the
        engine every PROGRESS_EVERY steps, in whichever process runs the block)."""
        self.done[self.slot[start]] = steps_done
        if self.parent is not None:
            if os.getppid() != self.parent:  # orphaned where PR_SET_PDEATHSIG is missing
                os._exit(1)
        elif self.show is not False:
            self.refresh()

    def refresh(self):
        """Bring the bar up to date (at most every REFRESH seconds); open it when due."""
        now = time.monotonic()
        if self.show is False or now < self.next_look:
            return
        self.next_look = now + REFRESH
        done = int(self.done @ self.sizes)
        if self.bar is None:
            if not (self.show or self._expected_seconds(now, done) > PROGRESS_AFTER):
                return
            from tqdm.auto import tqdm  # only now: most calls never need it

            self.bar = tqdm(
                total=self.total,
                initial=done,
                desc=self.desc,
                unit="run-step",
                unit_scale=True,
                leave=False,
                dynamic_ncols=True,
            )
        self.bar.update(done - self.bar.n)

    def _expected_seconds(self, now, done):
        if done <= 0 or done >= self.total:
            return 0.0
        return (now - self.began) * self.total / done

    def close(self, finished):
        """Show the bar full if the call ``finished``, then take it off the screen."""
        if self.bar is not None:
            if finished:
                self.bar.update(self.total - self.bar.n)
                self.bar.refresh()
            self.bar.close()
            self.bar = None


def run_in_processes(engine, blocks, workers, progress):
    """Share the blocks between ``workers`` forked children, then wait for them.

    The outputs live in an anonymous shared mapping, so what a child writes is what the parent
    reads; each child only runs NumPy on its blocks and exits. All the work happens in children
    so that each can tune its own memory allocator (see ``_keep_freed_memory``) without touching
    the user's process. While they compute, the parent only watches: one pipe per child, which
    reads as closed when the child has exited, however it exited; and the progress counters.
    """
    shares = [blocks[i::workers] for i in range(workers)]
    children = {}  # pid -> (read end of the child's pipe, its share of the blocks)
    unforked = []
    try:
        with warnings.catch_warnings():
            # Python >= 3.12 warns about fork in a multi-threaded process (e.g. a Jupyter
            # kernel); the child touches nothing but NumPy arrays and leaves with os._exit.
            warnings.simplefilter("ignore", DeprecationWarning)
            for share in shares:
                if not _fork(engine, share, progress, children):
                    unforked.append(share)  # no process to be had: the parent does it
        failed = _wait(children, progress)
    except BaseException:
        _stop(children)
        raise
    # a child died (e.g. out of memory) or never started: compute its blocks here, no holes
    for share in unforked + failed:
        for block in share:
            engine.run_block(block)


def _fork(engine, share, progress, children):
    """Fork one worker for ``share`` and enter it in ``children``; False if fork failed.

    Every signal is held back from before the fork until the child's pid is in ``children``,
    so no exception a signal handler raises (KeyboardInterrupt, or any other) can land between
    the fork and that record, which would leave the child unknown to ``_stop``.
    """
    parent = os.getpid()
    try:
        read, write = os.pipe()
    except OSError:  # out of file descriptors
        return False
    held = _hold_signals()
    try:
        try:
            pid = os.fork()
        except OSError:  # out of processes or memory
            os.close(read)
            os.close(write)
            return False
        if pid == 0:
            _work(engine, share, progress, parent, read, held)  # never returns
        os.close(write)
        children[pid] = (read, share)
        return True
    finally:
        _release_signals(held)


def _work(engine, share, progress, parent, read, held):
    """The child's whole life: compute ``share``, write nothing but the shared arrays, exit.
    Its pipe's write end stays open until it exits, which is what the parent waits for."""
    status = 1
    try:
        os.close(read)
        _ignore_interrupts(held)
        _die_with_parent(parent)
        progress.parent = parent
        _keep_freed_memory()
        for block in share:
            engine.run_block(block)
        status = 0
    finally:
        os._exit(status)  # no atexit handlers, no flushing of the parent's buffers


def _wait(children, progress):
    """Reap the children as they exit; return the shares of those that failed. ``children``
    always holds the ones still to be reaped, for ``_stop`` if the wait is interrupted."""
    failed = []
    timeout = None if progress.show is False else REFRESH
    while children:
        ready, _, _ = select.select([fd for fd, _ in children.values()], [], [], timeout)
        for pid, (fd, share) in list(children.items()):
            if fd in ready:  # the pipe reads as closed: the child has exited
                held = _hold_signals()  # a reap and its record go together
                try:
                    _, status = os.waitpid(pid, 0)
                    del children[pid]
                    os.close(fd)
                finally:
                    _release_signals(held)
                if status != 0:
                    failed.append(share)
        progress.refresh()
    return failed


def _stop(children):
    """Kill and reap every child still in ``children``: none left running, no zombie. Signals
    (a second Ctrl-C) wait until this is done."""
    held = _hold_signals()
    try:
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid, (fd, _) in children.items():
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
            os.close(fd)
        children.clear()
    finally:
        _release_signals(held)


def _hold_signals():
    """Block every signal in this thread (they stay pending); returns the mask to restore."""
    if not hasattr(signal, "pthread_sigmask"):
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())


def _release_signals(previous):
    """Restore the mask: pending signals are delivered (and their handlers run) now."""
    if previous is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _ignore_interrupts(held):
    """In a worker: a Ctrl-C sent to the whole process group is the parent's to handle (it stops
    the workers), so SIGINT is ignored and stays blocked; SIGTERM kills the worker outright
    rather than running a Python handler inherited from the parent. Then the other signals the
    fork held back are let through."""
    for signum, action in ((signal.SIGINT, signal.SIG_IGN), (signal.SIGTERM, signal.SIG_DFL)):
        try:
            signal.signal(signum, action)
        except (ValueError, OSError):  # not the main thread: SIGINT stays blocked all the same
            pass
    if held is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, set(held) | {signal.SIGINT})


def _die_with_parent(parent):
    """In a worker: have Linux send SIGKILL when the parent dies, and exit if it already has."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(1)


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
