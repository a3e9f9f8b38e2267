"""Page size and build time: the browser player (numbers drawn by the browser) against the frame
player (every frame a PNG), for the same animation.

The issue's measure: a sweep of 12 lrs x 3 momenta x 30 starts x 100 steps on Himmelblau, saved
as HTML. The target is a page under 3 MB (aim: 1 MB) whose sliders reach every cell, where the
frame player's page (one slider, the step) weighed 13.6 MB. Both pages come from the same
``Animation``: ``save("x.html")`` (the browser player) and ``save(..., writer=HtmlWriter())``.

Also: how the page grows with the starts and the steps (only the numbers grow; the two images
stay), and what part of the page is images, numbers and code.

    python benchmarks/bench_player.py [--starts 30] [--steps 100] [--no-frames]
"""

import argparse
import json
import os
import tempfile
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np

from gdsim import optimizers, surfaces
from gdsim.plotting import animation, movies
from gdsim.sim import sweep


def build(n_starts, steps, n_lr=12, momenta=(0.0, 0.5, 0.9)):
    surface = surfaces.get("himmelblau")
    starts = np.random.default_rng(0).uniform(-5, 5, (n_starts, 2))
    run = sweep(
        surface,
        optimizers.SGD,
        starts,
        steps,
        lr=list(np.geomspace(0.001, 0.02, n_lr)),
        momentum=list(momenta),
    )
    return animation.animate(surface, run)


def parts(html):
    """Bytes of the page that are images, numbers and everything else (code, markup)."""
    call = html.index("gdsimPlayer(document.getElementById(")
    description = json.loads(html[html.index(", {", call) + 2 : html.rindex(");</script>")])
    images = html.count("data:image/png;base64,")
    image_bytes = len(description["background"]) + sum(
        len(chunk.split('"')[0]) for chunk in html.split('src="data:image/png;base64,')[1:]
    )
    numbers = len(description["data"])
    return images, image_bytes, numbers, len(html) - image_bytes - numbers


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--starts", type=int, default=30)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--no-frames", action="store_true", help="skip the (slow) frame player")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        anim = build(args.starts, args.steps)
        start = time.perf_counter()
        page = anim.save(os.path.join(folder, "player.html"))
        player_time = time.perf_counter() - start
        html = page.read_text()
        player_size = len(html.encode())
        images, image_bytes, numbers, rest = parts(html)
        print(f"12 lrs x 3 momenta x {args.starts} starts x {args.steps} steps on himmelblau")
        print(
            f"  browser player:  {player_size / 1e6:6.2f} MB  {player_time:6.1f} s  "
            f"({images} images {image_bytes / 1e3:.0f} kB, numbers {numbers / 1e3:.0f} kB, "
            f"code and markup {rest / 1e3:.0f} kB)"
        )
        if not args.no_frames:
            start = time.perf_counter()
            frames = anim.save(
                os.path.join(folder, "frames.html"), writer=movies.HtmlWriter(), progress=False
            )
            frame_time = time.perf_counter() - start
            frame_size = frames.stat().st_size
            print(
                f"  frame player:    {frame_size / 1e6:6.2f} MB  {frame_time:6.1f} s  "
                f"({len(anim)} frames, one slider)"
            )
            print(
                f"  ratio: {frame_size / player_size:.1f}x smaller, "
                f"{frame_time / player_time:.1f}x faster to write"
            )
        anim.close()
        print("growth (browser player):")
        for n_starts, steps in (
            (args.starts, args.steps),
            (2 * args.starts, args.steps),
            (args.starts, 2 * args.steps),
        ):
            anim = build(n_starts, steps)
            size = anim.save(os.path.join(folder, "g.html")).stat().st_size
            anim.close()
            print(f"  {n_starts:4d} starts x {steps:4d} steps: {size / 1e6:6.2f} MB")


if __name__ == "__main__":
    main()
