-- Visibility of each brand per UTC day, LLM (se) and model version.
with

answer_brands as (

    select * from {{ ref('geo_answer_brands') }}

),

grouped as (

    select
        day,
        se,
        model_name,
        brand,
        count(*) as answers,
        sum(case when is_mentioned then 1 else 0 end) as answers_mentioning,
        avg(cast(mention_rank as double precision)) as avg_first_position

    from answer_brands
    group by day, se, model_name, brand

),

final as (

    select
        day,
        se,
        model_name,
        brand,
        answers,
        answers_mentioning,
        {{ ratio('answers_mentioning', 'answers') }} as mention_rate,
        {{ ratio(
            'answers_mentioning',
            'sum(answers_mentioning) over (partition by day, se, model_name)'
        ) }} as share_of_voice,
        avg_first_position

    from grouped

)

select * from final
