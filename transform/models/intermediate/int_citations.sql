-- Every citation with a domain of every answer (status_code 20000), with the
-- answer's day, surface, LLM (se) and prompt, which brand owns the site and what
-- kind of site it is (owned, a type of the source_types seed, or earned).
with

answers as (

    select * from {{ ref('stg_dataforseo__llm_responses') }}
    where is_answered

),

citations as (

    select
        citations.response_id,
        answers.answered_on as day,
        answers.surface,
        answers.se,
        answers.user_prompt,
        citations.domain

    from {{ ref('stg_dataforseo__llm_response_citations') }} as citations
    inner join answers
        on citations.response_id = answers.response_id
    where citations.domain is not null

),

cited as (

    select distinct domain from citations

),

-- A site listed through two entries (acme.com and blog.acme.com) goes to the
-- longest, most specific one.
owners as (

    {{ longest_domain_match('cited', ref('stg_brand_domains'), 'brand') }}

),

listed_types as (

    {{ longest_domain_match('cited', ref('stg_source_types'), 'source_type') }}

),

final as (

    select
        citations.*,
        owners.brand,
        case
            when owners.brand is not null then 'owned'
            else coalesce(listed_types.source_type, 'earned')
        end as source_type

    from citations
    left join owners
        on citations.domain = owners.domain
    left join listed_types
        on citations.domain = listed_types.domain

)

select * from final
