-- The sites each prompt's answers cite, per surface and LLM (se), every day
-- together: whether what consumers see cites the sites the API cites, prompt by
-- prompt, with the share of answers citing each site and its Wilson 95% interval.
with

answers as (

    select
        user_prompt,
        surface,
        se,
        count(*) as answers

    from {{ ref('stg_dataforseo__llm_responses') }}
    where is_answered
    group by user_prompt, surface, se

),

cited as (

    {{ cited_domain_counts(['user_prompt', 'surface', 'se']) }}

),

final as (

    select
        cited.user_prompt,
        cited.surface,
        cited.se,
        cited.domain,
        cited.citations,
        cited.answers_citing,
        answers.answers,
        {{ ratio('cited.answers_citing', 'answers.answers') }} as citing_rate,
        {{ wilson_low('cited.answers_citing', 'answers.answers') }} as citing_rate_ci_low,
        {{ wilson_high('cited.answers_citing', 'answers.answers') }} as citing_rate_ci_high,
        cited.brand,
        cited.source_type

    from cited
    inner join answers
        on cited.user_prompt is not distinct from answers.user_prompt
        and cited.surface = answers.surface
        and cited.se = answers.se

)

select * from final
