-- The sites answers cite, per UTC day and LLM (se): which brand owns each, and
-- what kind of site it is (owned, a type of the source_types seed, or earned).
with

answers as (

    select * from {{ ref('stg_dataforseo__llm_responses') }}
    where is_answered

),

citations as (

    select
        answers.answered_on as day,
        answers.se,
        citations.response_id,
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

grouped as (

    select
        day,
        se,
        domain,
        count(*) as citations,
        count(distinct response_id) as answers_citing

    from citations
    group by day, se, domain

),

final as (

    select
        grouped.day,
        grouped.se,
        grouped.domain,
        grouped.citations,
        grouped.answers_citing,
        {{ ratio('grouped.citations', 'sum(grouped.citations) over (partition by grouped.day, grouped.se)') }}
            as citation_share,
        owners.brand,
        case
            when owners.brand is not null then 'owned'
            else coalesce(listed_types.source_type, 'earned')
        end as source_type

    from grouped
    left join owners
        on grouped.domain = owners.domain
    left join listed_types
        on grouped.domain = listed_types.domain

)

select * from final
