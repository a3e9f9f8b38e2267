"""Test-session set-up shared by tests/ and lessons/.

The lesson notebooks run in Jupyter kernels (nbmake); an IPython startup file makes each kernel
lint every figure a cell shows (gdsim.plotting.lint.watch_notebook), so a lesson whose figure
is unreadable fails like a lesson whose code raises.
"""

import os
import tempfile
from pathlib import Path

# lessons draw every figure with a gallery function; the homework's "see it" cells draw the
# student's own function, so there only the legibility is checked
STARTUP = """\
from pathlib import Path
from gdsim.plotting.lint import watch_notebook
watch_notebook(require_gallery=Path.cwd().name == "lessons")
"""


def pytest_configure(config):
    folder = Path(tempfile.mkdtemp(prefix="gdsim-ipython-"))
    startup = folder / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "50-gdsim-figure-lint.py").write_text(STARTUP)
    os.environ["IPYTHONDIR"] = str(folder)
