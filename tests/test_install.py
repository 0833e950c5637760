"""A normal install works anywhere: the wheel, installed (not editable) into a fresh venv, run from another folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow
DEMO = ROOT / "nianbao" / "demo"


def _uv() -> str | None:
    """Return the `uv` beside this interpreter (the test extra installs it) or on PATH, or None."""
    here = Path(sys.executable).with_name("uv")
    return str(here) if here.is_file() else shutil.which("uv")


def _install_with_uv(uv: str, base: Path) -> Path | None:
    """Build the wheel and install it with its dependencies into a fresh venv with uv; None where uv cannot."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "VIRTUAL_ENV", "PYTHONPATH"))}
    wheels, target = base / "uv-wheels", base / "venv"
    steps = [[uv, "build", "--quiet", "--wheel", "--out-dir", str(wheels), str(ROOT)],
             # A venv of the base interpreter, which sees none of the packages of the venv running the tests.
             [uv, "venv", "--quiet", "--python", sys._base_executable, str(target)]]  # fmt: skip
    for cmd in steps:
        if subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600).returncode != 0:
            return None  # e.g. no network for the build backend: pip below says why, or skips
    [wheel] = wheels.glob("nianbao-*.whl")
    pip = subprocess.run([uv, "pip", "install", "--quiet", "--python", str(target / "bin" / "python"), str(wheel)],
                         capture_output=True, text=True, env=env, timeout=900)  # fmt: skip
    return target / "bin" if pip.returncode == 0 else None


def _install_with_pip(base: Path) -> Path:
    """Build the wheel and install it with its dependencies into a fresh venv with pip (slow; no uv here)."""
    wheels = base / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
                           capture_output=True, text=True, timeout=600)  # fmt: skip
    assert build.returncode == 0, build.stderr[-3000:]
    [wheel] = wheels.glob("nianbao-*.whl")
    shutil.rmtree(base / "venv", ignore_errors=True)
    venv.EnvBuilder(with_pip=True).create(base / "venv")
    bin_dir = base / "venv" / "bin"
    pip = subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel)], capture_output=True,
                         text=True, timeout=900)  # fmt: skip
    if pip.returncode != 0 and "No matching distribution" in pip.stderr:
        pytest.skip(f"the package index is not reachable from here: {pip.stderr.strip().splitlines()[-1]}")
    assert pip.returncode == 0, pip.stderr[-3000:]
    return bin_dir


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the bin folder of a fresh venv holding the project's wheel and its declared dependencies.

    uv (seconds) where it is installed and can reach the index, else pip (about a minute). Either way the venv is
    made from the base interpreter with nothing in it but the wheel and what the wheel's metadata asks for.
    """
    base = tmp_path_factory.mktemp("install")
    uv = _uv()
    bin_dir = (_install_with_uv(uv, base) if uv else None) or _install_with_pip(base)
    system = subprocess.run([str(bin_dir / "python"), "-c", "import sys; print(sys.prefix != sys.base_prefix)"],
                            capture_output=True, text=True)  # fmt: skip
    assert system.stdout.strip() == "True", "not a venv"
    return bin_dir


def test_the_venv_holds_only_the_wheel_and_its_dependencies(installed, tmp_path):
    """Neither the test tools nor the checkout are visible in the fresh venv (else an undeclared one could hide)."""
    proc = subprocess.run([str(installed / "python"), "-c", "import pytest"], capture_output=True, text=True,
                          cwd=tmp_path)  # fmt: skip
    assert proc.returncode != 0 and "No module named 'pytest'" in proc.stderr


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


def test_a_page_of_table_pictures_reads_from_the_wheel_with_or_without_an_ocr_engine(installed, tmp_path):
    # The wheel's own dependencies, no `ocr` extra: where the system has Tesseract the pictures are read with it,
    # where it has none they are said not read. Either way one record, no internal error.
    page = ROOT / "fixtures" / "pictures" / "seed000_html_tables" / "input.html"
    extract = _run(installed, tmp_path, "extract", str(page), "--compact")
    assert extract.returncode == 0 and "internal error" not in extract.stderr, extract.stderr[-500:]
    misses = [c for c in json.loads(extract.stdout)["checks"] if c["rule"] == "STR-05"]
    assert all(c.get("cause") == "parse" for c in misses)
