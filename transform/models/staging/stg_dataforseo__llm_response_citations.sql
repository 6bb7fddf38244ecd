-- Every cited source of every surface loaded: the API's annotations, the
-- scraper's sources and AI Mode's references, each with its position.
with

api as (

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

app as (

    select * from {{ source_or_empty('dataforseo', 'llm_scraper_sources', {
        'id': 'varchar',
        'se': 'varchar',
        'source_index': 'bigint',
        'title': 'varchar',
        'url': 'varchar',
        'domain': 'varchar',
    }) }}

),

ai_mode as (

    select * from {{ source_or_empty('dataforseo', 'ai_mode_references', {
        'id': 'varchar',
        'se': 'varchar',
        'item_index': 'bigint',
        'reference_index': 'bigint',
        'title': 'varchar',
        'url': 'varchar',
        'domain': 'varchar',
    }) }}

),

cited as (

    select
        'api' as surface,
        id,
        se,
        item_index,
        section_index,
        annotation_index,
        title,
        url,
        direct_url,
        domain
    from api

    union all

    select
        'app' as surface,
        id,
        se,
        0 as item_index,
        0 as section_index,
        source_index as annotation_index,
        title,
        url,
        url as direct_url,
        domain
    from app

    union all

    select
        'ai_mode' as surface,
        id,
        se,
        item_index,
        0 as section_index,
        reference_index as annotation_index,
        title,
        url,
        url as direct_url,
        domain
    from ai_mode

),

renamed as (

    select
        id as response_id,
        surface,
        se,
        item_index,
        section_index,
        annotation_index,
        title,
        url,
        direct_url,
        lower(domain) as domain

    from cited

)

select * from renamed
