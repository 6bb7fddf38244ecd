"""The report's charts, as Altair (Vega-Lite) specifications."""

from __future__ import annotations

import typing as t

import altair as alt

if t.TYPE_CHECKING:
    from report.data import Figures, Rows

WIDTH = 520
#: The Vega-Lite version of this Altair, for vl-convert ("6.4").
VL_VERSION = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
_DAY = alt.X(
    "utcyearmonthdate(day):T",
    title="Day (UTC)",
    axis=alt.Axis(format="%Y-%m-%d", tickCount={"interval": "day", "step": 1}),
)
_ROW_HEADER = alt.Header(labelAngle=0, labelAlign="left", labelFontWeight="bold")
_PERCENT = alt.Axis(format="%")
#: Bars sorted by length in a layered chart: Vega sorts a union of domains
#: only by count, min or max ("-x" sums, so it falls back to alphabetical).
_MOST_CITED = alt.EncodingSortField(field="citations", op="max", order="descending")
#: Vega's tableau10 scheme; brands keep one colour across the charts.
_PALETTE = (
    "#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b",
    "#eeca3b", "#b279a2", "#ff9da6", "#9d755d",
)  # fmt: skip
#: Small groups (fewer than SMALL_GROUP answers) are drawn in this grey.
GREY = "#c8c8c8"
#: The source types of geo_cited_domains, in legend order, and their colours.
SOURCE_TYPES = {
    "owned": "#4c78a8",
    "earned": "#9d755d",
    "ugc": "#f58518",
    "reference": "#54a24b",
    "news": "#e45756",
    "review": "#b279a2",
}


def colors(figures: Figures) -> alt.Scale:
    """One colour per brand, the same in every chart."""
    brands = sorted({row["brand"] for row in figures.mention_rate})
    palette = [_PALETTE[i % len(_PALETTE)] for i in range(len(brands))]
    return alt.Scale(domain=brands, range=palette)


def source_type_colors(rows: Rows) -> alt.Scale:
    """The shipped types in fixed colours, any other type after them."""
    extra = sorted({row["source_type"] for row in rows} - SOURCE_TYPES.keys())
    kinds = [*SOURCE_TYPES, *extra]
    palette = [*SOURCE_TYPES.values(), *(_PALETTE[-1] for _ in extra)]
    return alt.Scale(domain=kinds, range=palette)


def _data(rows: Rows) -> alt.Data:
    return alt.Data(values=rows)


def share_of_voice(figures: Figures) -> alt.FacetChart:
    """Share of voice per UTC day, one line per brand, one panel per LLM."""
    return (
        alt.Chart(_data(figures.share_of_voice), width=WIDTH, height=220)
        .mark_line(point=True)
        .encode(
            x=_DAY,
            y=alt.Y("share_of_voice:Q", title="Share of voice", axis=_PERCENT),
            color=alt.Color("brand:N", title="Brand", scale=colors(figures)),
        )
        .facet(row=alt.Row("se:N", title="LLM", header=_ROW_HEADER))
    )


def mention_rate(figures: Figures) -> alt.FacetChart:
    """Mention rate per model with its 95% interval and n; small groups grey."""
    base = alt.Chart(width=WIDTH, height=alt.Step(20)).encode(
        y=alt.Y("brand:N", title=None)
    )
    bars = base.mark_bar().encode(
        x=alt.X(
            "mention_rate:Q",
            title="Answers mentioning the brand (bar), 95% interval (line)",
            axis=_PERCENT,
            scale=alt.Scale(domain=[0, 1]),
        ),
        color=alt.condition(
            "datum.small",
            alt.value(GREY),
            alt.Color("brand:N", scale=colors(figures), legend=None),
        ),
    )
    errors = base.mark_rule(color="#222", strokeWidth=1.5).encode(
        x="ci_low:Q", x2="ci_high:Q"
    )
    labels = base.mark_text(align="left", dx=4, fontSize=11).encode(
        x="ci_high:Q",
        text="label:N",
        color=alt.condition("datum.small", alt.value("#888"), alt.value("#222")),
    )
    return alt.layer(bars, errors, labels, data=_data(figures.mention_rate)).facet(
        row=alt.Row("model_name:N", title="Model", header=_ROW_HEADER)
    )


def _cited_bars(
    rows: Rows, y: str, label: str, legend: alt.Legend | None
) -> alt.FacetChart:
    """Citations per ``y`` as bars by source type, ``label`` beside, a panel per LLM."""
    base = alt.Chart(width=WIDTH, height=alt.Step(17)).encode(
        y=alt.Y(f"{y}:N", title=None, sort=_MOST_CITED),
    )
    bars = base.mark_bar().encode(
        x=alt.X("citations:Q", title="Citations", axis=alt.Axis(tickCount=5)),
        color=alt.Color("source_type:N", scale=source_type_colors(rows), legend=legend),
    )
    labels = base.mark_text(align="left", dx=3, fontSize=11).encode(
        x="citations:Q", text=f"{label}:N"
    )
    return (
        alt.layer(bars, labels, data=_data(rows))
        .transform_calculate(
            label="datum.citations + ' citations, ' + datum.domains"
            " + (datum.domains == 1 ? ' site' : ' sites')"
        )
        .facet(row=alt.Row("se:N", title="LLM", header=_ROW_HEADER), spacing=20)
        .resolve_scale(y="independent")
    )


def top_domains(figures: Figures) -> alt.FacetChart:
    """The most cited sites of each LLM, coloured by source type, counts beside."""
    return _cited_bars(
        figures.top_domains, "domain", "citations", alt.Legend(title="Source type")
    )


def source_types(figures: Figures) -> alt.FacetChart:
    """Citations of each LLM by source type, with the number of sites."""
    return _cited_bars(figures.source_types, "source_type", "label", None)
