{#- `select <columns>, <element> as <alias> from <relation>`: one row per
    element of a JSON array of strings in `column`, whether the loader stored
    it as JSON, as JSON text or as an array; null arrays give no row. With
    `field`, the array holds objects and the element is each one's `field`. -#}
{% macro unnest_json_strings(relation, columns, column, alias, field=none) -%}
    {{ return(adapter.dispatch('unnest_json_strings', 'dataforseo_geo')(
        relation, columns, column, alias, field
    )) }}
{%- endmacro %}

{% macro duckdb__unnest_json_strings(relation, columns, column, alias, field) -%}
    select
        {{ columns | join(', ') }},
        unnest(json_extract_string(
            cast({{ column }} as json), '$[*]{{ "." ~ field if field }}'
        )) as {{ alias }}
    from {{ relation }}
{%- endmacro %}

{#- to_jsonb(...) #>> '{}' is the JSON text of a jsonb or text[] value and the
    text itself of a text value: parsed again, it is the array either way. -#}
{% macro postgres__unnest_json_strings(relation, columns, column, alias, field) -%}
    select
        {{ columns | join(', ') }},
        {{ "elements.value ->> '" ~ field ~ "'" if field else "elements.value #>> '{}'" }}
            as {{ alias }}
    from {{ relation }}
    cross join lateral jsonb_array_elements(
        cast(to_jsonb({{ column }}) #>> '{}' as jsonb)
    ) as elements (value)
{%- endmacro %}

{#- The JSON text of a JSON array column, whether the loader stored it as JSON,
    as JSON text or as an array: the surfaces' columns union as text. -#}
{% macro json_text(column) -%}
    {{ return(adapter.dispatch('json_text', 'dataforseo_geo')(column)) }}
{%- endmacro %}

{% macro duckdb__json_text(column) -%}
    cast(cast({{ column }} as json) as varchar)
{%- endmacro %}

{% macro postgres__json_text(column) -%}
    case
        when {{ column }} is null then null
        when jsonb_typeof(to_jsonb({{ column }})) = 'string'
            then to_jsonb({{ column }}) #>> '{}'
        else to_jsonb({{ column }})::text
    end
{%- endmacro %}
