"""The gallery's registry: every named figure, a small version of it for the tests, and saving."""

from __future__ import annotations

import functools
from pathlib import Path

from gdsim.registry import Registry

PROJECTOR = (13.33, 7.5)  # inches: a 16:9 slide

REGISTRY = Registry("figure")
QUICK = {}  # name -> options drawing a small version: the same code paths, fewer steps and pixels


def register(name, function, description=None, *, quick=None, replace=False):
    """Add ``function(**options)`` (returning a Figure or an Animation) as ``name`` and return
    it, wrapped so that what it draws carries ``gdsim_figure = name`` (the lessons' test checks
    that every figure a lesson shows comes from the gallery). ``quick`` holds the options of a
    small version, which the tests lint and check (default: none)."""

    @functools.wraps(function)
    def drawn(*args, **options):
        drawing = function(*args, **options)
        figure = getattr(drawing, "figure", drawing) if hasattr(drawing, "frame_steps") else drawing
        try:
            figure.gdsim_figure = name
        except AttributeError:  # not a Figure: leave it as the function returned it
            pass
        return drawing

    REGISTRY.register(name, drawn, description, replace=replace)
    QUICK[name] = dict(quick or {})
    return drawn


def figure(name, description=None, *, quick=None):
    """Decorator form of :func:`register`: ``@figure("fastest-lr", quick={"steps": 50})``."""
    return functools.partial(_register_as, name, description, quick)


def _register_as(name, description, quick, function):
    return register(name, function, description, quick=quick)


def unregister(name):
    REGISTRY.unregister(name)
    QUICK.pop(name, None)


names = REGISTRY.names
describe = REGISTRY.describe


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
