"""Charts a researcher asks for first, drawn on the server as inline SVG from SQL.

No JavaScript and no CDN: the page works offline and in a browser with scripts off.
Each chart comes with its numbers as a table and its SQL, linked to Datasette's query
page, so a bar can be checked and the query changed.

    applications by year   本年新收政府信息公开申请数量 (total column), summed over the
                           counted reports of each year, with how many reports that is
    refusal reasons        the outcome rows of table 三 that are not 予以公开/部分公开:
                           不予公开, 无法提供, 不予处理, 其他处理 by reason (total column)

Both read the wide table ``applications`` (the counted versions, corrections applied, as
``current_cells`` has them), so a report carried by a page and its PDF counts once.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

# Both read applications' covering index on (row_key, year, total, report_id, group_id,
# agency_id) alone (archive/wide_tables.py). A report is counted with count(), not
# count(distinct): applications has one row per logical report and row_key (its primary
# key), and a logical report counts one report, so a row_key's report ids are all different
# (the distinct count sorted them all again: 100 ms of 275 at national scale).
APPLICATIONS_BY_YEAR_SQL = """
select year,
  sum(total) as received,
  count(report_id) as reports
from applications
where row_key = 'new_received' and total is not null and year is not null
  and (:agency_id = '' or agency_id = :agency_id)
group by year
order by year
""".strip()

# The leaf rows of （三）-（六）; the 2019 layout's single （六） row counts only where the
# report has no （六） sub-rows (as rule R3 reads them).
REFUSAL_REASONS_SQL = """
select row_key, sum(total) as applications,
  count(case when total > 0 then report_id end) as reports
from applications x
where total is not null
  and (:year = '' or year = :year)
  and (row_key glob 'withheld_*' or row_key glob 'unable_*' or row_key glob 'rejected_*'
       or row_key glob 'other_*'
       or (row_key = 'other' and not exists (
             select 1 from applications y where y.group_id = x.group_id
             and y.row_key in ('other_no_correction', 'other_unpaid_fee', 'other_other'))))
group by row_key
""".strip()

REFUSAL_LABELS = {
    "withheld_state_secret": "不予公开 · 属于国家秘密",
    "withheld_prohibited_by_law": "不予公开 · 其他法律行政法规禁止公开",
    "withheld_three_safeties_one_stability": "不予公开 · 危及“三安全一稳定”",
    "withheld_third_party_rights": "不予公开 · 保护第三方合法权益",
    "withheld_internal_affairs": "不予公开 · 属于三类内部事务信息",
    "withheld_process_information": "不予公开 · 属于四类过程性信息",
    "withheld_enforcement_files": "不予公开 · 属于行政执法案卷",
    "withheld_administrative_inquiry": "不予公开 · 属于行政查询事项",
    "unable_not_held": "无法提供 · 本机关不掌握相关政府信息",
    "unable_needs_creation": "无法提供 · 没有现成信息需要另行制作",
    "unable_unclear": "无法提供 · 补正后申请内容仍不明确",
    "rejected_petition_complaint": "不予处理 · 信访举报投诉类申请",
    "rejected_duplicate": "不予处理 · 重复申请",
    "rejected_publication": "不予处理 · 要求提供公开出版物",
    "rejected_excessive": "不予处理 · 无正当理由大量反复申请",
    "rejected_confirmation": "不予处理 · 要求确认或重新出具已获取信息",
    "other_no_correction": "其他处理 · 逾期不补正",
    "other_unpaid_fee": "其他处理 · 逾期未缴纳费用",
    "other_other": "其他处理 · 其他",
    "other": "其他处理（未分项）",
}


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    note: str = ""  # under the label (vertical charts) or after the value (horizontal)


def applications_by_year(conn, agency_id: int | None = None) -> list[Bar]:
    rows = conn.execute(APPLICATIONS_BY_YEAR_SQL, {"agency_id": "" if agency_id is None else agency_id})
    return [Bar(str(year), received, f"{reports} report{'s' * (reports != 1)}") for year, received, reports in rows]


def refusal_reasons(conn, year: int | None = None) -> list[Bar]:
    """Reasons in the order the format prints them; reasons nobody reported are left out."""
    found = {key: (value, reports) for key, value, reports in
             conn.execute(REFUSAL_REASONS_SQL, {"year": "" if year is None else year})}
    return [Bar(label, found[key][0], f"in {found[key][1]} report{'s' * (found[key][1] != 1)}")
            for key, label in REFUSAL_LABELS.items() if key in found and found[key][0]]


# ---- drawing ------------------------------------------------------------------------

COLOUR = "#2b6cb0"
FONT = "font-family=\"'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',sans-serif\""


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def column_chart(bars: list[Bar], title: str, width: int = 720, height: int = 320) -> str:
    """Vertical bars, one per label (years), value on top and note below the label."""
    if not bars:
        return _empty(title, width)
    top, bottom, left = 40, 56, 16
    plot = height - top - bottom
    step = (width - 2 * left) / len(bars)
    peak = max(b.value for b in bars) or 1
    parts = [_open(width, height, title)]
    for i, bar in enumerate(bars):
        h = plot * bar.value / peak
        x = left + i * step + step * 0.15
        w = step * 0.7
        y = top + plot - h
        cx = x + w / 2
        parts.append(
            f'<g class="bar"><title>{escape(bar.label)}: {_number(bar.value)}</title>'
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{COLOUR}"/>'
            f'<text x="{cx:.1f}" y="{y - 6:.1f}" text-anchor="middle" font-size="13">{_number(bar.value)}</text>'
            f'<text x="{cx:.1f}" y="{top + plot + 20:.1f}" text-anchor="middle" font-size="13">{escape(bar.label)}</text>'
            f'<text x="{cx:.1f}" y="{top + plot + 38:.1f}" text-anchor="middle" font-size="11" fill="#555">'
            f"{escape(bar.note)}</text></g>"
        )
    parts.append(f'<line x1="{left}" x2="{width - left}" y1="{top + plot}" y2="{top + plot}" stroke="#333"/>')
    return "".join(parts) + "</svg>"


def bar_chart(bars: list[Bar], title: str, width: int = 720, row: int = 26) -> str:
    """Horizontal bars, one row per label (reasons), value and note at the bar's end."""
    if not bars:
        return _empty(title, width)
    top, label_width, right = 40, 290, 150
    height = top + row * len(bars) + 10
    plot = width - label_width - right
    peak = max(b.value for b in bars) or 1
    parts = [_open(width, height, title)]
    for i, bar in enumerate(bars):
        y = top + i * row
        w = plot * bar.value / peak
        parts.append(
            f'<g class="bar"><title>{escape(bar.label)}: {_number(bar.value)}</title>'
            f'<text x="{label_width - 8}" y="{y + row * 0.65:.1f}" text-anchor="end" font-size="13">'
            f"{escape(bar.label)}</text>"
            f'<rect x="{label_width}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{COLOUR}"/>'
            f'<text x="{label_width + w + 6:.1f}" y="{y + row * 0.65:.1f}" font-size="12">'
            f"{_number(bar.value)} <tspan fill=\"#555\">({escape(bar.note)})</tspan></text></g>"
        )
    return "".join(parts) + "</svg>"


def _open(width: int, height: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="nianbao-chart" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" {FONT}><title>{escape(title)}</title>'
        f'<text x="16" y="24" font-size="16" font-weight="bold">{escape(title)}</text>'
    )


def _empty(title: str, width: int) -> str:
    return _open(width, 70, title) + '<text x="16" y="54" font-size="13" fill="#555">No data.</text></svg>'
