"""The README's examples run as written."""

import re
from pathlib import Path

import matplotlib
import numpy as np

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_readme_has_examples():
    assert len(python_blocks()) >= 2


def test_readme_examples_run(tmp_path, monkeypatch):
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    import gdsim

    registries = [gdsim.optimizers.REGISTRY, gdsim.schedules.REGISTRY, gdsim.surfaces.REGISTRY]
    before = [set(r) for r in registries]
    namespace = {}
    try:
        for block in python_blocks():
            exec(compile(block, str(README), "exec"), namespace)
    finally:  # what the README registers must not leak into the other tests
        for registry, names in zip(registries, before):
            for name in set(registry) - names:
                registry.unregister(name)
    assert namespace["history"].val_accuracy.shape == (200, 8)
    assert namespace["grid"].axes == ("lr", "momentum", "start")
    assert namespace["lion_runs"].positions.shape == (101, 2, 50, 2)
    assert "lion" not in gdsim.optimizers.names()
    # what the first look's comment promises, on its own run
    first_look = namespace["swarm"]
    assert (first_look.reached >= 0).all() and len(np.unique(first_look.reached)) >= 3
