"""Damaged bodies and dictionaries of the merge's output repaired from an input
(archive/merge.py tells the whole merge).

Payload rows are recognised by digest, so the output's copy of a body is kept whatever the
input's. When the output's copy no longer reads back as its digest names (a flipped byte:
``nianbao verify`` reports it) and the input's does, the input's body replaces it: merging a
backup, or another machine's archive, into a damaged archive repairs it. A good copy is
never replaced, and a damaged input copy replaces nothing.

The cost follows the input, and only differing rows are decompressed: for each body the
input holds, the output's row is read by digest and compared with the input's as stored
(codec, dictionary by its digest, base, bytes). Rows stored alike hold the same body or
the same damage (a damaged base is its own row, compared in its turn); only rows stored
differently have the output's copy checked, and only a damaged one the input's.

A zstd dictionary (``codec_dicts``) is recognised by the digest of its bytes too; one whose
bytes no longer match it spoils every body compressed with it. The input's copy of the same
digest, when its bytes match, replaces the output's bytes in the same row: its id stays,
so the bodies' ``dict_id`` still name it, and they read again as they were stored.
Dictionaries are repaired before bodies, whose check reads them.
"""

from __future__ import annotations

import logging

from . import payloads
from .dictionaries import matches_digest

logger = logging.getLogger(__name__)

_OUT_ROW = ("select p.codec, (select d.digest from codec_dicts d where d.id = p.dict_id), p.base_digest, "
            "p.data, p.dict_id, p.site from payloads p where p.digest = ?")


def repair_damaged_bodies(db, source, in_schema: str, in_columns: set[str], source_name: str) -> int:
    """Replace each body of the output (``db``) that fails its digest check with the copy the
    input ``source`` (its payloads in ``in_schema``, with ``in_columns``) holds, when that copy
    passes; return how many were replaced. Each replaced body is stored whole
    (``payloads.store_whole``): the deltas resting on it read again, and no chain is made."""
    has_dictionaries = "dict_id" in in_columns and source.execute(
        f"select 1 from [{in_schema}].sqlite_master where name = 'codec_dicts'").fetchone() is not None
    dict_id = "p.dict_id" if has_dictionaries else "null"
    dict_digest = (f"(select d.digest from [{in_schema}].codec_dicts d where d.id = p.dict_id)"
                   if has_dictionaries else "null")
    base = "p.base_digest" if "base_digest" in in_columns else "null"  # none before deltas
    rows = source.execute(f"select p.digest, p.codec, {dict_digest}, {base}, p.data, {dict_id} "
                          f"from [{in_schema}].payloads p")
    repaired = 0
    for digest, codec, dictionary, base_digest, data, in_dict_id in rows:
        out = db.execute(_OUT_ROW, [digest]).fetchone()
        if out is None or (codec, dictionary, base_digest, bytes(data or b"")) == (*out[:3], bytes(out[3] or b"")):
            continue
        out_codec, _, _, out_data, out_dict_id, site = out
        _, damage = payloads.decode_checked(db, bytes(out_data or b""), out_codec, out_dict_id, digest)
        if damage is None:
            continue
        body, input_damage = payloads.decode_checked(source, bytes(data or b""), codec, in_dict_id, digest)
        if input_damage is not None:
            logger.warning("The body %s is damaged in the output (%s) and in %s (%s): left as it is",
                           digest, damage, source_name, input_damage)
            continue
        logger.warning("The body %s was damaged in the output (%s); %s's copy replaces it",
                       digest, damage, source_name)
        payloads.store_whole(db, digest, body, site)
        repaired += 1
    return repaired


def repair_damaged_dictionaries(db, source, in_schema: str, source_name: str) -> int:
    """Replace the bytes of each dictionary of the output (``db``) that no longer match its
    digest with those of the input's dictionary of that digest (``source``'s codec_dicts in
    ``in_schema``), when they match it; return how many were replaced."""
    repaired = 0
    for digest, data in source.execute(f"select digest, data from [{in_schema}].codec_dicts"):
        out = db.execute("select id, data from codec_dicts where digest = ?", [digest]).fetchone()
        if out is None or bytes(out[1] or b"") == bytes(data or b"") or matches_digest(out[1], digest):
            continue
        if not matches_digest(data, digest):
            logger.warning("The dictionary %s is damaged in the output and in %s: left as it is", digest, source_name)
            continue
        logger.warning("The dictionary %s was damaged in the output; %s's copy replaces it", digest, source_name)
        db.execute("update codec_dicts set data = ?, size = ? where id = ?", [bytes(data), len(data), out[0]])
        repaired += 1
    return repaired
