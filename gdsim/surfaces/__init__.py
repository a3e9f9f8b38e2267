"""Two-dimensional loss surfaces: the :class:`Surface` base class, the catalogue, your own.

surface = gdsim.surfaces.get("himmelblau")
surface.minima, surface.saddles, surface.grad([[0.0, 0.0]])
bowl = gdsim.surfaces.custom(lambda p: (p ** 2).sum(axis=-1))
gdsim.surfaces.register("bowl", lambda: bowl, "my bowl")    # now gdsim.simulate("bowl", ...)
"""

from gdsim.surfaces.base import Surface
from gdsim.surfaces.catalogue import (
    REGISTRY,
    Beale,
    Booth,
    GaussianWells,
    Himmelblau,
    Plateau,
    Quadratic,
    Rastrigin,
    Rosenbrock,
    Saddle,
    SixHumpCamel,
    StyblinskiTang,
    ThreeHumpCamel,
    as_surface,
    describe,
    get,
    names,
    register,
)
from gdsim.surfaces.custom import custom

__all__ = [
    "Surface",
    "get",
    "names",
    "describe",
    "register",
    "REGISTRY",
    "custom",
    "as_surface",
    "Quadratic",
    "Saddle",
    "Himmelblau",
    "Rosenbrock",
    "Beale",
    "Booth",
    "ThreeHumpCamel",
    "SixHumpCamel",
    "StyblinskiTang",
    "Rastrigin",
    "Plateau",
    "GaussianWells",
]
