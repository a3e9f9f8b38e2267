"""An explorer closes everything it made, so making explorer after explorer takes no memory."""

import gc
import warnings

import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import gdsim  # noqa: E402
from gdsim.plotting import explorer  # noqa: E402


def live_widgets():
    """How many widgets ipywidgets keeps alive (its registry: a widget leaves it when closed)."""
    from ipywidgets.widgets import widget

    registry = getattr(widget, "_instances", None)
    if registry is None:  # ipywidgets 7 kept it on the class
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            registry = ipywidgets.Widget.widgets
    return len(registry)


@pytest.fixture()
def made():
    """Every widget constructed while the test runs (ipywidgets' public construction hook)."""
    widgets = []
    ipywidgets.Widget.on_widget_constructed(widgets.append)
    yield widgets
    ipywidgets.Widget.on_widget_constructed(None)


def test_close_closes_every_widget_and_detaches_the_callbacks(made):
    ex = explorer.explore("himmelblau", steps=40, n_starts=4, dpi=30)
    assert len(made) > 20 and all(w.comm is not None for w in made)
    redraws = ex.redraws
    ex.close()
    assert all(w.comm is None for w in made)  # layouts and styles too
    ex.widgets["lr"].value = ex.widgets["lr"].value * 2  # no callback reruns anything
    assert ex.redraws == redraws and ex.closed
    assert "closed" in repr(ex) and ex.run.final.shape == (4, 2)
    ex.close()  # a second close does nothing


def test_making_and_closing_explorers_keeps_widgets_and_figures_flat():
    def cycle():
        with gdsim.explore("rosenbrock", steps=30, n_starts=3, dpi=30) as ex:
            ex.widgets["optimizer"].value = "adam"
        return ex

    cycle()
    gc.collect()
    widgets, figures = live_widgets(), len(plt.get_fignums())
    for _ in range(12):
        cycle()
        gc.collect()
        assert live_widgets() == widgets and len(plt.get_fignums()) == figures


def test_a_closed_explorer_can_be_freed():
    import weakref

    ex = explorer.explore("himmelblau", steps=30, n_starts=3, dpi=30)
    figure = weakref.ref(ex.figure)
    ex.close()
    del ex
    gc.collect()
    assert figure() is None  # nothing (registry, callbacks, pyplot) holds the figure


def test_a_start_far_outside_is_a_diverged_run_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # RuntimeWarning (or any other) fails here
        with explorer.explore("himmelblau", steps=40, n_starts=2, dpi=30) as ex:
            ex.add_start(1e300, 0)
            ex.add_start(-1e300, 1e300)
            assert ex.error is None
            assert ex.run.diverged[-2:].all() and not ex.run.diverged[:2].any()
            np.testing.assert_array_equal(ex.run.final[-2:], [[1e300, 0], [-1e300, 1e300]])
