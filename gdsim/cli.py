"""The ``gdsim`` command: ``gdsim list``, ``gdsim tour``, ``gdsim figure``, ``gdsim lessons``,
``gdsim homework``, ``gdsim page``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _print_catalogue(title, catalogue, width=None):
    """``title:`` then one entry a line, long descriptions wrapped under their own column."""
    import shutil
    import textwrap

    print(f"{title}:")
    width = width or max(map(len, catalogue))
    columns = max(shutil.get_terminal_size((100, 24)).columns, 60)
    for name, description in catalogue.items():
        lines = textwrap.wrap(description, columns - width - 4) or [""]
        print(f"  {name:<{width}}  {lines[0]}")
        for line in lines[1:]:
            print(" " * (width + 4) + line)
    print()


def _list(_args):
    from gdsim import optimizers, schedules, surfaces
    from gdsim.registry import summary
    from gdsim.teach import gallery

    rules = {
        "ReduceLROnPlateau": summary(schedules.ReduceLROnPlateau),
        "Adaptive": summary(schedules.Adaptive),
    }
    for title, catalogue in (
        ("Surfaces", surfaces.describe()),
        ("Optimizers", optimizers.describe()),
        ("Schedules", schedules.describe()),
        ("Metric-driven lr rules (callbacks)", rules),
    ):
        _print_catalogue(title, catalogue)
    _print_figures("Figures (gdsim figure NAME)", gallery)
    return 0


def _print_figures(title, gallery):
    """The gallery's figures under the heading of the tour or the lesson they belong to."""
    print(f"{title}:\n")
    width = max(map(len, gallery.names()))
    for heading, figures in gallery.catalogue().items():
        _print_catalogue(f"  {heading}", {f"  {k}": v for k, v in figures.items()}, width + 2)


def _tour(args):
    import matplotlib

    matplotlib.use("Agg")  # the tour only writes files; never open windows
    from gdsim.teach import tour

    out = Path(args.out)
    written = tour.run(out, quick=args.quick)
    print(f"\nWrote {len(written)} files to {out}/:")
    for path, what in written:
        print(f"  {path.name:<28} {what}")
    return 0


# -- gdsim page: a sweep as an interactive page ----------------------------------------------------

_PAGE_OPTIONS = {
    "surface",
    "optimizer",
    "starts",
    "steps",
    "seed",
    "trail",
    "title",
    "color_by",
    "out",
    "command",
    "handler",
}


def _hyperparameter_names():
    """Every hyperparameter name of the registered optimizers, in a stable order."""
    import inspect

    from gdsim import optimizers

    names = {}
    for name in optimizers.names():
        for p in inspect.signature(optimizers.REGISTRY.factory(name)).parameters.values():
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in _PAGE_OPTIONS:
                names.setdefault(p.name, None)
    return list(names)


def _parse_one(name, text, default):
    """One value of hyperparameter ``name``, read as its default's kind is."""
    if isinstance(default, bool):
        words = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
        if text.lower() not in words:
            raise ValueError(f"--{name} takes true or false, got {text!r}")
        return words[text.lower()]
    if isinstance(default, str):
        return text
    if isinstance(default, tuple):
        parts = [_parse_one(name, part, default[0]) for part in text.split(",")]
        if len(parts) != len(default):
            raise ValueError(
                f"--{name} takes {len(default)} numbers separated by commas (its "
                f"default is {','.join(map(str, default))}); several values are "
                f"separated by ';', got {text!r}"
            )
        return tuple(parts)
    try:
        return float(text)
    except ValueError:
        raise ValueError(
            f"--{name} takes numbers: one value, a comma list (0,0.5,0.9) or a "
            f"range lo:hi:n, got {text!r}"
        ) from None


def _sweep_values(name, text, default):
    """The values of ``--name TEXT``: ``lo:hi:n`` (geometric for lr, with :log or :linear to
    choose; geometric values keep 3 significant digits, so legends stay short), a comma list,
    or one value. Tuple-valued hyperparameters (betas) take ``0.9,0.999`` and ``;`` between
    several."""
    import numpy as np

    if ":" in text and not isinstance(default, (str, bool, tuple)):
        parts = text.split(":")
        spacing = (
            parts.pop() if parts[-1] in ("log", "linear") else ("log" if name == "lr" else "linear")
        )
        if len(parts) != 3:
            raise ValueError(
                f"--{name} range must be lo:hi:n (optionally :log or :linear), got {text!r}"
            )
        low, high = (_parse_one(name, part, default) for part in parts[:2])
        try:
            n = int(parts[2])
        except ValueError:
            n = 0
        if n < 1:
            raise ValueError(f"--{name} range lo:hi:n needs a whole number n >= 1, got {text!r}")
        if spacing == "log":
            if not (low > 0 and high > 0):
                raise ValueError(f"--{name} geometric range needs lo and hi > 0, got {text!r}")
            return [float(f"{v:.3g}") for v in np.geomspace(low, high, n)]
        return [float(v) for v in np.linspace(low, high, n)]
    separator = ";" if isinstance(default, tuple) else ","
    return [_parse_one(name, part.strip(), default) for part in text.split(separator)]


def _page_starts(text, surface, seed):
    """``--starts N`` (N points drawn uniformly over the surface's box) or ``x,y;x,y;...``."""
    import numpy as np

    if ";" in text or "," in text:
        try:
            return np.array([[float(v) for v in point.split(",")] for point in text.split(";")])
        except ValueError:
            raise ValueError(f"--starts takes a count or points x,y;x,y, got {text!r}") from None
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"--starts takes a count >= 1 or points x,y;x,y, got {text!r}")
    (x0, x1), (y0, y1) = surface.bounds
    return np.random.default_rng(seed).uniform((x0, y0), (x1, y1), (n, 2))


def _page(args):
    import functools
    import inspect

    import matplotlib

    matplotlib.use("Agg")  # a page is written to a file; never open windows
    from gdsim import arguments, optimizers, surfaces
    from gdsim.plotting.animation import animate
    from gdsim.sim import simulate, sweep

    out = Path(args.out)
    if out.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"--out must end in .html, got {args.out!r}")
    surface = surfaces.get(args.surface)
    factory = optimizers.REGISTRY.factory(args.optimizer)
    takes = {
        p.name: p.default
        for p in inspect.signature(factory).parameters.values()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }
    given = {
        name: text
        for name, text in vars(args).items()
        if name not in _PAGE_OPTIONS and text is not None
    }
    for name in given:
        if name not in takes:
            raise arguments.unknown_name_error(
                f"hyperparameter of {args.optimizer}", name, list(takes)
            )
    values = {name: _sweep_values(name, text, takes[name]) for name, text in given.items()}
    grid = {name: v for name, v in values.items() if len(v) > 1}
    fixed = {name: v[0] for name, v in values.items() if len(v) == 1}
    steps = arguments.check_int("--steps", args.steps, minimum=1)
    starts = _page_starts(args.starts, surface, args.seed)
    if grid:
        run = sweep(
            surface,
            functools.partial(optimizers.get, args.optimizer, **fixed),
            starts,
            steps,
            **grid,
        )
    else:
        run = simulate(surface, optimizers.get(args.optimizer, **fixed), starts, steps)
    setting = ", ".join(
        f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in fixed.items()
    )
    title = args.title or (
        f"{factory.__name__} on {surface.name}"
        + (f" ({setting})" if setting else "")
        + f", {len(starts)} starts"
    )
    animation = animate(surface, run, trail=args.trail, title=title, color_by=args.color_by)
    try:
        path = animation.save(out)
    finally:
        animation.close()
    cells = " x ".join(f"{len(v)} {k}" for k, v in grid.items()) or "one setting"
    print(
        f"Wrote {path} ({path.stat().st_size / 1e6:.2f} MB): {cells}, {len(starts)} starts, "
        f"{steps} steps; open it in a browser, no server needed"
    )
    return 0


def _figure(args):
    import inspect
    from pathlib import Path

    import matplotlib

    matplotlib.use("Agg")  # figures are written to files; never open windows
    from gdsim.teach import gallery

    if args.list or args.name is None:
        _print_figures("Figures", gallery)
        return 0
    make = gallery.REGISTRY.factory(args.name)
    accepted = inspect.signature(make).parameters
    options = {"seeds": args.seeds} if "seeds" in accepted and args.seeds != 1 else {}
    if args.size == "projector":
        options["figsize"] = gallery.PROJECTOR
    drawing = make(**options)
    path = Path(args.out) if args.out else Path(gallery.default_name(args.name, drawing))
    if args.format:
        path = path.with_suffix("." + args.format)
    print(f"Wrote {gallery.save(drawing, path)}")
    return 0


def _lessons(args):
    from gdsim.teach import lessons

    folder = lessons.copy_to(args.dir, solutions=args.solutions)
    what = "the lessons and the homework with its solutions" if args.solutions else "the lessons"
    print(f"Copied {what} to {folder}/. Start them with:\n  jupyter lab {folder}")
    return 0


def _homework(args):
    from gdsim.teach import assignments

    fmt = "otter" if args.otter else "nbgrader" if args.nbgrader else "lessons"
    folder = Path(args.dir)
    written = assignments.write(folder, fmt, wheel=args.wheel, force=args.force)
    print(f"Wrote {len(written)} files to {folder}/.")
    if fmt == "otter":
        wheel = folder / (Path(args.wheel).name if args.wheel else assignments.wheel_name())
        if not wheel.exists():
            print(
                f"Before otter assign, put gdsim's wheel there: pip wheel <gdsim's folder> "
                f"--no-deps -w {folder}  (or pass --wheel)"
            )
        print(
            f"Then, for each notebook:\n  otter assign --no-pdfs {folder}/NN_name.ipynb "
            f"{folder}/dist/NN_name"
        )
    elif fmt == "nbgrader":
        print(f"Then, in {folder}/:\n  nbgrader generate_assignment NN_name")
    return 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog="gdsim",
        description="See how learning rate, schedule, optimizer and starting point decide where "
        "gradient descent ends up.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    listing = commands.add_parser(
        "list", help="the surfaces, optimizers and schedules, one line each"
    )
    listing.set_defaults(handler=_list)

    tour = commands.add_parser("tour", help="write the headline figures and animations to a folder")
    tour.add_argument(
        "--out", default="gdsim-tour", help="folder to write into (default: gdsim-tour)"
    )
    tour.add_argument("--quick", action="store_true", help="smaller, faster versions (for tests)")
    tour.set_defaults(handler=_tour)

    page = commands.add_parser(
        "page",
        help="a self-contained interactive page of a sweep (a slider per swept value)",
        description="Write one HTML file that plays a sweep in any browser, offline: a slider "
        "per swept hyperparameter, the step, the trail; hover a path for its "
        "numbers. Each hyperparameter of the optimizer takes one value, a comma "
        "list (0,0.5,0.9) or a range lo:hi:n (geometric for lr, evenly spaced for "
        "the others; add :log or :linear to choose).",
        epilog="example: gdsim page himmelblau --optimizer sgd --lr 0.001:0.02:12 "
        "--momentum 0,0.5,0.9 --out page.html",
    )
    page.add_argument("surface", help="a surface name (gdsim list)")
    page.add_argument("--optimizer", default="sgd", help="a registered optimizer (default: sgd)")
    page.add_argument(
        "--starts",
        default="30",
        help="how many starts, drawn uniformly over the surface (default: 30), or points x,y;x,y",
    )
    page.add_argument("--steps", type=int, default=100, help="steps per run (default: 100)")
    page.add_argument("--seed", type=int, default=0, help="seed of the drawn starts (default: 0)")
    page.add_argument(
        "--trail",
        type=int,
        default=None,
        help="steps of trail behind each point at first (default: the whole path)",
    )
    page.add_argument(
        "--color-by",
        dest="color_by",
        choices=["run", "minimum"],
        default="run",
        help="colour paths by run, or by the minimum each reaches",
    )
    page.add_argument("--title", default=None, help="the page's title")
    page.add_argument("--out", default="page.html", help="file to write (default: page.html)")
    hyper = page.add_argument_group("hyperparameters (those of the chosen optimizer)")
    for name in _hyperparameter_names():
        spellings = [f"--{name}"] + ([f"--{name.replace('_', '-')}"] if "_" in name else [])
        hyper.add_argument(*spellings, dest=name, default=None, metavar="VALUES")
    page.set_defaults(handler=_page)

    from gdsim.teach import gallery

    figure = commands.add_parser("figure", help="one of the gallery's named figures (--list: all)")
    figure.add_argument(
        "name",
        nargs="?",
        choices=gallery.names(),
        metavar="NAME",
        help="the figure: " + ", ".join(gallery.names()),
    )
    figure.add_argument("--list", action="store_true", help="describe every figure, one a line")
    figure.add_argument(
        "--out", default=None, help="file to write (default: NAME.png, or NAME.gif for a movie)"
    )
    figure.add_argument(
        "--format",
        choices=["png", "svg", "pdf", "gif", "mp4", "html"],
        help="file format (default: from --out, else png or gif)",
    )
    figure.add_argument(
        "--size",
        choices=["default", "projector"],
        default="default",
        help="projector: a 16:9 slide (13.33 x 7.5 inches)",
    )
    figure.add_argument("--seeds", type=int, default=1, help="independent repetitions to average")
    figure.set_defaults(handler=_figure)

    lessons = commands.add_parser("lessons", help="copy the lesson notebooks to a folder")
    lessons.add_argument(
        "dir", nargs="?", default="gdsim-lessons", help="destination (default: gdsim-lessons)"
    )
    lessons.add_argument(
        "--solutions", action="store_true", help="add the homework's solutions (for course staff)"
    )
    lessons.set_defaults(handler=_lessons)

    homework = commands.add_parser(
        "homework", help="write the homework as Otter-Grader or nbgrader source notebooks"
    )
    homework.add_argument("dir", help="folder to write into")
    kind = homework.add_mutually_exclusive_group(required=True)
    kind.add_argument(
        "--otter",
        action="store_true",
        help="Otter-Grader source notebooks and requirements.txt (otter assign)",
    )
    kind.add_argument(
        "--nbgrader",
        action="store_true",
        help="an nbgrader course folder, source/NN_name/ (nbgrader generate_assignment)",
    )
    kind.add_argument(
        "--lessons",
        action="store_true",
        help="the exercise and solution notebooks of lessons/homework/",
    )
    homework.add_argument(
        "--wheel",
        default=None,
        help="gdsim's wheel (pip wheel . --no-deps) to copy next to the Otter notebooks",
    )
    homework.add_argument("--force", action="store_true", help="overwrite existing files")
    homework.set_defaults(handler=_homework)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0
    try:
        return args.handler(args)
    except (ValueError, TypeError, FileExistsError) as error:
        print(f"gdsim {args.command}: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # e.g. a folder that cannot be created: one line, no traceback
        where = f"{error.filename}: " if error.filename else ""
        print(f"gdsim {args.command}: {where}{error.strerror or error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
