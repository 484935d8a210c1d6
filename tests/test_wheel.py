"""nianbao as a user installs it: the wheel built from this tree, installed into a fresh
environment, run from a directory that is not the source tree.

Whatever the installed commands read at run time (the demo portal's seed texts, Datasette's
metadata and chart template, the site registries) must be in the wheel: from the source tree
they are found whether or not pyproject.toml ships them. Nothing is downloaded: the wheel is
built with the backend installed here (pinned in requirements-test.lock and pyproject.toml's
build-system), and the fresh environment borrows this one's dependencies.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

import pytest

from test_serve import fetch, free_port, get_json

REPO = Path(__file__).resolve().parents[1]
# The folders pyproject.toml installs as packages: every file in them is the product's.
PACKAGE_FOLDERS = ("nianbao", "crawler", "pipelines", "parsers", "archive", "portal")
# Left out of the copy the wheel is built from: what a run or a build leaves in the tree.
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv*", "__pycache__", "*.pyc", "build", "dist", "*.egg-info",
                                    ".pytest_cache", ".cache")


def product_files() -> set[str]:
    """Every file under the package folders, as the wheel names it."""
    return {path.relative_to(REPO).as_posix()
            for folder in PACKAGE_FOLDERS for path in (REPO / folder).rglob("*")
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the tree (a build writes build/ and *.egg-info where it runs)."""
    (backend,) = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["build-system"]["requires"]
    name, _, version = backend.partition("==")
    assert importlib.metadata.version(name) == version, (
        f"the build backend {backend} is not installed: pip install -r requirements-test.lock")
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(REPO, source, ignore=lambda folder, names: (
        NOT_SOURCE(folder, names) | ({"data"} & set(names) if Path(folder) == REPO else set())))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                    "-q", "-w", str(work / "dist"), str(source)], check=True, capture_output=True, timeout=300)
    (built,) = (work / "dist").glob("nianbao-*.whl")
    return built


def test_the_wheel_holds_every_file_of_the_packages(wheel):
    """The packages (pyproject finds them: a new subpackage needs no listing) and their data."""
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    assert sorted(product_files() - in_wheel) == []
    # the files read at run time, named so a failure says which
    assert {"portal/seeds/000_a7e6a703afb669e1.txt", "nianbao/datasette_metadata.yaml",
            "nianbao/datasette/templates/nianbao_charts.html", "nianbao/sites/demo.yaml",
            "nianbao/sites/cn-unverified.yaml"} <= in_wheel
    entry_points = zipfile.ZipFile(wheel).read("nianbao-0.1.0.dist-info/entry_points.txt").decode()
    assert "nianbao = nianbao.__main__:main" in entry_points


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory, guarded_env) -> dict:
    """A fresh environment holding the wheel, and the environment to run its ``nianbao`` in,
    from a directory outside the source tree. Its dependencies are this environment's
    site-packages, put on its path (their .pth files are not run, so an editable install of
    the source tree does not come along)."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site_packages = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                        check=True, capture_output=True, text=True).stdout.strip())
    borrowed = [p for p in sys.path if Path(p).name in ("site-packages", "dist-packages") and Path(p).is_dir()]
    (site_packages / "borrowed_dependencies.pth").write_text("\n".join(borrowed) + "\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                    "-q", str(wheel)], check=True, capture_output=True, timeout=300)
    env = dict(guarded_env)
    env["PYTHONPATH"] = guarded_env["PYTHONPATH"].split(os.pathsep)[0]  # the network guard, not the source tree
    env["PATH"] = os.pathsep.join([str(venv / "bin"), env["PATH"]])
    home = tmp_path_factory.mktemp("user")
    found = subprocess.run(["nianbao", "--version"], env=env, cwd=home, capture_output=True, text=True, check=True)
    where = subprocess.run([python, "-c", "import nianbao, portal; print(nianbao.__file__, portal.__file__)"],
                           env=env, cwd=home, capture_output=True, text=True, check=True).stdout.split()
    assert all(path.startswith(str(site_packages)) for path in where), where  # the wheel's, not the tree's
    assert "0.1.0" in found.stdout
    return {"env": env, "home": home}


def nianbao(installed, *args, check=True):
    result = subprocess.run(["nianbao", *args], env=installed["env"], cwd=installed["home"],
                            capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, f"nianbao {' '.join(args)}: {result.stdout}\n{result.stderr}"
    return result


def test_the_installed_demo_crawls_and_serves(installed):
    """The README's first command, then `nianbao serve`, where a user runs them."""
    out = nianbao(installed, "demo").stdout
    assert "reports found:        5 (5 new, 0 new versions)" in out
    assert (installed["home"] / "data" / "nianbao.db").exists()
    assert "No problems found." in nianbao(installed, "verify").stdout

    port = free_port()
    process = subprocess.Popen(["nianbao", "serve", "--port", str(port)], env=installed["env"],
                               cwd=installed["home"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 60
        while True:
            try:
                metadata = get_json(f"{base}/-/metadata.json")
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, process.stdout.read().decode()
                time.sleep(0.2)
        assert "problems" in metadata["databases"]["nianbao"]["tables"]  # datasette_metadata.yaml
        assert "<title>Charts: nianbao</title>" in fetch(f"{base}/-/charts")[2].decode("utf-8")  # the template
    finally:
        process.terminate()
        process.communicate(timeout=30)


def test_the_installed_registries_are_named(installed):
    result = nianbao(installed, "check-sites", "demo", "cn-unverified")
    assert result.stdout.endswith(" site(s) fine\n")
