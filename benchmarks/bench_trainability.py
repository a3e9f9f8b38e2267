"""A trainability map at the paper's scale against training its members one at a time.

The workload is Sohl-Dickstein (2024)'s experiment as ``gdsim.nn.edge.paper_setup`` builds it: a
16-16-1 tanh network (mean-field weights, no biases), 16 random points, full-batch gradient
descent for 500 steps, one member per pixel of a 256 x 256 grid of (input-layer lr, output-layer
lr) pairs. Three ways to train the same members, measured in this run:

    map               : gdsim.trainability, one population in chunks, one worker per core
    alone, same loop  : the same members one at a time, each trained alone by the map's own loop
                        (TrainabilityMap.loss_curve: the map's numbers, one member per call)
    alone, fit        : the same lr pairs one at a time with gdsim.nn.fit(epochs=500,
                        batch_size=16, shuffle=False, layer_lrs=[lr0, lr1]) (fit trains the
                        biases too: the same arithmetic, plus a bias row)

The two one-at-a-time baselines train a random sample of the pixels (``--sample`` of them) and
are extrapolated to all 65 536: an estimate, printed as such. Ratios are given in wall-clock time
and in CPU time (this process and its worker processes): on a machine shared with other work the
wall clock also measures the neighbours, the CPU time only the work. ``--zoom`` also computes
maps 10, 100 and 1000 times closer to the boundary point nearest ``NEAR`` (where the blue region
meets the red one), at the same resolution, and prints the box-counting dimension of the boundary
at every depth.
Usage: ``python benchmarks/bench_trainability.py [--zoom]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np

import gdsim
from gdsim.nn import fit
from gdsim.nn.edge import paper_setup

LR = ((3.0, 3e4), (0.05, 0.5))  # input-layer and output-layer lrs around the boundary
NEAR = (300.0, 0.22)  # the zoom's target: where the blue region meets the red one


def cpu_seconds():
    """CPU time of this process and of its reaped children (the map's worker processes)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--resolution", type=int, default=256)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--sample", type=int, default=24, help="members timed one at a time")
    parser.add_argument("--zoom", action="store_true", help="also zoom 10x, 100x, 1000x")
    args = parser.parse_args()
    setup = paper_setup()
    n = args.resolution
    options = dict(steps=args.steps, lr=LR, resolution=n, train_biases=False, progress=False)
    print(
        f"paper setup: 16-16-1 tanh, {len(setup.X)} points, {args.steps} full-batch steps, "
        f"{n}x{n} = {n * n:,} members, {os.cpu_count()} cores"
    )

    began, cpu = time.perf_counter(), cpu_seconds()
    tmap = gdsim.trainability(setup.model, setup.X, setup.y, **options)
    map_seconds, map_cpu = time.perf_counter() - began, cpu_seconds() - cpu
    print(
        f"map                : {map_seconds:8.1f} s, {map_cpu:8.1f} s of CPU  "
        f"({n * n * args.steps / map_seconds:,.0f} member-steps/s)  {tmap}"
    )

    rng = np.random.default_rng(0)
    pixels = rng.integers(0, n, size=(args.sample, 2))
    began, cpu = time.perf_counter(), cpu_seconds()
    for i, j in pixels:
        tmap.loss_curve(i, j)
    alone = ((time.perf_counter() - began) / args.sample, (cpu_seconds() - cpu) / args.sample)
    began, cpu = time.perf_counter(), cpu_seconds()
    for i, j in pixels:
        fit(
            setup.model.copy(),
            gdsim.SGD(),
            setup.X,
            setup.y,
            epochs=args.steps,
            batch_size=len(setup.X),
            shuffle=False,
            verbose=0,
            layer_lrs=[tmap.x[j], tmap.y[i]],
        )
    alone_fit = ((time.perf_counter() - began) / args.sample, (cpu_seconds() - cpu) / args.sample)
    for name, (seconds, cpu) in (("alone, same loop", alone), ("alone, fit", alone_fit)):
        print(
            f"{name:<19}: {seconds * n * n:8.1f} s, {cpu * n * n:8.1f} s of CPU  (estimated: "
            f"{seconds * 1e3:.1f} ms per member, measured on {args.sample} members, times "
            f"{n * n:,})  ->  the map is {seconds * n * n / map_seconds:.0f}x faster "
            f"(wall clock), needs {cpu * n * n / map_cpu:.0f}x less CPU time"
        )

    edge = tmap.boundary_dimension()
    print(
        f"\n{tmap.fraction_converged:.1%} of the map converges; boundary dimension "
        f"{edge.dimension:.2f} (box sizes {edge.fit_range[0]}..{edge.fit_range[1]} px)"
    )
    if args.zoom:
        point = tmap.boundary_point(near=NEAR)
        began = time.perf_counter()
        for factor, deeper in zip((10, 100, 1000), tmap.zoom_path(point, (10, 100, 1000))):
            box = deeper.boundary_dimension()
            (x0, x1), (y0, y1) = deeper.ranges
            print(
                f"zoom {factor:>4}x: lr0 {x0:.6g}..{x1:.6g}, lr1 {y0:.6g}..{y1:.6g}: "
                f"{deeper.fraction_converged:.1%} converge, boundary dimension "
                f"{box.dimension:.2f} (box sizes {box.fit_range[0]}..{box.fit_range[1]} px)"
            )
        print(f"(three zoomed maps in {time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
