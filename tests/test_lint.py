"""The figure lint finds each kind of problem it names, and passes a clean figure."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from gdsim import plotting  # noqa: E402
from gdsim.plotting import check, lint  # noqa: E402


def kinds(fig):
    return sorted({p.kind for p in lint(fig)})


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_a_clean_figure_passes():
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    ax.plot([0, 1], [0, 1], label="a")
    ax.plot([0, 1], [1, 0], label="b")
    ax.set_title("two lines")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))
    assert lint(fig) == []
    check(fig)


def test_small_text_is_relative_to_the_width():
    fig, ax = plt.subplots(figsize=(20, 4), layout="constrained")
    ax.set_title("a wide strip", fontsize=12)  # 20-inch figure: at least 16 pt
    assert "small text" in kinds(fig)
    narrow, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    ax.set_title("a narrow figure", fontsize=12)
    assert "small text" not in kinds(narrow)


def test_overlapping_texts():
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    ax.text(0.5, 0.5, "first label", transform=ax.transAxes)
    ax.text(0.52, 0.5, "second label", transform=ax.transAxes)
    assert "overlap" in kinds(fig)


def test_a_legend_over_the_data():
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    x = np.linspace(0, 1, 200)
    ax.plot(x, np.full_like(x, 0.5), label="flat")
    ax.plot(x, x, label="rising")
    ax.legend(loc="center", fontsize=30)
    assert "legend over data" in kinds(fig)


def test_two_labelled_paths_in_one_colour():
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    ax.plot([0, 1], [0, 1], color="C0", label="one")
    ax.plot([0, 1], [1, 0], color="C0", label="other")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))
    assert "shared colour" in kinds(fig)


def test_text_past_the_edge():
    fig, ax = plt.subplots(figsize=(6, 4))
    fig.text(0.9, 0.5, "this sentence runs off the right edge")
    assert "cut off" in kinds(fig)


def test_ticks_outside_the_view_are_not_counted():
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    ax.set_yscale("log")
    ax.plot([1, 2], [1e-12, 1e2])
    fig.canvas.draw()
    ax.set_ylim(1e-8, 1e2)  # ticks made for the first view stay behind, undrawn
    assert lint(fig) == []


def test_check_lists_every_problem():
    fig, ax = plt.subplots(figsize=(20, 4))
    ax.set_title("tiny", fontsize=6)
    with pytest.raises(AssertionError, match="small text"):
        check(fig, name="strip")


class _FakeIPython:
    """Just enough of IPython for watch_notebook: events and showtraceback."""

    def __init__(self):
        self.handlers, self.shown = {}, []
        self.events = self
        self.showtraceback = self.shown.append

    def register(self, event, handler):
        self.handlers[event] = handler

    def run_cell(self, draw):
        result = type("Result", (), {"result": draw(), "error_in_exec": None})()
        result.error_before_exec = None
        self.handlers["post_execute"]()
        self.handlers["post_run_cell"](result)
        plt.close("all")
        return result.error_in_exec


def test_a_lesson_cell_fails_on_a_figure_no_gallery_function_drew():
    from gdsim.plotting.lint import NOT_FROM_THE_GALLERY, watch_notebook
    from gdsim.teach import gallery

    ipython = _FakeIPython()
    watch_notebook(ipython, require_gallery=True)

    def hand_made():
        fig, ax = plotting.subplots(figsize=(6, 4))
        ax.plot([0, 1], [1, 0])
        ax.set_title("drawn in the cell")

    error = ipython.run_cell(hand_made)
    assert isinstance(error, AssertionError) and NOT_FROM_THE_GALLERY in str(error)
    figure = gallery.REGISTRY.get("stability", **gallery.QUICK["stability"])
    assert figure.gdsim_figure == "stability"
    assert ipython.run_cell(lambda: gallery.stability_map(**gallery.QUICK["stability"])) is None

    plain = _FakeIPython()
    watch_notebook(plain)  # the homework: legibility only
    assert plain.run_cell(hand_made) is None
