"""The parser benchmark runs, and its committed page set is what the brief asks for.

No timing thresholds here: the numbers depend on the machine.
"""

from __future__ import annotations

import hashlib
import io
import lzma
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
ARCHIVE = BENCH / "pages.tar.xz"


@pytest.fixture(scope="module")
def archive_tar() -> bytes:
    return lzma.decompress(ARCHIVE.read_bytes())


def test_bench_runs_on_a_few_pages(guarded_env):
    result = subprocess.run(
        [sys.executable, str(BENCH / "parse_bench.py"), "--limit", "20", "--passes", "1", "--ceiling"],
        env=guarded_env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "pages: 20" in lines
    assert any(line.startswith("lxml.html.fromstring: ") and "pages/s" in line for line in lines)
    assert any(line.startswith("nianbao parse: ") and "pages/s" in line for line in lines)
    assert any(line.startswith("ratio Y/X = ") for line in lines)
    assert any(line.startswith("templates: 4 ") for line in lines)
    assert any(line.startswith("failures: 0 ") for line in lines), result.stdout
    # --ceiling: the tree steps alone, each with its ratio, and the time they leave the logic
    for step in ("tree", "tree + walk", "tree + walk + least logic"):
        assert any(line.startswith(f"ceiling, {step}: ") and "ratio" in line for line in lines), result.stdout
    assert any(line.startswith("budget: the floor (0.5) allows ") for line in lines), result.stdout


def test_bench_help_has_an_example():
    result = subprocess.run([sys.executable, str(BENCH / "parse_bench.py"), "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "Example:" in result.stdout and "--profile" in result.stdout


def test_archive_holds_1000_pages_of_30_to_150_kb(archive_tar):
    with tarfile.open(fileobj=io.BytesIO(archive_tar)) as tar:
        sizes = {m.name: m.size for m in tar.getmembers() if m.isfile()}
    assert len(sizes) >= 1000
    outside = {name: size for name, size in sizes.items() if not 30 * 1024 <= size <= 150_000}
    assert not outside
    templates = {name.rsplit("-", 1)[1] for name in sizes}
    assert len(templates) >= 4


def test_archive_matches_its_manifest(archive_tar):
    manifest = dict(reversed(line.split("  ")) for line in (BENCH / "pages.sha256").read_text().splitlines())
    assert hashlib.sha256(archive_tar).hexdigest() == manifest["pages.tar"]
    assert hashlib.sha256(ARCHIVE.read_bytes()).hexdigest() == manifest["pages.tar.xz"]


def test_generator_still_makes_the_committed_pages(archive_tar, monkeypatch):
    """The first pages, regenerated, are byte-identical to the archive's (the generator did not drift)."""
    monkeypatch.syspath_prepend(str(BENCH))
    import make_pages

    with tarfile.open(fileobj=io.BytesIO(archive_tar)) as tar:
        members = [m for m in tar.getmembers() if m.isfile()][:8]
        committed = [(m.name, tar.extractfile(m).read()) for m in members]
    assert make_pages.build_pages(8) == committed


# Issue 6 benchmarks: a tiny run of each against a real nginx (Debian's package) and wget.
needs_nginx = pytest.mark.skipif(not ((shutil.which("nginx") or Path("/usr/sbin/nginx").exists())
                                       and shutil.which("wget")), reason="needs nginx and wget")


def _run_bench(script: str, env: dict, *args: str) -> list[str]:
    result = subprocess.run([sys.executable, str(BENCH / script), *args], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.splitlines()


@needs_nginx
def test_crawl_bench_runs_on_a_few_pages(guarded_env):
    lines = _run_bench("crawl_bench.py", guarded_env, "--pages", "12", "--ceiling")
    assert any(line.startswith("wget: ") and "pages/s" in line and "MB/s" in line for line in lines)
    assert any(line.startswith("nianbao crawl c=1: ") and "pages/s" in line for line in lines)
    assert any(line.startswith("nianbao crawl default (c=4): ") for line in lines)
    assert any(line.startswith("ratio crawl/wget at equal concurrency 1 = ") for line in lines)
    assert any(line.startswith("ratio crawl default/wget x4 at equal concurrency 4 = ") for line in lines)
    fetched = next(line for line in lines if line.startswith("fetched "))
    assert "DIFFERENT" not in fetched, fetched
    assert any(line.startswith("crawler archive: ") and ", 12 reports;" in line for line in lines), lines
    ceiling = [line for line in lines if line.startswith("ratio stock Scrapy c=1, ")]
    assert len(ceiling) == 2 and all(line.endswith("fetched vs wget same") for line in ceiling), lines


@needs_nginx
def test_memory_bench_runs_on_one_site(guarded_env):
    lines = _run_bench("memory_bench.py", guarded_env, "--sites", "1", "--reports", "2")
    assert any(line.startswith("1 sites: ") and "2 reports" in line and "peak RSS" in line for line in lines), lines
    assert any(line.startswith("budget: peak ") for line in lines)


@needs_nginx
def test_nightly_bench_second_run_sends_less(guarded_env):
    lines = _run_bench("nightly_bench.py", guarded_env, "--pages", "8", "--sites", "1")
    assert any(line.startswith("ratio second/first time = ") for line in lines)
    ratio = next(line for line in lines if line.startswith("ratio second/first bytes = "))
    assert float(ratio.split("= ")[1]) < 0.5, lines     # 304s, not the pages again
    third = next(line for line in lines if line.startswith("ratio third/first time = "))
    assert float(third.split("requests = ")[1].split()[0]) < 0.5, lines  # no report page asked


def test_archive_scale_bench_runs_on_a_small_archive(guarded_env, tmp_path):
    """bench/archive_scale.py on a few pages: every case it times runs, and the crawl's
    per-page and per-run cases read no growing table whole."""
    lines = _run_bench("archive_scale.py", guarded_env, "--base-pages", "8", "--urls", "40", "--sites", "10",
                       "--nights", "3", "--repeat", "1", "--cache", str(tmp_path))
    archive = next(line for line in lines if line.startswith("archive: "))
    assert "40 report_groups" in archive and "3 crawl_runs" in archive, archive
    timed = [line for line in lines if line[:8].strip().replace(".", "").isdigit()]
    assert len(timed) > 50, lines
    crawl = [line for line in timed if line.split()[1] in ("per", "every") and "Datasette" not in line
             and "reparse_select" not in line]
    assert crawl and not [line for line in crawl if "[" in line], crawl


def test_soak_nights_runs_three_nights(guarded_env):
    """bench/soak_nights.py: the first nights of its month (first crawl, unchanged, a new
    report), each with its line and no invariant broken."""
    lines = _run_bench("soak_nights.py", guarded_env, "--nights", "3")
    nights = [line.split() for line in lines if "(exit " in line]
    assert [int(n[0]) for n in nights] == [1, 2, 3], lines
    assert int(nights[1][2]) > 0, lines            # the unchanged night's 304s
    assert not any("BROKEN" in line for line in lines), lines
    assert any(line.endswith("0 invariant(s) broken") for line in lines), lines


def test_datasette_pages_bench_serves_every_page(guarded_env, tmp_path):
    """bench/datasette_pages.py: every page it times (the index, the database, each table and
    view, each canned query with and without its parameters, the charts) answers 200."""
    from archive.schema import open_database
    from reports_db import store

    db = open_database(tmp_path / "nianbao.db")
    store(db, "http://127.0.0.1:9/2022.html", agency="甲县教育局", year=2022, applications={"new_received": {"total": 5}})
    db.close()
    lines = _run_bench("datasette_pages.py", guarded_env, "--db", str(tmp_path / "nianbao.db"), "--repeat", "1")
    timed = [line.split() for line in lines if line[:8].strip().replace(".", "").isdigit()]
    assert len(timed) > 40 and {"/nianbao/report_list", "/nianbao/rule_failures?rule=R1", "/-/charts"} <= {
        t[2] for t in timed}, lines
    assert [t for t in timed if t[1] != "200"] == []


def test_delta_bench_runs_three_nights(guarded_env):
    """bench/delta_bench.py: a page whose counter moves, its later nights stored as deltas."""
    lines = _run_bench("delta_bench.py", guarded_env, "--nights", "3")
    identity = next(line for line in lines if line.startswith("identity"))
    assert int(identity.split("stored ")[2].split(" B/night")[0]) < 100, lines
