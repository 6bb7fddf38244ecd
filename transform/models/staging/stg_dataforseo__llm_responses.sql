with

source as (

    select * from {{ source('dataforseo', 'llm_responses') }}

),

renamed as (

    select
        id as response_id,
        se,
        status_code,
        status_code = 20000 as is_answered,
        tag,
        user_prompt,
        request_model_name,
        model_name,
        money_spent,
        cost,
        -- Both loaders store the answer's time as a UTC timestamp.
        cast(datetime as timestamp) as answered_at,
        cast(datetime as date) as answered_on,
        response_text

    from source

)

select * from renamed
