-- Every (brand, alias) to match: the seed's aliases plus each brand's own name.
with

seeded as (

    select trim(brand) as brand, trim(alias) as alias
    from {{ ref('brands') }}
    where brand is not null and trim(brand) <> ''

),

aliases as (

    select brand, alias from seeded where alias is not null and alias <> ''
    union
    select brand, brand as alias from seeded

)

select
    brand,
    alias,
    {{ regex_escape('alias') }} as alias_pattern

from aliases
