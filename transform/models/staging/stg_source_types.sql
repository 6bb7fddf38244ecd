-- The kind of each listed site, normalised as the tap writes `domain`.
select
    lower(trim(domain)) as domain,
    lower(trim(source_type)) as source_type

from {{ ref('source_types') }}
where domain is not null and trim(domain) <> '' and source_type is not null
