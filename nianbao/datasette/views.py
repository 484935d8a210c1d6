"""The browsing view Datasette facets on: each counted report with its body's level and province.

``report_list`` joins the logical reports' counted versions (``current_reports``) to their
body (``agencies``) and the registry site they were found for (``sites``), and adds the
province: from the region code (its first two digits) when the body has one, else from a
name that begins with a province's full name (广东省…, 北京市…). Nothing else is guessed:
合作市 names no province, so it stays null until a registry site gives its region.

It reads no cells, so Datasette's counts and facets over it stay fast on a large archive;
the numbers are in ``applications`` and the other wide views.
"""

from __future__ import annotations

# 行政区划代码: the first two digits name the province-level division.
PROVINCES = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省",
    "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区", "46": "海南省",
    "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区",
    "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区", "65": "新疆维吾尔自治区",
    "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
}


def province_sql(region: str, name: str) -> str:
    """A SQL expression: the province of a body with region code ``region`` and name ``name``."""
    by_code = " ".join(f"when '{code}' then '{province}'" for code, province in PROVINCES.items())
    by_name = " ".join(f"when {name} like '{province}%' then '{province}'" for province in PROVINCES.values())
    return f"coalesce(case substr({region}, 1, 2) {by_code} end, case {by_name} end)"


REGION = "coalesce(a.region_code, s.region)"

REPORT_LIST = f"""
select r.id as report_id, r.title, a.name as agency, r.agency_id, a.level,
  {REGION} as region_code,
  {province_sql(REGION, "a.name")} as province,
  r.year, r.layout, r.has_tables, r.failing_rules, r.published,
  g.versions, g.sources, r.source_kind, s.name as site, r.url,
  r.snapshot_id, '/-/raw/' || r.snapshot_id as raw_page
from current_reports r
join report_groups g on g.id = r.group_id
left join agencies a on a.id = r.agency_id
left join sites s on s.id = r.site_id
""".strip()

VIEWS = {"report_list": REPORT_LIST}


def ensure_views(db) -> None:
    """Create (or replace) the browsing views; needs ``current_reports`` (archive/schema.py)."""
    for name, sql in VIEWS.items():
        db.create_view(name, sql, replace=True)
