-- The sites answers cite, per UTC day and LLM (se), and which brand owns each.
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

owned_domains as (

    select * from {{ ref('stg_brand_domains') }}

),

-- A site owned through two entries (acme.com and blog.acme.com) goes to the
-- longest, most specific one.
owners as (

    select domain, brand
    from (
        select
            cited.domain,
            owned_domains.brand,
            row_number() over (
                partition by cited.domain
                order by length(owned_domains.domain) desc, owned_domains.brand
            ) as preference
        from (select distinct domain from citations) as cited
        inner join owned_domains
            on {{ is_owned_domain('cited.domain', 'owned_domains.domain') }}
    ) as matches
    where preference = 1

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
        owners.brand

    from grouped
    left join owners
        on grouped.domain = owners.domain

)

select * from final
