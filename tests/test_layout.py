"""The package layout keeps its promises: layering without cycles, no private names across
subpackages, a small top level, and a simulator that runs without matplotlib."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "gdsim"

# a package may import (at module level) only from its own layer or the layers before it
LAYERS = [
    {"arguments", "registry"},
    {"surfaces", "optimizers", "schedules", "datasets"},
    {"sim"},
    {"nn"},
    {"plotting"},
    {"toolkit", "teach", "homework"},
    {"cli", "__init__"},
]
LAYER = {name: i for i, layer in enumerate(LAYERS) for name in layer}


def modules():
    return sorted(p for p in ROOT.rglob("*.py"))


def unit(path):
    """The top-level package or module of gdsim a file belongs to: 'sim', 'arguments', ..."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return parts[0]


def imports(path, module_level_only):
    """(line, imported gdsim unit, imported names) for each ``from gdsim...`` /
    ``import gdsim...``."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if module_level_only else list(ast.walk(tree))
    for node in nodes:
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.split(".")[0] == "gdsim"
        ):
            parts = node.module.split(".")
            names = [a.name for a in node.names]
            if len(parts) == 1:  # from gdsim import sim, plotting
                for name in names:
                    yield node.lineno, name, []
            else:
                yield node.lineno, parts[1], names
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "gdsim" and len(parts) > 1:
                    yield node.lineno, parts[1], []


def test_every_unit_has_a_layer():
    units = {unit(p) for p in modules()}
    assert units <= set(LAYER), units - set(LAYER)


def test_at_most_ten_modules_at_the_top():
    top = [p.name for p in ROOT.glob("*.py")]
    assert len(top) <= 10, top


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_level_imports_follow_the_layers(path):
    here = unit(path)
    for line, imported, _ in imports(path, module_level_only=True):
        if imported == here or imported not in LAYER:
            continue
        assert LAYER[imported] <= LAYER[here], (
            f"{path.relative_to(ROOT)}:{line} imports gdsim.{imported} from a later layer"
        )


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_private_name_crosses_a_subpackage(path):
    here = unit(path)
    for line, imported, names in imports(path, module_level_only=False):
        if imported == here:
            continue
        private = [n for n in names if n.startswith("_")]
        assert not private, (
            f"{path.relative_to(ROOT)}:{line} imports {private} from gdsim.{imported}"
        )


def test_the_simulator_runs_without_matplotlib():
    script = (
        "import sys, gdsim\n"
        "run = gdsim.simulate('himmelblau', gdsim.SGD(lr=0.01), [[1.0, 1.0]], 5)\n"
        "maps = gdsim.basins('himmelblau', gdsim.SGD(lr=0.01), grid=4, steps=5)\n"
        "fractions = maps.fractions()\n"
        "print(sorted(m for m in sys.modules if m.startswith('matplotlib')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT.parent
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_every_subpackage_is_installed():
    """pyproject lists the packages by hand: a new folder left out installs without its code
    (an editable install hides that; a fresh venv does not)."""
    import tomllib

    config = tomllib.loads((ROOT.parent / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT.parent).parts) for init in ROOT.rglob("__init__.py")
    }
    assert found <= listed, f"add to pyproject's packages: {sorted(found - listed)}"
