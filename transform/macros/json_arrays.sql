{#- `select <columns>, <element> as <alias> from <relation>`: one row per
    element of a JSON array of strings in `column`, whether the loader stored
    it as JSON, as JSON text or as an array; null arrays give no row. -#}
{% macro unnest_json_strings(relation, columns, column, alias) -%}
    {{ return(adapter.dispatch('unnest_json_strings', 'dataforseo_geo')(
        relation, columns, column, alias
    )) }}
{%- endmacro %}

{% macro duckdb__unnest_json_strings(relation, columns, column, alias) -%}
    select
        {{ columns | join(', ') }},
        unnest(json_extract_string(cast({{ column }} as json), '$[*]')) as {{ alias }}
    from {{ relation }}
{%- endmacro %}

{#- to_jsonb(...) #>> '{}' is the JSON text of a jsonb or text[] value and the
    text itself of a text value: parsed again, it is the array either way. -#}
{% macro postgres__unnest_json_strings(relation, columns, column, alias) -%}
    select
        {{ columns | join(', ') }},
        elements.value as {{ alias }}
    from {{ relation }}
    cross join lateral jsonb_array_elements_text(
        cast(to_jsonb({{ column }}) #>> '{}' as jsonb)
    ) as elements (value)
{%- endmacro %}
