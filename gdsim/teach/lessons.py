"""The lesson and homework notebooks that ship with gdsim, and ``gdsim lessons DIR``.

In a source checkout the notebooks live in ``lessons/`` at the top of the repository; an
installed gdsim carries the same files as the package ``gdsim._lessons``.
"""

from __future__ import annotations

import shutil
from pathlib import Path


def folder():
    """Where the notebooks are: the installed copy, or the checkout's ``lessons/``."""
    installed = Path(__file__).resolve().parent.parent / "_lessons"
    if installed.is_dir() and any(installed.rglob("*.ipynb")):
        return installed
    checkout = Path(__file__).resolve().parents[2] / "lessons"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError("gdsim's lesson notebooks are not installed with this copy of gdsim")


def notebooks(solutions=True):
    """Every lesson and homework notebook, relative to :func:`folder`, in order; without the
    homework's ``solutions/`` unless ``solutions``."""
    root = folder()
    found = (
        p.relative_to(root) for p in root.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
    )
    return sorted(p for p in found if solutions or "solutions" not in p.parts)


def copy_to(destination="gdsim-lessons", solutions=False):
    """Copy the notebooks to ``destination`` (created; existing notebooks are not overwritten).

    Students get the lessons and the homework exercises only; ``solutions=True`` (for course
    staff) adds ``homework/solutions/``."""
    from gdsim import arguments

    solutions = arguments.check_bool("solutions", solutions)
    root, destination = folder(), Path(destination)
    chosen = notebooks(solutions)
    existing = [p for p in chosen if (destination / p).exists()]
    if existing:
        raise FileExistsError(
            f"{destination / existing[0]} already exists; choose another folder "
            f"or move it away (gdsim never overwrites a student's work)"
        )
    for relative in chosen:
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / relative, target)
    return destination
