{#-
  The brand-visibility metrics of geo_answer_brands, one row per period, se,
  model_name and brand: answers, answers_mentioning, mention_rate and its
  Wilson 95% interval, group_mentions, share_of_voice and its Wilson 95%
  interval, avg_first_position. `period` names the period column,
  `period_expression` computes it from the answer's `day`.
-#}
{% macro brand_visibility(period, period_expression) %}
with

answer_brands as (

    select
        {{ period_expression }} as {{ period }},
        se,
        model_name,
        brand,
        is_mentioned,
        mention_rank

    from {{ ref('geo_answer_brands') }}

),

grouped as (

    select
        {{ period }},
        se,
        model_name,
        brand,
        count(*) as answers,
        sum(case when is_mentioned then 1 else 0 end) as answers_mentioning,
        avg(cast(mention_rank as double precision)) as avg_first_position

    from answer_brands
    group by {{ period }}, se, model_name, brand

),

with_group_mentions as (

    select
        *,
        sum(answers_mentioning) over (
            partition by {{ period }}, se, model_name
        ) as group_mentions

    from grouped

)

select
    {{ period }},
    se,
    model_name,
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
    avg_first_position

from with_group_mentions
{% endmacro %}
