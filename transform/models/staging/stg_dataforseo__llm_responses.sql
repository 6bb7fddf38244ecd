-- Every answer of every surface loaded: `api` (llm_responses, the LLM's API),
-- `app` (llm_scraper_results, what the ChatGPT or Gemini app shows) and
-- `ai_mode` (ai_mode_results, Google's AI Mode). The scraper's and AI Mode's
-- `keyword` is the prompt; their `answer_text` is the answer. The ChatGPT
-- app's `brand_entities` (the brands it marks) stay beside the text.
with

api as (

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

app as (

    select * from {{ source_or_empty('dataforseo', 'llm_scraper_results', {
        'id': 'varchar',
        'se': 'varchar',
        'status_code': 'bigint',
        'raw_answer': 'varchar',
        'tag': 'varchar',
        'keyword': 'varchar',
        'model': 'varchar',
        'cost': 'double precision',
        'datetime': 'timestamp',
        'answer_text': 'varchar',
        'fan_out_queries': 'varchar',
        'brand_entities': 'varchar',
    }) }}

),

ai_mode as (

    select * from {{ source_or_empty('dataforseo', 'ai_mode_results', {
        'id': 'varchar',
        'se': 'varchar',
        'status_code': 'bigint',
        'raw_answer': 'varchar',
        'tag': 'varchar',
        'keyword': 'varchar',
        'cost': 'double precision',
        'datetime': 'timestamp',
        'answer_text': 'varchar',
    }) }}

),

answers as (

    select
        'api' as surface,
        id,
        se,
        status_code,
        raw_answer,
        tag,
        user_prompt,
        request_model_name,
        model_name,
        cast(money_spent as double precision) as money_spent,
        cast(cost as double precision) as cost,
        datetime,
        response_text,
        {{ json_text('fan_out_queries') }} as fan_out_queries,
        cast(null as varchar) as brand_entities
    from api

    union all

    select
        'app' as surface,
        id,
        se,
        status_code,
        raw_answer,
        tag,
        keyword as user_prompt,
        cast(null as varchar) as request_model_name,
        model as model_name,
        cast(null as double precision) as money_spent,
        cast(cost as double precision) as cost,
        datetime,
        answer_text as response_text,
        {{ json_text('fan_out_queries') }} as fan_out_queries,
        {{ json_text('brand_entities') }} as brand_entities
    from app

    union all

    select
        'ai_mode' as surface,
        id,
        se,
        status_code,
        raw_answer,
        tag,
        keyword as user_prompt,
        cast(null as varchar) as request_model_name,
        cast(null as varchar) as model_name,
        cast(null as double precision) as money_spent,
        cast(cost as double precision) as cost,
        datetime,
        answer_text as response_text,
        cast(null as varchar) as fan_out_queries,
        cast(null as varchar) as brand_entities
    from ai_mode

),

renamed as (

    select
        id as response_id,
        surface,
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
        fan_out_queries,
        brand_entities

    from answers

)

select * from renamed
