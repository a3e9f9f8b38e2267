"""The browser player's numbers, pages and sizes, checked in Python (the browser tests are in
tests/test_player_browser.py): what travels decodes back to the run, a sweep's axes become
sliders, the frames for GIF/MP4 are untouched, and the pages stay small."""

import matplotlib

matplotlib.use("Agg")

import base64
import json
import re
import zlib

import numpy as np
import pytest

import gdsim
from gdsim import cli, optimizers, surfaces
from gdsim.plotting import animation, movies, player, theme
from gdsim.sim import simulate, sweep

STARTS = np.array([[0.0, 0.0], [-1.0, 1.0], [1.0, -3.0], [4.0, 4.0]])


def payload_of(html):
    """The payload dict a page or fragment hands to gdsimPlayer."""
    start = html.index("gdsimPlayer(document.getElementById(")
    text = html[html.index(", {", start) + 2 : html.rindex(");</script>")]
    return json.loads(text)


def decode(description):
    """The numbers as the player's JavaScript reads them: per group x, y (n, T) and
    log10(loss - f*) (n, T), and the lr curves (curves, S)."""
    data = zlib.decompress(base64.b64decode(description["data"]))
    bytes_ = np.frombuffer(data, np.uint8)

    def undelta(section):
        offset, count, length = section
        low = bytes_[offset : offset + count].astype(np.uint16)
        high = bytes_[offset + count : offset + 2 * count].astype(np.uint16)
        deltas = (low | (high << 8)).reshape(-1, length)
        return np.cumsum(deltas, axis=1, dtype=np.uint64) % 65536

    grid, loss = description["grid"], description["loss"]
    out = []
    for g in description["groups"]:
        codes = undelta(g["xy"]).reshape(g["n"], 2, -1)
        x = grid["low"][0] + codes[:, 0] / 65535 * grid["span"][0]
        y = grid["low"][1] + codes[:, 1] / 65535 * grid["span"][1]
        gap = loss["low"] + undelta(g["loss"]) / 65535 * loss["span"]
        offset, curves, length = g["lr"]
        lrs = np.frombuffer(data, "<f4", curves * length, offset).reshape(curves, length)
        out.append({"x": x, "y": y, "gap": gap, "lrs": lrs})
    return out


@pytest.fixture(scope="module")
def grid_run():
    return sweep(
        "himmelblau", optimizers.SGD, STARTS, 40, lr=[0.002, 0.01, 0.02], momentum=[0.0, 0.9]
    )


def small(*args, **kwargs):
    kwargs.setdefault("dpi", 50)
    kwargs.setdefault("resolution", 40)
    return animation.animate(*args, **kwargs)


def test_the_numbers_decode_back_to_the_run(grid_run):
    anim = small(grid_run)
    description = player.payload(anim, poster=False)
    decoded = decode(description)
    surface = grid_run.surface
    # 16-bit steps over twice the axes' span: within 20 / 65535 of the run's positions
    resolution = np.array(description["grid"]["span"]) / 65535
    for g, (i, j) in enumerate(np.ndindex(3, 2)):
        cell = grid_run.positions[:, i, j]  # (T, n, 2)
        inside = np.abs(cell) < 10  # the grid spans the axes twice
        x, y = decoded[g]["x"].T, decoded[g]["y"].T  # (T, n)
        assert np.all(np.abs(x - cell[..., 0])[inside[..., 0]] <= resolution[0])
        assert np.all(np.abs(y - cell[..., 1])[inside[..., 1]] <= resolution[1])
        # losses within 0.05 % where the loss panel shows them
        gap = grid_run.losses[:, i, j] - surface.minima_values[0]
        low, span = description["loss"]["low"], description["loss"]["span"]
        shown = (gap > 10 ** (low + 1)) & (gap < 10 ** (low + span - 1))
        relative = np.abs(10 ** decoded[g]["gap"].T[shown] / gap[shown] - 1)
        assert relative.max() < 5e-4
        # one lr curve when every start shares it, holding the cell's lr
        assert decoded[g]["lrs"].shape == (1, 40)
        np.testing.assert_allclose(decoded[g]["lrs"][0], grid_run.coords["lr"][i], rtol=1e-6)
    anim.close()


def test_a_sweeps_axes_become_sliders_and_each_cell_knows_its_place(grid_run):
    anim = small(grid_run)
    description = player.payload(anim, poster=False)
    assert [(s["name"], s["labels"]) for s in description["sliders"]] == [
        ("lr", ["0.002", "0.01", "0.02"]),
        ("momentum", ["0", "0.9"]),
    ]
    for group, (i, j) in zip(description["groups"], np.ndindex(3, 2)):
        assert group["cell"] == {"0": i, "1": j}
        assert group["label"] == f"lr={grid_run.coords['lr'][i]:g}, momentum={[0, 0.9][j]:g}"
        # with sliders a run's cells take turns in one colour
        assert {description["colors"][c] for c in group["colors"]} == {theme.PALETTE[0]}
        np.testing.assert_allclose(group["starts"], STARTS)
    assert description["legend"] is True  # the cell is named under the figure, not in it
    anim.close()


def test_a_list_of_runs_is_overlaid_without_sliders():
    runs = [
        simulate("himmelblau", opt, STARTS, 30)
        for opt in (optimizers.SGD(lr=0.01), optimizers.Adam(lr=0.1))
    ]
    anim = small(runs, internals=True)
    description = player.payload(anim, poster=False)
    assert description["sliders"] == [] and description["legend"] is False
    colours = [{description["colors"][c] for c in g["colors"]} for g in description["groups"]]
    assert colours == [{theme.color(0)}, {theme.color(1)}]
    assert [a["group"] for a in description["arrows"]] == [0, 1]
    assert [a["kind"] for a in description["axes"]] == ["main", "loss"]
    anim.close()


def test_colour_by_minimum_and_facets_keep_their_colours_and_panels(grid_run):
    anim = small(grid_run, facet=True, color_by="minimum")
    description = player.payload(anim, poster=False)
    assert description["sliders"] == []  # facets show every cell at once
    assert [g["axes"] for g in description["groups"]] == list(range(6))
    cell = grid_run.reached[0, 1]
    assert [description["colors"][c] for c in description["groups"][1]["colors"]] == [
        theme.basin_color(k) for k in cell
    ]
    anim.close()


def test_the_frames_stay_as_they_were(grid_run):
    # the player's drawing (legend taken out, layout redone) leaves the GIF's frames intact
    anim = small(grid_run, frames=5)
    before = [anim.render(i) for i in range(len(anim))]
    legend = anim.scene.cell_legend
    player.fragment(anim)
    assert legend.get_visible() and any(legend is f for f in anim.figure.legends)
    after = [anim.render(i) for i in range(len(anim))]
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)
    anim.close()


def test_the_background_leaves_out_what_moves_and_the_cell_legend(grid_run):
    anim = small(grid_run, panels=None)
    legend = anim.scene.cell_legend
    with anim.still(hide=[legend]) as rgb:
        assert not any(legend is f for f in anim.figure.legends)
    assert any(legend is f for f in anim.figure.legends)
    # no path colour in the background: paths are the player's to draw
    blue = np.array([int(theme.PALETTE[0][k : k + 2], 16) for k in (1, 3, 5)])
    assert not np.any(np.all(rgb == blue, axis=-1))
    assert np.any(np.all(anim.render(len(anim) - 1) == blue, axis=-1))
    anim.close()


def test_save_html_writes_the_page_and_text_is_readable(grid_run, tmp_path):
    anim = small(grid_run, dpi=100, title="A sweep")
    path = anim.save(tmp_path / "page.html")
    html = path.read_text()
    assert html.startswith("<!DOCTYPE html>") and "<title>A sweep</title>" in html
    assert "http://" not in html and "https://" not in html  # nothing to fetch
    description = payload_of(html)
    width = description["width"]
    font = int(re.search(r"font-size:(\d+)px", html).group(1))
    assert font >= width / 90
    # every text matplotlib drew in the background is at least 1/90 of the player's width
    texts = [
        t
        for t in anim.figure.findobj(matplotlib.text.Text)
        if t.get_visible() and t.get_text() and t not in anim._moving
    ]
    assert texts
    for text in texts:
        assert text.get_fontsize() * anim.figure.dpi / 72 >= width / 90, text.get_text()
    anim.close()


def test_an_animation_without_numbers_keeps_the_frame_player():
    figure = matplotlib.figure.Figure(figsize=(2, 2), dpi=30)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    (line,) = figure.add_subplot().plot([0, 1], [0, 1])
    anim = movies.Animation(figure, lambda i: line.set_xdata([0, i]), [line], [0, 1, 2], 5)
    html = anim._repr_html_()
    assert html.count("data:image/png;base64,") == 3 + 1 and "gdsimPlayer" not in html


def test_the_frame_player_inserts_frames_in_one_pass():
    # base64 can spell the template's words; inserted text must never be substituted again
    writer = movies.HtmlWriter()
    writer.urls = ["data:image/png;base64,STEPSLASTFIRSTDELAYSFRAMESUID", "data:,LAST"]
    writer.steps, writer.durations = np.array([0, 7]), np.array([100, 900])
    html = writer.html()
    assert "data:image/png;base64,STEPSLASTFIRSTDELAYSFRAMESUID" in html
    assert '"data:,LAST"' in html
    assert "steps=[0,7]" in html and "delays=[100,900]" in html and 'max="1"' in html
    assert "$" not in html.replace("$$", "")


def test_the_twelve_by_three_sweep_page_is_small(tmp_path):
    # the measure: 12 lrs x 3 momenta x 30 starts x 100 steps (13.6 MB as frames)
    surface = surfaces.get("himmelblau")
    starts = np.random.default_rng(0).uniform(-5, 5, (30, 2))
    run = sweep(
        surface,
        optimizers.SGD,
        starts,
        100,
        lr=list(np.geomspace(0.001, 0.02, 12)),
        momentum=[0, 0.5, 0.9],
    )
    anim = animation.animate(surface, run)
    size = anim.save(tmp_path / "sweep.html").stat().st_size
    inline = len(anim._repr_html_().encode())
    anim.close()
    assert size < 1_000_000 and inline < 1_000_000  # the aim; the limit is 3 MB


# -- gdsim page ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("0.001:0.02:3", [0.001, 0.00447, 0.02]),  # lr: geometric, 3 significant digits
        ("0.001,0.01", [0.001, 0.01]),
        ("0.1", [0.1]),
        ("0.1:0.3:3:linear", [0.1, 0.2, 0.3]),
    ],
)
def test_lr_values(text, expected):
    np.testing.assert_allclose(cli._sweep_values("lr", text, 0.001), expected)


def test_other_values_are_evenly_spaced_and_typed():
    np.testing.assert_allclose(cli._sweep_values("momentum", "0:0.9:4", 0.0), [0, 0.3, 0.6, 0.9])
    np.testing.assert_allclose(
        cli._sweep_values("eps", "1e-8:1e-4:3:log", 1e-8), [1e-8, 1e-6, 1e-4]
    )
    assert cli._sweep_values("nesterov", "false,true", False) == [False, True]
    assert cli._sweep_values("betas", "0.9,0.99;0.5,0.9", (0.9, 0.999)) == [(0.9, 0.99), (0.5, 0.9)]
    assert cli._sweep_values("convention", "keras", "pytorch") == ["keras"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--lr", "0.1:1"], "lo:hi:n"),
        (["--lr", "0:1:3"], "lo and hi > 0"),
        (["--lr", "0.1:1:x"], "whole number"),
        (["--momentum", "fast"], "takes numbers"),
        (["--nesterov", "maybe"], "true or false"),
        (["--optimizer", "adam", "--momentum", "0.9"], "unknown hyperparameter of adam 'momentum'"),
        (["--optimizer", "adma"], "did you mean 'adam'"),
        (["--optimizer", "adam", "--betas", "0.9"], "2 numbers"),
        (["--starts", "0"], "--starts"),
        (["--out", "page.gif"], "must end in .html"),
    ],
)
def test_page_explains_bad_input(argv, message, capsys, tmp_path):
    if "--out" not in argv:
        argv = argv + ["--out", str(tmp_path / "p.html")]
    assert cli.main(["page", "himmelblau"] + argv) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "p.html").exists()


def test_page_writes_a_sweep_with_a_slider_per_swept_value(tmp_path, capsys):
    out = tmp_path / "page.html"
    assert (
        cli.main(
            [
                "page",
                "himmelblau",
                "--optimizer",
                "sgd",
                "--lr",
                "0.001:0.02:4",
                "--momentum",
                "0,0.9",
                "--weight-decay",
                "0.001",
                "--starts",
                "5",
                "--steps",
                "20",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert str(out) in capsys.readouterr().out
    description = payload_of(out.read_text())
    assert [(s["name"], len(s["labels"])) for s in description["sliders"]] == [
        ("lr", 4),
        ("momentum", 2),
    ]
    assert len(description["groups"]) == 8 and description["last"] == 20
    assert all(g["n"] == 5 for g in description["groups"])
    assert "weight_decay=0.001" in out.read_text()  # the fixed value is in the title


def test_page_takes_points_and_any_registered_optimizer(tmp_path):
    out = tmp_path / "adam.html"
    assert (
        cli.main(
            [
                "page",
                "rosenbrock",
                "--optimizer",
                "Adam",
                "--lr",
                "0.01,0.1",
                "--betas",
                "0.9,0.99",
                "--starts=-1.5,2;0,2",
                "--steps",
                "10",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    description = payload_of(out.read_text())
    np.testing.assert_allclose(description["groups"][0]["starts"], [[-1.5, 2], [0, 2]])
    assert [g["label"] for g in description["groups"]] == ["lr=0.01", "lr=0.1"]


def test_the_page_command_is_listed(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "page" in capsys.readouterr().out
    assert gdsim.animate is animation.animate


def test_a_loss_landscape_movie_plays_in_the_browser_player(tmp_path):
    from gdsim import datasets
    from gdsim.nn import MLP, fit
    from gdsim.toolkit.landscape import RecordWeights, animate_landscape, loss_landscape

    X, y = datasets.blobs(60, centers=3, n_features=2, seed=0)
    record, net = RecordWeights(), MLP([2, 6, 3], seed=0)
    fit(net, optimizers.SGD(lr=0.5), X, y, epochs=8, verbose=0, callbacks=[record])
    plane = loss_landscape(net, X, y, directions="pca", trajectory=record, resolution=12)
    anim = animate_landscape(plane)
    description = payload_of(anim.to_jshtml())  # the lessons' call: now the browser player
    assert description["clockName"] == "epoch" and description["outcomes"] == {}
    (group,) = decode(description)
    np.testing.assert_allclose(
        group["x"][0], plane.path[:, 0], atol=description["grid"]["span"][0] / 65535
    )
    gap = np.asarray(plane.path_loss) - plane.center_loss
    shown = gap > 10 ** (description["loss"]["low"] + 1)
    np.testing.assert_allclose(10 ** group["gap"][0][shown], gap[shown], rtol=5e-4)
    anim.close()
