"""``nianbao verify``: clean after a normal crawl; each kind of damage reported, nothing changed."""

from __future__ import annotations

import hashlib
import random
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest
import zstandard

from archive.payloads import payload_digest, read_payload
from archive.raw_store import open_read_only
from archive.schema import SCHEMA_VERSION
from archive.verify import verify
from archive.wide_tables import WIDE_TABLES
from conftest import get_test_file


# ``data``: a copy of the demo portal's archive (conftest.py), for each test to damage.


def damage(data, sql: str, params=()) -> None:
    """Change the archive behind the code's back (foreign keys off, as a bad disk or hand would)."""
    db = sqlite3.connect(data / "nianbao.db")
    db.execute(sql, params)
    db.commit()
    db.close()


def zstd_payload(data) -> tuple[str, bytes]:
    db = sqlite3.connect(data / "nianbao.db")
    row = db.execute("select digest, data from payloads where codec = 'zstd' order by size desc limit 1").fetchone()
    db.close()
    return row


def test_clean_after_a_normal_crawl(data, run_nianbao):
    before = hashlib.sha256((data / "nianbao.db").read_bytes()).hexdigest()
    result = run_nianbao("verify", "--data", data)
    assert "No problems found." in result.stdout
    assert "Checked " in result.stdout and "integrity of 1 file(s)" in result.stdout
    assert hashlib.sha256((data / "nianbao.db").read_bytes()).hexdigest() == before  # read-only
    checked = verify(data / "nianbao.db")
    assert checked.ok and checked.counts["payloads"] > 5 and checked.counts["references"] >= 10
    assert checked.counts["wide_tables"] == 3  # each held what its cells give
    assert checked.counts["cross_checks"] == 0  # the demo has no body with two consecutive years


def test_a_flipped_byte_in_a_stored_body(data, run_nianbao):
    digest, stored = zstd_payload(data)
    flipped = bytearray(stored)
    flipped[len(flipped) // 2] ^= 0x01
    damage(data, "update payloads set data = ? where digest = ?", [bytes(flipped), digest])
    result = run_nianbao("verify", "--data", data, check=False)
    assert result.returncode == 1
    assert f"corrupt-body: payloads {digest}: cannot decompress (zstd)" in result.stdout
    assert "1 problem(s)" in result.stdout


def stored_body(path, digest: str) -> tuple[bytes, bytes]:
    """(the row's stored bytes, the body read back through the archive's one read function)."""
    conn = open_read_only(path)
    try:
        (data,) = conn.execute("select data from payloads where digest = ?", [digest]).fetchone()
        return bytes(data), read_payload(conn, digest)
    finally:
        conn.close()


def test_merging_a_backup_repairs_a_flipped_byte(data, tmp_path, run_nianbao):
    backup = tmp_path / "backup"
    shutil.copytree(data, backup)
    digest, stored = zstd_payload(data)
    _, body = stored_body(backup / "nianbao.db", digest)
    flipped = bytearray(stored)
    flipped[len(flipped) // 2] ^= 0x01
    damage(data, "update payloads set data = ? where digest = ?", [bytes(flipped), digest])
    result = run_nianbao("verify", "--data", data, check=False)
    assert f" merge {data / 'nianbao.db'} BACKUP/nianbao.db`." in result.stdout  # the way to repair
    result = run_nianbao("merge", data / "nianbao.db", backup / "nianbao.db")
    assert "0 rows added" in result.stdout  # the backup holds nothing else the archive lacks
    assert f"1 damaged bodies repaired from {backup / 'nianbao.db'}" in result.stdout
    assert "No problems found." in run_nianbao("verify", "--data", data).stdout
    assert stored_body(data / "nianbao.db", digest)[1] == body  # byte-identical to the backup's


def test_a_damaged_body_of_the_merged_input_replaces_no_good_one(data, tmp_path, run_nianbao):
    backup = tmp_path / "backup"
    shutil.copytree(data, backup)
    digest, stored = zstd_payload(data)
    flipped = bytearray(stored)
    flipped[len(flipped) // 2] ^= 0x01
    damage(backup, "update payloads set data = ? where digest = ?", [bytes(flipped), digest])
    result = run_nianbao("merge", data / "nianbao.db", backup / "nianbao.db")
    assert "repaired" not in result.stdout
    assert stored_body(data / "nianbao.db", digest)[0] == stored  # the good copy, as it was stored
    assert verify(data / "nianbao.db").ok


def archive_and_backup_with_a_dictionary(tmp_path) -> tuple[Path, Path, int, bytes]:
    """An archive whose last 8 of 40 bodies are compressed with a trained zstd dictionary, a
    backup copy of it, and the dictionary's id and bytes."""
    from test_raw_store import page, store

    from archive.schema import open_database

    data, backup = tmp_path / "data", tmp_path / "backup"
    data.mkdir()
    db = open_database(data / "nianbao.db")
    rng = random.Random(3)
    for n in range(40):  # the shared dictionary is trained at the 32nd body
        store(db, f"http://a.gov.cn/{n}.html", page(rng, n))
    db.close()
    shutil.copytree(data, backup)
    (dict_id, good), = sqlite3.connect(data / "nianbao.db").execute("select id, data from codec_dicts").fetchall()
    return data, backup, dict_id, good


def dictionary_rows(data) -> list[tuple]:
    with sqlite3.connect(data / "nianbao.db") as db:
        return db.execute("select id, data from codec_dicts").fetchall()


def test_merging_a_backup_repairs_a_damaged_dictionary(tmp_path, run_nianbao):
    """A flipped byte in a zstd dictionary (``codec_dicts``) spoils every body compressed with it:
    verify reports the dictionary and each body. The backup's copy, of the same digest, replaces
    it where it is (same id: the bodies' ``dict_id`` stay right), and every body reads again."""
    data, backup, dict_id, good = archive_and_backup_with_a_dictionary(tmp_path)
    flipped = bytearray(good)
    flipped[len(flipped) // 2] ^= 0x01
    damage(data, "update codec_dicts set data = ?", [bytes(flipped)])
    result = run_nianbao("verify", "--data", data, check=False)
    assert f"corrupt-dictionary: codec_dicts {dict_id}: its bytes do not match its digest" in result.stdout
    assert "9 problem(s)" in result.stdout  # the dictionary and the 8 bodies compressed with it
    assert f" merge {data / 'nianbao.db'} BACKUP/nianbao.db`." in result.stdout  # the way to repair
    result = run_nianbao("merge", data / "nianbao.db", backup / "nianbao.db")
    assert "0 rows added" in result.stdout
    assert f"1 damaged dictionaries repaired from {backup / 'nianbao.db'}" in result.stdout
    assert "bodies repaired" not in result.stdout  # each body is kept as it was stored
    assert "No problems found." in run_nianbao("verify", "--data", data).stdout
    assert dictionary_rows(data) == [(dict_id, good)]


def test_a_damaged_dictionary_of_the_merged_input_replaces_no_good_one(tmp_path, run_nianbao):
    data, backup, dict_id, good = archive_and_backup_with_a_dictionary(tmp_path)
    damage(backup, "update codec_dicts set data = ?", [good[:-1]])
    result = run_nianbao("merge", data / "nianbao.db", backup / "nianbao.db")
    assert "repaired" not in result.stdout
    assert dictionary_rows(data) == [(dict_id, good)]
    assert verify(data / "nianbao.db").ok


def test_a_snapshot_pointing_at_a_missing_body(data, run_nianbao):
    digest, _ = zstd_payload(data)
    damage(data, "delete from payloads where digest = ?", [digest])
    result = run_nianbao("verify", "--data", data, check=False)
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if line.startswith("missing-reference: snapshots ")]
    assert lines and all(f"payload_digest '{digest}': no payloads row" in line for line in lines)


def test_a_digest_that_does_not_match(data, run_nianbao):
    digest, _ = zstd_payload(data)
    other = zstandard.ZstdCompressor(write_checksum=True).compress(b"<html>another body</html>")
    damage(data, "update payloads set data = ?, stored_size = ?, dict_id = null where digest = ?",
           [other, len(other), digest])
    result = run_nianbao("verify", "--data", data, check=False)
    assert result.returncode == 1
    expected = payload_digest(b"<html>another body</html>")
    assert f"digest-mismatch: payloads {digest}: the body's digest is {expected}; held by " in result.stdout
    with sqlite3.connect(Path(data) / "nianbao.db") as db:  # the captures it names, to look up next
        first = db.execute("select id, url from snapshots where payload_digest = ? order by id", [digest]).fetchone()
    assert f"snapshot(s): {first[0]} ({first[1]})" in result.stdout


def test_dangling_references_among_the_normalized_rows(data):
    damage(data, "update cells set report_id = 9999 where id = (select min(id) from cells)")
    damage(data, "update snapshots set revisit_of = 8888 where id = (select max(id) from snapshots)")
    kinds = {(p.kind, p.detail.split(":")[0]) for p in verify(data / "nianbao.db").problems}
    assert ("missing-reference", "report_id 9999") in kinds
    assert ("missing-reference", "revisit_of 8888") in kinds


def test_a_wide_table_that_disagrees_with_the_cells(data, run_nianbao):
    db = sqlite3.connect(data / "nianbao.db")
    (group, other), = db.execute("select min(group_id), max(group_id) from applications").fetchall()
    db.close()
    assert group != other
    damage(data, "update applications set total = total + 1 where group_id = ? and row_key = 'new_received'", [group])
    damage(data, "delete from reviews_litigation where group_id = ? and row_key = 'review'", [other])
    damage(data, "update cells set value = 99 where table_name = 'active_disclosure' and row_key = 'licensing' "
                 "and column_key = 'decisions' and report_id = (select report_id from report_groups where id = ?)",
           [group])
    problems = {(p.kind, p.where, p.detail) for p in verify(data / "nianbao.db").problems}
    assert problems == {
        ("wide-table-mismatch", f"applications group {group} row new_received", "holds other values than the cells give"),
        ("wide-table-mismatch", f"reviews_litigation group {other} row review", "missing: the cells give this row"),
        ("wide-table-mismatch", f"active_disclosure group {group} row licensing", "holds other values than the cells give"),
    }
    result = run_nianbao("verify", "--data", data, check=False)
    assert result.returncode == 1
    assert f"wide-table-mismatch: applications group {group} row new_received" in result.stdout
    assert "nianbao rebuild-wide-tables" in result.stdout
    # The wide tables are recomputed from the cells (the damaged cell stays as it is now).
    rebuilt = run_nianbao("rebuild-wide-tables", "--data", data).stdout.splitlines()
    assert verify(data / "nianbao.db").problems == []
    db = sqlite3.connect(data / "nianbao.db")
    # One line per table as it is filled, with its rows.
    assert [line.split(" (")[0] for line in rebuilt] == [
        f"{table}: {db.execute(f'select count(*) from {table}').fetchone()[0]} rows" for table in WIDE_TABLES]
    (decisions,) = db.execute("select decisions from active_disclosure where group_id = ? and row_key = 'licensing'",
                              [group]).fetchone()
    db.close()
    assert decisions == 99


BODY = "示范县人民政府"


@pytest.fixture
def two_years(tmp_path):
    """A body's 2021 and 2022 reports, stored as a crawl stores them: R6 and R7 on 2022."""
    from archive.schema import open_database
    from reports_db import store

    data = tmp_path / "data"
    data.mkdir()
    db = open_database(data / "nianbao.db")
    store(db, "http://a.gov.cn/2021.html", agency=BODY, year=2021,
          applications={"carried_forward": {"natural_person": 2, "total": 4}},
          active={"regulations": {"issued": 1, "repealed": 0, "in_force": 10}})
    store(db, "http://a.gov.cn/2022.html", agency=BODY, year=2022,
          applications={"carried_over": {"natural_person": 2, "total": 3}},
          active={"regulations": {"issued": 2, "repealed": 1, "in_force": 11}})
    db.close()
    return data


def r6_r7(data) -> list[tuple]:
    with sqlite3.connect(data / "nianbao.db") as db:
        return db.execute("select report_id, rule, [where], status, left, right, delta, detail from checks "
                          "where rule in ('R6', 'R7') order by 1, 2, 3").fetchall()


def test_a_fresh_archive_with_cross_year_checks_verifies_clean(two_years):
    checked = verify(two_years / "nianbao.db")
    assert checked.ok
    assert checked.counts["cross_checks"] == len(r6_r7(two_years)) == 7 + 1  # R6 per applicant column, R7 regulations


def test_r6_r7_checks_that_disagree_with_the_cells(two_years, run_nianbao):
    made = r6_r7(two_years)
    first, later = 1, 2  # the 2021 and 2022 reports, each its own logical report (groups 1 and 2)
    # Stale: made against another report; missing: deleted; extra: one on the first year, which has no year before.
    damage(two_years, "update checks set right = 3, status = 'pass', delta = 0, "
                      "detail = 'right: carried_forward of report 9 (2021)' "
                      "where rule = 'R6' and [where] = 'total' and report_id = ?", [later])
    damage(two_years, "delete from checks where rule = 'R7' and report_id = ?", [later])
    damage(two_years, "insert into checks (report_id, rule, [where], status, left, right, delta, detail) values "
                      "(?, 'R6', 'natural_person', 'pass', 2, 2, 0, 'right: carried_forward of report 9 (2020)')",
           [first])
    problems = {(p.kind, p.where, p.detail) for p in verify(two_years / "nianbao.db").problems}
    assert problems == {
        ("cross-check-mismatch", f"R6 natural_person of report {first} (group 1)",
         "extra: holds pass (left 2, right: carried_forward of report 9 (2020) = 2); the cells give no such check"),
        ("cross-check-mismatch", f"R6 total of report {later} (group 2)",
         "stale: holds pass (left 3, right: carried_forward of report 9 (2021) = 3); "
         "the cells give warn (left 3, right: carried_forward of report 1 (2021) = 4)"),
        ("cross-check-mismatch", f"R7 regulations of report {later} (group 2)",
         "missing: the cells give pass (left 11, right: in_force of report 1 (2021) + issued - repealed = 11)"),
    }
    result = run_nianbao("verify", "--data", two_years, check=False)
    assert result.returncode == 1
    assert "3 problem(s)" in result.stdout
    assert "`nianbao rebuild-cross-checks` recomputes them" in result.stdout
    # Recomputed from the cells: what the archive held before the damage, and verify is clean.
    rebuilt = run_nianbao("rebuild-cross-checks", "--data", two_years)
    assert rebuilt.stdout.startswith("R6/R7: 8 checks (")
    assert r6_r7(two_years) == made
    assert "No problems found." in run_nianbao("verify", "--data", two_years).stdout


def test_a_damaged_body_in_a_separate_raw_store(tmp_path):
    from archive.schema import open_database
    from archive.snapshots import store_snapshot

    main, raw = tmp_path / "nianbao.db", tmp_path / "raw.db"
    db = open_database(main, archive=raw)
    body = "<html><body>".encode() + "政府信息公开工作年度报告".encode() * 200 + b"</body></html>"
    store_snapshot(db, url="http://a.gov.cn/1.html", method="GET", request_headers=[], status=200,
                   response_headers=[], body=body, kind="report")
    db.close()
    assert verify(main).ok and verify(main).counts["files"] == 2

    bodies = sqlite3.connect(raw)
    (stored,) = bodies.execute("select data from payloads").fetchone()
    bodies.execute("update payloads set data = ?", [stored[:-1] + bytes([stored[-1] ^ 0x80])])
    bodies.commit()
    bodies.close()
    assert [p.kind for p in verify(main).problems] == ["corrupt-body"]


def test_verify_of_a_missing_database_is_a_one_line_error(tmp_path, run_nianbao):
    result = run_nianbao("verify", "--data", tmp_path, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: no database at")


def test_an_archive_at_an_older_schema_is_said_to_be_so_and_its_damage_still_found(two_years, run_nianbao):
    """Schema 6 could leave R6/R7 made against another year, which opening it at schema 7
    makes again (test_schema.py). verify does not migrate: it says the archive is at schema 6
    and how to bring it up to date, instead of reporting those checks, and still finds a
    damaged body and a missing one."""
    damage(two_years, "update checks set right = 3, status = 'pass', delta = 0 where rule = 'R6' and [where] = 'total'")
    damage(two_years, "pragma user_version = 6")
    note = [f"{two_years / 'nianbao.db'} is at schema 6; this nianbao's is {SCHEMA_VERSION}. Not checked: R6/R7, "
            "which bringing it up to date makes again from the cells.",
            f"Bring it up to date with `{sys.executable} -m nianbao rebuild-cross-checks --data {two_years}` (or any "
            "command that writes to it: crawl, reparse, serve), then verify again."]
    result = run_nianbao("verify", "--data", two_years)
    assert result.stdout.splitlines()[1:] == [*note, "No problems found."]

    with sqlite3.connect(two_years / "nianbao.db") as db:
        (first, second), = db.execute("select min(payload_digest), max(payload_digest) from snapshots").fetchall()
    damage(two_years, "update payloads set codec = 'identity', data = ?, stored_size = 13 where digest = ?",
           [b"another body.", first])
    damage(two_years, "delete from payloads where digest = ?", [second])
    result = run_nianbao("verify", "--data", two_years, check=False)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[1:3] == note
    assert any(line.startswith(f"digest-mismatch: payloads {first}: ") for line in lines)
    assert any(line.startswith("missing-reference: snapshots ") and second in line for line in lines)
    assert not any(line.startswith("cross-check-mismatch") for line in lines)

    # The command it names brings the archive up to date: R6/R7 are checked again (made anew,
    # they agree with the cells), and the damage is still there, reported.
    run_nianbao("rebuild-cross-checks", "--data", two_years)
    again = verify(two_years / "nianbao.db")
    assert (again.schema, again.not_checked, again.counts["cross_checks"]) == (SCHEMA_VERSION, [], 8)
    assert {p.kind for p in again.problems} == {"digest-mismatch", "missing-reference"}


def test_an_archive_from_before_dictionaries_is_verified(tmp_path, run_nianbao):
    """Schema 3's payloads have no dict_id column: verify read it all the same (it failed)."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(get_test_file("schema", "v3.db"), data / "nianbao.db")
    result = run_nianbao("verify", "--data", data)
    assert result.stdout.startswith("Checked 7 bodies")
    assert "no wide tables and no R6/R7 checks against the cells" in result.stdout  # not "0": not compared
    assert (f"{data / 'nianbao.db'} is at schema 3; this nianbao's is {SCHEMA_VERSION}. Not checked: the wide tables "
            "and R6/R7") in result.stdout
    assert result.stdout.endswith("No problems found.\n")
