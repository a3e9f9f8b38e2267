"""The browser player in a real browser: headless Chromium (Debian's, driven by Playwright)
opens the pages from file:// with the network switched off.

It checks what a student would see: no request leaves the page and no script fails; the
sliders exist and the lr slider redraws the paths; a drawn path's pixels sit where matplotlib
puts the same points (and draws them in its own frames); play advances the step; hovering a
path names its hyperparameters and loss; the text is large enough and nothing overlaps.

One browser serves the whole session. Without Chromium (or Playwright) the tests skip and
say so; CI installs Debian's chromium (.ci/run).
"""

import matplotlib

matplotlib.use("Agg")

import base64
import io
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gdsim import optimizers
from gdsim.plotting import animation, theme
from gdsim.sim import simulate, sweep

CHROMIUM = os.environ.get("GDSIM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
]
STARTS = np.array([[0.0, 0.0], [-1.0, 1.0], [1.0, -3.0], [4.0, 4.0], [-3.0, -1.0], [2.0, 1.0]])
BLUE = np.array([int(theme.PALETTE[0][k : k + 2], 16) for k in (1, 3, 5)])


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM} (apt-get install chromium); the player's "
            "browser tests need a real browser"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
    )
    playwright = sync_api.sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    # one context for the session, offline: a page that tried the network would fail loudly
    context = browser.new_context(
        offline=True, viewport={"width": 1280, "height": 900}, device_scale_factor=1
    )
    yield context
    context.close()
    browser.close()
    playwright.stop()


class Visit:
    """A page opened from file:// offline, with every request and error it made."""

    def __init__(self, context, path, players=True):
        self.page = context.new_page()
        self.requests, self.errors = [], []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.goto(Path(path).resolve().as_uri())
        if players:  # every browser player on the page has unpacked its numbers and drawn
            self.page.wait_for_function(
                "[...document.querySelectorAll('.gdsim-player')].every(p => p.dataset.ready)",
                timeout=15_000,
            )

    def canvas(self, index=0):
        """What the player's canvas holds, as an RGBA array in the figure's pixels."""
        url = self.page.evaluate(
            f"document.querySelectorAll('.gd-canvas')[{index}].toDataURL('image/png')"
        )
        return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",")[1]))))

    def click(self, action, index=0):
        self.page.locator(f"button[data-action={action}]").nth(index).click()

    def close(self):
        self.page.close()


@pytest.fixture
def visit(browser):
    opened = []

    def open_(path, players=True):
        opened.append(Visit(browser, path, players))
        return opened[-1]

    yield open_
    for v in opened:
        v.close()


@pytest.fixture(scope="module")
def sweep_page(tmp_path_factory):
    run = sweep(
        "himmelblau", optimizers.SGD, STARTS, 40, lr=[0.002, 0.01, 0.02], momentum=[0.0, 0.9]
    )
    anim = animation.animate(run, dpi=100, title="Three lrs, two momenta")
    path = anim.save(tmp_path_factory.mktemp("pages") / "sweep.html")
    anim.close()
    return path


@pytest.fixture(scope="module")
def one_path(tmp_path_factory):
    """One curved path with a loss panel, and matplotlib's own transform and last frame."""
    run = simulate("himmelblau", optimizers.SGD(lr=0.004, momentum=0.5), [[-0.5, -4.2]], 60)
    anim = animation.animate(run, dpi=100, panels=("loss",))
    path = anim.save(tmp_path_factory.mktemp("pages") / "one.html")
    main, loss = anim.scene.mains[0], anim.scene.sides["loss"]
    height = anim.figure.bbox.height

    def pixels(ax, points):  # matplotlib's display coordinates, flipped to the top-left
        xy = ax.transData.transform(points)
        return np.column_stack((xy[:, 0], height - xy[:, 1]))

    positions = run.positions[:, 0]
    gap = run.losses[:, 0] - run.surface.minima_values[0]
    frame = anim.render(len(anim) - 1)
    x0, y0, x1, y1 = loss.bbox.extents
    loss_box = (x0, height - y1, x1, height - y0)
    anim.close()
    return {
        "path": path,
        "frame": frame,
        "main": pixels(main, positions),
        "loss": pixels(loss, np.column_stack((np.arange(61), gap))),
        "loss_box": loss_box,
    }


def near_colour(image, point, colour, radius=2, tolerance=40):
    """Is there an opaque pixel of ``colour`` within ``radius`` px of ``point``?"""
    x, y = int(round(point[0])), int(round(point[1]))
    patch = image[max(0, y - radius) : y + radius + 1, max(0, x - radius) : x + radius + 1]
    rgb = patch[..., :3].astype(int)
    close = np.abs(rgb - colour).max(axis=-1) < tolerance
    if patch.shape[-1] == 4:
        close &= patch[..., 3] > 128
    return bool(close.any())


def test_no_request_leaves_the_page_and_no_script_fails(visit, sweep_page):
    v = visit(sweep_page)
    assert v.page.url.startswith("file://")
    assert v.requests == [v.page.url]  # the file itself; nothing else, not even a data: fetch
    assert v.errors == []
    assert v.page.get_attribute(".gdsim-player", "data-ready") == "1"
    assert v.page.title() == "Three lrs, two momenta"


def test_sliders_exist_and_the_lr_slider_redraws_the_paths(visit, sweep_page):
    v = visit(sweep_page)
    page = v.page
    for control in ("step", "trail"):
        assert page.locator(f"input[data-control={control}]").count() == 1
    assert page.locator("input[data-control=sweep]").count() == 2
    assert page.locator("select[data-control=speed]").count() == 1
    lr = page.locator("input[data-name=lr]")
    assert (lr.get_attribute("min"), lr.get_attribute("max")) == ("0", "2")
    assert page.inner_text(".gd-legend") == "lr=0.002, momentum=0"
    v.click("last")
    before = v.canvas()
    lr.fill("2")
    after = v.canvas()
    assert page.inner_text(".gd-legend") == "lr=0.02, momentum=0"
    assert lr.evaluate("e => e.nextElementSibling.textContent") == "0.02"
    changed = np.any(before != after, axis=-1).mean()
    assert changed > 0.002  # the paths moved
    page.locator("input[data-name=momentum]").fill("1")
    assert page.inner_text(".gd-legend") == "lr=0.02, momentum=0.9"
    assert np.any(v.canvas() != after)
    assert v.errors == []


def test_a_drawn_path_sits_where_matplotlib_puts_it(visit, one_path):
    v = visit(one_path["path"])
    # the first step: only the head, a disk centred on matplotlib's pixel for the start
    image = v.canvas()
    blue = (np.abs(image[..., :3].astype(int) - BLUE).max(axis=-1) < 40) & (image[..., 3] > 200)
    ys, xs = np.nonzero(blue)
    assert len(xs) > 10
    start = one_path["main"][0]
    np.testing.assert_allclose([xs.mean() + 0.5, ys.mean() + 0.5], start, atol=1.0)
    # the last step: every point of the path has the path's colour within 2 px, in the
    # player's canvas as in matplotlib's own frame; points 9 px off the path have none
    v.click("last")
    image = v.canvas()
    points = one_path["main"]
    for point in points[::3]:
        assert near_colour(image, point, BLUE), point
        assert near_colour(one_path["frame"], point, BLUE), point
    segment = np.diff(points, axis=0)
    normal = np.column_stack((-segment[:, 1], segment[:, 0]))
    normal /= np.linalg.norm(normal, axis=1, keepdims=True) + 1e-12
    offset = points[1:] + 9 * normal
    far = [p for p in offset if np.min(np.hypot(*(points - p).T)) > 8]
    assert len(far) > 10
    assert not any(near_colour(image, p, BLUE, radius=1) for p in far)
    # the loss curve too, where its panel shows it
    left, top, right, bottom = one_path["loss_box"]
    shown = [
        p
        for p in one_path["loss"][::4]
        if left + 2 < p[0] < right - 2 and top + 2 < p[1] < bottom - 2
    ]
    assert len(shown) > 5
    for point in shown:
        assert near_colour(image, point, BLUE, tolerance=60), point
        assert near_colour(one_path["frame"], point, BLUE, tolerance=60), point
    assert v.errors == []


def test_play_advances_the_step_and_pause_stops_it(visit, sweep_page):
    v = visit(sweep_page)
    page = v.page
    assert page.inner_text(".gd-clock") == "step 0 / 40"
    v.click("play")
    page.wait_for_function(
        "document.querySelector('.gd-clock').textContent !== 'step 0 / 40'", timeout=5_000
    )
    assert page.get_attribute("button[data-action=play]", "title") == "pause"
    v.click("play")  # pause
    shown = page.inner_text(".gd-clock")
    page.wait_for_timeout(300)
    assert page.inner_text(".gd-clock") == shown and int(shown.split()[1]) > 0
    assert int(page.input_value("input[data-control=step]")) == int(shown.split()[1])


def test_hovering_a_path_names_its_hyperparameters_and_loss(visit, sweep_page):
    v = visit(sweep_page)
    page = v.page
    page.locator("input[data-name=lr]").fill("1")
    v.click("last")
    html = Path(sweep_page).read_text()
    call = html.index("gdsimPlayer(document.getElementById(")
    description = json.loads(html[html.index(", {", call) + 2 : html.rindex(");</script>")])
    main = description["axes"][0]
    (x0, x1), (y0, y1), box = main["xlim"], main["ylim"], main["box"]
    # hover the second start's first point (where every path begins)
    x, y = STARTS[1]
    px = box[0] + (x - x0) / (x1 - x0) * box[2]
    py = box[1] + (y1 - y) / (y1 - y0) * box[3]
    canvas = page.locator(".gd-canvas").bounding_box()
    page.mouse.move(canvas["x"] + px + 3, canvas["y"] + py + 3)
    page.mouse.move(canvas["x"] + px, canvas["y"] + py)
    tip = page.locator(".gd-tip")
    assert tip.is_visible()
    text = tip.inner_text()
    assert "lr=0.01, momentum=0" in text and "start 2 of 6 at (-1, 1)" in text
    assert "step 40: loss" in text and "lr 0.01" in text and "ends:" in text
    page.mouse.move(1, 1)
    page.mouse.move(0, 0)
    assert not tip.is_visible()


def test_text_is_readable_icons_are_svg_and_nothing_overlaps(visit, sweep_page):
    v = visit(sweep_page)
    found = v.page.evaluate("""() => {
      const root = document.querySelector('.gdsim-player');
      const width = root.getBoundingClientRect().width;
      const leaves = [...root.querySelectorAll('.gd-controls *, .gd-legend *')].filter(e =>
        (e.children.length === 0 && e.textContent.trim()) || ['INPUT', 'SELECT', 'BUTTON']
        .includes(e.tagName));
      return {width: width, leaves: leaves.map(e => {
        const r = e.getBoundingClientRect();
        return {tag: e.tagName, text: e.textContent.trim().slice(0, 30),
                size: parseFloat(getComputedStyle(e).fontSize),
                box: [r.left, r.top, r.right, r.bottom]};
      }), buttons: [...root.querySelectorAll('button')].map(b => ({
        svg: b.querySelectorAll('svg path').length, text: b.textContent.trim()}))};
    }""")
    width = found["width"]
    assert width >= 1000  # the figure's own width at dpi 100
    texts = [e for e in found["leaves"] if e["text"]]
    assert len(texts) >= 8
    for e in texts:
        assert e["size"] >= width / 90, e
    assert len(found["buttons"]) == 5
    assert all(b["svg"] == 1 and b["text"] == "" for b in found["buttons"])
    boxes = [e for e in found["leaves"] if e["tag"] not in ("OPTION",)]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            overlap_x = min(a["box"][2], b["box"][2]) - max(a["box"][0], b["box"][0])
            overlap_y = min(a["box"][3], b["box"][3]) - max(a["box"][1], b["box"][1])
            assert overlap_x <= 0.5 or overlap_y <= 0.5, (a, b)


def test_two_players_in_one_document_as_in_a_notebook(visit, tmp_path):
    runs = [
        simulate("quadratic", optimizers.SGD(lr=0.1), [[1.5, 1.0]], 20),
        simulate("quadratic", optimizers.Adam(lr=0.1), [[1.5, 1.0]], 20),
    ]
    fragments = []
    for run in runs:
        anim = animation.animate(run, dpi=50, resolution=40)
        fragments.append(anim._repr_html_())
        anim.close()
    path = tmp_path / "notebook.html"
    path.write_text("<!DOCTYPE html><meta charset='utf-8'><body>" + "".join(fragments))
    v = visit(path)
    assert v.page.locator(".gdsim-player[data-ready='1']").count() == 2
    v.click("last", index=1)
    assert v.page.locator(".gd-clock").nth(0).inner_text() == "step 0 / 20"
    assert v.page.locator(".gd-clock").nth(1).inner_text() == "step 20 / 20"
    assert v.errors == []


def test_the_frame_player_works_with_svg_icons(visit, tmp_path):
    # animations without numbers (animate_landscape) keep the frame player: every frame a PNG
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from gdsim.plotting import movies

    figure = Figure(figsize=(3, 2), dpi=40)
    FigureCanvasAgg(figure)
    (line,) = figure.add_subplot(xlim=(0, 5), ylim=(0, 5)).plot([], [])
    anim = movies.Animation(figure, lambda i: line.set_data([0, i], [0, i]), [line], range(6), 20)
    v = visit(anim.save(tmp_path / "frames.html"), players=False)
    page = v.page
    assert page.locator("button svg").count() == 4 and page.locator("button").all_inner_texts() == [
        "",
        "",
        "",
        "",
    ]
    assert page.inner_text("span[id$=_label]") == "step 0"
    page.locator("button[title='play / pause']").click()
    page.wait_for_function(
        "document.querySelector('span[id$=_label]').textContent !== 'step 0'", timeout=5_000
    )
    assert v.errors == [] and v.requests == [page.url]
