{#-
  Whole-word, case-insensitive, Unicode-aware matching of brand aliases.

  A word character is a Unicode letter or digit: an alias matches where the
  characters just before and after it (if any) are neither. So "Acme" matches
  "acme's" and "(ACME)" but not "Acmeville"; "Ünïcødé Café" matches "ÜNÏCØDÉ CAFÉ".
  Aliases are regex-escaped first, so "C++" or "Acme (EU)" match literally.
-#}

{% macro regex_escape(text) -%}
    regexp_replace({{ text }}, '([.^$|?*+()\[\]{}\\])', '\\\1', 'g')
{%- endmacro %}

{#- 0-based character offset of the first whole-word match of the escaped
    pattern in text; null when there is none. -#}
{% macro first_mention_offset(text, pattern) -%}
    {{ return(adapter.dispatch('first_mention_offset', 'dataforseo_geo')(text, pattern)) }}
{%- endmacro %}

{#- DuckDB's RE2 has no look-around: capture everything before the alias up to
    and including the non-word character in front of it; its length is the offset. -#}
{% macro duckdb__first_mention_offset(text, pattern) -%}
    case
        when regexp_matches(
            {{ text }}, '(?is)(^|[^\pL\pN])' || {{ pattern }} || '($|[^\pL\pN])'
        )
        then length(regexp_extract(
            {{ text }},
            '(?is)^(.*?(?:^|[^\pL\pN]))' || {{ pattern }} || '(?:$|[^\pL\pN])',
            1
        ))
    end
{%- endmacro %}

{#- PostgreSQL's ARE has look-around; regexp_instr (PostgreSQL 15+) is 1-based
    and 0 when nothing matches. Its character classes follow the database's
    locale: use a UTF-8 locale (en_US.UTF-8, C.UTF-8) for Unicode letters. -#}
{% macro postgres__first_mention_offset(text, pattern) -%}
    nullif(
        regexp_instr(
            {{ text }},
            '(?<![[:alnum:]])' || {{ pattern }} || '(?![[:alnum:]])',
            1, 1, 0, 'i'
        ),
        0
    ) - 1
{%- endmacro %}

{#- True when a cited domain is the owned domain or one of its subdomains. -#}
{% macro is_owned_domain(cited, owned) -%}
    ({{ cited }} = {{ owned }} or right({{ cited }}, length({{ owned }}) + 1) = '.' || {{ owned }})
{%- endmacro %}

{#- numerator / denominator as a double; null when the denominator is 0. -#}
{% macro ratio(numerator, denominator) -%}
    cast({{ numerator }} as double precision) / nullif({{ denominator }}, 0)
{%- endmacro %}

{#- Text in Unicode normalisation form C, so a decomposed "é" (e + U+0301)
    equals the composed one. PostgreSQL needs a UTF-8 database for it. -#}
{% macro nfc(text) -%}
    {{ return(adapter.dispatch('nfc', 'dataforseo_geo')(text)) }}
{%- endmacro %}

{% macro duckdb__nfc(text) -%}
    nfc_normalize({{ text }})
{%- endmacro %}

{% macro postgres__nfc(text) -%}
    normalize({{ text }}, NFC)
{%- endmacro %}

{#- Which third of the answer the first mention falls in, by its character
    offset over the answer's length: top (offset < length / 3), middle
    (offset < 2 · length / 3) or bottom; null when not mentioned. -#}
{% macro answer_third(offset, text_length) -%}
    case
        when {{ offset }} is null then null
        when 3 * {{ offset }} < {{ text_length }} then 'top'
        when 3 * {{ offset }} < 2 * {{ text_length }} then 'middle'
        else 'bottom'
    end
{%- endmacro %}

{#- For each domain of `cited`, the `value` of the longest entry of `listed`
    (columns domain and value) that is the domain or a parent of it; domains
    without one are left out. Ties go to the smallest value. -#}
{% macro longest_domain_match(cited, listed, value) -%}
    select domain, {{ value }}
    from (
        select
            cited.domain,
            listed.{{ value }},
            row_number() over (
                partition by cited.domain
                order by length(listed.domain) desc, listed.{{ value }}
            ) as preference
        from {{ cited }} as cited
        inner join {{ listed }} as listed
            on {{ is_owned_domain('cited.domain', 'listed.domain') }}
    ) as matches
    where preference = 1
{%- endmacro %}
