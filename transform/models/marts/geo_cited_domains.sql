-- The sites answers cite, per UTC day, surface and LLM (se): which brand owns
-- each, and what kind of site it is (owned, a type of the source_types seed, or earned).
with

grouped as (

    select
        day,
        surface,
        se,
        domain,
        count(*) as citations,
        count(distinct response_id) as answers_citing,
        -- One owner and one type per domain (int_citations).
        min(brand) as brand,
        min(source_type) as source_type

    from {{ ref('int_citations') }}
    group by day, surface, se, domain

),

final as (

    select
        day,
        surface,
        se,
        domain,
        citations,
        answers_citing,
        {{ ratio('citations', 'sum(citations) over (partition by day, surface, se)') }}
            as citation_share,
        brand,
        source_type

    from grouped

)

select * from final
