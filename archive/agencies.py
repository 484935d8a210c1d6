"""Publishing bodies: one ``agencies`` row per body, every name it used in ``agency_aliases``.

Reports name their body as they please: 北京市海淀区人民政府 one year, 北京市海淀区政府 or just
北京市海淀区 the next. All three are the district's government, so they share one agency
(``normalized_name`` 北京市海淀区); the name first seen stays the display ``name``. Only a
*trailing* 人民政府/政府 is dropped: 北京市海淀区人民政府办公室 is another body (a department).

``level`` is read from the name where it says it (province, city, county, township,
department) and left null otherwise; ``region_code`` comes from the registry site the
body's reports were found for (a trigger in ``archive/schema.py``), never guessed.
"""

from __future__ import annotations

import re
import unicodedata

_GOVERNMENT = re.compile(r"(?:人民政府|政府)$")
_SPACES = re.compile(r"\s+")
MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")
# A body that is not a government: the last word names an organ of one.
_DEPARTMENT = re.compile(
    r"(?:局|厅|委员会|委|办公室|办公厅|办|中心|署|院|部|处|所|站|队|会|集团|公司|馆|社|行|台|校|学|总队|支队|大队)$"
)
_TOWNSHIP = re.compile(r"(?:街道办事处|街道|乡|镇|苏木|民族乡)$")
_COUNTY = re.compile(r"(?:区|县|旗|自治县|自治旗|林区|特区)$")
_CITY = re.compile(r"(?:市|州|盟|地区|自治州)$")
_PROVINCE = re.compile(r"(?:省|自治区)$")


def normalized_agency_name(name: str) -> str:
    """The key bodies are matched by: no spaces, full-width folded, no trailing 人民政府/政府."""
    compact = _SPACES.sub("", unicodedata.normalize("NFKC", name))
    stripped = _GOVERNMENT.sub("", compact)
    # 人民政府 alone (or 政府) is no place: keep it whole rather than match every body to "".
    return stripped or compact


def agency_level(name: str) -> str | None:
    """province | city | county | township | department, as far as the name says; else None."""
    compact = _SPACES.sub("", unicodedata.normalize("NFKC", name))
    is_government = bool(_GOVERNMENT.search(compact))
    place = _GOVERNMENT.sub("", compact)
    if _TOWNSHIP.search(place):
        return "township"
    if not is_government and _DEPARTMENT.search(compact):
        return "department"
    if place in MUNICIPALITIES or _PROVINCE.search(place):
        return "province"
    if _COUNTY.search(place):
        return "county"
    if _CITY.search(place):
        # 苏州市昆山市: a city inside a city is county-level.
        return "county" if place.count("市") > 1 else "city"
    return None


def agency_id(db, name: str | None) -> int | None:
    """The id of the publishing body called ``name``, creating it (or an alias) on first sight."""
    if not name:
        return None
    row = db.execute("select agency_id from agency_aliases where name = ?", [name]).fetchone()
    if row:
        return row[0]
    key = normalized_agency_name(name)
    row = db.execute("select id from agencies where normalized_name = ? or name = ?", [key, name]).fetchone()
    if row:
        found = row[0]
    else:
        found = db["agencies"].insert(
            {"name": name, "normalized_name": key, "level": agency_level(name)}
        ).last_pk
    db.execute("insert or ignore into agency_aliases (agency_id, name) values (?, ?)", [found, name])
    return found


def merge_agencies(db) -> int:
    """Give agencies of an older database a normalized name, a level and their aliases,
    folding bodies whose names normalize alike into the first one. Returns how many were folded."""
    folded = 0
    rows = db.execute("select id, name from agencies where normalized_name is null order by id").fetchall()
    for old_id, name in rows:
        key = normalized_agency_name(name)
        same = db.execute(
            "select id from agencies where normalized_name = ? and id != ?", [key, old_id]
        ).fetchone()
        if same:
            db.execute("update reports set agency_id = ? where agency_id = ?", [same[0], old_id])
            db.execute("update agency_aliases set agency_id = ? where agency_id = ?", [same[0], old_id])
            db.execute("delete from agencies where id = ?", [old_id])
            target = same[0]
            folded += 1
        else:
            db.execute(
                "update agencies set normalized_name = ?, level = ? where id = ?",
                [key, agency_level(name), old_id],
            )
            target = old_id
        db.execute("insert or ignore into agency_aliases (agency_id, name) values (?, ?)", [target, name])
    return folded
