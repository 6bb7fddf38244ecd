"""The report page: a headline table, then charts rendered to inline SVG, no script."""

from __future__ import annotations

import html
import typing as t
from datetime import UTC, datetime

import vl_convert

from report import charts
from report.data import SMALL_GROUP, TOP_DOMAINS

if t.TYPE_CHECKING:
    import altair as alt

    from report.data import Figures, Headline


def _total(rows: list[dict[str, t.Any]], column: str) -> int:
    return int(sum(row[column] for row in rows))


def _llms(figures: Figures) -> str:
    return ", ".join(sorted({row["se"] for row in figures.mention_rate}))


def _mention_rate_caption(figures: Figures) -> str:
    small = sum(1 for row in figures.mention_rate if row["small"])
    models = len({(row["se"], row["model_name"]) for row in figures.mention_rate})
    return (
        f"Per model version ({models} models), all days together: the share of "
        "answers that mention the brand, the line its 95% Wilson interval, n the "
        f"answers of the model. {small} of {len(figures.mention_rate)} bars come "
        f"from fewer than {SMALL_GROUP} answers and are grey: too few to tell "
        "brands or models apart."
    )


def _share_of_voice_caption(figures: Figures) -> str:
    mentions = _total(figures.share_of_voice, "share_of_voice_n")
    return (
        f"Per UTC day and LLM ({_llms(figures)}): a brand's answers as a share of "
        f"all {mentions:,} brand mentions (an answer counts once per brand it "
        "names)."
    )


def _top_domains_caption(figures: Figures) -> str:
    shown = _total(figures.top_domains, "citations")
    total = _total(figures.source_types, "citations")
    return (
        f"The {TOP_DOMAINS} most cited sites of each LLM (together {shown:,} of all "
        f"{total:,} citations with a domain), coloured by source type: owned "
        "(brand_domains seed), ugc, reference, news, review (source_types seed), "
        "else earned."
    )


def _source_types_caption(figures: Figures) -> str:
    total = _total(figures.source_types, "citations")
    return f"All {total:,} citations with a domain, by the kind of site cited, per LLM."


#: (id, title, caption from the figures, chart builder), in page order.
SECTIONS: tuple[
    tuple[
        str,
        str,
        t.Callable[[Figures], str],
        t.Callable[[Figures], alt.TopLevelMixin],
    ],
    ...,
] = (
    ("mention-rate", "Mention rate by model", _mention_rate_caption,
     charts.mention_rate),
    ("share-of-voice", "Share of voice over time", _share_of_voice_caption,
     charts.share_of_voice),
    ("top-domains", "Cited domains by LLM", _top_domains_caption,
     charts.top_domains),
    ("source-types", "Citations by source type", _source_types_caption,
     charts.source_types),
)  # fmt: skip

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 64rem;
       color: #222; padding: 0 1rem; }
h1 { margin-bottom: .2rem; } .meta { color: #666; margin-top: 0; }
section { margin: 2.5rem 0; } section p { color: #444; max-width: 48rem; }
svg { max-width: 100%; height: auto; display: block; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { padding: .3rem .8rem; text-align: right; border-bottom: 1px solid #ddd; }
th:first-child, td:first-child { text-align: left; }
tr.small td { color: #999; }
.up { color: #1a7f37; } .down { color: #c62828; }
"""


def svg(chart: alt.TopLevelMixin) -> str:
    """Render a chart to SVG with vl-convert (no browser, no network)."""
    return vl_convert.vegalite_to_svg(chart.to_dict(), vl_version=charts.VL_VERSION)


def _percent(value: float | None) -> str:
    return "&ndash;" if value is None else f"{value:.0%}"


def change(line: Headline) -> str:
    """The week's change in points; ▲/▼ only when its 95% interval excludes 0."""
    if line.change is None:
        return "no week before"
    points = f"{line.change * 100:+.0f} pts"
    if not line.change_is_significant:
        return points
    up = line.change > 0
    mark = "▲" if up else "▼"
    return f'<span class="{"up" if up else "down"}">{mark} {points}</span>'


def _headline(figures: Figures) -> list[str]:
    """The table of each brand in the latest week, every LLM and model together."""
    rows = [
        "<table><thead><tr><th>Brand</th><th>Mention rate (95% interval)</th>"
        "<th>n (answers)</th><th>Share of voice</th><th>Avg first position</th>"
        "<th>Change vs week before</th></tr></thead><tbody>"
    ]
    for line in figures.headline:
        small = ' class="small"' if line.answers < SMALL_GROUP else ""
        position = (
            "&ndash;"
            if line.avg_first_position is None
            else f"{line.avg_first_position:.1f}"
        )
        rows.append(
            f"<tr{small}><td>{html.escape(line.brand)}</td>"
            f"<td>{line.mention_rate:.0%} "
            f"({line.ci_low:.0%}&ndash;{line.ci_high:.0%})</td>"
            f"<td>{line.answers:,}</td><td>{_percent(line.share_of_voice)}</td>"
            f"<td>{position}</td><td>{change(line)}</td></tr>"
        )
    rows.append("</tbody></table>")
    return [
        f'<section id="headline"><h2>Week {html.escape(figures.week)}, every LLM '
        "and model</h2>",
        "<p>Mention rate: answers naming the brand, with its 95% Wilson interval. "
        "Share of voice: its share of all brand mentions. Avg first position: its "
        "rank among the brands an answer names, 1 = first. Change: against the "
        "week before, ▲/▼ only when Newcombe's 95% interval of the difference "
        f"excludes 0. Grey rows have fewer than {SMALL_GROUP} answers.</p>",
        *rows,
        "</section>",
    ]


def _page(body: list[str]) -> str:
    """One self-contained HTML document around the body's parts."""
    head = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>GEO report: brand visibility in LLM answers</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Brand visibility in LLM answers</h1>",
    ]
    return "\n".join([*head, *body, "</body></html>"]) + "\n"


def render(figures: Figures) -> str:
    """The whole page; without answers, a page that says there is no data yet."""
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if not figures.answers:
        return _page(
            [
                f'<p class="meta">generated {generated}</p>',
                "<h2>No data yet</h2>",
                "<p>The warehouse holds no answer yet: no task had finished when the "
                "pipeline last ran. Run it again once DataForSEO has answered.</p>",
            ]
        )
    parts = [
        f'<p class="meta">{figures.answers:,} answers from {figures.first_day} to '
        f"{figures.last_day} &middot; generated {generated}</p>",
        *_headline(figures),
    ]
    for anchor, title, caption, build in SECTIONS:
        parts += [
            f'<section id="{anchor}"><h2>{html.escape(title)}</h2>',
            f"<p>{html.escape(caption(figures))}</p>",
            svg(build(figures)),
            "</section>",
        ]
    return _page(parts)
