"""The prose of a generated report: the preface and the paragraphs under each section heading.

Sentences are drawn from banks written after real reports (seed 000, the pingtan 2020 page),
with numbers filled in; section 三 and 四's sentences quote the tables' own totals.
"""

from __future__ import annotations

import random

_OPENING = (
    "根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和《国务院办公厅政府信息与政务公开办公室关于"
    "印发〈中华人民共和国政府信息公开工作年度报告格式〉的通知》要求，{agency}编制本报告。"
    "本报告所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。本报告电子版可在门户网站“政府信息公开”"
    "专栏查阅或下载。如对本报告有任何疑问，请与{agency}政务公开工作领导小组办公室联系（电话：0{area}-{phone}）。"
)

_GENERAL = (
    "{year}年，{agency}深入贯彻落实党中央、国务院关于全面推进政务公开工作的决策部署，紧紧围绕中心工作，"
    "统筹推进政务公开信息管理、平台建设、解读回应等各项工作。",
    "全年通过门户网站主动公开政府信息{a}条，其中政策文件{b}条，政策解读{c}篇，人事信息{d}条。",
    "坚持“以公开为常态、不公开为例外”原则，进一步细化公开内容、拓宽公开渠道、优化公开服务。",
    "围绕重点领域信息公开，及时发布财政预决算、重大建设项目、公共资源配置等信息{a}条。",
    "通过政务新媒体发布信息{b}条，阅读量累计{a}余次，政务公开的影响力和覆盖面持续扩大。",
    "组织开展政务公开业务培训{c}次，参训人员{d}人次，工作人员业务能力进一步提升。",
    "召开新闻发布会{c}场，发布政策解读材料{d}篇，解读形式包括文字解读、图表解读、视频解读等。",
    "调整主动公开基本目录，优化部门栏目，督促{c}家单位做好栏目动态更新。",
    "通过12345政务服务热线受理各类群众诉求{a}件，按时办结率达{p}%。",
    "严格执行公文公开属性源头认定制度，全年审查拟公开文件{b}件，确保公开内容准确规范。",
)
_SUBHEADS = ("（一）主动公开方面。", "（二）依申请公开方面。", "（三）政府信息管理方面。",
             "（四）平台建设方面。", "（五）监督保障方面。")
_APPLICATIONS = (
    "全年共新收政府信息公开申请{new}件，均在法定期限内予以答复。",
    "进一步规范依申请公开受理、审查、答复流程，答复文书规范化水平不断提高。",
    "对申请量较大的事项进行分析研判，将公众关注度高的信息转为主动公开。",
)
_PROBLEMS = (
    "{year}年，{agency}政府信息公开工作虽取得一定成效，但仍存在一些不足：一是政策解读形式还不够丰富；"
    "二是基层政务公开标准化规范化水平有待提升；三是工作人员业务能力需进一步加强。",
    "下一步，将持续深化重点领域信息公开，丰富政策解读形式，提升解读质量，及时回应社会关切。",
    "加强政务公开平台建设，优化栏目设置，提升信息发布的规范性和时效性。",
    "强化监督考核，将政务公开工作纳入年度绩效考核，推动各项任务落到实处。",
    "加强业务培训，组织开展专题培训{c}次以上，不断提升工作人员业务水平。",
)
_OTHER = (
    "本年度收取信息处理费{fee}元。",
    "{year}年度{agency}未发生因政府信息公开工作引发的重大舆情。",
    "积极配合上级部门开展政务公开第三方评估工作，对评估发现的问题逐项整改。",
    "人大代表建议和政协提案办理结果已按要求全部公开，共办理建议提案{c}件。",
)


def preface(rng: random.Random, agency: str, year: int) -> list[str]:
    return [_OPENING.format(agency=agency, year=year, area=rng.randint(10, 999), phone=rng.randint(2000000, 8999999))]


def narrative_sections(rng: random.Random, agency: str, year: int, paragraphs: int,
                       numbers: dict[str, int]) -> dict[str, list[str]]:
    """Paragraphs per section; ``paragraphs`` sets the length (most go to 一、总体情况)."""
    def fill(sentence: str) -> str:
        return sentence.format(
            agency=agency, year=year, a=rng.randint(100, 30000), b=rng.randint(10, 2000),
            c=rng.randint(1, 60), d=rng.randint(5, 900), p=rng.choice((95, 98, 99, 100)), **numbers,
        )

    def para(bank: tuple[str, ...], lead: str = "", k: int = 4) -> str:
        return lead + "".join(fill(s) for s in rng.sample(bank, min(k, len(bank))))

    general = [para(_GENERAL, k=3)]
    for i in range(max(paragraphs - 4, 1)):
        general.append(para(_GENERAL, _SUBHEADS[i % len(_SUBHEADS)], k=rng.randint(3, 6)))
    return {
        "一": general,
        "二": [],
        "三": [para(_APPLICATIONS, k=2)] if rng.random() < 0.5 else [],
        "四": [],
        "五": [para(_PROBLEMS[:1], k=1), para(_PROBLEMS[1:], k=rng.randint(2, 4))],
        "六": [para(_OTHER, k=rng.randint(1, 3))],
    }
