"""`make run` serves without the test tools; `make test` adds them (README's first two lines)."""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def planned_commands(target: str, venv: Path) -> str:
    """What ``make <target>`` would run on a fresh clone (dry run, a venv that does not exist yet)."""
    result = subprocess.run(["make", "-n", target, f"VENV={venv}"], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("target", ["run", "worker"])
def test_serving_installs_only_the_runtime_requirements(tmp_path, target):
    plan = planned_commands(target, tmp_path / "venv")
    assert "install" in plan and "-r requirements.txt" in plan
    assert "requirements-dev.txt" not in plan


@pytest.mark.parametrize("target", ["test", "bench"])
def test_testing_adds_the_dev_requirements(tmp_path, target):
    plan = planned_commands(target, tmp_path / "venv")
    assert "-r requirements-dev.txt" in plan


def test_the_dev_requirements_include_the_runtime_ones():
    assert "-r requirements.txt" in (ROOT / "requirements-dev.txt").read_text().splitlines()
