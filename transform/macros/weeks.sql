{#- The Monday (a date) starting the ISO week of a date. -#}
{% macro iso_week_start(day) -%}
    cast(date_trunc('week', cast({{ day }} as timestamp)) as date)
{%- endmacro %}

{#- The ISO week of a date as text, e.g. 2025-W29. -#}
{% macro iso_week_label(day) -%}
    {{ return(adapter.dispatch('iso_week_label', 'dataforseo_geo')(day)) }}
{%- endmacro %}

{% macro duckdb__iso_week_label(day) -%}
    strftime({{ day }}, '%G-W%V')
{%- endmacro %}

{% macro postgres__iso_week_label(day) -%}
    to_char({{ day }}, 'IYYY-"W"IW')
{%- endmacro %}
