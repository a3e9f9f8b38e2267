"""Animations are checked on their data and frame counts, never on pixels."""

import matplotlib

matplotlib.use("Agg")

import sys

import numpy as np
import pytest
from PIL import Image

from gdsim import optimizers, schedules, surfaces
from gdsim.plotting import animation, movies
from gdsim.sim import simulate, sweep
from gdsim.teach import gallery

STARTS = np.array([[0.0, 0.0], [-1.0, 1.0], [1.0, -3.0]])


class CountingWriter:
    """A null movie writer: keeps nothing but the number and size of the frames."""

    def setup(self, anim):
        self.count, self.shapes, self.finished = 0, set(), False

    def grab(self, rgb):
        self.count += 1
        self.shapes.add(rgb.shape)

    def finish(self, path):
        self.finished = True


@pytest.fixture(scope="module")
def race():
    surface = surfaces.get("himmelblau")
    runs = [
        simulate(surface, opt, STARTS, 30)
        for opt in (optimizers.SGD(lr=0.01), optimizers.Adam(lr=0.2))
    ]
    return surface, runs


def small(*args, **kwargs):
    kwargs.setdefault("dpi", 40)
    kwargs.setdefault("resolution", 40)
    return animation.animate(*args, **kwargs)


def test_null_writer_counts_the_frames(race, tmp_path):
    surface, runs = race
    anim = small(surface, runs, frames=7)
    writer = CountingWriter()
    anim.save(tmp_path / "x.gif", writer=writer)
    assert writer.count == 7 == len(anim) and writer.finished
    assert writer.shapes == {anim.size[::-1] + (3,)}
    anim.close()


def test_saved_gif_has_the_frames_asked_for(race, tmp_path):
    surface, runs = race
    anim = small(surface, runs, every=5, fps=10, hold=2.0)
    np.testing.assert_array_equal(anim.frame_steps, [0, 5, 10, 15, 20, 25, 30])
    path = anim.save(tmp_path / "race.gif")
    with Image.open(path) as gif:
        assert gif.n_frames == 7
        assert gif.size == anim.size
        gif.seek(6)
        # file metadata, not a timing: the last frame's display delay is the hold asked for (2.0 s)
        assert gif.info["duration"] == 2000
    anim.close()


def drawn_paths(lines):
    """The trajectories a trail line holds: its points between the NaN pen-lifts."""
    paths = []
    for line in lines:
        xy = np.column_stack(line.get_data())
        breaks = np.flatnonzero(np.isnan(xy[:, 0]))
        paths += [xy[a + 1 : b] for a, b in zip(np.r_[-1, breaks[:-1]], breaks)]
    return paths


def heads_of(anim):
    """The moving particles' markers: ``(positions (n, 2), face colours)`` in drawing order."""
    lines = [a for a in anim._moving if hasattr(a, "get_marker") and a.get_marker() == "o"]
    lines = [line for line in lines if line.axes is lines[0].axes]  # the first panel's
    positions = np.concatenate([np.column_stack(line.get_data()) for line in lines])
    colours = [line.get_markerfacecolor() for line in lines for _ in line.get_xdata()]
    return positions, colours


def test_trails_and_heads_hold_the_runs_positions(race):
    surface, runs = race
    anim = small(surface, runs, frames=4, panels=None)
    anim.render(2)
    step = anim.frame_steps[2]
    heads, _ = heads_of(anim)
    segments = drawn_paths(anim._traces)
    expected = [run.positions[: step + 1, i] for run in runs for i in range(len(STARTS))]
    assert len(segments) == len(expected)
    for got, want in zip(segments, expected):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(heads, np.concatenate([r.positions[step] for r in runs]))
    anim.close()


def test_painting_trails_frame_by_frame_draws_what_a_full_redraw_draws(race):
    """Whole trails are painted into the background one frame's new segments at a time; a
    frame reached in order must look like the same frame drawn from scratch."""
    surface, runs = race
    anim = small(surface, runs, frames=6, panels=None)
    in_order = [anim.render(i) for i in range(len(anim))]
    fresh = small(surface, runs, frames=6, panels=None)
    alone = fresh.render(len(anim) - 1)  # random access: every path from the start
    differ = np.abs(in_order[-1].astype(int) - alone.astype(int)).max(axis=-1) > 48
    assert differ.mean() < 0.002  # the same picture up to anti-aliasing where pieces join
    anim.close()
    fresh.close()


def test_trail_window_and_loss_panel(race):
    surface, runs = race
    anim = small(surface, runs, every=10, trail=4, panels=("loss", "lr"))
    anim.render(3)  # step 30
    segments = drawn_paths([a for a in anim._moving if hasattr(a, "get_xydata")])
    np.testing.assert_array_equal(segments[0], runs[0].positions[26:31, 0])
    loss_lines = next(
        a
        for a in anim._moving
        if a.axes is not None and a.axes.get_ylabel() == "loss − f*" and hasattr(a, "get_segments")
    )
    curve = loss_lines.get_segments()[len(STARTS)]  # second run, first start
    np.testing.assert_allclose(curve[:, 1], np.maximum(runs[1].losses[:, 0], np.finfo(float).tiny))
    anim.close()


def test_sweep_legend_names_each_cells_hyperparameters():
    run = sweep("three_hump_camel", optimizers.SGD, STARTS * 0.5, 12, lr=[0.01, 0.05])
    anim = small(run, frames=3, panels="auto")
    legends = anim.figure.legends + [ax.get_legend() for ax in anim.figure.axes if ax.get_legend()]
    texts = [t.get_text() for legend in legends for t in legend.get_texts()]
    assert texts == ["lr=0.01", "lr=0.05"]
    anim.close()


def test_internals_arrows_are_gradient_step_and_step_taken():
    surface = surfaces.get("quadratic")
    run = simulate(surface, optimizers.SGD(lr=0.05, momentum=0.9), np.array([[1.5, 1.0]]), 20)
    anim = small(run, frames=21, internals=True, panels=None)
    anim.render(5)
    gradient, taken = [a for a in anim._moving if hasattr(a, "U")]
    np.testing.assert_array_equal(gradient.get_offsets(), run.positions[5])
    np.testing.assert_allclose(
        np.column_stack((gradient.U, gradient.V))[0], -0.05 * surface.grad(run.positions[5, 0])
    )
    np.testing.assert_allclose(
        np.column_stack((taken.U, taken.V))[0], run.positions[6, 0] - run.positions[5, 0]
    )
    anim.close()


def test_facets_colour_by_minimum_and_schedule_panel(tmp_path):
    lr = schedules.cosine(0.02, 15)
    run = sweep("himmelblau", optimizers.SGD, STARTS, 15, lr=[0.005, 0.01])
    anim = small(run, frames=4, facet=True, color_by="minimum")
    assert len([ax for ax in anim.figure.axes if ax.get_visible()]) == 2
    anim.render(len(anim) - 1)
    _, colours = heads_of(anim)
    assert len(colours) == len(STARTS)
    first_panel = run.reached.reshape(2, -1)[0]
    assert len(set(colours)) == len(set(first_panel))  # one colour per minimum reached
    frames = anim.save(tmp_path / "frames.html", writer=movies.HtmlWriter()).read_text()
    assert frames.count("data:image/png;base64,") == 4 + 1  # the frame player: four and a poster
    html = anim._repr_html_()  # the browser player: a poster and the background, numbers
    assert html.count("data:image/png;base64,") == 2 and "gdsimPlayer(" in html
    anim.close()
    scheduled = simulate("himmelblau", optimizers.SGD(lr=lr), STARTS, 15)
    anim = small(scheduled, frames=3)
    assert {ax.get_ylabel() for ax in anim.figure.axes} >= {"loss − f*", "learning rate"}
    anim.save(tmp_path / "a.html")
    assert "step 15" not in (tmp_path / "a.html").read_text()[:100]
    anim.close()


def test_tour_pictures(tmp_path):
    race = gallery.save(gallery.optimizer_race_movie(steps=30, frames=4), tmp_path / "race.html")
    assert race.read_text().count("data:image/png;base64,") == 2  # the browser player's page
    gif = gallery.save(gallery.which_minimum(steps=20, frames=3), tmp_path / "which.gif")
    with Image.open(gif) as image:
        assert image.n_frames == 3


def test_mp4_pipes_raw_even_sized_frames_to_ffmpeg(race, tmp_path, monkeypatch):
    # a stand-in ffmpeg that records how many bytes it was fed, so the pipe is tested anywhere
    fake = tmp_path / "ffmpeg"
    fake.write_text(
        "#!" + sys.executable + "\nimport sys\n"
        "data = sys.stdin.buffer.read()\n"
        "open(sys.argv[-1], 'w').write(str(len(data)) + ' ' + ' '.join(sys.argv[1:]))\n"
    )
    fake.chmod(0o755)
    monkeypatch.setattr(movies.shutil, "which", lambda name: str(fake))
    surface, runs = race
    anim = small(surface, runs, frames=3, figsize=(3.025, 2.525))
    assert anim.size == (121, 101)  # odd: the writer must crop to even
    out = anim.save(tmp_path / "x.mp4").read_text().split()
    w, h = anim.size[0] // 2 * 2, anim.size[1] // 2 * 2
    assert int(out[0]) == 3 * w * h * 3
    assert f"{w}x{h}" in out and "libx264" in out
    anim.close()


def test_bad_arguments(race, tmp_path, monkeypatch):
    surface, runs = race
    with pytest.raises(ValueError, match="frames"):
        animation.animate(surface, runs, frames=100)
    with pytest.raises(TypeError, match="runs must be a Run"):
        animation.animate(surface, [1, 2])
    with pytest.raises(ValueError, match="panels"):
        animation.animate(surface, runs, panels="los")
    with pytest.raises(ValueError, match="color_by"):
        animation.animate(surface, runs, color_by="colour")
    with pytest.raises(ValueError, match="internals"):
        animation.animate(surface, runs, internals=[(5, 0)])
    anim = small(surface, runs, frames=2)
    with pytest.raises(ValueError, match=r"\.gif"):
        anim.save(tmp_path / "x.avi")
    monkeypatch.setattr(movies.shutil, "which", lambda name: None)  # a machine without ffmpeg
    with pytest.raises(RuntimeError, match="ffmpeg"):
        anim.save(tmp_path / "x.mp4")
    anim.close()


def test_a_rules_lrs_recorded_every_few_steps_are_drawn_at_their_steps():
    """ReduceLROnPlateau's lrs follow ``record``: one per recorded step. The lr panel, the
    gradient arrows and the browser player place each at its own step, not at its row number."""
    from gdsim.plotting import player

    rule = schedules.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2, min_delta=1e-3)
    run = simulate("himmelblau", optimizers.SGD(lr=0.02), STARTS, 120, callbacks=[rule], record=5)
    assert len(run.lrs) == len(run.recorded_steps) < run.steps
    np.testing.assert_array_equal(run.lr_steps, run.recorded_steps)
    assert np.ptp(run.lrs) > 0  # the rule did cut the lr
    anim = animation.animate(run, panels=("loss", "lr"), frames=6, internals=True)
    try:
        panel = anim.scene.sides["lr"]
        anim.render(len(anim) - 1)
        (curves,) = [c for c in panel.collections if len(c.get_segments())]
        for segment, j in zip(curves.get_segments(), range(len(STARTS))):
            np.testing.assert_array_equal(segment[:, 0], run.recorded_steps)
            np.testing.assert_array_equal(segment[:, 1], run.lrs[:, j])
        description = player.payload(anim, poster=False)
        group = description["groups"][0]
        assert description["stepTables"][group["lrSteps"]] == run.recorded_steps.tolist()
    finally:
        anim.close()
    every = simulate("himmelblau", optimizers.SGD(lr=0.02), STARTS, 30, callbacks=[rule])
    np.testing.assert_array_equal(every.lr_steps, np.arange(30))
    anim = animation.animate(every, panels=("lr",), frames=3)
    try:
        assert player.payload(anim, poster=False)["groups"][0]["lrSteps"] == -1
    finally:
        anim.close()
