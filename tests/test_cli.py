"""The gdsim command: help, list, tour."""

import subprocess
import sys

import pytest

from gdsim import cli, optimizers, schedules, surfaces


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for command in ("list", "tour", "figure", "lessons", "homework"):
        assert command in text


def test_no_command_prints_help(capsys):
    assert cli.main([]) == 0
    assert "usage: gdsim" in capsys.readouterr().out


def test_list_names_every_surface_optimizer_and_schedule(capsys):
    assert cli.main(["list"]) == 0
    text = capsys.readouterr().out
    for name in surfaces.names() + optimizers.names() + schedules.names():
        assert f"  {name} " in text
    assert surfaces.describe()["himmelblau"] in text


def test_tour_writes_its_files_and_the_table(tmp_path, capsys):
    assert cli.main(["tour", "--quick", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(
        [
            "optimizer_race.png",
            "optimizer_race.gif",
            "which_minimum.gif",
            "basins_by_lr.png",
            "stability_lr_momentum.png",
            "schedules.png",
            "lr_sweep.png",
        ]
    )
    for name in written:
        assert name in text
        assert (tmp_path / name).stat().st_size > 1000
    # the table names every contender and at least one minimum it reached
    for contender in ("SGD", "Momentum", "Adagrad", "RMSprop", "Adam"):
        assert contender in text
    assert "(+3.00, +2.00)" in text


def test_the_installed_command_runs():
    result = subprocess.run(
        [sys.executable, "-m", "gdsim.cli", "list"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "himmelblau" in result.stdout


def test_figure_writes_the_experiment(tmp_path, capsys):
    out = tmp_path / "momentum.png"
    assert cli.main(["figure", "momentum", "--out", str(out)]) == 0
    assert out.stat().st_size > 10_000
    assert str(out) in capsys.readouterr().out


def test_figure_rejects_an_unknown_name(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["figure", "lr-swep"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_lessons_are_copied_and_never_overwritten(tmp_path, capsys):
    from gdsim.teach import lessons

    destination = tmp_path / "course"
    assert cli.main(["lessons", str(destination)]) == 0
    copied = sorted(p.relative_to(destination) for p in destination.rglob("*.ipynb"))
    assert copied and copied == lessons.notebooks(solutions=False)  # students get no solutions
    assert not any("solutions" in p.parts for p in copied)
    assert "jupyter lab" in capsys.readouterr().out
    assert cli.main(["lessons", str(destination)]) == 2
    assert "already exists" in capsys.readouterr().err
