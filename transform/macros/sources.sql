{#-
  A source table, or an empty relation of the same columns while it is absent.

  target-duckdb and target-postgres create a table only when a record arrives:
  after a first run that finds no finished task, `llm_responses` and
  `llm_response_citations` do not exist yet. Staging then reads an empty,
  typed relation, so every mart builds (empty) and the run succeeds; the next
  run, with the tables there, reads them.

  columns: {name: SQL type} of the columns staging reads.
-#}
{% macro source_or_empty(source_name, table_name, columns) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if execute and adapter.get_relation(
        database=relation.database,
        schema=relation.schema,
        identifier=relation.identifier
    ) is none -%}
        (
            select
                {%- for name, type in columns.items() %}
                cast(null as {{ type }}) as {{ name }}{{ "," if not loop.last }}
                {%- endfor %}
            where 1 = 0
        ) as empty_{{ table_name }}
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}
