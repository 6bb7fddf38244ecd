-- Each brand's visibility per prompt, surface and LLM (se), every day and model
-- version together: what the API says beside what consumers see (the ChatGPT
-- or Gemini app, Google's AI Mode), prompt by prompt, with Wilson 95% intervals.
with

visibility as (

    {{ brand_visibility('user_prompt', 'user_prompt', ['surface', 'se']) }}

),

prompt_surfaces as (

    select
        user_prompt,
        count(distinct surface) as surfaces_answering

    from visibility
    group by user_prompt

),

final as (

    select
        visibility.*,
        prompt_surfaces.surfaces_answering

    from visibility
    inner join prompt_surfaces
        on visibility.user_prompt is not distinct from prompt_surfaces.user_prompt

)

select * from final
