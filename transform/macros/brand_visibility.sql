{#-
  The brand-visibility metrics of geo_answer_brands, one row per period, group
  (by default surface, se and model_name) and brand: answers,
  answers_mentioning, mention_rate and its Wilson 95% interval, group_mentions,
  share_of_voice and its Wilson 95% interval, avg_first_position, and beside
  them the ChatGPT app's own brand_entities: answers_with_brand_entities,
  answers_listing_brand. `period` names the period column, `period_expression`
  computes it from a geo_answer_brands row (e.g. from its `day`).
-#}
{% macro brand_visibility(period, period_expression, groups=['surface', 'se', 'model_name']) %}
{%- set by = groups | join(', ') -%}
with

answer_brands as (

    select
        {{ period_expression }} as {{ period }},
        {{ by }},
        brand,
        is_mentioned,
        mention_rank,
        is_brand_entity

    from {{ ref('geo_answer_brands') }}

),

grouped as (

    select
        {{ period }},
        {{ by }},
        brand,
        count(*) as answers,
        sum(case when is_mentioned then 1 else 0 end) as answers_mentioning,
        avg(cast(mention_rank as double precision)) as avg_first_position,
        count(is_brand_entity) as answers_with_brand_entities,
        sum(case when is_brand_entity then 1 else 0 end) as answers_listing_brand

    from answer_brands
    group by {{ period }}, {{ by }}, brand

),

with_group_mentions as (

    select
        *,
        sum(answers_mentioning) over (
            partition by {{ period }}, {{ by }}
        ) as group_mentions

    from grouped

)

select
    {{ period }},
    {{ by }},
    brand,
    answers,
    answers_mentioning,
    {{ ratio('answers_mentioning', 'answers') }} as mention_rate,
    {{ wilson_low('answers_mentioning', 'answers') }} as mention_rate_ci_low,
    {{ wilson_high('answers_mentioning', 'answers') }} as mention_rate_ci_high,
    group_mentions,
    {{ ratio('answers_mentioning', 'group_mentions') }} as share_of_voice,
    {{ wilson_low('answers_mentioning', 'group_mentions') }} as share_of_voice_ci_low,
    {{ wilson_high('answers_mentioning', 'group_mentions') }} as share_of_voice_ci_high,
    avg_first_position,
    answers_with_brand_entities,
    answers_listing_brand

from with_group_mentions
{% endmacro %}
