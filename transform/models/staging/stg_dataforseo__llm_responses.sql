with

source as (

    select * from {{ source_or_empty('dataforseo', 'llm_responses', {
        'id': 'varchar',
        'se': 'varchar',
        'status_code': 'bigint',
        'raw_answer': 'varchar',
        'tag': 'varchar',
        'user_prompt': 'varchar',
        'request_model_name': 'varchar',
        'model_name': 'varchar',
        'money_spent': 'double precision',
        'cost': 'double precision',
        'datetime': 'timestamp',
        'response_text': 'varchar',
        'fan_out_queries': 'varchar',
    }) }}

),

renamed as (

    select
        id as response_id,
        se,
        status_code,
        -- A failure record keeps its raw answer: a task that answered 20000 but
        -- could not be read is not an answer.
        status_code = 20000 and raw_answer is null as is_answered,
        tag,
        user_prompt,
        request_model_name,
        model_name,
        money_spent,
        cost,
        -- Both loaders store the answer's time as a UTC timestamp.
        cast(datetime as timestamp) as answered_at,
        cast(datetime as date) as answered_on,
        -- NFC, as the aliases: a decomposed "é" matches a composed one.
        {{ nfc('response_text') }} as response_text,
        fan_out_queries

    from source

)

select * from renamed
