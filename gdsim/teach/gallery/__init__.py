"""The named figures of the tour and the lessons, one function each, for instructors to reuse.

Each returns its matplotlib Figure (or, for a movie, a gdsim Animation) so it can be tweaked
before saving; ``gdsim figure NAME`` writes it and ``gdsim figure --list`` describes them all.
``figsize=PROJECTOR`` gives a 16:9 slide. The tour's figures are in :mod:`.headline`, each
lesson's in its own module (:mod:`.lesson01` ...); a lesson cell draws its figure by calling
the function here, passing the runs it computed so nothing is simulated twice.

An instructor adds one with ``gdsim.teach.gallery.register(name, function)``, where
``function(**options)`` returns the Figure or Animation.
"""

from gdsim.teach.gallery import (  # noqa: F401 (each module registers its figures)
    headline,
    lesson01,
    lesson02,
    lesson03,
    lesson04,
    lesson05,
    lesson06,
    lesson07,
    lesson08,
    lesson09,
    lesson10,
    lesson11,
)
from gdsim.teach.gallery.base import (
    PROJECTOR,
    QUICK,
    REGISTRY,
    catalogue,
    default_name,
    describe,
    names,
    register,
    save,
    unregister,
)
from gdsim.teach.gallery.headline import (
    BASIN_LRS,
    BASINS_TITLE,
    NEAR_THE_MINIMUM,
    RACE,
    RACE_STARTS,
    RACE_SURFACE,
    VALLEY,
    VALLEY_START,
    WHICH_LRS,
    Tuned,
    _told_apart,
    basins_by_lr,
    experiment_figure,
    optimizer_race,
    optimizer_race_movie,
    race,
    race_title,
    reached_table,
    schedules,
    stability_map,
    tune_lr,
    valley_race,
    valley_title,
    which_minimum,
    which_minimum_runs,
    which_title,
)

__all__ = [
    "PROJECTOR",
    "QUICK",
    "REGISTRY",
    "catalogue",
    "default_name",
    "describe",
    "headline",
    "names",
    "register",
    "save",
    "unregister",
    "BASIN_LRS",
    "BASINS_TITLE",
    "NEAR_THE_MINIMUM",
    "RACE",
    "RACE_STARTS",
    "RACE_SURFACE",
    "VALLEY",
    "VALLEY_START",
    "WHICH_LRS",
    "Tuned",
    "_told_apart",
    "basins_by_lr",
    "experiment_figure",
    "optimizer_race",
    "optimizer_race_movie",
    "race",
    "race_title",
    "reached_table",
    "schedules",
    "stability_map",
    "tune_lr",
    "valley_race",
    "valley_title",
    "which_minimum",
    "which_minimum_runs",
    "which_title",
]
