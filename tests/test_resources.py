"""Resources: a call looks before it allocates, keeps only what ``record`` asks, and a long call
shows its progress.

A call that cannot fit is refused up front with a ValueError that names the arguments, the size
(human readable) and how to shrink it, instead of a bare MemoryError (or the kernel's
out-of-memory killer) minutes later. The available memory is patched where a test needs a
definite limit; the estimates are checked against what NumPy really allocates (tracemalloc
traces NumPy's buffers).
"""

import re
import time
import tracemalloc

import numpy as np
import pytest

import gdsim
from gdsim.sim import resources

HIMMELBLAU = gdsim.surfaces.get("himmelblau")


def limit_memory(monkeypatch, nbytes):
    """Pretend the machine has ``nbytes`` available (the checks allow a fraction of it)."""
    monkeypatch.setattr(resources, "available_memory", lambda: int(nbytes))


def traced_peak(call):
    """(result, peak bytes NumPy and Python allocated during ``call()``)."""
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# -- sizes and the available memory ------------------------------------------------------------


@pytest.mark.parametrize(
    "nbytes, text",
    [
        (0, "0 B"),
        (512, "512 B"),
        (1536, "1.50 KiB"),
        (63 * 2**20, "63.0 MiB"),
        (int(74.5 * 2**30), "74.5 GiB"),
        (8 * 10**12, "7.28 TiB"),
        (2**50, "1.00 PiB"),
    ],
)
def test_sizes_read_like_a_file_manager(nbytes, text):
    assert resources.format_bytes(nbytes) == text


def test_available_memory_is_a_positive_number_of_bytes():
    available = resources.available_memory()
    assert available is None or (isinstance(available, int) and 0 < available < 2**60)


def test_check_memory_names_the_call_the_size_and_the_cure(monkeypatch):
    limit_memory(monkeypatch, 10 * 2**30)
    resources.check_memory(2**30, "f(n=1)", "use a smaller n")  # fits: no error
    with pytest.raises(ValueError) as error:
        resources.check_memory(20 * 2**30, "f(n=20)", "use a smaller n")
    message = str(error.value)
    assert "f(n=20)" in message and "20.0 GiB" in message and "use a smaller n" in message
    assert "10.0 GiB" in message  # what is available


def test_check_memory_does_nothing_when_the_memory_is_unknown(monkeypatch):
    monkeypatch.setattr(resources, "available_memory", lambda: None)
    resources.check_memory(2**70, "f()", "nothing")


# -- simulate, sweep, basins, stability refuse what cannot fit ---------------------------------


def test_all_steps_of_a_trillion_step_run_are_refused_before_anything_is_allocated():
    started = time.process_time()
    with pytest.raises(ValueError) as error:
        gdsim.simulate(HIMMELBLAU, gdsim.SGD(lr=0.01), [[0.0, 0.0]], 10**12, record="all")
    message = str(error.value)
    assert "steps=1000000000000" in message and "record='all'" in message
    assert re.search(r"\d+\.\d+ TiB", message), message
    assert "record='final'" in message and "fewer steps" in message
    assert time.process_time() - started < 60  # refused, not computed: a sanity bound only


def test_a_trillion_steps_recording_the_final_step_is_accepted_and_can_be_interrupted():
    """record="final" needs no per-step memory, so the call starts (it would run for weeks), shows
    its progress, and a Ctrl-C ends it. The signal is sent only once the gradient has been called,
    so it can never land outside the call."""
    import signal
    import threading

    computing = threading.Event()

    def grad(points):
        computing.set()
        return 2 * points

    surface = gdsim.surfaces.custom(lambda p: (p**2).sum(axis=-1), grad=grad, minima=[[0.0, 0.0]])

    def interrupt():
        if computing.wait(timeout=120):
            time.sleep(0.5)
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        thread = threading.Thread(target=interrupt, daemon=True)
        thread.start()
        with pytest.raises(KeyboardInterrupt):
            gdsim.simulate(
                surface, gdsim.SGD(lr=0.01), [[1.0, 1.0]], 10**12, record="final", progress=False
            )
        thread.join()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert computing.is_set()


def test_too_many_starts_are_refused_with_the_number_of_runs(monkeypatch):
    limit_memory(monkeypatch, 64 * 2**20)
    starts = np.zeros((1000, 2))
    with pytest.raises(ValueError) as error:
        gdsim.simulate(HIMMELBLAU, gdsim.SGD(lr=0.01), starts, 10_000, record="all")
    message = str(error.value)
    assert "1,000 runs" in message and "steps=10000" in message and "MiB" in message
    # the same call keeping every 100th step fits
    run = gdsim.simulate(HIMMELBLAU, gdsim.SGD(lr=0.01), starts, 10_000, record=100)
    assert run.positions.shape == (101, 1000, 2)


def test_a_per_run_sweep_counts_its_hyperparameter_axes(monkeypatch):
    limit_memory(monkeypatch, 64 * 2**20)
    with pytest.raises(ValueError, match=r"sweep\(.*lr.*momentum"):
        gdsim.sweep(
            HIMMELBLAU,
            gdsim.SGD,
            np.zeros((100, 2)),
            1000,
            lr=list(np.geomspace(1e-3, 1e-1, 10)),
            momentum=[0.0, 0.5, 0.9],
        )


def test_a_basin_map_too_big_for_memory_names_the_grid_and_a_grid_that_fits():
    with pytest.raises(ValueError) as error:
        gdsim.basins("himmelblau", gdsim.SGD(lr=0.01), grid=100_000)
    message = str(error.value)
    assert "grid=100000" in message and re.search(r"\d [GT]iB", message), message
    assert "coarser grid" in message
    suggested = int(re.search(r"grid=(\d+) fits", message).group(1))
    assert 2 <= suggested < 100_000


def test_a_stability_map_too_big_for_memory_is_refused(monkeypatch):
    limit_memory(monkeypatch, 32 * 2**20)
    with pytest.raises(ValueError, match=r"stability\(.*steps=1000.*MiB"):
        gdsim.stability(
            "quadratic",
            gdsim.SGD,
            1000,
            lr=np.geomspace(1e-3, 1, 500),
            momentum=np.linspace(0, 0.9, 500),
        )


def test_a_schedule_table_for_every_step_is_counted():
    """The engine tabulates a schedule for every step: a trillion steps of it cannot fit."""
    schedule = gdsim.schedules.cosine(0.1, 10**12)
    with pytest.raises(ValueError, match=r"TiB.*fewer steps"):
        gdsim.simulate(HIMMELBLAU, gdsim.SGD(lr=schedule), [[0.0, 0.0]], 10**12, record="final")


def test_the_estimate_bounds_what_simulate_really_allocates(monkeypatch):
    """Refused with a limit just below the real peak, accepted with three times the peak: the
    estimate is an upper bound and not absurdly cautious."""
    starts = np.random.default_rng(0).uniform(-4, 4, (20_000, 2))

    def call():
        return gdsim.simulate(HIMMELBLAU, gdsim.Adam(lr=0.01), starts, 100, record="all", workers=1)

    _, peak = traced_peak(call)
    assert peak > 40e6  # positions and losses alone are 20,000 x 101 x 24 bytes
    fraction = resources.MEMORY_FRACTION
    limit_memory(monkeypatch, 0.95 * peak / fraction)
    with pytest.raises(ValueError, match="record='final'"):
        call()
    limit_memory(monkeypatch, 3 * peak / fraction)
    call()


def test_an_mlp_population_too_big_is_refused_before_its_weights_are_made():
    with pytest.raises(ValueError) as error:
        gdsim.nn.MLP([2, 64, 64, 3], population=10**8)
    message = str(error.value)
    assert "population=100000000" in message and "TiB" in message
    assert "smaller population" in message


def test_a_fit_too_big_for_memory_is_refused_before_training(monkeypatch):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(2000, 20)), rng.integers(0, 3, 2000)
    model = gdsim.nn.MLP([20, 64, 3], population=100, seed=0)
    before = [t.copy() for t in model.theta]
    limit_memory(monkeypatch, 64 * 2**20)
    with pytest.raises(ValueError) as error:
        gdsim.nn.fit(model, gdsim.Adam(lr=0.01), X, y, epochs=2, batch_size=2000, verbose=0)
    message = str(error.value)
    assert "fit(epochs=2, batch_size=2000)" in message and "100 members" in message
    assert "batch_size" in message.split(";")[-1]
    for t, b in zip(model.theta, before):  # refused before a single update
        np.testing.assert_array_equal(t, b)
    # smaller batches fit
    gdsim.nn.fit(model, gdsim.Adam(lr=0.01), X, y, epochs=1, batch_size=32, verbose=0)


def test_the_estimate_bounds_what_fit_really_allocates(monkeypatch):
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(1000, 20)), rng.integers(0, 3, 1000)

    def call():  # one batch of 1000 rows for 50 members: the activations dominate
        model = gdsim.nn.MLP([20, 64, 3], population=50, seed=0)
        return gdsim.nn.fit(
            model, gdsim.SGD(lr=0.01, momentum=0.9), X, y, epochs=2, batch_size=1000, verbose=0
        )

    _, peak = traced_peak(call)
    fraction = resources.MEMORY_FRACTION
    limit_memory(monkeypatch, 0.95 * peak / fraction)
    with pytest.raises(ValueError, match="fit"):
        call()
    limit_memory(monkeypatch, 3 * peak / fraction)
    call()


# -- record decides what a metric-driven rule keeps ------------------------------------------------


def plateau():
    return gdsim.ReduceLROnPlateau(factor=0.5, patience=3, monitor="loss")


def test_a_plateau_rule_keeps_only_the_recorded_steps_lrs():
    starts = np.random.default_rng(2).uniform(-4, 4, (50, 2))
    steps = 60
    everything = gdsim.simulate(
        HIMMELBLAU, gdsim.SGD(lr=0.02), starts, steps + 1, callbacks=[plateau()], noise=2.0, seed=1
    )
    assert everything.lrs.shape == (steps + 1, 50)
    # the lr in force at step s is the lr the update from s to s + 1 uses
    every_ten = gdsim.simulate(
        HIMMELBLAU,
        gdsim.SGD(lr=0.02),
        starts,
        steps,
        record=10,
        callbacks=[plateau()],
        noise=2.0,
        seed=1,
    )
    assert every_ten.lrs.shape == (len(every_ten.recorded_steps), 50)
    np.testing.assert_array_equal(every_ten.lrs, everything.lrs[every_ten.recorded_steps])
    final = gdsim.simulate(
        HIMMELBLAU,
        gdsim.SGD(lr=0.02),
        starts,
        steps,
        record="final",
        callbacks=[plateau()],
        noise=2.0,
        seed=1,
    )
    assert final.lrs.shape == (1, 50)
    np.testing.assert_array_equal(final.lrs[0], everything.lrs[steps])
    assert (final.lrs < 0.02).any()  # the rule did cut some lrs: the test sees real changes


def test_a_plateau_rule_recording_the_final_step_allocates_no_lr_table():
    """200k runs x 500 steps kept an (steps, n) table of 800 MB; scaled down here to 20k x 500
    (80 MB of table), the whole call must stay far below it."""
    starts = np.random.default_rng(3).uniform(-4, 4, (20_000, 2))
    run, peak = traced_peak(
        lambda: gdsim.simulate(
            HIMMELBLAU,
            gdsim.SGD(lr=0.01),
            starts,
            500,
            record="final",
            callbacks=[plateau()],
            workers=1,
        )
    )
    assert run.lrs.shape == (1, 20_000)
    assert peak < 40e6, peak


def test_a_constant_lr_is_one_number_seen_as_every_step():
    """A constant lr is not tabulated: ``run.lrs`` is one float broadcast over the steps (a
    table would be 8 TB for steps=10**12 with record="final")."""
    run = gdsim.simulate(HIMMELBLAU, gdsim.SGD(lr=0.01), [[1.0, 1.0]], 1000, record="final")
    assert run.lrs.shape == (1000,) and (run.lrs == 0.01).all()
    assert run.lrs.strides == (0,)


# -- progress -------------------------------------------------------------------------------------


def slow_surface(seconds_per_step):
    """A bowl whose gradient takes ``seconds_per_step`` per call, so a call's length does not
    depend on the machine's speed."""

    def grad(points):
        time.sleep(seconds_per_step)
        return 2 * points

    return gdsim.surfaces.custom(lambda p: (p**2).sum(axis=-1), grad=grad, minima=[[0.0, 0.0]])


def percentages(text):
    return [int(p) for p in re.findall(r"(\d+)%\|", text)]


def test_progress_true_shows_a_bar_that_reaches_the_total(capsys):
    gdsim.simulate(HIMMELBLAU, gdsim.SGD(lr=0.01), np.zeros((10, 2)), 300, progress=True)
    err = capsys.readouterr().err
    assert "run-step" in err and 100 in percentages(err), err


def test_progress_false_and_short_calls_show_nothing(capsys):
    gdsim.simulate(HIMMELBLAU, gdsim.SGD(lr=0.01), np.zeros((10, 2)), 300, progress=False)
    gdsim.simulate(HIMMELBLAU, gdsim.SGD(lr=0.01), np.zeros((10, 2)), 300)
    assert capsys.readouterr().err == ""


def test_an_automatic_bar_appears_for_a_call_expected_to_be_long(capsys):
    surface = slow_surface(0.01)
    gdsim.simulate(surface, gdsim.SGD(lr=0.01), np.zeros((3, 2)), 500)  # about 5 s of sleeping
    err = capsys.readouterr().err
    assert percentages(err) and max(percentages(err)) == 100, err


def test_workers_report_progress_to_the_parent_while_they_compute(capsys, monkeypatch):
    """Two forked workers, each sleeping 2 ms a step for 1,000 steps: the parent's bar moves
    through intermediate values, read from the workers' shared counters."""
    from gdsim.sim import engine

    monkeypatch.setattr(engine, "PARALLEL_WORK", 0)
    surface = slow_surface(0.002)
    run = gdsim.simulate(
        surface,
        gdsim.SGD(lr=0.01),
        np.ones((2048, 2)),
        1000,
        record="final",
        block_size=1024,
        workers=2,
        progress=True,
    )
    err = capsys.readouterr().err
    shown = percentages(err)
    assert any(0 < p < 100 for p in shown) and shown[-1] == 100, err
    assert np.isfinite(run.final).all()


@pytest.mark.parametrize("bad", ["yes", 1, 0.5])
def test_progress_must_be_none_or_a_bool(bad):
    with pytest.raises(TypeError, match="progress"):
        gdsim.simulate(HIMMELBLAU, gdsim.SGD(lr=0.01), [[0.0, 0.0]], 5, progress=bad)
