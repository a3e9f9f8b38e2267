"""gdsim's figure style must not disturb a notebook: figures drawn after gdsim's still show."""

import matplotlib
import nbclient
import nbformat

from gdsim.plotting import theme


def test_style_keeps_the_interactive_mode_the_block_ends_with():
    before = matplotlib.is_interactive()
    try:
        with theme.style():
            matplotlib.interactive(True)  # what the inline backend does on the first figure
        assert matplotlib.is_interactive()
        with theme.style():
            assert matplotlib.rcParams["axes.prop_cycle"].by_key()["color"] == list(theme.PALETTE)
    finally:
        matplotlib.interactive(before)


def test_figures_after_a_gdsim_figure_still_show_in_a_notebook(monkeypatch):
    monkeypatch.delenv(
        "MPLBACKEND", raising=False
    )  # a real Jupyter kernel picks the inline backend
    cells = [
        "import gdsim",
        "gdsim.plotting.contour(gdsim.surfaces.get('himmelblau'));",  # the kernel's first figure
        "import matplotlib.pyplot as plt\nplt.plot([1, 2]);",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    shown = [
        any("image/png" in output.get("data", {}) for output in cell.outputs)
        for cell in notebook.cells
    ]
    assert shown == [False, True, True]


def test_panel_grid_fills_the_slide():
    from gdsim.plotting import panel_grid

    assert panel_grid(4) == (2, 2) and panel_grid(5) == (2, 3)  # no size: three a row at most
    assert panel_grid(4, (13.33, 7.5)) == (1, 4)  # 16:9: one row gives larger squares
    assert panel_grid(4, (8, 8)) == (2, 2)
    rows, cols = panel_grid(7, (13.33, 7.5))
    assert rows * cols >= 7 and (rows - 1) * cols < 7
