"""The gallery's figures are legible (the figure lint) and honest (what a title says holds on
the data behind it)."""

import matplotlib
import numpy as np
import pytest

from gdsim import optimizers
from gdsim.plotting import lint
from gdsim.sim.maps import minimum_curvatures
from gdsim.teach import gallery

matplotlib.use("Agg")


def test_every_gallery_figure_has_a_quick_version():
    assert set(gallery.QUICK) == set(gallery.names())


@pytest.mark.parametrize("size", [None, gallery.PROJECTOR], ids=["default", "projector"])
@pytest.mark.parametrize("name", sorted(gallery.QUICK))
def test_every_gallery_figure_passes_the_lint(name, size):
    options = dict(gallery.QUICK[name], **({"figsize": size} if size else {}))
    drawing = gallery.REGISTRY.get(name, **options)
    figure = getattr(drawing, "figure", drawing) if hasattr(drawing, "frame_steps") else drawing
    try:
        if size:
            np.testing.assert_allclose(figure.get_size_inches(), size)
        problems = lint(figure)
        assert not problems, "\n".join(map(str, problems))
    finally:
        import matplotlib.pyplot as plt

        if hasattr(drawing, "frame_steps"):
            drawing.close()
        plt.close("all")


@pytest.mark.parametrize("suffix", ["png", "svg", "pdf"])
def test_save_writes_every_format(tmp_path, suffix):
    figure = gallery.REGISTRY.get("stability", **gallery.QUICK["stability"])
    path = gallery.save(figure, tmp_path / f"map.{suffix}")
    assert path.stat().st_size > 1000 and path.read_bytes()[:4] in (b"\x89PNG", b"<?xm", b"%PDF")


# -- honesty: the claims, checked on the data ------------------------------------------------------


@pytest.fixture(scope="module")
def race():
    return gallery.race(200)


def test_race_is_fair_no_contender_diverges_or_climbs(race):
    for name, tuned in race.items():
        assert tuned.eligible[tuned.lrs == tuned.lr][0], name
        losses = tuned.run.losses
        assert not tuned.run.diverged.any(), name
        assert (losses <= losses[0] * (1 + 1e-12) + 1e-12).all(), name
        # it really is the best of the eligible lrs tried
        assert tuned.scores[tuned.lrs == tuned.lr][0] == tuned.scores[tuned.eligible].min()
        assert f"lr={tuned.lr:.2g} (best of {len(tuned.lrs)})" in tuned.label


def test_race_title_says_what_the_runs_did(race):
    title = gallery.race_title(race)
    reached = np.array([t.run.reached for t in race.values()])
    assert (reached >= 0).all() and "reaches a minimum from every start" in title
    assert not (reached == reached[0]).all() and "not always the same one" in title


def test_race_figure_shows_the_sweep_and_one_colour_per_optimizer():
    figure = gallery.optimizer_race(steps=60)
    *paths, sweep = figure.axes
    colours = {ax.title.get_color() for ax in paths}
    assert len(colours) == len(gallery.RACE)
    assert len(sweep.get_lines()) >= 3 * len(gallery.RACE)
    assert figure._suptitle.get_text() == gallery.race_title(gallery.race(60))


@pytest.fixture(scope="module")
def valley():
    return gallery.valley_race(400)


def test_valley_race_contenders_never_diverge_or_climb(valley):
    nesterov = valley["Nesterov (μ=0.9)"]
    # the old race ran Nesterov at lr 1e-3, above its limit 2(1+μ)/((1+2μ)L) at the start
    assert nesterov.lr < 1e-3
    for name, tuned in valley.items():
        losses = tuned.run.losses[:, 0]
        assert not tuned.run.diverged.any() and (losses <= losses[0] + 1e-12).all(), name


def test_valley_title_names_who_got_there(valley):
    title = gallery.valley_title(valley)
    for name, tuned in valley.items():
        near = np.hypot(*(tuned.run.final.reshape(2) - 1.0)) < gallery.NEAR_THE_MINIMUM
        short = name.split(" (")[0]
        part = title.split(";")[0] if near else title.split(";")[-1]
        assert short in part, (name, near, title)


def test_runs_ending_together_are_told_apart():
    class Fake:
        def __init__(self, end):
            self.run = type("R", (), {"final": np.array([end])})()
            self.label = "x"

    labels = gallery._told_apart(
        {"A": Fake([0.0, 0.0]), "B": Fake([0.01, 0.0]), "C": Fake([2.0, 2.0])}, "rosenbrock"
    )
    assert labels == ["x; ends under B", "x", "x"]


def test_which_minimum_title_holds_on_its_runs():
    import re

    run = gallery.which_minimum_runs(150)
    title = gallery.which_title(run)
    reached = run.reached.reshape(len(gallery.WHICH_LRS), -1)
    limits = 2 / minimum_curvatures(run.surface)
    claims = re.findall(r"\((-?[\d.]+), (-?[\d.]+)\) from lr ([\d.]+)", title)
    assert claims, title
    for x, y, lr in claims:
        k = int(np.argmin(np.hypot(*(run.surface.minima - [float(x), float(y)]).T)))
        i = gallery.WHICH_LRS.index(float(lr))
        assert (reached[0] == k).any() and not (reached[i:] == k).any()
        assert float(lr) > limits[k]  # the mechanism: lost once lr passes 2/λ


def test_basin_map_marks_each_minimum_with_its_limit_and_the_sharp_ones():
    figure = gallery.basins_by_lr(grid=60, steps=200, samples=0)
    basin_map_panels = figure.axes[: len(gallery.BASIN_LRS)]
    curvatures = minimum_curvatures(__import__("gdsim").surfaces.get("himmelblau"))
    limits = 2 / curvatures
    for ax, lr in zip(basin_map_panels, gallery.BASIN_LRS):
        texts = [t.get_text() for t in ax.texts]
        sharp = [t for t in texts if t.startswith("too sharp")]
        assert len(texts) == len(limits)
        assert len(sharp) == int((lr >= limits).sum()), (lr, texts)
        for limit in limits:
            assert any(f"{limit:.3g}" in t for t in texts)


def test_a_minimum_past_its_limit_loses_its_basin():
    from gdsim import basins

    basin_map = basins("himmelblau", optimizers.SGD(lr=0.01), 60, 300, lr=list(gallery.BASIN_LRS))
    limits = basin_map.limits(0)
    for i, lr in enumerate(gallery.BASIN_LRS):
        labels, _ = basin_map.cell(i)
        for k, limit in enumerate(limits):
            share = (labels == k).mean()
            if lr > limit * 1.02:
                assert share < 0.01, (lr, k, share)
            elif lr < limit * 0.8:
                assert share > 0.05, (lr, k, share)


def test_the_list_groups_every_lesson_under_its_heading(capsys):
    from gdsim import cli
    from gdsim.teach import lessons

    headings = list(gallery.catalogue())
    assert headings[0] == "The tour's figures"
    notebooks = sorted(p.name for p in lessons.folder().glob("[0-9][0-9]_*.ipynb"))
    assert [h.split(":")[0] for h in headings[1:]] == [f"Lesson {i}" for i in range(1, 12)]
    assert len(notebooks) == 11
    assert cli.main(["figure", "--list"]) == 0
    out = capsys.readouterr().out
    for heading, figures in gallery.catalogue().items():
        assert f"  {heading}:" in out
        for name in figures:
            assert f"    {name} " in out
