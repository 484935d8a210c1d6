"""What one generated report says: agency, year, layout, narrative and table values.

Values are random but obey the format's hard rules (R1, R3, R4, R5), so a page that parses
right has no failing rule. Every name and word is GB2312-encodable: GBK pages declare gb2312,
and libxml2 stops reading a gb2312 page at the first character outside it, which would let
bare lxml skip most of the page.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from report_prose import narrative_sections, preface

CITIES = (
    "温州市", "嘉兴市", "临海市", "宿迁市", "定西市", "安康市", "平潭县", "吴川市", "合作市", "南平市",
    "衢州市", "丽水市", "湖州市", "绍兴市", "金华市", "台州市", "舟山市", "漳州市", "三明市", "宁德市",
    "莆田市", "龙岩市", "泉州市", "赣州市", "吉安市", "上饶市", "九江市", "宜春市", "襄阳市", "宜昌市",
)
DISTRICTS = (
    "城中区", "江夏区", "湛河区", "余杭区", "鹿城区", "瓯海区", "龙湾区", "秀洲区", "南湖区", "沭阳县",
    "泗阳县", "永嘉县", "平阳县", "苍南县", "文成县", "泰顺县", "建德市", "桐庐县", "淳安县", "海宁市",
)
DEPARTMENTS = (
    "人民政府", "人民政府办公室", "发展和改革局", "财政局", "自然资源和规划局", "生态环境局",
    "住房和城乡建设局", "交通运输局", "卫生健康委员会", "市场监督管理局", "教育局", "民政局",
    "人力资源和社会保障局", "司法局", "应急管理局", "统计局", "医疗保障局", "农业农村局",
    "水利局", "文化广电旅游体育局", "退役军人事务局", "行政审批局", "税务局", "公安局",
)
TOWNS = ("城关镇", "新城街道", "东城街道", "西湖镇", "南山镇", "北港镇", "白石镇", "青山乡", "金沙镇", "桥头镇")

APPLICANTS = 6                 # 自然人 and five kinds of organisation; the 7th column is their total
LEAVES_2021 = (
    "granted", "partially_granted",
    "withheld_state_secret", "withheld_prohibited_by_law", "withheld_three_safeties_one_stability",
    "withheld_third_party_rights", "withheld_internal_affairs", "withheld_process_information",
    "withheld_enforcement_files", "withheld_administrative_inquiry",
    "unable_not_held", "unable_needs_creation", "unable_unclear",
    "rejected_petition_complaint", "rejected_duplicate", "rejected_publication",
    "rejected_excessive", "rejected_confirmation",
    "other_no_correction", "other_unpaid_fee", "other_other",
)
LEAVES_2019 = LEAVES_2021[:-3] + ("other",)
# How often an application ends each way (予以公开 and 部分公开 dominate, as in real reports).
_OUTCOME_WEIGHT = {"granted": 40, "partially_granted": 12, "unable_not_held": 18, "rejected_duplicate": 4,
                   "unable_unclear": 3, "rejected_petition_complaint": 3, "other_other": 3, "other": 4}


@dataclass
class ReportContent:
    agency: str
    place: str                 # the city, district or county the agency belongs to (its portal's)
    title: str
    year: int                  # the report year; published early the next year
    layout: str                # "2021" or "2019" (trial)
    published: str             # YYYY-MM-DD HH:MM[:SS]
    docid: int
    preface: list[str]
    sections: dict[str, list[str]]          # 一 … 六 → narrative paragraphs (tables go after 二/三/四's)
    headings: dict[str, str]
    active: dict[str, dict[str, str]]       # row → column → printed text
    applications: dict[str, list[int]]      # row → 7 numbers (6 applicants + total)
    reviews: dict[str, dict[str, int]]      # group → outcome → number


def make_report(rng: random.Random, docid: int, paragraphs: int) -> ReportContent:
    place, agency = _agency(rng)
    year = rng.choice((2019, 2020, 2021, 2021, 2022, 2022, 2023, 2023, 2024))
    layout = "2019" if year <= 2020 else "2021"
    title = rng.choice((
        f"{agency}{year}年政府信息公开工作年度报告",
        f"{agency}{year}年度政府信息公开工作年度报告",
        f"{year}年{agency}政府信息公开工作年度报告",
    ))
    day = f"{year + 1}-{rng.randint(1, 3):02d}-{rng.randint(1, 28):02d}"
    published = f"{day} {rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}"
    if rng.random() < 0.5:
        published += f":{rng.randint(0, 59):02d}"
    applications = _applications(rng, layout)
    reviews = _reviews(rng)
    numbers = {"new": applications["new_received"][6], "review": reviews["review"]["total"],
               "fee": rng.choice((0, 0, 0, rng.randint(10, 900)))}
    return ReportContent(
        agency=agency, place=place, title=title, year=year, layout=layout, published=published, docid=docid,
        preface=preface(rng, agency, year),
        sections=narrative_sections(rng, agency, year, paragraphs, numbers),
        headings=_headings(rng, layout), active=_active(rng, layout),
        applications=applications, reviews=reviews,
    )


def _agency(rng: random.Random) -> tuple[str, str]:
    """(place, agency)."""
    kind = rng.random()
    if kind < 0.35:
        place = rng.choice(CITIES + DISTRICTS)
        return place, place + "人民政府"
    if kind < 0.75:
        place = rng.choice(CITIES + DISTRICTS)
        return place, place + rng.choice(DEPARTMENTS)
    place, town = rng.choice(DISTRICTS), rng.choice(TOWNS)
    return place, place + town + ("办事处" if town.endswith("街道") else "人民政府")


def _headings(rng: random.Random, layout: str) -> dict[str, str]:
    long_form = layout == "2019" and rng.random() < 0.6
    return {
        "一": "一、总体情况",
        "二": "二、主动公开政府信息情况",
        "三": "三、收到和处理政府信息公开申请情况",
        "四": "四、政府信息公开行政复议、行政诉讼情况",
        "五": "五、政府信息公开工作存在的主要问题及改进情况" if long_form else "五、存在的主要问题及改进情况",
        "六": "六、其他需要报告的事项",
    }


def _count(rng: random.Random, top: int) -> str:
    """A printed count: mostly a number, sometimes 0 or '/' (not applicable)."""
    roll = rng.random()
    if roll < 0.25:
        return "0"
    if roll < 0.30:
        return "/"
    return str(rng.randint(1, top))


def _active(rng: random.Random, layout: str) -> dict[str, dict[str, str]]:
    if layout == "2021":
        fee = rng.choice(("0", f"{rng.uniform(1, 9000):.2f}", f"{rng.uniform(1, 500):.1f}", "/"))
        return {
            "regulations": {k: _count(rng, 5) for k in ("issued", "repealed", "in_force")},
            "normative_documents": {"issued": _count(rng, 40), "repealed": _count(rng, 12),
                                    "in_force": str(rng.randint(5, 400))},
            "licensing": {"decisions": str(rng.randint(0, 60000))},
            "penalty": {"decisions": str(rng.randint(0, 8000))},
            "coercion": {"decisions": _count(rng, 400)},
            "fees": {"amount_10k_yuan": fee},
        }
    rows = {
        "regulations": {k: _count(rng, 8) for k in ("made", "published", "public_total")},
        "normative_documents": {"made": _count(rng, 80), "published": _count(rng, 80),
                                "public_total": str(rng.randint(10, 500))},
    }
    for row, top in (("licensing", 600), ("other_services", 200), ("penalty", 3000), ("coercion", 200)):
        rows[row] = {"items_prev_year": str(rng.randint(0, top)),
                     "items_change": str(rng.randint(-top // 10, top // 5)),
                     "decisions": str(rng.randint(0, top * 3))}
    rows["fees"] = {"items_prev_year": str(rng.randint(0, 60)), "items_change": str(rng.randint(-20, 5))}
    amount = rng.choice((f"{rng.uniform(1e4, 9e7):.2f}元", f"{rng.uniform(1, 9000):.2f}万元", str(rng.randint(0, 900000))))
    rows["procurement"] = {"items": str(rng.randint(0, 600)), "amount": amount}
    return rows


def _applications(rng: random.Random, layout: str) -> dict[str, list[int]]:
    leaves = LEAVES_2021 if layout == "2021" else LEAVES_2019
    weights = [_OUTCOME_WEIGHT.get(leaf, 1) for leaf in leaves]
    scale = rng.choice((8, 30, 120, 400))
    keys = ("new_received", "carried_over", *leaves, "total", "carried_forward")
    rows: dict[str, list[int]] = {key: [] for key in keys}
    for column in range(APPLICANTS):
        top = scale if column == 0 else (scale // 6 if column in (1, 5) else rng.choice((0, 0, 2)))
        new = rng.randint(0, top)
        carried = rng.randint(0, new // 6)
        forward = rng.randint(0, (new + carried) // 8)
        handled = new + carried - forward              # R1: new + carried = total + forward
        outcomes = rng.choices(range(len(leaves)), weights, k=handled)
        rows["new_received"].append(new)
        rows["carried_over"].append(carried)
        for i, leaf in enumerate(leaves):
            rows[leaf].append(outcomes.count(i))        # R3: total = sum of the leaf rows
        rows["total"].append(handled)
        rows["carried_forward"].append(forward)
    for values in rows.values():
        values.append(sum(values))                      # R4: 总计 column = the six applicant columns
    return rows


def _reviews(rng: random.Random) -> dict[str, dict[str, int]]:
    groups = {}
    for group, top in (("review", 12), ("litigation_direct", 6), ("litigation_after_review", 4)):
        outcome = {k: rng.choice((0, 0, rng.randint(0, top))) for k in ("upheld", "corrected", "other", "pending")}
        outcome["total"] = sum(outcome.values())      # R5
        groups[group] = outcome
    return groups
