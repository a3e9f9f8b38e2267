"""Interrupts and failures leave nothing behind: real signals sent to real forked workers.

``simulate`` forks one worker per core for big jobs. Whatever happens to the parent (Ctrl-C
sent to it alone, or to its whole process group as Jupyter and a terminal do; any exception; its
own death), the workers stop and are reaped, the KeyboardInterrupt reaches the user, and the next
call works. A worker that dies on its own (out of memory) still has its blocks computed by the
parent.

Every wait below polls for its condition with a generous limit and then asserts the condition,
never the time, so the tests hold on a loaded two-core machine.
"""

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

import numpy as np
import pytest

import gdsim

pytestmark = pytest.mark.skipif(
    not (hasattr(os, "fork") and os.path.isdir("/proc/self")), reason="needs fork and /proc (Linux)"
)

PATIENCE = 90.0  # seconds to wait for a condition before declaring it false


def wait_until(condition, timeout=PATIENCE, interval=0.02):
    """Poll ``condition()`` until it is truthy or ``timeout`` passes; return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def process_state(pid):
    """The state letter of ``pid`` (R, S, Z, ...) and its parent, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the command name may hold spaces
    return fields[0], int(fields[1])


def children_of(pid):
    """``{child pid: state letter}`` for every child of ``pid``, read from /proc."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            state = process_state(int(entry))
            if state is not None and state[1] == pid:
                children[int(entry)] = state[0]
    return children


def alive(pid):
    """True while ``pid`` exists and is not a zombie (a zombie has finished running)."""
    state = process_state(pid)
    return state is not None and state[0] != "Z"


def zombies_of(pid):
    return {c for c, state in children_of(pid).items() if state == "Z"}


# -- a script that runs a long parallel simulate, interrupted from outside ------------------------

SCRIPT = textwrap.dedent("""
    import os, signal, sys
    import numpy as np
    import gdsim

    # a shell's background job starts with SIGINT ignored; a terminal or Jupyter does not
    signal.signal(signal.SIGINT, signal.default_int_handler)

    def children():
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = open(f"/proc/{entry}/stat").read()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid():
                    found.append(int(entry))
        return found

    starts = np.random.default_rng(0).uniform(-4, 4, (4 * 8192, 2))
    try:
        # hours of work: only a signal ends it
        gdsim.simulate("himmelblau", gdsim.Adam(lr=0.01), starts, 10**7, record="final",
                       workers=2, progress=False)
    except KeyboardInterrupt:
        print("KeyboardInterrupt; children left:", children(), flush=True)
        sys.exit(0)
    print("finished without an interrupt", flush=True)
    sys.exit(1)
""")


class Script:
    """The script in its own session, so that a group signal reaches it and its workers only,
    with its output in files (a surviving worker holding a pipe open cannot hang the test).
    On leaving, whatever is left of the session is killed, whether the test passed or not."""

    def __enter__(self):
        self.out, self.err = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
        self.process = subprocess.Popen(
            [sys.executable, "-c", SCRIPT],
            stdout=self.out,
            stderr=self.err,
            text=True,
            start_new_session=True,
        )
        self.workers = wait_until(lambda: running_children(self.process.pid, 2))
        if not self.workers:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"the script never ran two workers; {self.output()}")
        return self

    def finish(self):
        """Wait for the script to end; its (stdout, stderr)."""
        try:
            self.process.wait(timeout=PATIENCE)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the script did not end after the signal; {self.output()}")
        return self.output()

    def output(self):
        texts = []
        for f in (self.out, self.err):
            f.seek(0)
            texts.append(f.read())
        return texts

    def __exit__(self, *exc):
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        self.out.close()
        self.err.close()


def running_children(pid, n):
    """The pids of ``pid``'s running children once there are at least ``n``, else None."""
    running = [c for c, state in children_of(pid).items() if state in "RSD"]
    return running if len(running) >= n else None


@pytest.mark.parametrize("target", ["parent", "group"])
def test_sigint_reaches_the_user_and_stops_the_workers(target):
    """Ctrl-C to the parent alone (``kill -INT pid``) or to its process group (a terminal, the
    Jupyter interrupt button): the script's ``except KeyboardInterrupt`` runs, and by then its
    workers are already stopped and reaped."""
    with Script() as script:
        if target == "parent":
            os.kill(script.process.pid, signal.SIGINT)
        else:
            os.killpg(script.process.pid, signal.SIGINT)
        out, err = script.finish()
        assert "KeyboardInterrupt; children left: []" in out, (out, err[-2000:])
        assert script.process.returncode == 0
        # reaped by the script itself, so none of them is left running anywhere
        assert wait_until(lambda: not any(alive(w) for w in script.workers)), script.workers
        # a worker hit by the group's SIGINT leaves quietly: no traceback of its own
        assert "Traceback" not in err, err[-2000:]


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_their_parent(how):
    """The parent killed outright (no Python code runs): its workers must not compute on as
    orphans."""
    with Script() as script:
        os.kill(script.process.pid, how)
        script.finish()
        assert script.process.returncode == -how
        assert wait_until(lambda: not any(alive(w) for w in script.workers)), [
            w for w in script.workers if alive(w)
        ]


# -- in this process: repeated interrupts, exceptions and a dying worker -----------------------

LONG_STARTS = np.random.default_rng(1).uniform(-4, 4, (2 * 8192, 2))
LONG_STEPS = 100_000  # about a minute on two cores: long enough to be interrupted in the middle


@pytest.fixture
def python_sigint():
    """Python's own SIGINT handler (raise KeyboardInterrupt), whatever the runner started with."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


SEEN = []  # every worker a test saw, so that a failing test leaves none of them behind


@pytest.fixture(autouse=True)
def no_leftover_workers():
    yield
    me = os.getpid()
    for pid in SEEN:
        if pid in children_of(me):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    SEEN.clear()


def when_workers_run(action, n=2):
    """Call ``action(worker pids)`` from a thread as soon as ``n`` workers of this process run.

    The thread gives up silently after PATIENCE seconds, so a signal never lands outside the
    call under test; the test then fails on its own assertion.
    """
    seen = []

    def watch():
        workers = wait_until(lambda: running_children(os.getpid(), n))
        if workers:
            seen.extend(workers)
            SEEN.extend(workers)
            action(workers)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread, seen


def long_simulate():
    return gdsim.simulate(
        "himmelblau",
        gdsim.Adam(lr=0.01),
        LONG_STARTS,
        LONG_STEPS,
        record="final",
        workers=2,
        progress=False,
    )


def test_repeated_interrupts_leave_no_zombies_and_the_next_call_works(python_sigint):
    me = os.getpid()
    zombies_before = zombies_of(me)
    for attempt in range(3):
        # the group SIGINT as a terminal sends it: every worker and then the parent
        def group_sigint(workers):
            for pid in workers:
                os.kill(pid, signal.SIGINT)
            os.kill(me, signal.SIGINT)

        thread, workers = when_workers_run(group_sigint)
        with pytest.raises(KeyboardInterrupt):
            long_simulate()
        thread.join()
        assert len(workers) == 2
        # reaped before the KeyboardInterrupt left simulate: not running, not zombies
        assert not [w for w in workers if w in children_of(me)], children_of(me)
        assert zombies_of(me) <= zombies_before
    starts = LONG_STARTS[:2048]
    run = gdsim.simulate("himmelblau", gdsim.Adam(lr=0.01), starts, 1500, record="final", workers=2)
    reference = gdsim.simulate(
        "himmelblau", gdsim.Adam(lr=0.01), starts, 1500, record="final", workers=1
    )
    np.testing.assert_array_equal(run.final, reference.final)


def test_sigint_to_the_parent_alone_stops_the_workers(python_sigint):
    me = os.getpid()
    thread, workers = when_workers_run(lambda workers: os.kill(me, signal.SIGINT))
    with pytest.raises(KeyboardInterrupt):
        long_simulate()
    thread.join()
    assert len(workers) == 2
    assert not [w for w in workers if alive(w)]
    assert not [w for w in workers if w in children_of(me)]


class Boom(Exception):
    pass


def test_any_exception_in_the_parent_stops_the_workers():
    """An exception raised in the parent while it waits (here from a signal handler) stops and
    reaps the workers, then reaches the caller unchanged."""
    me = os.getpid()

    def boom(signum, frame):
        raise Boom("raised in the parent while the workers compute")

    previous = signal.signal(signal.SIGUSR1, boom)
    try:
        thread, workers = when_workers_run(lambda workers: os.kill(me, signal.SIGUSR1))
        with pytest.raises(Boom):
            long_simulate()
        thread.join()
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert len(workers) == 2
    assert not [w for w in workers if alive(w)]
    assert not [w for w in workers if w in children_of(me)]


def test_a_worker_that_dies_has_its_blocks_computed_by_the_parent():
    """A worker killed from outside (as the kernel's out-of-memory killer would) leaves no hole:
    the parent computes its blocks, and the numbers are those of a run without workers."""
    starts = LONG_STARTS[:2048]
    steps = 10_000  # each worker computes for half a second: time to kill one in the middle
    killed = []

    def kill_one(workers):
        if process_state(workers[0]) is not None and process_state(workers[0])[0] in "RSD":
            os.kill(workers[0], signal.SIGKILL)
            killed.append(workers[0])

    thread, _ = when_workers_run(kill_one)
    run = gdsim.simulate(
        "himmelblau",
        gdsim.Adam(lr=0.01),
        starts,
        steps,
        record="final",
        workers=2,
        block_size=1024,
        progress=False,
    )
    thread.join()
    assert killed, "no worker was seen running, so none was killed"
    reference = gdsim.simulate(
        "himmelblau",
        gdsim.Adam(lr=0.01),
        starts,
        steps,
        record="final",
        workers=1,
        block_size=1024,
        progress=False,
    )
    np.testing.assert_array_equal(run.final, reference.final)
    np.testing.assert_array_equal(run.diverged_at, reference.diverged_at)
    assert not [c for c in killed if c in children_of(os.getpid())]


def test_without_processes_to_fork_the_parent_computes_everything(monkeypatch):
    """fork failing (out of processes or memory) is no error: the blocks are computed here."""
    starts = LONG_STARTS[:4096]
    reference = gdsim.simulate(
        "himmelblau", gdsim.Adam(lr=0.01), starts, 600, record="final", workers=1, block_size=1024
    )

    def no_fork():
        raise BlockingIOError(11, "Resource temporarily unavailable")

    from gdsim.sim import engine

    monkeypatch.setattr(engine, "PARALLEL_WORK", 0)
    monkeypatch.setattr(os, "fork", no_fork)
    run = gdsim.simulate(
        "himmelblau", gdsim.Adam(lr=0.01), starts, 600, record="final", workers=2, block_size=1024
    )
    np.testing.assert_array_equal(run.final, reference.final)
