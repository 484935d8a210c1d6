"""nianbao as a user installs it: the wheel built from this tree, installed into a fresh
environment, run from a directory that is not the source tree; and the source distribution,
which holds what running the tests needs (MANIFEST.in).

Whatever the installed commands read at run time (the demo portal's seed texts, Datasette's
metadata and chart template, the site registries) must be in the wheel: from the source tree
they are found whether or not pyproject.toml ships them. Nothing is downloaded: the wheel is
built with the backend installed here (pinned in requirements-test.lock, within pyproject.toml's
build-system), and the fresh environment borrows this one's dependencies.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from test_serve import fetch, get_json, running_datasette

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
VERSION = PYPROJECT["project"]["version"]
# The folders pyproject.toml installs as packages: every file in them is the product's.
PACKAGE_FOLDERS = ("nianbao", "crawler", "pipelines", "parsers", "archive", "portal")
# Left out of the copy the wheel is built from: what a run or a build leaves in the tree.
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv*", "__pycache__", "*.pyc", "build", "dist", "*.egg-info",
                                    ".pytest_cache", ".hypothesis", ".cache")


def files_under(top: Path, folders=(".",)) -> set[str]:
    """The files under ``top``'s folders, named from ``top`` as an archive names them."""
    return {path.relative_to(top).as_posix() for folder in folders for path in (top / folder).rglob("*")
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"}


def source_files(copy: Path) -> set[str]:
    """The tree's files: as git lists them in a checkout (where untracked caches are not
    source), else (an unpacked sdist) every file of its ``copy``."""
    if not (REPO / ".git").exists():
        return files_under(copy)
    listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z"], check=True, capture_output=True).stdout
    return {name for name in listed.decode().split("\0") if name and (REPO / name).is_file()}


def copy_of_the_tree(work: Path) -> Path:
    """The source tree less what runs and builds leave in it (``./data``, build/, *.egg-info): a
    build writes where it runs, and not into the tree."""
    for requirement in map(Requirement, PYPROJECT["build-system"]["requires"]):
        assert requirement.specifier.contains(importlib.metadata.version(requirement.name)), (
            f"the build backend {requirement} is not installed: pip install -r requirements-test.lock")
    source = work / "source"
    shutil.copytree(REPO, source, ignore=lambda folder, names: (
        NOT_SOURCE(folder, names) | ({"data"} & set(names) if Path(folder) == REPO else set())))
    return source


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                    "--disable-pip-version-check",
                    "-q", "-w", str(work / "dist"), str(copy_of_the_tree(work))],
                   check=True, capture_output=True, timeout=300)
    (built,) = (work / "dist").glob("nianbao-*.whl")
    return built


def test_the_wheel_holds_every_file_of_the_packages(wheel):
    """The packages (pyproject finds them: a new subpackage needs no listing) and their data."""
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    assert sorted(files_under(REPO, PACKAGE_FOLDERS) - in_wheel) == []
    # the files read at run time, named so a failure says which
    assert {"portal/seeds/000_a7e6a703afb669e1.txt", "nianbao/datasette_metadata.yaml",
            "nianbao/datasette/templates/nianbao_charts.html", "nianbao/sites/demo.yaml",
            "nianbao/sites/cn-unverified.yaml"} <= in_wheel
    entry_points = zipfile.ZipFile(wheel).read(f"nianbao-{VERSION}.dist-info/entry_points.txt").decode()
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
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                    "--disable-pip-version-check",
                    "-q", str(wheel)], check=True, capture_output=True, timeout=300)
    # Borrowed after installing: pip would take a nianbao in them (an editable install) for this one.
    borrowed = [p for p in sys.path if Path(p).name in ("site-packages", "dist-packages") and Path(p).is_dir()]
    (site_packages / "borrowed_dependencies.pth").write_text("\n".join(borrowed) + "\n", encoding="utf-8")
    env = dict(guarded_env)
    env["PYTHONPATH"] = guarded_env["PYTHONPATH"].split(os.pathsep)[0]  # the network guard, not the source tree
    env["PATH"] = os.pathsep.join([str(venv / "bin"), env["PATH"]])
    home = tmp_path_factory.mktemp("user")
    found = subprocess.run(["nianbao", "--version"], env=env, cwd=home, capture_output=True, text=True, check=True)
    where = subprocess.run([python, "-c", "import nianbao, portal; print(nianbao.__file__, portal.__file__)"],
                           env=env, cwd=home, capture_output=True, text=True, check=True).stdout.split()
    assert all(path.startswith(str(site_packages)) for path in where), where  # the wheel's, not the tree's
    assert VERSION in found.stdout
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

    with running_datasette(None, installed["env"], command=("nianbao",), cwd=installed["home"]) as base:
        metadata = get_json(f"{base}/-/metadata.json")
        assert "problems" in metadata["databases"]["nianbao"]["tables"]  # datasette_metadata.yaml
        assert "<title>Charts: nianbao</title>" in fetch(f"{base}/-/charts")[2].decode("utf-8")  # the template


def test_the_installed_registries_are_named(installed):
    result = nianbao(installed, "check-sites", "demo", "cn-unverified")
    assert result.stdout.endswith(" site(s) fine\n")


def test_the_sdist_holds_what_the_tests_need(tmp_path):
    """Everything in the tree but CI's script: the packages, the tests and their fixtures
    (tests/data, tests/netguard), bench/ and deploy/ (which tests check), the lock files, docs/."""
    source = copy_of_the_tree(tmp_path)
    subprocess.run([sys.executable, "-c", "import sys; from setuptools import build_meta; "
                    "build_meta.build_sdist(sys.argv[1])", str(tmp_path / "dist")],
                   cwd=source, check=True, capture_output=True, timeout=300)
    (built,) = (tmp_path / "dist").glob("nianbao-*.tar.gz")
    with tarfile.open(built) as sdist:
        in_sdist = {name.partition("/")[2] for name in sdist.getnames()}
    expected = source_files(source) - {".gitignore"} - files_under(source, [".ci"])
    assert {"tests/conftest.py", "tests/netguard/sitecustomize.py", "requirements-test.lock"} <= expected
    assert sorted(expected - in_sdist) == []
