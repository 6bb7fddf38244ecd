-- Every (brand, alias) to match: the seed's aliases plus each brand's own name,
-- in Unicode normalisation form C as the answers.
with

seeded as (

    select {{ nfc('trim(brand)') }} as brand, {{ nfc('trim(alias)') }} as alias
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
