"""An interactive explorer for Jupyter: move a slider, watch every trajectory move with it.

``gdsim.explore("himmelblau")`` shows the landscape with a swarm of starts, a loss panel and
controls for the optimizer, learning rate (log slider), momentum / betas, schedule, steps,
gradient noise and the number and placement of starts. Each trajectory is coloured by the
minimum it ends in, so dragging the lr slider shows basins being won and lost.

Clicking on the landscape adds a start where the matplotlib canvas is interactive (the ipympl
``%matplotlib widget`` backend, or a desktop window), or when ``ipyevents`` is installed; the
"add start" fields do the same anywhere. Everything is also a plain Python API
(``explorer.widgets["lr"].value = 0.02``, ``explorer.add_start(1, 2)``), which is how the tests
drive it without a display.

A redraw reruns the simulation (a few milliseconds for 20 starts x 500 steps) and repaints only
what moves: the landscape is drawn once and kept as a bitmap, as in :mod:`gdsim.plotting.animation`.

``explorer.close()`` (or ``with gdsim.explore(...) as explorer:``) closes its widgets and figure.
Until then ipywidgets keeps every widget alive in its registry, so that a notebook can draw it,
and the widgets' callbacks keep the explorer, its figure and its last run alive with them.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import time

import numpy as np

from gdsim import arguments
from gdsim import optimizers as _optimizers
from gdsim import schedules as _schedules
from gdsim.plotting import figures as plotting
from gdsim.sim.engine import simulate

SCHEDULES = ("constant", "step", "exponential", "cosine", "warmup + cosine", "one cycle", "cyclic")
PLACEMENTS = ("grid", "random", "ring", "line", "clicked only")


def make_schedule(name, lr, steps):
    """The explorer's schedules, built for a run of ``steps`` steps peaking at ``lr``."""
    arguments.check_choice("schedule", name, SCHEDULES)
    if name == "constant":
        return lr
    return {
        "step": lambda: _schedules.step(lr, max(steps // 3, 1), 0.1),
        "exponential": lambda: _schedules.exponential(
            lr, 0.01 ** (1 / max(steps, 1))
        ),  # ÷100 over the run
        "cosine": lambda: _schedules.cosine(lr, steps),
        "warmup + cosine": lambda: _schedules.warmup(
            _schedules.cosine(lr, steps - steps // 10), max(steps // 10, 1)
        ),
        "one cycle": lambda: _schedules.one_cycle(lr, max(steps, 2)),
        "cyclic": lambda: _schedules.cyclic(lr / 10, lr, max(steps // 6, 1)),
    }[name]()


def place_starts(surface, n, placement="grid", seed=0):
    """``n`` starts over the surface's bounds: an even grid, uniform random, a ring around the
    global minimum, or a line across the picture."""
    arguments.check_choice("placement", placement, PLACEMENTS)
    n = arguments.check_int("n_starts", n, minimum=0)
    (x0, x1), (y0, y1) = surface.bounds
    inset = 0.08
    lo = np.array([x0 + inset * (x1 - x0), y0 + inset * (y1 - y0)])
    hi = np.array([x1 - inset * (x1 - x0), y1 - inset * (y1 - y0)])
    if n == 0 or placement == "clicked only":
        return np.zeros((0, 2))
    if placement == "grid":
        cols = int(np.ceil(np.sqrt(n)))
        rows = int(np.ceil(n / cols))
        gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], cols), np.linspace(lo[1], hi[1], rows))
        return np.column_stack((gx.ravel(), gy.ravel()))[:n]
    if placement == "random":
        return np.random.default_rng(seed).uniform(lo, hi, (n, 2))
    if placement == "ring":
        center = surface.minima[0] if len(surface.minima) else (lo + hi) / 2
        angle = 2 * np.pi * np.arange(n) / n
        radius = 0.4 * (hi - lo).min()
        return center + radius * np.column_stack((np.cos(angle), np.sin(angle)))
    t = np.linspace(0, 1, n)[:, None]
    return lo + t * (hi - lo) * np.array([1.0, 0.0]) + np.array([0.0, 0.5]) * (hi - lo)


def explored(cls):
    """The hyperparameters and flags of optimizer class ``cls`` that the explorer lets you move:
    its ``explored`` attribute, else every hyperparameter but ``lr`` and every flag."""
    names = getattr(cls, "explored", None)
    if names is not None:
        return tuple(names)
    defaults = cls()
    return tuple(n for n in defaults.hyperparameters() if n != "lr") + tuple(cls.flags)


def _tuned_names():
    return {
        name for key in _optimizers.names() for name in explored(_optimizers.REGISTRY.factory(key))
    }


def hyperparameter_widgets(w, slider):
    """One widget per hyperparameter or flag that some registered optimizer explores, built from
    the class's defaults and checks: a checkbox for a flag, a slider over [0, 1) for a decay rate
    (momentum, betas, alpha), a number box for anything else."""
    from gdsim.optimizers.base import unit_interval

    widgets = {}
    for key in _optimizers.names():
        cls = _optimizers.REGISTRY.factory(key)
        defaults = cls()
        for name in explored(cls):
            if name in widgets:
                continue
            if name in cls.flags:
                widgets[name] = w.Checkbox(
                    value=bool(getattr(defaults, name)), description=name, layout=w.Layout()
                )
                continue
            value = float(defaults.hyperparameters()[name])
            if defaults.check_for(name) is unit_interval:
                if value >= 0.99:  # slow averages live on a log scale of 1 - beta
                    options = sorted({0.9, 0.99, 0.999, 0.9999, value})
                    widgets[name] = slider(
                        w.SelectionSlider, options=options, value=value, description=name
                    )
                else:
                    widgets[name] = slider(
                        w.FloatSlider, value=value, min=0, max=0.99, step=0.01, description=name
                    )
            else:
                widgets[name] = slider(w.FloatText, value=value, description=name)
    return widgets


class Explorer:
    """The widgets, the figure and the latest run; see :func:`explore`.

    ``widgets`` maps control names to ipywidgets; ``run`` is the latest Run; ``redraws`` counts
    redraws; ``timing`` holds the last redraw's milliseconds (simulate, draw, total).
    """

    def __init__(
        self,
        surface,
        *,
        optimizer="sgd",
        lr=None,
        steps=200,
        n_starts=20,
        placement="grid",
        noise=0.0,
        seed=0,
        dpi=80,
    ):
        import ipywidgets as w

        self.surface = plotting._surface(surface)
        arguments.check_choice("optimizer", optimizer, _optimizers.names())
        arguments.check_choice("placement", placement, PLACEMENTS)
        for name, value, low, high in (("steps", steps, 10, 1000), ("n_starts", n_starts, 0, 100)):
            if arguments.check_int(name, value) < low or value > high:
                raise ValueError(
                    f"{name} must be between {low} and {high} (the slider's range), got {value}"
                )
        if lr is not None:
            arguments.check_positive("lr", lr)
        arguments.check_nonnegative("noise", noise)
        seed = arguments.check_seed("seed", seed)  # the widget holds an int: a generator's draw
        if seed is None:  # fresh entropy, as None means everywhere else
            seed = int(np.random.SeedSequence().generate_state(1)[0])
        self.clicked = []
        self.run = None
        self.redraws = 0
        self.timing = {}
        self.error = None
        self._held = False
        (x0, x1), (y0, y1) = self.surface.bounds
        sample = place_starts(self.surface, 64, "grid")
        grad_scale = float(np.median(np.hypot(*self.surface.grad(sample).T))) or 1.0
        # first lrs that make visible progress without blowing up: a plain gradient step of about 2%
        # of the box; the adaptive methods take steps of about lr per coordinate, so lr ~ 1% of
        # the box
        box = max(x1 - x0, y1 - y0)

        def nice(v):
            return float(10 ** np.round(np.log10(v)))

        # plain gradient steps scale with the gradient; adaptive ones take about lr per coordinate
        self._lr_memory = {
            name: nice(0.02 * box / grad_scale) if name == "sgd" else nice(0.01 * box)
            for name in _optimizers.names()
        }
        self._lr_memory["adagrad"] = nice(0.1 * box)
        if lr is not None:
            self._lr_memory[optimizer] = lr
        lr = self._lr_memory[optimizer]
        low = np.log10(min(self._lr_memory.values())) - 2.5
        high = np.log10(max(self._lr_memory.values())) + 1.5
        style = {"description_width": "110px"}

        def slider(cls, **kw):
            # a Layout of its own each: hiding one slider must not hide its neighbours
            return cls(style=style, layout=w.Layout(width="340px"), **kw)

        self.widgets = {
            "optimizer": slider(
                w.Dropdown, options=_optimizers.names(), value=optimizer, description="optimizer"
            ),
            "lr": slider(
                w.FloatLogSlider,
                value=lr,
                base=10,
                min=low,
                max=high,
                step=0.05,
                description="learning rate",
                readout_format=".2e",
            ),
            **hyperparameter_widgets(w, slider),
            "schedule": slider(
                w.Dropdown, options=SCHEDULES, value="constant", description="schedule"
            ),
            "steps": slider(
                w.IntSlider, value=steps, min=10, max=1000, step=10, description="steps"
            ),
            "noise": slider(
                w.FloatSlider,
                value=noise,
                min=0,
                max=max(round(2 * grad_scale, 3), 2 * noise),
                step=round(2 * grad_scale, 3) / 100,
                description="gradient noise",
            ),
            "seed": slider(w.IntText, value=seed, description="noise seed"),
            "n_starts": slider(w.IntSlider, value=n_starts, min=0, max=100, description="starts"),
            "placement": slider(
                w.Dropdown, options=PLACEMENTS, value=placement, description="placement"
            ),
            "x": w.FloatText(
                value=round((x0 + x1) / 2, 3), description="x", layout=w.Layout(width="140px")
            ),
            "y": w.FloatText(
                value=round((y0 + y1) / 2, 3), description="y", layout=w.Layout(width="140px")
            ),
        }
        add = w.Button(description="add start", layout=w.Layout(width="90px"))
        clear = w.Button(description="clear added", layout=w.Layout(width="100px"))
        add.on_click(self._on_add)
        clear.on_click(self._on_clear)
        self._buttons = (add, clear)
        self.closed = False
        self.info = w.HTML()
        for name, widget in self.widgets.items():
            if name not in ("x", "y"):
                widget.observe(self._changed, names="value")
        self._build_figure(dpi)
        self._tuned = [n for n in self.widgets if n in _tuned_names()]
        controls = w.VBox(
            [
                self.widgets[n]
                for n in [
                    "optimizer",
                    "lr",
                    *self._tuned,
                    "schedule",
                    "steps",
                    "noise",
                    "seed",
                    "n_starts",
                    "placement",
                ]
            ]
            + [w.HBox([self.widgets["x"], self.widgets["y"]]), w.HBox([add, clear]), self.info]
        )
        self.ui = w.HBox([controls, self.view])
        self._show_relevant()
        self.update()

    # -- the figure ------------------------------------------------------------------------------
    def _build_figure(self, dpi):
        import ipywidgets as w
        import matplotlib
        import matplotlib.pyplot as plt
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.collections import LineCollection
        from matplotlib.figure import Figure

        self.interactive = "ipympl" in matplotlib.get_backend().lower()
        self._events = None
        with plotting.style():
            if self.interactive:
                self.figure = plt.figure(figsize=(10, 4.6), dpi=dpi, layout="constrained")
            else:
                self.figure = Figure(figsize=(10, 4.6), dpi=dpi, layout="constrained")
                FigureCanvasAgg(self.figure)
            self.figure.gdsim_figure = "explorer"  # an interactive figure, not a gallery one
            self.ax, self.loss_ax = self.figure.subplots(
                1, 2, gridspec_kw={"width_ratios": (1.15, 1)}
            )
        plotting.contour(self.surface, ax=self.ax)
        self.trails = LineCollection([], linewidths=1.8, zorder=3, capstyle="round")
        self.ax.add_collection(self.trails)
        self.heads = self.ax.scatter([], [], s=30, zorder=5, edgecolors="white", linewidths=0.8)
        (self.starts_marker,) = self.ax.plot([], [], "o", mfc="white", mec="black", ms=5, zorder=4)
        self.loss_lines = LineCollection([], linewidths=1.4, alpha=0.85)
        self.loss_ax.add_collection(self.loss_lines)
        self.loss_ax.set_yscale("log")
        self.loss_ax.set_xlabel("step")
        self.loss_ax.set_ylabel("loss − f*")
        # the layout is frozen after the first draw: leave room for the widest tick labels to come
        self.loss_ax.set_xlim(0, self.widgets["steps"].max)
        self.loss_ax.set_ylim(1e-12, 1e3)
        self._moving = [self.trails, self.heads, self.starts_marker]
        self._click = self.figure.canvas.mpl_connect("button_press_event", self._on_canvas_click)
        if self.interactive:
            self.view = self.figure.canvas
            return
        for artist in self._moving:
            artist.set_animated(True)
        self.figure.canvas.draw()  # the layout, with the loss panel's labels in place
        self.figure.set_layout_engine("none")
        self.loss_ax.set_visible(False)  # redrawn whole each time: its limits follow the data
        self.figure.canvas.draw()
        self._background = self.figure.canvas.copy_from_bbox(self.figure.bbox)
        self.loss_ax.set_visible(True)
        self.view = w.Image(format="png")
        try:
            from ipyevents import Event  # optional: clicks on the picture add starts

            self._events = Event(source=self.view, watched_events=["click"])
            self._events.on_dom_event(self._on_image_click)
        except ImportError:
            pass  # then the "add start" fields do what a click would

    # -- starts ----------------------------------------------------------------------------------
    def starts(self):
        """The current starts: the placed ones, then those added by clicking or ``add_start``."""
        placed = place_starts(
            self.surface,
            self.widgets["n_starts"].value,
            self.widgets["placement"].value,
            self.widgets["seed"].value,
        )
        return np.concatenate([placed, np.reshape(self.clicked, (-1, 2))])

    def add_start(self, x, y):
        """Add a start at (x, y) and redraw."""
        arguments.check_finite("x", x)
        arguments.check_finite("y", y)
        self.clicked.append((float(x), float(y)))
        self.update()

    def clear_starts(self):
        """Forget the added starts and redraw."""
        self.clicked = []
        self.update()

    def _on_add(self, _button):
        self.add_start(self.widgets["x"].value, self.widgets["y"].value)

    def _on_clear(self, _button):
        self.clear_starts()

    def _on_canvas_click(self, event):
        if event.inaxes is self.ax and event.xdata is not None:
            self.add_start(event.xdata, event.ydata)

    def _on_image_click(self, event):
        """ipyevents click: pixel coordinates in the PNG (origin top-left) to data coordinates."""
        height = self.figure.canvas.get_width_height()[1]
        x, y = self.ax.transData.inverted().transform((event["dataX"], height - event["dataY"]))
        (x0, x1), (y0, y1) = self.surface.bounds
        if x0 <= x <= x1 and y0 <= y <= y1:
            self.add_start(x, y)

    # -- reacting to the widgets -----------------------------------------------------------------
    @contextlib.contextmanager
    def hold(self):
        """Change several widgets and redraw once: ``with explorer.hold(): ...``."""
        self._held = True
        try:
            yield self
        finally:
            self._held = False
            self.update()

    def _changed(self, change):
        if change["owner"] is self.widgets["optimizer"]:
            # each optimizer keeps its own lr: Adam's useful range is not SGD's
            self._lr_memory[change["old"]] = self.widgets["lr"].value
            self._show_relevant()
            held, self._held = self._held, True
            self.widgets["lr"].value = self._lr_memory[change["new"]]
            self._held = held
        if not self._held:
            self.update()

    def _show_relevant(self):
        """Only the sliders the chosen optimizer reads are shown."""
        used = explored(_optimizers.REGISTRY.factory(self.widgets["optimizer"].value))
        for key in self._tuned:
            self.widgets[key].layout.display = None if key in used else "none"

    def optimizer(self):
        """The optimizer the widgets describe: the class registered under the chosen name, with
        its explored hyperparameters and flags from the widgets."""
        v = {name: widget.value for name, widget in self.widgets.items()}
        cls = _optimizers.REGISTRY.factory(v["optimizer"])
        lr = make_schedule(v["schedule"], v["lr"], v["steps"])
        parameters = inspect.signature(cls).parameters
        chosen = {name: v[name] for name in explored(cls)}
        # constructor arguments directly (flags, momentum); the rest (Adam's beta1 and beta2,
        # given to the constructor as betas) as hyperparameters of the built optimizer
        direct = {name: value for name, value in chosen.items() if name in parameters}
        optimizer = cls(lr=lr, **direct)
        rest = {name: value for name, value in chosen.items() if name not in parameters}
        return optimizer.with_hyperparameters(**rest) if rest else optimizer

    def update(self):
        """Rerun the simulation with the widgets' values and repaint."""
        start = time.perf_counter()
        try:
            optimizer = self.optimizer()
            starts = self.starts()
            self.run = simulate(
                self.surface,
                optimizer,
                starts.reshape(-1, 2),
                self.widgets["steps"].value,
                noise=self.widgets["noise"].value,
                seed=self.widgets["seed"].value,
            )
            self.error = None
        except (
            ValueError,
            TypeError,
        ) as error:  # e.g. a schedule value out of range: say so, keep the old picture
            self.error = str(error)
            self.info.value = f"<span style='color:#D55E00'>{self.error}</span>"
            return
        simulated = time.perf_counter()
        self._draw()
        done = time.perf_counter()
        self.redraws += 1
        self.timing = {
            "simulate_ms": 1e3 * (simulated - start),
            "draw_ms": 1e3 * (done - simulated),
            "total_ms": 1e3 * (done - start),
        }
        self.info.value = self._summary()

    def _draw(self):
        run = self.run
        paths = np.ascontiguousarray(run.positions.transpose(1, 0, 2))
        colors = [plotting.basin_color(k) for k in run.reached]
        self.trails.set_segments(list(paths))
        self.trails.set_color(colors)
        self.heads.set_offsets(run.final.reshape(-1, 2))
        self.heads.set_facecolor(colors)
        self.starts_marker.set_data(run.positions[0, :, 0], run.positions[0, :, 1])
        gap, _ = plotting._gap(run.losses, self.surface, True)
        steps = run.recorded_steps
        self.loss_lines.set_segments(
            [np.column_stack((steps, gap[:, i])) for i in range(gap.shape[1])]
        )
        self.loss_lines.set_color(colors)
        finite = gap[np.isfinite(gap)]
        if finite.size:
            top = min(finite.max(), gap[0][np.isfinite(gap[0])].max(initial=finite.min()) * 1e3) * 2
            self.loss_ax.set_ylim(max(finite.min(), top * 1e-14) / 2, max(top, finite.min() * 4))
        self.loss_ax.set_xlim(0, max(run.steps, 1))
        if self.interactive:
            self.figure.canvas.draw_idle()
            return
        canvas = self.figure.canvas
        canvas.restore_region(self._background)
        self.figure.draw_artist(self.loss_ax)
        for artist in self._moving:
            self.ax.draw_artist(artist)
        self.view.value = self.png()

    def png(self):
        """The current picture as PNG bytes."""
        from PIL import Image

        if self.interactive:
            self.figure.canvas.draw()
        buffer = io.BytesIO()
        Image.fromarray(np.asarray(self.figure.canvas.buffer_rgba())[..., :3]).save(
            buffer, "PNG", compress_level=1
        )
        return buffer.getvalue()

    def _summary(self):
        run = self.run
        counts = [
            (plotting.basin_label(k, self.surface), int(np.sum(run.reached == k)))
            for k in np.unique(run.reached)
        ]
        rows = "".join(
            f"<li><span style='color:{plotting.basin_color(k)}'>&#9632;</span> {label}: {n}</li>"
            for (label, n), k in zip(counts, np.unique(run.reached))
        )
        return (
            f"<b>{run.optimizer.label()}</b>, {run.steps} steps, {run.final.shape[0]} starts"
            f"<ul style='margin:2px'>{rows}</ul>"
            f"<small>redraw {self.timing['total_ms']:.0f} ms</small>"
        )

    def _repr_mimebundle_(self, **kwargs):
        if self.closed:
            return {"text/plain": repr(self)}
        return self.ui._repr_mimebundle_(**kwargs)

    # -- lifetime ----------------------------------------------------------------------------------
    def close(self):
        """Close every widget and the figure this explorer made (calling it again does nothing).

        Each widget with its layout and style is closed (ipywidgets then drops it from its
        registry and the notebook removes its views), our callbacks are detached, and the figure
        is closed, so the explorer and all it holds can be freed. The run stays readable."""
        if self.closed:
            return
        self.closed = True
        for name, widget in self.widgets.items():
            if name not in ("x", "y"):
                widget.unobserve(self._changed, names="value")
        self._buttons[0].on_click(self._on_add, remove=True)
        self._buttons[1].on_click(self._on_clear, remove=True)
        if self._events is not None:
            self._events.on_dom_event(self._on_image_click, remove=True)
        self.figure.canvas.mpl_disconnect(self._click)
        if self.interactive:  # pyplot's figure first: ipympl tidies its canvas while it can
            import matplotlib.pyplot as plt

            plt.close(self.figure)
        seen = set()
        for widget in [
            self.ui,
            *self.widgets.values(),
            *self._buttons,
            self.info,
            self.view,
            self._events,
        ]:
            _close_widget(widget, seen)
        self._background = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        closed = ", closed" if getattr(self, "closed", False) else ""
        label = self.run.optimizer.label() if self.run else "no run"
        return f"<Explorer {self.surface.name}: {label}{closed}>"


def _close_widget(widget, seen):
    """Close ``widget`` and every widget among its synced traits (children, layout, style)."""
    import ipywidgets

    if not isinstance(widget, ipywidgets.Widget) or id(widget) in seen:
        return
    seen.add(id(widget))
    for name in widget.keys:
        value = getattr(widget, name, None)
        for part in value if isinstance(value, (list, tuple)) else (value,):
            _close_widget(part, seen)
    widget.close()


def explore(surface="himmelblau", **options):
    """Open the interactive explorer on ``surface`` (in Jupyter, display the returned object).

    Options: ``optimizer`` ("sgd", "adam", ...), ``lr`` (default: a value that makes visible
    progress on this surface), ``steps``, ``n_starts``, ``placement`` ("grid", "random", "ring",
    "line", "clicked only"), ``noise``, ``seed``, ``dpi``.
    """
    return Explorer(surface, **options)
