"""A normal install works anywhere: the wheel, installed (not editable) into a fresh venv, run from another folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow
DEMO = ROOT / "nianbao" / "demo"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the bin folder of a fresh venv holding the project's wheel and its dependencies."""
    base = tmp_path_factory.mktemp("install")
    wheels = base / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
                           capture_output=True, text=True, timeout=600)  # fmt: skip
    assert build.returncode == 0, build.stderr[-3000:]
    [wheel] = wheels.glob("nianbao-*.whl")
    venv.EnvBuilder(with_pip=True).create(base / "venv")
    bin_dir = base / "venv" / "bin"
    pip = subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel)], capture_output=True,
                         text=True, timeout=900)  # fmt: skip
    if pip.returncode != 0 and "No matching distribution" in pip.stderr:
        pytest.skip(f"the package index is not reachable from here: {pip.stderr.strip().splitlines()[-1]}")
    assert pip.returncode == 0, pip.stderr[-3000:]
    return bin_dir


def _run(bin_dir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NIANBAO_CORPUS")}
    return subprocess.run([str(bin_dir / "nianbao"), *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=600)  # fmt: skip


def test_the_installed_package_is_the_wheel_not_the_checkout(installed, tmp_path):
    proc = subprocess.run([str(installed / "python"), "-c", "import nianbao, crawler; print(nianbao.__file__)"],
                          capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()).is_relative_to(installed.parent), proc.stdout


def test_demo_runs_from_the_wheel_and_stores_every_report(installed, tmp_path):
    proc = _run(installed, tmp_path, "demo", "--port", "0")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    expected = json.loads((DEMO / "expected.json").read_text(encoding="utf-8"))["reports"]
    groups = {r.get("report") or r["id"] for r in expected if r.get("phase", 1) == 1}
    assert f"stored: {len(groups)} reports" in proc.stdout and "DEMO INCOMPLETE" not in proc.stderr
    assert sorted((tmp_path / "data" / "export" / "text").glob("*.txt"))


def test_summary_of_the_bundled_samples_and_extract(installed, tmp_path):
    summary = _run(installed, tmp_path, "summary")
    assert summary.returncode == 0, summary.stderr[-3000:]
    shipped = [p for d in ("documents", "corpus") for p in (DEMO / d).rglob("*") if p.is_file()]
    assert f"of {len(shipped)} documents extracted" in summary.stdout and "淮安市人民政府" in summary.stdout
    sample = next((installed.parent / "lib").glob("python*/site-packages/nianbao/demo/documents/*/input.html"))
    extract = _run(installed, tmp_path, "extract", str(sample), "--compact")
    assert extract.returncode == 0, extract.stderr
    assert json.loads(extract.stdout)["year"]


def test_the_bundled_registry_is_found_by_name(installed, tmp_path):
    proc = _run(installed, tmp_path, "sites", "--region", "3208")
    assert proc.returncode == 0, proc.stderr
    assert "淮安市人民政府" in proc.stdout and "320813" in proc.stdout
    rules = _run(installed, tmp_path, "rules")
    assert rules.returncode == 0 and "T3-01" in rules.stdout
