{#- Citations of int_citations per `groups` and domain: citations,
    answers_citing, and the domain's owning brand and source_type (one each
    per domain). -#}
{% macro cited_domain_counts(groups) -%}
    {%- set by = groups | join(', ') -%}
    select
        {{ by }},
        domain,
        count(*) as citations,
        count(distinct response_id) as answers_citing,
        min(brand) as brand,
        min(source_type) as source_type

    from {{ ref('int_citations') }}
    group by {{ by }}, domain
{%- endmacro %}
