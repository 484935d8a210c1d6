"""The raw store: bodies compressed with zstd and trained dictionaries, old zlib rows still
readable, and the bodies kept in a second file (--archive-db) that nianbao.db attaches."""

from __future__ import annotations

import gzip
import random
import shutil
import sqlite3

import pytest

from archive import dictionaries, raw_store
from archive.payloads import payload_digest, read_payload
from archive.raw_store import RawStoreError
from archive.schema import open_database
from archive.snapshots import iter_snapshots, store_snapshot
from archive.verify import verify
from conftest import get_test_file

HEADERS = [["Content-Type", "text/html; charset=utf-8"]]


def page(rng: random.Random, n: int) -> bytes:
    """A report-like page: shared portal chrome and labels, numbers of its own."""
    menu = "".join(f'<li><a href="/zwgk/{i}/">栏目{i}</a></li>' for i in range(40))
    rows = "".join(
        f"<tr><td>{label}</td>" + "".join(f"<td>{rng.randint(0, 999)}</td>" for _ in range(7)) + "</tr>"
        for label in ("本年新收政府信息公开申请数量", "上年结转政府信息公开申请数量", "予以公开", "部分公开",
                      "不予公开", "无法提供", "不予处理", "其他处理", "总计", "结转下年度继续办理")
    )
    text = "".join(f"<p>第{i}段：本机关{rng.randint(1, 99)}件，{rng.random():.6f}。</p>" for i in range(rng.randint(5, 30)))
    return (f'<html><head><meta charset="utf-8"><title>报告{n}</title></head><body><ul class="nav">{menu}</ul>'
            f'<div class="TRS_Editor">{text}<table border="1">{rows}</table></div>'
            f'<div class="footer">版权所有 ICP备{n:08d}号</div></body></html>').encode("utf-8")


def store(db, url: str, body: bytes, **kw) -> int:
    return store_snapshot(db, url=url, method="GET", request_headers=[], status=200,
                          response_headers=HEADERS, body=body, kind="report", **kw)


def test_bodies_come_back_byte_identical_with_zstd_and_dictionaries(tmp_path):
    rng = random.Random(5)
    db = open_database(tmp_path / "n.db")
    pages = [page(rng, n) for n in range(80)]
    ids = [store(db, f"http://a.gov.cn/nb/{n}.html", body) for n, body in enumerate(pages)]
    # The shared dictionary is trained at the 32nd body, the site's at its 64th.
    sites = [r[0] for r in db.execute("select site from codec_dicts order by id")]
    assert sites == [dictionaries.SHARED, "a.gov.cn"]
    codecs = db.execute("select codec, dict_id is not null, count(*) from payloads group by 1, 2").fetchall()
    assert {(c, d) for c, d, _ in codecs} == {("zstd", 0), ("zstd", 1)}
    dictionaries._dictionaries.clear()  # read from the database, not from what the writer kept
    assert [s.body for s in iter_snapshots(db)] == pages
    assert [s.id for s in iter_snapshots(db)] == ids
    # What the dictionary is for: the shared chrome and labels are not stored again per body.
    plain, with_dict = db.execute("select avg(stored_size) from payloads group by dict_id is null "
                                  "order by dict_id is null desc").fetchall()
    assert with_dict[0] < 0.7 * plain[0]
    # The site's dictionary is the one its later bodies use.
    late = db.execute("select d.site from payloads p join codec_dicts d on d.id = p.dict_id "
                      "order by p.rowid desc limit 1").fetchone()
    assert late == ("a.gov.cn",)


def test_bodies_compression_does_not_shrink_are_stored_as_they_are(tmp_path):
    db = open_database(tmp_path / "n.db")
    body = gzip.compress(random.Random(1).randbytes(5000), mtime=0)
    store(db, "http://a.gov.cn/x.pdf", body)
    assert db.execute("select codec, size, stored_size, dict_id from payloads").fetchone() == (
        "identity", len(body), len(body), None)
    assert read_payload(db, payload_digest(body)) == body


def test_old_zlib_rows_stay_readable_after_upgrade(tmp_path):
    path = tmp_path / "v3.db"
    shutil.copy(get_test_file("schema", "v3.db"), path)
    before = sqlite3.connect(path).execute("select digest, codec from payloads").fetchall()
    assert {codec for _, codec in before} == {"zlib"}
    db = open_database(path)
    snapshots = list(iter_snapshots(db))
    assert snapshots and all(payload_digest(s.body) == s.payload_digest for s in snapshots)
    store(db, "http://new.gov.cn/a.html", page(random.Random(2), 1))  # a new body beside them: zstd
    assert db.execute("select codec, count(*) from payloads group by 1 order by 1").fetchall() == [
        ("zlib", len(before)), ("zstd", 1)]
    db.close()
    assert verify(path).ok


def test_archive_db_keeps_the_bodies_in_a_second_file(tmp_path):
    main, raw = tmp_path / "data" / "nianbao.db", tmp_path / "raw" / "bodies.db"
    main.parent.mkdir()
    db = open_database(main, archive=raw)
    rng = random.Random(3)
    pages = [page(rng, n) for n in range(40)]
    for n, body in enumerate(pages):
        store(db, f"http://a.gov.cn/{n}.html", body)
    db.close()

    plain = sqlite3.connect(main)
    assert not plain.execute("select 1 from sqlite_master where name = 'payloads'").fetchone()
    assert plain.execute("select count(*) from snapshots").fetchone() == (40,)
    plain.close()
    bodies = sqlite3.connect(raw)
    assert bodies.execute("select count(*) from payloads").fetchone() == (40,)
    assert bodies.execute("select count(*) from codec_dicts").fetchone() == (1,)
    bodies.close()

    # nianbao.db remembers where its bodies are: no --archive-db needed to read them.
    db = open_database(main)
    assert raw_store.raw_schema(db) == "archive"
    assert [s.body for s in iter_snapshots(db)] == pages
    db.close()
    assert verify(main).ok


def test_archive_db_pairing_is_checked(tmp_path):
    main, raw = tmp_path / "nianbao.db", tmp_path / "raw.db"
    open_database(main, archive=raw).close()

    # Moved: found again by naming its new place, and remembered there.
    moved = tmp_path / "elsewhere" / "raw.db"
    moved.parent.mkdir()
    raw.rename(moved)
    with pytest.raises(RawStoreError, match="does not exist"):
        open_database(main)
    open_database(main, archive=moved).close()
    open_database(main).close()

    # Another database's raw store is refused.
    other = tmp_path / "other.db"
    open_database(other, archive=tmp_path / "other-raw.db").close()
    with pytest.raises(RawStoreError, match="another database"):
        open_database(main, archive=tmp_path / "other-raw.db")

    # Nor a new, empty file in place of the one that holds its bodies.
    with pytest.raises(RawStoreError, match="a new file"):
        open_database(main, archive=tmp_path / "empty.db")
    open_database(main).close()

    # A database that keeps its bodies inside cannot be split afterwards.
    inside = tmp_path / "inside.db"
    open_database(inside).close()
    with pytest.raises(RawStoreError, match="inside itself"):
        open_database(inside, archive=tmp_path / "late.db")


@pytest.fixture(scope="module")
def split_crawl(tmp_path_factory, run_nianbao):
    """The demo portal crawled with its bodies in a separate file."""
    from portal import DemoPortal

    root = tmp_path_factory.mktemp("split")
    data, raw = root / "data", root / "store" / "raw.db"
    with DemoPortal() as portal:
        result = run_nianbao("crawl", "--start-url", portal.start_url, "--data", data,
                             "--archive-db", raw, "--profile", "test")
    return {"data": data, "raw": raw, "output": result.stdout}


def test_crawl_with_archive_db_then_reparse_and_export(split_crawl, run_nianbao, tmp_path):
    from warcio.archiveiterator import ArchiveIterator

    data, raw = split_crawl["data"], split_crawl["raw"]
    main = sqlite3.connect(data / "nianbao.db")
    assert not main.execute("select 1 from sqlite_master where name = 'payloads'").fetchone()
    reports = main.execute("select count(*) from reports").fetchone()[0]
    snapshots = main.execute("select count(*) from snapshots").fetchone()[0]
    main.close()
    assert reports == 5
    bodies = sqlite3.connect(raw)
    assert bodies.execute("select count(*) from payloads").fetchone()[0] > 5
    bodies.close()

    parsed = "select url, parsed_at from reports order by url"
    main = sqlite3.connect(data / "nianbao.db")
    crawled = main.execute(parsed).fetchall()
    run_nianbao("reparse", "--data", data, "--archive-db", raw, "--force")
    reparsed = main.execute(parsed).fetchall()
    assert [u for u, _ in reparsed] == [u for u, _ in crawled]
    assert all(new > old for (_, old), (_, new) in zip(crawled, reparsed))  # every body read again
    assert main.execute("select count(*) from errors where stage = 'parse'").fetchone() == (0,)
    main.close()
    run_nianbao("reparse", "--data", data)  # the raw store found through nianbao.db

    out = tmp_path / "split.warc.gz"
    run_nianbao("export-warc", "--data", data, "-o", out)
    db = open_database(data / "nianbao.db")
    stored = {s.url: s.body for s in iter_snapshots(db) if s.revisit_of is None}
    db.close()
    responses = 0
    with open(out, "rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type == "response":
                responses += 1
                assert record.raw_stream.read() == stored[record.rec_headers.get_header("WARC-Target-URI")]
    assert responses == len(stored) and snapshots >= responses

    verified = run_nianbao("verify", "--data", data, "--archive-db", raw)
    assert "No problems found." in verified.stdout
    assert "integrity of 2 file(s)" in verified.stdout


def test_archive_db_given_for_a_database_with_bodies_inside_is_a_one_line_error(tmp_path, run_nianbao):
    open_database(tmp_path / "nianbao.db").close()
    result = run_nianbao("reparse", "--data", tmp_path, "--archive-db", tmp_path / "raw.db", check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: ") and "inside itself" in result.stderr
    assert "Traceback" not in result.stderr


def test_codec_bench_runs_on_a_few_pages(guarded_env):
    import subprocess
    import sys
    from pathlib import Path

    bench = Path(__file__).resolve().parent.parent / "bench" / "codec_bench.py"
    result = subprocess.run([sys.executable, str(bench), "--limit", "40", "--passes", "1", "--no-extras"],
                            env=guarded_env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "| codec | stored MB | % of bodies | compress MB/s | read MB/s |" in lines
    assert any(line.startswith("| zlib 6 |") for line in lines)
    assert any(line.startswith("| zstd 9 + site, else shared dict |") for line in lines)
    assert any(line.startswith("raw store / gzip WARC = ") for line in lines)
