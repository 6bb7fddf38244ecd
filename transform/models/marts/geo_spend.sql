-- What the monitoring costs, per UTC day of the answer, LLM (se) and model version.
-- `cost` is what DataForSEO charged (the task's id_list cost; null when the tap
-- did not learn it, e.g. in collection_mode next_run), `money_spent` the model
-- provider's part of it, as the answer states it.
with

responses as (

    select * from {{ ref('stg_dataforseo__llm_responses') }}
    where answered_on is not null

),

final as (

    select
        answered_on as day,
        se,
        model_name,
        count(*) as tasks,
        sum(money_spent) as money_spent,
        sum(cost) as cost,
        count(cost) as tasks_costed

    from responses
    group by answered_on, se, model_name

)

select * from final
