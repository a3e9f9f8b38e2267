"""Basin-of-attraction map: 1024 x 1024 starts x 200 steps of momentum SGD on Himmelblau.

The issue's budget: within 10 s and 500 MB peak memory on this machine. Each route runs in its
own fresh process so its peak resident memory (``ru_maxrss`` of the process and of any worker
processes it forked) is its own. The baseline is the plain NumPy loop a student would write:
the whole grid as two (n,) arrays, one vectorized momentum step per iteration, then the nearest
minimum; it has no settling tracking, so it does a little less work than ``gdsim.basins``.

    python benchmarks/bench_basins.py [--n 1024] [--steps 200]
"""

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np


def peak_mb():
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return own / 1024, children / 1024  # Linux reports kilobytes


def run_gdsim(n, steps):
    import gdsim.sim.maps as maps
    from gdsim import optimizers

    start = time.perf_counter()
    result = maps.basins("himmelblau", optimizers.SGD(lr=0.01, momentum=0.9), (n, n), steps)
    seconds = time.perf_counter() - start
    return seconds, np.bincount(result.labels.ravel() + 2, minlength=6).tolist()


def run_baseline(n, steps):
    from gdsim import surfaces

    surface = surfaces.get("himmelblau")
    start = time.perf_counter()
    (x0, x1), (y0, y1) = surface.bounds
    x = x0 + (np.arange(n) + 0.5) * (x1 - x0) / n
    y = y0 + (np.arange(n) + 0.5) * (y1 - y0) / n
    X, Y = (a.ravel() for a in np.meshgrid(x, y))
    params = np.stack([X, Y])
    buffer = None
    with np.errstate(all="ignore"):
        for step in range(steps):
            grad = np.stack(surface.grad_xy(params[0], params[1]))
            buffer = grad if buffer is None else 0.9 * buffer + grad
            params = params - 0.01 * buffer
        labels = surface.nearest_minimum(params.T)
        labels[~np.isfinite(params).all(axis=0)] = -2
    seconds = time.perf_counter() - start
    return seconds, np.bincount(labels + 2, minlength=6).tolist()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1024)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--only", choices=("gdsim", "baseline"))
    args = parser.parse_args()
    if args.only:
        seconds, counts = (run_gdsim if args.only == "gdsim" else run_baseline)(args.n, args.steps)
        own, children = peak_mb()
        print(
            json.dumps(
                {"seconds": seconds, "own_mb": own, "children_mb": children, "counts": counts}
            )
        )
        return
    results = {}
    for which in ("baseline", "gdsim"):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--n",
                str(args.n),
                "--steps",
                str(args.steps),
                "--only",
                which,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        results[which] = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"basin map: {args.n} x {args.n} starts x {args.steps} steps "
        "of SGD(lr=0.01, momentum=0.9) on himmelblau"
    )
    for which, label in (("baseline", "plain NumPy loop"), ("gdsim", "gdsim.basins")):
        r = results[which]
        print(
            f"  {label:17s} {r['seconds']:6.2f} s   peak RSS {r['own_mb']:6.0f} MB "
            f"(+ workers {r['children_mb']:4.0f} MB; sum {r['own_mb'] + r['children_mb']:4.0f} MB)"
        )
    b, g = results["baseline"], results["gdsim"]
    print(f"  speed-up {b['seconds'] / g['seconds']:.1f}x   budget: 10 s and 500 MB")
    print(
        f"  outcomes [diverged, not converged, minima 0..3]: gdsim {g['counts']}, "
        f"baseline {b['counts']}"
    )


if __name__ == "__main__":
    main()
