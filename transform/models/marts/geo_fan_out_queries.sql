-- The searches the LLM ran for its answers (`fan_out_queries`), per UTC day and se.
with

answers as (

    select
        response_id,
        answered_on as day,
        se,
        fan_out_queries

    from {{ ref('stg_dataforseo__llm_responses') }}
    where is_answered and fan_out_queries is not null

),

queries as (

    {{ unnest_json_strings('answers', ['response_id', 'day', 'se'], 'fan_out_queries', 'query') }}

),

final as (

    select
        day,
        se,
        query,
        count(distinct response_id) as answers

    from queries
    where query is not null and trim(query) <> ''
    group by day, se, query

)

select * from final
