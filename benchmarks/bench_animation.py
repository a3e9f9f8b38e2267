"""GIF speed and size: gdsim's blitted, shared-palette route against FuncAnimation + PillowWriter;
and the explorer's redraw time.

The issue's target: a 200-frame GIF of 50 trajectories over a contour background at 100 dpi at
least 4x faster than the straightforward matplotlib route, and the file under 2 MB. Both routes
draw the very same figure (``Animation.to_func_animation`` is the baseline), so the ratio measures
only the drawing and encoding strategy.

The explorer's budget: a redraw within 200 ms for 20 trajectories x 500 steps. Its baseline is
a full ``canvas.draw()`` of the same figure (what a plain matplotlib redraw costs).

    python benchmarks/bench_animation.py [--frames 200] [--trajectories 50]
"""

import argparse
import os
import tempfile
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np
from matplotlib.animation import PillowWriter

import gdsim.plotting.animation as animation
from gdsim import optimizers, surfaces
from gdsim.sim import simulate


def build(n_trajectories, frames, panels):
    surface = surfaces.get("himmelblau")
    starts = np.random.default_rng(0).uniform(-4.5, 4.5, (n_trajectories // 5, 2))
    runs = [
        simulate(surface, opt, starts, frames - 1)
        for opt in (
            optimizers.SGD(lr=0.005),
            optimizers.SGD(lr=0.002, momentum=0.9),
            optimizers.Adam(lr=0.1),
            optimizers.RMSprop(lr=0.05),
            optimizers.Adagrad(lr=0.5),
        )
    ]
    return animation.animate(surface, runs, dpi=100, panels=panels)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--trajectories", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for panels in (None, "auto"):
            what = "contour only" if panels is None else "contour + loss panel"
            fast = build(args.trajectories, args.frames, panels)
            path = os.path.join(folder, "fast.gif")
            start = time.perf_counter()
            fast.save(path)
            fast_time = time.perf_counter() - start
            fast_size = os.path.getsize(path)
            fast.close()

            slow = build(args.trajectories, args.frames, panels)
            path = os.path.join(folder, "baseline.gif")
            start = time.perf_counter()
            slow.to_func_animation().save(path, writer=PillowWriter(fps=slow.fps), dpi=100)
            slow_time = time.perf_counter() - start
            slow_size = os.path.getsize(path)
            w, h = slow.size
            slow.close()
            print(f"{args.frames} frames, {args.trajectories} trajectories, {w}x{h} px, {what}:")
            print(f"  FuncAnimation + PillowWriter: {slow_time:6.2f} s  {slow_size / 1e6:5.2f} MB")
            print(f"  gdsim Animation.save:         {fast_time:6.2f} s  {fast_size / 1e6:5.2f} MB")
            print(
                f"  speed-up: {slow_time / fast_time:.1f}x   "
                f"size ratio: {slow_size / fast_size:.1f}x smaller"
            )
    explorer_timing()


def explorer_timing():
    from gdsim.plotting import explorer

    ex = explorer.explore("himmelblau", steps=500, n_starts=20)
    totals, simulate_ms = [], []
    for lr in np.geomspace(ex.widgets["lr"].value / 4, ex.widgets["lr"].value * 2, 12):
        ex.widgets["lr"].value = float(lr)
        totals.append(ex.timing["total_ms"])
        simulate_ms.append(ex.timing["simulate_ms"])
    start = time.perf_counter()
    for _ in range(5):
        ex.figure.canvas.draw()
    full = (time.perf_counter() - start) / 5 * 1e3
    print(f"explorer, 20 trajectories x 500 steps, {len(totals)} lr changes:")
    print(
        f"  redraw (simulate + paint + PNG): median {np.median(totals):.0f} ms, "
        f"max {max(totals):.0f} ms "
        f"(simulate median {np.median(simulate_ms):.0f} ms); budget 200 ms"
    )
    print(f"  a full canvas.draw() of the same figure alone: {full:.0f} ms")


if __name__ == "__main__":
    main()
