-- Visibility of each brand per UTC day, LLM (se) and model version, with 95%
-- Wilson intervals (macro brand_visibility).
{{ brand_visibility('day', 'day') }}
