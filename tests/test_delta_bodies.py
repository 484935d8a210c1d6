"""A URL's new body stored as a zstd delta against its earlier body (``zstd-delta``,
archive/payloads.py): a dynamic page whose hit counter (点击率) changes every night costs
tens of bytes a night, and still reads back, exports, verifies and merges as the bytes served.
"""

from __future__ import annotations

import io
import sqlite3
import zipfile
from urllib.parse import urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive import codecs
from archive.merge import merge_databases
from archive.payloads import payload_digest
from archive.raw_store import open_read_only
from archive.schema import open_database
from archive.snapshots import DamagedBody, iter_snapshots, read_snapshot, store_snapshot
from archive.verify import verify
from nianbao.datasette.raw_page import raw_page
from portal import DemoPortal
from portal.nights import ChangingColumn

URL = "http://www.example.gov.cn/zwgk/zfxxgknb/202501/t20250106_500001.html"


def page(visits: int) -> bytes:
    """One synthetic report page of the imitation portal, its 点击率 counter moved by ``visits``."""
    column = ChangingColumn(visits=visits)
    report = column.add_report("财政局", 2024)
    return column.site()[report.path].body


def store(db, body: bytes, url: str = URL) -> int:
    return store_snapshot(db, url=url, method="GET", request_headers=[], status=200,
                          response_headers=[("Content-Type", "text/html; charset=utf-8")], body=body, kind="report")


def damage(path, body: bytes) -> None:
    """The stored bytes of ``body`` in the database at ``path`` replaced by one zero byte."""
    with sqlite3.connect(path) as db:
        db.execute("update payloads set data = x'00' where digest = ?", [payload_digest(body)])


def payload_rows(path) -> dict[str, tuple]:
    with sqlite3.connect(path) as db:
        return {row[0]: row[1:] for row in db.execute("select digest, codec, stored_size, base_digest from payloads")}


@pytest.mark.parametrize("split", [False, True], ids=["bodies-inside", "archive-db"])
def test_nightly_counter_bodies_are_deltas_of_the_first_never_a_chain(tmp_path, split):
    raw = tmp_path / "raw.db" if split else None
    db = open_database(tmp_path / "n.db", raw)
    bodies = [page(visits) for visits in range(5)]
    ids = [store(db, body) for body in bodies]
    assert [read_snapshot(db, i).body for i in ids] == bodies
    db.close()
    rows = payload_rows(raw or tmp_path / "n.db")
    first = payload_digest(bodies[0])
    assert rows[first][0] == "zstd" and rows[first][2] is None
    for body in bodies[1:]:
        codec, stored_size, base = rows[payload_digest(body)]
        assert (codec, base) == ("zstd-delta", first)  # the whole body, not last night's delta
        assert stored_size < 100 < len(body) // 1000
    assert verify(tmp_path / "n.db", raw).ok


def test_a_body_that_shares_little_with_the_earlier_one_is_stored_whole(tmp_path):
    db = open_database(tmp_path / "n.db")
    store(db, page(0))
    other = "<html><body>另一份报告 " + "".join(chr(0x4E00 + n * 7 % 5000) for n in range(3000)) + "</body></html>"
    store(db, other.encode("utf-8"))
    db.close()
    assert payload_rows(tmp_path / "n.db")[payload_digest(other.encode("utf-8"))][0] == "zstd"


def test_verify_reports_a_delta_whose_base_is_gone_and_reads_refuse_it(tmp_path):
    db = open_database(tmp_path / "n.db")
    store(db, page(0))
    second = store(db, page(1))
    db.close()
    with sqlite3.connect(tmp_path / "n.db") as conn:  # (foreign keys off: as a lost row would be)
        conn.execute("delete from payloads where digest = ?", [payload_digest(page(0))])
    conn = open_read_only(tmp_path / "n.db")
    try:
        with pytest.raises(DamagedBody, match="base"):
            read_snapshot(conn, second)
    finally:
        conn.close()
    result = verify(tmp_path / "n.db")
    kinds = {p.kind for p in result.problems}
    assert "missing-base" in kinds and "corrupt-body" not in kinds
    (missing,) = [p for p in result.problems if p.kind == "missing-base"]
    assert missing.where == f"payloads {payload_digest(page(1))}" and "held by 1 snapshot(s)" in missing.detail


def test_verify_reports_a_delta_of_a_delta(tmp_path):
    db = open_database(tmp_path / "n.db")
    for visits in range(3):
        store(db, page(visits))
    # Made by hand: the store never writes one.
    db.execute("update payloads set base_digest = ? where digest = ?",
               [payload_digest(page(1)), payload_digest(page(2))])
    db.conn.commit()
    db.close()
    assert [p.kind for p in verify(tmp_path / "n.db").problems] == ["delta-chain"]


def test_merge_carries_the_base_and_never_makes_a_chain(tmp_path):
    # The output holds page 1 as a delta of page 0; the input holds page 1 whole (its first
    # fetch there) and page 2 as a delta of it: merged, page 2 must not rest on a delta.
    out = open_database(tmp_path / "out.db")
    store(out, page(0))
    store(out, page(1))
    out.close()
    part = open_database(tmp_path / "part.db")
    store(part, page(1))
    store(part, page(2))
    store(part, page(0), url=URL + "?other")  # and a page whose base comes only from this input
    store(part, page(3), url=URL + "?other")
    part.close()
    merge_databases(tmp_path / "out.db", [tmp_path / "part.db"])
    rows = payload_rows(tmp_path / "out.db")
    assert rows[payload_digest(page(1))][0] == "zstd-delta"
    assert rows[payload_digest(page(2))][0] != "zstd-delta"
    assert rows[payload_digest(page(3))][2] == payload_digest(page(0))
    assert verify(tmp_path / "out.db").ok
    conn = open_read_only(tmp_path / "out.db")
    try:
        assert {s.body for s in iter_snapshots(conn)} == {page(v) for v in range(4)}
    finally:
        conn.close()


def test_merge_leaves_a_delta_it_cannot_rebuild_for_verify_to_report(tmp_path, caplog):
    # As above, but the output's page 0, the base of its page 1, is damaged, and so is the input's
    # page 1 (an intact one would repair the output's: the next test): the input's page 2
    # cannot be rebuilt to be stored whole. The merge goes on and says so; verify reports it.
    out = open_database(tmp_path / "out.db")
    store(out, page(0))
    store(out, page(1))
    out.close()
    damage(tmp_path / "out.db", page(0))
    part = open_database(tmp_path / "part.db")
    store(part, page(1))
    store(part, page(2))
    part.close()
    damage(tmp_path / "part.db", page(1))
    with caplog.at_level("WARNING", logger="archive.payloads"):
        merge_databases(tmp_path / "out.db", [tmp_path / "part.db"])
    rows = payload_rows(tmp_path / "out.db")
    assert rows[payload_digest(page(2))][0] == "zstd-delta"
    assert any(payload_digest(page(2)) in r.getMessage() and "verify" in r.getMessage() for r in caplog.records)
    problems = {(p.kind, p.where) for p in verify(tmp_path / "out.db").problems}
    assert ("delta-chain", f"payloads {payload_digest(page(2))}") in problems


@pytest.mark.parametrize("split", [False, True], ids=["bodies-inside", "archive-db"])
def test_merge_repairs_a_damaged_base_and_delta_from_an_input_and_makes_no_chain(tmp_path, split):
    # The output's page 0 (the base of pages 1 and 2) is damaged, so none of the three reads,
    # and page 2's delta has a flipped byte besides. The input holds all three good.
    raw = {name: tmp_path / f"{name}.raw" if split else None for name in ("out.db", "part.db")}
    for name in ("out.db", "part.db"):
        db = open_database(tmp_path / name, raw[name])
        for visits in range(3):
            store(db, page(visits))
        db.close()
    damage(raw["out.db"] or tmp_path / "out.db", page(0))
    with sqlite3.connect(raw["out.db"] or tmp_path / "out.db") as out:
        (delta,) = out.execute("select data from payloads where digest = ?", [payload_digest(page(2))]).fetchone()
        flipped = bytearray(delta)
        flipped[len(flipped) // 2] ^= 0x01
        out.execute("update payloads set data = ? where digest = ?", [bytes(flipped), payload_digest(page(2))])
    assert "corrupt-body" in {p.kind for p in verify(tmp_path / "out.db", raw["out.db"]).problems}
    result = merge_databases(tmp_path / "out.db", [tmp_path / "part.db"], archive=raw["out.db"])
    # Page 1's delta was stored as the input's: the base repaired, it reads again.
    assert result.repaired == {str(tmp_path / "part.db"): 2}
    rows = payload_rows(raw["out.db"] or tmp_path / "out.db")
    assert rows[payload_digest(page(0))][0] == "zstd" and rows[payload_digest(page(0))][2] is None
    assert rows[payload_digest(page(1))][2] == payload_digest(page(0))
    assert rows[payload_digest(page(2))][0] != "zstd-delta" and rows[payload_digest(page(2))][2] is None
    assert verify(tmp_path / "out.db", raw["out.db"]).ok
    conn = open_read_only(tmp_path / "out.db", raw["out.db"])
    try:
        assert {s.body for s in iter_snapshots(conn)} == {page(v) for v in range(3)}  # every snapshot reads
    finally:
        conn.close()


# --- a real crawl: the imitation portal's counter moves between two nights ---


def test_two_nights_of_a_moving_counter_over_http(tmp_path, run_nianbao):
    column = ChangingColumn()
    for agency in ("财政局", "教育局", "民政局"):
        column.add_report(agency, 2024)
    reports = {r.path for r in column.reports.values()}
    with DemoPortal(column.site()) as portal:
        run_nianbao("crawl", "--start-url", portal.start_url, "--data", tmp_path, "--profile", "test")
        column.visits += 1
        portal.site = column.site()
        portal.clear_sent()
        run_nianbao("crawl", "--start-url", portal.start_url, "--data", tmp_path, "--profile", "test")
        served = {s.path: s.body for s in portal.sent if s.status == 200 and s.path in reports}
    assert set(served) == reports

    conn = open_read_only(tmp_path / "nianbao.db")
    try:
        snapshots = list(iter_snapshots(conn))
        rows = payload_rows(tmp_path / "nianbao.db")
    finally:
        conn.close()
    by_path: dict[str, list] = {}
    for s in snapshots:  # in id order: night 1's fetch, then night 2's
        by_path.setdefault(urlsplit(s.url).path, []).append(s)
    tonight = {path: by_path[path][-1] for path in reports}
    for path, snapshot in tonight.items():  # as served, byte for byte, though stored as a delta
        assert snapshot.body == served[path] and snapshot.revisit_of is None
        codec, _, base = rows[snapshot.payload_digest]
        assert (codec, base) == (codecs.DELTA, by_path[path][0].payload_digest)

    delta_bodies = [s for s in snapshots if rows[s.payload_digest][0] == codecs.DELTA and not s.revisit_of]
    assert delta_bodies
    run_nianbao("export-warc", "--data", tmp_path, "-o", tmp_path / "nights.warc.gz")
    run_nianbao("export-wacz", "--data", tmp_path, "-o", tmp_path / "nights.wacz")
    with zipfile.ZipFile(tmp_path / "nights.wacz") as wacz:
        (inside,) = [name for name in wacz.namelist() if name.startswith("archive/")]
        warcs = [(tmp_path / "nights.warc.gz").read_bytes(), wacz.read(inside)]
    for warc in warcs:
        in_warc = [r.raw_stream.read() for r in ArchiveIterator(io.BytesIO(warc)) if r.rec_type == "response"]
        for snapshot in delta_bodies:  # the payload exactly as served (still gzip-encoded)
            assert snapshot.body in in_warc

    page = raw_page(tmp_path / "nianbao.db", delta_bodies[0].id)  # serve's /-/raw/ view
    assert page.status == 200 and "点击率".encode() in page.body

    result = run_nianbao("verify", "--data", tmp_path)
    assert "No problems found." in result.stdout
    result = run_nianbao("reparse", "--data", tmp_path, "--force", "--workers", "0")
    assert "DamagedBody" not in result.stdout + result.stderr

    base = rows[next(iter(tonight.values())).payload_digest][2]
    with sqlite3.connect(tmp_path / "nianbao.db") as db:
        db.execute("delete from payloads where digest = ?", [base])
    result = run_nianbao("verify", "--data", tmp_path, check=False)
    assert result.returncode == 1
    assert "missing-base: payloads " in result.stdout and f"a delta of {base}, which is not stored" in result.stdout


def test_an_archive_from_before_deltas_reads_verifies_and_then_stores_them(tmp_path):
    db = open_database(tmp_path / "n.db")
    first = store(db, page(0))
    db.close()
    with sqlite3.connect(tmp_path / "n.db") as conn:  # as written before payloads.base_digest
        conn.execute("drop index idx_payloads_base")
        conn.execute("alter table payloads drop column base_digest")
    assert verify(tmp_path / "n.db").ok  # read as it is, not migrated
    conn = open_read_only(tmp_path / "n.db")
    try:
        assert read_snapshot(conn, first).body == page(0)
    finally:
        conn.close()
    db = open_database(tmp_path / "n.db")  # opened to write: the column comes, and deltas with it
    second = store(db, page(1))
    assert read_snapshot(db, second).body == page(1)
    db.close()
    assert payload_rows(tmp_path / "n.db")[payload_digest(page(1))][0] == codecs.DELTA
    assert verify(tmp_path / "n.db").ok
