-- Visibility of each brand per ISO week, LLM (se) and model version, with 95%
-- Wilson intervals, and the change of mention rate against the week before
-- with Newcombe's hybrid score interval of that difference.
with

weekly as (

    {{ brand_visibility('week', iso_week_start('day')) }}

),

compared as (

    select
        current_week.*,
        previous_week.answers as previous_answers,
        previous_week.mention_rate as previous_mention_rate,
        current_week.mention_rate - previous_week.mention_rate as mention_rate_change,
        {{ newcombe_low('current_week', 'previous_week', 'mention_rate') }}
            as mention_rate_change_ci_low,
        {{ newcombe_high('current_week', 'previous_week', 'mention_rate') }}
            as mention_rate_change_ci_high

    from weekly as current_week
    left join weekly as previous_week
        on previous_week.week = current_week.week - 7
        and previous_week.se = current_week.se
        and previous_week.model_name is not distinct from current_week.model_name
        and previous_week.brand = current_week.brand

),

final as (

    select
        week,
        {{ iso_week_label('week') }} as iso_week,
        se,
        model_name,
        brand,
        answers,
        answers_mentioning,
        mention_rate,
        mention_rate_ci_low,
        mention_rate_ci_high,
        group_mentions,
        share_of_voice,
        share_of_voice_ci_low,
        share_of_voice_ci_high,
        avg_first_position,
        previous_answers,
        previous_mention_rate,
        mention_rate_change,
        mention_rate_change_ci_low,
        mention_rate_change_ci_high,
        case
            when mention_rate_change is null then null
            else mention_rate_change_ci_low > 0 or mention_rate_change_ci_high < 0
        end as change_is_significant

    from compared

)

select * from final
