-- The sites each brand owns, normalised as the tap writes `domain`.
select
    {{ nfc('trim(brand)') }} as brand,
    lower(trim(domain)) as domain

from {{ ref('brand_domains') }}
where brand is not null and domain is not null and trim(domain) <> ''
