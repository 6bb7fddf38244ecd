-- How stable the set of cited sites is: per LLM (se), ISO week and cited domain,
-- the week's overlap with the week before (Jaccard index) and how many of the
-- last four weeks cited the domain.
with

answers as (

    select response_id, se, answered_on
    from {{ ref('stg_dataforseo__llm_responses') }}
    where is_answered

),

weekly_citations as (

    select
        {{ iso_week_start('answers.answered_on') }} as week,
        answers.se,
        citations.domain,
        count(*) as citations

    from {{ ref('stg_dataforseo__llm_response_citations') }} as citations
    inner join answers
        on citations.response_id = answers.response_id
    where citations.domain is not null
    group by {{ iso_week_start('answers.answered_on') }}, answers.se, citations.domain

),

week_sizes as (

    select week, se, count(*) as domains_cited
    from weekly_citations
    group by week, se

),

shared_domains as (

    select
        this_week.week,
        this_week.se,
        count(*) as domains_in_both

    from weekly_citations as this_week
    inner join weekly_citations as week_before
        on week_before.se = this_week.se
        and week_before.domain = this_week.domain
        and week_before.week = this_week.week - 7
    group by this_week.week, this_week.se

),

recent_weeks as (

    select
        this_week.week,
        this_week.se,
        this_week.domain,
        count(*) as weeks_cited_last_4

    from weekly_citations as this_week
    inner join weekly_citations as earlier
        on earlier.se = this_week.se
        and earlier.domain = this_week.domain
        and earlier.week between this_week.week - 21 and this_week.week
    group by this_week.week, this_week.se, this_week.domain

),

final as (

    select
        cited.se,
        cited.week,
        {{ iso_week_label('cited.week') }} as iso_week,
        cited.domain,
        cited.citations,
        week_before.domain is not null as cited_week_before,
        recent_weeks.weeks_cited_last_4,
        sizes.domains_cited,
        sizes_before.domains_cited as domains_cited_week_before,
        case
            when sizes_before.domains_cited is not null
            then coalesce(shared_domains.domains_in_both, 0)
        end as domains_in_both,
        case
            when sizes_before.domains_cited is not null
            then {{ ratio(
                'coalesce(shared_domains.domains_in_both, 0)',
                'sizes.domains_cited + sizes_before.domains_cited'
                ~ ' - coalesce(shared_domains.domains_in_both, 0)'
            ) }}
        end as jaccard_index

    from weekly_citations as cited
    inner join week_sizes as sizes
        on sizes.week = cited.week and sizes.se = cited.se
    inner join recent_weeks
        on recent_weeks.week = cited.week
        and recent_weeks.se = cited.se
        and recent_weeks.domain = cited.domain
    left join week_sizes as sizes_before
        on sizes_before.week = cited.week - 7 and sizes_before.se = cited.se
    left join shared_domains
        on shared_domains.week = cited.week and shared_domains.se = cited.se
    left join weekly_citations as week_before
        on week_before.week = cited.week - 7
        and week_before.se = cited.se
        and week_before.domain = cited.domain

)

select * from final
