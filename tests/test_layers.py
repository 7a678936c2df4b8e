"""The stages stand on each other in one order and no modules import each other in a loop:
import-linter checks the contracts in pyproject.toml, and a copy of the package with a
planted reverse import (or loop) shows the check can fail."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from inclusion_data.settings import CHECKOUT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint(checkout: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(checkout / "pyproject.toml"), "--no-cache"],
        cwd=checkout,
        env={"PYTHONPATH": str(checkout / "include"), "PATH": str(LINT_IMPORTS.parent)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_package_keeps_its_layers():
    result = _lint(CHECKOUT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


@pytest.fixture
def copy(tmp_path):
    shutil.copy(CHECKOUT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(
        CHECKOUT / "include" / "inclusion_data",
        tmp_path / "include" / "inclusion_data",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return tmp_path


def _plant(copy: Path, module: str, line: str) -> None:
    path = copy / "include" / Path(*module.split(".")).with_suffix(".py")
    path.write_text(path.read_text() + f"\n\ndef _planted():\n    {line}\n")


def test_a_lower_stage_importing_a_higher_one_is_caught(copy):
    # even inside a function: a lazy import is still a dependency
    _plant(copy, "inclusion_data.quality.findings", "from inclusion_data.warehouse import load  # noqa")
    result = _lint(copy)
    assert result.returncode != 0
    assert "Stages import only the stages below them BROKEN" in result.stdout
    assert "inclusion_data.quality.findings -> inclusion_data.warehouse.load" in result.stdout


def test_an_import_loop_inside_a_stage_is_caught(copy):
    # catalogue is what targets stands on; importing targets back closes a loop
    _plant(
        copy, "inclusion_data.indicators.catalogue", "from inclusion_data.indicators import targets  # noqa"
    )
    result = _lint(copy)
    assert result.returncode != 0
    assert "No import loop between the modules of a stage BROKEN" in result.stdout
