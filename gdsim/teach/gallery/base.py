"""The gallery's registry: every named figure, a small version of it for the tests, and saving."""

from __future__ import annotations

import functools
from pathlib import Path

from gdsim.registry import Registry, summary

PROJECTOR = (13.33, 7.5)  # inches: a 16:9 slide

REGISTRY = Registry("figure")
QUICK = {}  # name -> options drawing a small version: the same code paths, fewer steps and pixels
SECTIONS = {}  # name -> the module that registered it (the tour's, a lesson's, or the user's)


def register(name, function, description=None, *, quick=None, section=None, replace=False):
    """Add ``function(**options)`` (returning a Figure or an Animation) as ``name`` and return
    it, wrapped so that it draws in gdsim's style and what it draws carries
    ``gdsim_figure = name`` (the lessons' test checks that every figure a lesson shows comes
    from the gallery). ``quick`` holds the options of a
    small version, which the tests lint and check (default: none); ``section`` the module
    whose heading ``gdsim figure --list`` shows it under (default: the function's own)."""

    @functools.wraps(function)
    def drawn(*args, **options):
        # in gdsim's style, so the titles and notes a figure adds after the drawing functions
        # have the same sizes in a notebook (where use_style changed the defaults) as anywhere
        from gdsim.plotting import style

        with style():
            drawing = function(*args, **options)
        figure = getattr(drawing, "figure", drawing) if hasattr(drawing, "frame_steps") else drawing
        try:
            figure.gdsim_figure = name
        except AttributeError:  # not a Figure: leave it as the function returned it
            pass
        return drawing

    if description is None:  # one line in the list: the docstring's first sentence
        description = summary(function).split(". ")[0].rstrip(".") + "."
    REGISTRY.register(name, drawn, description, replace=replace)
    QUICK[name] = dict(quick or {})
    SECTIONS[name] = section or getattr(function, "__module__", None) or "__main__"
    return drawn


def figure(name, description=None, *, quick=None):
    """Decorator form of :func:`register`: ``@figure("fastest-lr", quick={"steps": 50})``."""
    return functools.partial(_register_as, name, description, quick)


def _register_as(name, description, quick, function):
    return register(name, function, description, quick=quick)


def unregister(name):
    REGISTRY.unregister(name)
    QUICK.pop(name, None)
    SECTIONS.pop(name, None)


def catalogue():
    """``{heading: {name: description}}``: the tour's figures, then each lesson's, then any
    registered elsewhere, as ``gdsim figure --list`` prints them."""
    import importlib
    import sys

    grouped = {}
    for name, description in describe().items():
        module = SECTIONS.get(name, "__main__")
        if module == "gdsim.teach.gallery.headline":
            heading = "The tour's figures"
        elif module.startswith("gdsim.teach.gallery.lesson"):
            doc = (sys.modules.get(module) or importlib.import_module(module)).__doc__
            # "The figures of lesson 1, Gradient descent and the learning rate."
            number, _, title = (
                doc.split("\n")[0].removeprefix("The figures of lesson ").partition(", ")
            )
            heading = f"Lesson {number}: {title.rstrip('.')}"
        else:
            heading = "Registered by you"
        grouped.setdefault(heading, {})[name] = description
    return grouped


names = REGISTRY.names
describe = REGISTRY.describe


def listed(names):
    """``["a", "b", "c"]`` as "a, b and c": the names a title lists."""
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def short_e(value):
    """A number as a title writes it in one digit: 0.0001 as 1e-4, 0.0027 as 3e-3."""
    return f"{value:.0e}".replace("e-0", "e-").replace("e+0", "e")


def default_name(name, drawing):
    """The file a figure is saved to by default: its name, .gif for a movie, else .png."""
    return f"{name}.gif" if hasattr(drawing, "frame_steps") else f"{name}.png"


def save(drawing, path, dpi=100):
    """Write a Figure (any matplotlib format, from the suffix) or an Animation, close it, and
    return the path."""
    path = Path(path)
    try:
        if hasattr(drawing, "frame_steps"):
            return Path(drawing.save(path))
        drawing.savefig(path, dpi=dpi)
        return path
    finally:
        if hasattr(drawing, "frame_steps"):
            drawing.close()
        else:
            import matplotlib.pyplot as plt

            plt.close(drawing)
