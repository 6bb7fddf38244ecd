with

source as (

    select * from {{ source_or_empty('dataforseo', 'llm_response_citations', {
        'id': 'varchar',
        'se': 'varchar',
        'item_index': 'bigint',
        'section_index': 'bigint',
        'annotation_index': 'bigint',
        'title': 'varchar',
        'url': 'varchar',
        'direct_url': 'varchar',
        'domain': 'varchar',
    }) }}

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
