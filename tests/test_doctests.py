"""Every docstring example in gdsim runs and prints what it says (doctest, module by module)."""

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import gdsim


def modules():
    for info in pkgutil.walk_packages(gdsim.__path__, "gdsim."):
        if not info.name.startswith("gdsim._lessons"):
            yield info.name


def test_the_walk_finds_the_packages():
    found = set(modules())
    assert {"gdsim.sim.engine", "gdsim.optimizers.base", "gdsim.schedules.decays"} <= found


@pytest.mark.parametrize("name", list(modules()))
def test_docstring_examples(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, name, globs={"np": np, "gdsim": gdsim, **vars(module)}):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed"
