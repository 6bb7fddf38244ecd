-- One row per answer (status_code 20000) and tracked brand: mentioned or not,
-- where first (offset and third of the answer), in which rank among the brands it mentions, and owned citations.
with

answers as (

    select * from {{ ref('stg_dataforseo__llm_responses') }}
    where is_answered

),

aliases as (

    select * from {{ ref('stg_brand_aliases') }}

),

brands as (

    select distinct brand from aliases

),

citations as (

    select * from {{ ref('stg_dataforseo__llm_response_citations') }}

),

owned_domains as (

    select * from {{ ref('stg_brand_domains') }}

),

alias_offsets as (

    select
        answers.response_id,
        aliases.brand,
        {{ first_mention_offset('answers.response_text', 'aliases.alias_pattern') }}
            as alias_offset

    from answers
    cross join aliases

),

first_mentions as (

    select
        response_id,
        brand,
        min(alias_offset) as first_offset

    from alias_offsets
    where alias_offset is not null
    group by response_id, brand

),

ranked_mentions as (

    select
        response_id,
        brand,
        first_offset,
        rank() over (partition by response_id order by first_offset) as mention_rank

    from first_mentions

),

brands_per_answer as (

    select
        response_id,
        count(*) as brands_mentioned

    from first_mentions
    group by response_id

),

owned_citations as (

    select
        citations.response_id,
        owned_domains.brand,
        count(*) as owned_citations

    from citations
    inner join owned_domains
        on {{ is_owned_domain('citations.domain', 'owned_domains.domain') }}
    group by citations.response_id, owned_domains.brand

),

final as (

    select
        answers.response_id,
        brands.brand,
        answers.answered_on as day,
        answers.answered_at,
        answers.se,
        answers.model_name,
        answers.request_model_name,
        answers.tag,
        answers.user_prompt,
        ranked_mentions.response_id is not null as is_mentioned,
        ranked_mentions.first_offset,
        length(answers.response_text) as response_length,
        {{ answer_third('ranked_mentions.first_offset', 'length(answers.response_text)') }}
            as first_mention_third,
        ranked_mentions.mention_rank,
        coalesce(brands_per_answer.brands_mentioned, 0) as brands_mentioned,
        coalesce(owned_citations.owned_citations, 0) as owned_citations,
        owned_citations.response_id is not null as cites_owned_domain

    from answers
    cross join brands
    left join ranked_mentions
        on answers.response_id = ranked_mentions.response_id
        and brands.brand = ranked_mentions.brand
    left join brands_per_answer
        on answers.response_id = brands_per_answer.response_id
    left join owned_citations
        on answers.response_id = owned_citations.response_id
        and brands.brand = owned_citations.brand

)

select * from final
