with

source as (

    select * from {{ source('dataforseo', 'llm_response_citations') }}

),

renamed as (

    select
        id as response_id,
        se,
        item_index,
        section_index,
        annotation_index,
        title,
        url,
        direct_url,
        lower(domain) as domain

    from source

)

select * from renamed
