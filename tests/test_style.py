"""The code style holds: ``ruff check`` (configured in pyproject.toml: pyflakes, pycodestyle
with lines of at most 100 characters, import order) is clean over the whole repository."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_is_clean():
    ruff = shutil.which("ruff") or shutil.which("ruff", path=str(Path(sys.executable).parent))
    assert ruff, "ruff is in the test extra: pip install '.[test]'"
    result = subprocess.run(
        [ruff, "check", "--no-cache", str(ROOT)], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
