"""Full-text search over the reports, for Chinese.

``reports_fts`` is FTS5 with the trigram tokenizer (archive/research_schema.py): any term
of three characters or more is found wherever it stands in the text, with no word
segmentation. A trigram index cannot answer a shorter term (复议, 公开 are two
characters; a MATCH finds nothing), so those are looked for with ``instr`` over the text
instead (a scan, but of current reports only).

``SEARCH_SQL`` is the same search as one statement with a ``:term`` parameter (spaces around
it trimmed, ASCII and full-width: a term typed in Datasette's form keeps them), for Datasette's canned query
``search_reports``.
"""

from __future__ import annotations

TRIGRAM = 3

SEARCH_SQL = """
select r.id as report_id, a.name as agency, r.year, r.title, r.url
from current_reports r
left join agencies a on a.id = r.agency_id
where trim(:term, ' 　') != '' and case when length(trim(:term, ' 　')) >= 3
  then r.id in (select rowid from reports_fts where reports_fts match '"' || replace(trim(:term, ' 　'), '"', '""') || '"')
  else length(trim(:term, ' 　')) > 0 and (instr(r.text, trim(:term, ' 　')) > 0 or instr(r.title, trim(:term, ' 　')) > 0)
end
order by r.year desc, r.id
""".strip()


def search_reports(db, term: str, limit: int | None = None) -> list[dict]:
    """Current reports whose title or text contains ``term`` (newest year first)."""
    term = (term or "").strip()
    if not term:
        return []
    sql = SEARCH_SQL + (f" limit {int(limit)}" if limit else "")
    return list(db.query(sql, {"term": term}))
