"""Words and link lists that portal chrome is made of: menus, related reports, footers.

All choices for a page are drawn once (``page_links``), so a page re-rendered with more or
less chrome stays the same page.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from report_content import CITIES, DEPARTMENTS, DISTRICTS

MENU = ("首页", "政务公开", "政务服务", "互动交流", "新闻中心", "走进本地", "专题专栏", "数据开放")
COLUMNS = (
    "政府信息公开指南", "政府信息公开制度", "法定主动公开内容", "政府信息公开年报", "依申请公开", "机构职能",
    "政策文件", "政策解读", "规划计划", "财政信息", "人事信息", "重大项目", "公共资源配置", "环境保护",
    "食品药品", "安全生产", "社会救助", "教育信息", "医疗卫生", "统计信息", "应急管理", "建议提案办理",
    "政府会议", "领导之窗", "部门动态", "乡镇动态", "通知公告", "招标采购", "行政执法公示", "权责清单",
    "价格收费", "征地拆迁", "保障性住房", "就业创业", "减税降费", "营商环境", "乡村振兴", "民生实事",
)
NEWS = (
    "召开全体会议部署重点工作", "开展安全生产大检查", "举行政务公开日活动", "召开优化营商环境推进会",
    "开展防汛应急演练", "推进重大项目建设", "召开民生实事工作推进会", "开展法治宣传进社区活动",
    "发布季度经济运行情况", "召开政务公开工作培训会", "开展食品安全专项整治", "推进乡村振兴示范建设",
)


@dataclass(frozen=True)
class Link:
    title: str
    href: str
    date: str


def _href(rng: random.Random, year: int) -> str:
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    return f"../../{year}{month:02d}/t{year}{month:02d}{day:02d}_{rng.randint(100000, 9999999)}.html"


def related_reports(rng: random.Random, year: int, count: int) -> list[Link]:
    """Other bodies' reports, as related-article lists show them."""
    links = []
    for _ in range(count):
        body = rng.choice(CITIES + DISTRICTS) + rng.choice(DEPARTMENTS)
        y = rng.choice((year - 1, year, year))
        href = _href(rng, y + 1)
        date = f"{y + 1}-0{rng.randint(1, 3)}-{rng.randint(10, 28)}"
        links.append(Link(f"{body}{y}年政府信息公开工作年度报告", href, date))
    return links


def news_links(rng: random.Random, year: int, count: int) -> list[Link]:
    links = []
    for _ in range(count):
        who = rng.choice(CITIES + DISTRICTS)
        title, href = who + rng.choice(NEWS), _href(rng, year)
        links.append(Link(title, href, f"{year}-{rng.randint(1, 12):02d}-{rng.randint(10, 28)}"))
    return links


def column_links(rng: random.Random, count: int, base: str = "/zwgk/") -> list[Link]:
    picked = [rng.choice(COLUMNS) for _ in range(count)]
    return [Link(name, f"{base}{'col' + str(rng.randint(1000, 99999))}/index.html", "") for name in picked]


def site_name(rng: random.Random, place: str) -> tuple[str, str, str]:
    """(site name, domain, 网站标识码) of the place's portal."""
    suffix = "人民政府" if rng.random() < 0.7 else "人民政府门户网站"
    letters = rng.choice(("wz", "jx", "lh", "sq", "dx", "ak", "pt", "wc", "hz", "np"))
    domain = f"www.{letters}{rng.randint(1, 99)}.gov.cn"
    return place + suffix, domain, f"{rng.randint(3300000000, 3799999999)}"


def footer_lines(rng: random.Random, site: str, code: str) -> list[str]:
    province = rng.choice(("浙", "闽", "苏", "甘", "陕", "粤", "赣", "鄂"))
    return [
        f"主办：{site}办公室　承办：{site.replace('人民政府', '').replace('门户网站', '')}大数据发展中心",
        f"网站标识码：{code}　{province}ICP备{rng.randint(10000000, 99999999)}号-{rng.randint(1, 9)}",
        f"{province}公网安备 {rng.randint(10**13, 10**14 - 1)}号　建议使用1366×768以上分辨率浏览",
    ]
