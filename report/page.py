"""The report page: the charts rendered to inline SVG by vl-convert, no script."""

from __future__ import annotations

import html
import typing as t
from datetime import UTC, datetime

import vl_convert

from report import charts
from report.data import TOP_DOMAINS

if t.TYPE_CHECKING:
    import altair as alt

    from report.data import Figures

#: (id, title, what the chart shows, chart builder), in page order.
SECTIONS: tuple[tuple[str, str, str, t.Callable[[Figures], alt.TopLevelMixin]], ...] = (
    (
        "share-of-voice",
        "Share of voice over time",
        "Per UTC day and LLM: the answers mentioning a brand, as a share of all "
        "brand mentions in that day's answers (an answer counts once per brand).",
        charts.share_of_voice,
    ),
    (
        "mention-rate",
        "Mention rate by model",
        "Per model version, all days together: the share of answers that mention "
        "the brand at all.",
        charts.mention_rate,
    ),
    (
        "top-domains",
        "Top cited domains",
        f"The {TOP_DOMAINS} most cited sites, coloured by the brand owning them.",
        charts.top_domains,
    ),
    (
        "owned-citations",
        "Owned vs third-party citations",
        "Citations per UTC day: of the brands' own sites (brand_domains seed) and "
        "of everyone else.",
        charts.owned_citations,
    ),
)

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 64rem;
       color: #222; padding: 0 1rem; }
h1 { margin-bottom: .2rem; } .meta { color: #666; margin-top: 0; }
section { margin: 2.5rem 0; } section p { color: #444; max-width: 48rem; }
svg { max-width: 100%; height: auto; }
"""


def svg(chart: alt.TopLevelMixin) -> str:
    """Render a chart to SVG with vl-convert (no browser, no network)."""
    return vl_convert.vegalite_to_svg(chart.to_dict(), vl_version=charts.VL_VERSION)


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
    ]
    for anchor, title, text, build in SECTIONS:
        parts += [
            f'<section id="{anchor}"><h2>{html.escape(title)}</h2>',
            f"<p>{html.escape(text)}</p>",
            svg(build(figures)),
            "</section>",
        ]
    return _page(parts)
