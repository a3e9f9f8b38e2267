"""The named figures of the tour and the lessons, one function each, for instructors to reuse.

Each is registered by name, so ``gdsim figure NAME`` writes it and ``gdsim figure --list``
describes it; an instructor adds one with ``gdsim.teach.gallery.register(name, function)``,
where ``function(path, **options)`` writes the figure to ``path`` and returns it.
"""

from __future__ import annotations

import functools

import numpy as np

from gdsim import optimizers as _optimizers
from gdsim import surfaces
from gdsim.plotting import figures as plotting
from gdsim.plotting.animation import animate
from gdsim.plotting.maps import plot_basins, plot_stability
from gdsim.sim.engine import simulate
from gdsim.sim.maps import basins, stability
from gdsim.registry import Registry, summary
from gdsim.sim.sweep import sweep
from gdsim.teach import experiments


def basin_gallery(path="basins_by_lr.png", *, grid=240, steps=200):
    """Basins of plain SGD on Himmelblau at four learning rates, with sample paths: as the lr
    grows the sharpest minimum's basin vanishes (it needs lr < 2/curvature), the watersheds
    fray, and more and more runs bounce without settling. Writes ``path`` and returns it as a Path.
    """
    from pathlib import Path

    import matplotlib.pyplot as plt

    basin_map = basins("himmelblau", _optimizers.SGD(lr=0.01), grid, steps, lr=[0.005, 0.015, 0.02, 0.023])
    drawn = plot_basins(basin_map, samples=9)
    figure = drawn.axes[0].figure
    figure.suptitle(f"Which minimum does SGD reach from each start? ({steps} steps, one start per pixel)",
                    fontsize=plotting.FONT_SIZE + 2)
    figure.canvas.draw()   # constrained layout settles equal-aspect panels + outside legend in two passes
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return Path(path)


def stability_figure(path="stability_lr_momentum.png", *, steps=300, resolution=(120, 80)):
    """Heavy-ball momentum on the quadratic (condition number 10) over lr and momentum, with
    the theory's limit lr < 2(1 + μ)/L on top: momentum lets larger steps stay stable, while
    too small an lr is merely slow. Writes ``path`` and returns it as a Path.
    """
    from pathlib import Path

    import matplotlib.pyplot as plt

    nx, ny = resolution
    result = stability(surfaces.get("quadratic", condition=10), _optimizers.SGD, steps,
                       lr=np.geomspace(1e-3, 1.0, nx), momentum=np.linspace(0.0, 0.99, ny))
    drawn = plot_stability(result)
    drawn.ax.set_title(f"SGD with momentum on a quadratic (L = 10): {steps} steps")
    drawn.ax.figure.savefig(path, dpi=100)
    plt.close(drawn.ax.figure)
    return Path(path)


def optimizer_race(path="optimizer_race.gif", *, frames=160, fps=15, dpi=100, progress=False):
    """Six optimizers from one start down Rosenbrock's curved valley, with the loss racing
    alongside: plain SGD crawls, momentum overshoots and recovers, Nesterov damps the overshoot,
    the adaptive methods take even-sized steps and Adagrad's shrink until it stalls.
    Writes ``path`` (.gif, .html or .mp4) and returns it as a Path.
    """
    o = _optimizers
    contenders = [o.SGD(lr=1e-3), o.SGD(lr=1e-3, momentum=0.9), o.SGD(lr=1e-3, momentum=0.9, nesterov=True),
                  o.RMSprop(lr=0.01), o.Adam(lr=0.1), o.Adagrad(lr=0.5)]
    runs = [simulate("rosenbrock", opt, np.array([[-1.4, 2.2]]), 400) for opt in contenders]
    labels = ["SGD (lr=0.001)", "SGD + momentum (lr=0.001, μ=0.9)", "SGD + Nesterov (lr=0.001, μ=0.9)",
              "RMSprop (lr=0.01)", "Adam (lr=0.1)", "Adagrad (lr=0.5)"]
    anim = animate(runs, frames=frames, fps=fps, dpi=dpi, labels=labels, panels=("loss",),
                   title="The optimizer race on Rosenbrock's valley")
    try:
        return anim.save(path, progress=progress)
    finally:
        anim.close()


def which_minimum(path="which_minimum.gif", *, frames=100, fps=12, dpi=80, progress=False):
    """The same 25 starts on Himmelblau at three learning rates, each path coloured by the
    minimum it ends in: the start decides the basin at a small lr, but a larger lr can no
    longer settle in the sharpest minimum (its curvature exceeds 2/lr) and its runs bounce on.
    Writes ``path`` and returns it as a Path.
    """
    o = _optimizers
    g = np.linspace(-4, 4, 5)
    starts = np.stack(np.meshgrid(g, g), axis=-1).reshape(-1, 2)
    run = sweep("himmelblau", o.SGD, starts, 150, lr=[0.005, 0.015, 0.022])
    anim = animate(run, facet=True, color_by="minimum", frames=frames, fps=fps, dpi=dpi,
                   title="The starting point and the learning rate decide the minimum (SGD on Himmelblau)")
    try:
        return anim.save(path, progress=progress)
    finally:
        anim.close()


def _experiment_figure(name, path=None, *, seeds=1, epochs=200):
    return experiments.write_figure(name, path or f"{name}.png", seeds=seeds, epochs=epochs)


REGISTRY = Registry("figure")
register = REGISTRY.register
names = REGISTRY.names
describe = REGISTRY.describe

register("optimizer-race", optimizer_race,
         "GIF: six optimizers down Rosenbrock's valley, the loss racing alongside")
register("which-minimum", which_minimum,
         "GIF: the start and the lr decide the minimum (SGD on Himmelblau, three lrs)")
register("basins-by-lr", basin_gallery,
         "PNG: basins of attraction of SGD on Himmelblau at four lrs")
register("stability", stability_figure,
         "PNG: stable, oscillating and diverging (lr, momentum) on a quadratic, with 2(1+μ)/L")
for _name, (_experiment, _) in experiments.FIGURES.items():
    register(_name, functools.partial(_experiment_figure, _name),
             "PNG, the seed tutorial's experiment: " + summary(_experiment))
del _name, _experiment
