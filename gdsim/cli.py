"""The ``gdsim`` command: ``gdsim list``, ``gdsim tour``, ``gdsim figure``, ``gdsim lessons``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _print_catalogue(title, catalogue):
    """``title:`` then one entry a line, long descriptions wrapped under their own column."""
    import shutil
    import textwrap

    print(f"{title}:")
    width = max(map(len, catalogue))
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

    rules = {"ReduceLROnPlateau": summary(schedules.ReduceLROnPlateau),
             "Adaptive": summary(schedules.Adaptive)}
    for title, catalogue in (("Surfaces", surfaces.describe()), ("Optimizers", optimizers.describe()),
                             ("Schedules", schedules.describe()),
                             ("Metric-driven lr rules (callbacks)", rules),
                             ("Figures (gdsim figure NAME)", gallery.describe())):
        _print_catalogue(title, catalogue)
    return 0


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


def _figure(args):
    import inspect
    from pathlib import Path

    import matplotlib

    matplotlib.use("Agg")  # figures are written to files; never open windows
    from gdsim.teach import gallery

    if args.list or args.name is None:
        _print_catalogue("Figures", gallery.describe())
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

    folder = lessons.copy_to(args.dir)
    print(f"Copied the lessons to {folder}/. Start them with:\n  jupyter lab {folder}")
    return 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog="gdsim",
        description="See how learning rate, schedule, optimizer and starting point decide where "
                    "gradient descent ends up.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    listing = commands.add_parser("list", help="the surfaces, optimizers and schedules, one line each")
    listing.set_defaults(handler=_list)

    tour = commands.add_parser("tour", help="write the headline figures and animations to a folder")
    tour.add_argument("--out", default="gdsim-tour", help="folder to write into (default: gdsim-tour)")
    tour.add_argument("--quick", action="store_true", help="smaller, faster versions (for tests)")
    tour.set_defaults(handler=_tour)

    from gdsim.teach import gallery

    figure = commands.add_parser("figure", help="one of the gallery's named figures (--list: all)")
    figure.add_argument("name", nargs="?", choices=gallery.names(), metavar="NAME",
                        help="the figure: " + ", ".join(gallery.names()))
    figure.add_argument("--list", action="store_true", help="describe every figure, one a line")
    figure.add_argument("--out", default=None, help="file to write (default: NAME.png, or "
                        "NAME.gif for a movie)")
    figure.add_argument("--format", choices=["png", "svg", "pdf", "gif", "mp4", "html"],
                        help="file format (default: from --out, else png or gif)")
    figure.add_argument("--size", choices=["default", "projector"], default="default",
                        help="projector: a 16:9 slide (13.33 x 7.5 inches)")
    figure.add_argument("--seeds", type=int, default=1, help="independent repetitions to average")
    figure.set_defaults(handler=_figure)

    lessons = commands.add_parser("lessons", help="copy the lesson notebooks to a folder")
    lessons.add_argument("dir", nargs="?", default="gdsim-lessons", help="destination (default: gdsim-lessons)")
    lessons.set_defaults(handler=_lessons)
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
    except OSError as error:   # e.g. a folder that cannot be created: one line, no traceback
        where = f"{error.filename}: " if error.filename else ""
        print(f"gdsim {args.command}: {where}{error.strerror or error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
