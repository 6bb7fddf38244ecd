-- The sites answers cite, per UTC day, surface and LLM (se): which brand owns
-- each, and what kind of site it is (owned, a type of the source_types seed, or earned).
with

grouped as (

    {{ cited_domain_counts(['day', 'surface', 'se']) }}

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
