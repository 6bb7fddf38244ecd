"""The report's four charts, as Altair (Vega-Lite) specifications."""

from __future__ import annotations

import typing as t

import altair as alt

from report.data import THIRD_PARTY

if t.TYPE_CHECKING:
    from report.data import Figures, Rows

WIDTH = 560
#: The Vega-Lite version of this Altair, for vl-convert ("6.4").
VL_VERSION = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
_DAY = alt.X(
    "utcyearmonthdate(day):T",
    title="Day (UTC)",
    axis=alt.Axis(format="%Y-%m-%d", tickCount={"interval": "day", "step": 1}),
)
_ROW_HEADER = alt.Header(labelAngle=0, labelAlign="left")
_PERCENT = alt.Axis(format="%")
#: Vega's tableau10 scheme; brands keep one colour across the charts.
_PALETTE = (
    "#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b",
    "#eeca3b", "#b279a2", "#ff9da6", "#9d755d",
)  # fmt: skip
_GREY = "#bab0ac"


def colors(figures: Figures, *, third_party: bool = False) -> alt.Scale:
    """One colour per brand (all charts alike); grey for third-party sites."""
    brands = sorted({row["brand"] for row in figures.mention_rate})
    palette = [_PALETTE[i % len(_PALETTE)] for i in range(len(brands))]
    if not third_party:
        return alt.Scale(domain=brands, range=palette)
    return alt.Scale(domain=[*brands, THIRD_PARTY], range=[*palette, _GREY])


def _data(rows: Rows) -> alt.Data:
    return alt.Data(values=rows)


def share_of_voice(figures: Figures) -> alt.FacetChart:
    """Share of voice per UTC day, one line per brand, one panel per LLM."""
    return (
        alt.Chart(_data(figures.share_of_voice), width=WIDTH, height=260)
        .mark_line(point=True)
        .encode(
            x=_DAY,
            y=alt.Y("share_of_voice:Q", title="Share of voice", axis=_PERCENT),
            color=alt.Color("brand:N", title="Brand", scale=colors(figures)),
        )
        .facet(row=alt.Row("se:N", title="LLM", header=_ROW_HEADER))
    )


def mention_rate(figures: Figures) -> alt.FacetChart:
    """Mention rate of every brand, one panel per model (all days together)."""
    return (
        alt.Chart(_data(figures.mention_rate), width=WIDTH, height=alt.Step(18))
        .mark_bar()
        .encode(
            x=alt.X(
                "mention_rate:Q",
                title="Answers mentioning the brand",
                axis=_PERCENT,
                scale=alt.Scale(domain=[0, 1]),
            ),
            y=alt.Y("brand:N", title=None),
            color=alt.Color("brand:N", scale=colors(figures), legend=None),
        )
        .facet(
            row=alt.Row(
                "model_name:N",
                title="Model",
                header=_ROW_HEADER,
            )
        )
    )


def top_domains(figures: Figures) -> alt.Chart:
    """The most cited sites, coloured by the brand owning them."""
    return (
        alt.Chart(_data(figures.top_domains), width=WIDTH)
        .mark_bar()
        .encode(
            x=alt.X("citations:Q", title="Citations"),
            y=alt.Y("domain:N", title=None, sort="-x"),
            color=alt.Color(
                "owner:N", title="Owned by", scale=colors(figures, third_party=True)
            ),
        )
    )


def owned_citations(figures: Figures) -> alt.Chart:
    """Citations per UTC day: of each brand's own sites and of third parties."""
    return (
        alt.Chart(_data(figures.owned_citations), width=WIDTH, height=260)
        .mark_bar()
        .encode(
            x=alt.X("day:O", title="Day (UTC)", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("citations:Q", title="Citations", stack="zero"),
            color=alt.Color(
                "owner:N",
                title="Site owned by",
                scale=colors(figures, third_party=True),
            ),
        )
    )
