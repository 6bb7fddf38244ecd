{#-
  95% confidence intervals, as SQL expressions over counts.

  Wilson score interval (Wilson 1927; Newcombe 1998a, method 3) of x successes
  in n trials, z = 1.959964 (the 97.5th percentile of the standard normal):

      (x + z²/2 ± z·sqrt(x·(n − x)/n + z²/4)) / (n + z²)

  It stays inside [0, 1], is not degenerate at 0 or n successes, and covers
  close to 95% even for small n, where the textbook p ± z·se does not.
  Null when n is 0. Bounds are clamped to [0, 1] against rounding only.
-#}

{% macro wilson_z() -%} 1.959964 {%- endmacro %}

{% macro wilson_bound(successes, trials, sign) -%}
    case when {{ trials }} > 0 then greatest(0.0, least(1.0,
        (
            cast({{ successes }} as double precision)
            + {{ wilson_z() }} * {{ wilson_z() }} / 2.0
            {{ sign }} {{ wilson_z() }} * sqrt(
                cast({{ successes }} as double precision)
                * ({{ trials }} - {{ successes }}) / {{ trials }}
                + {{ wilson_z() }} * {{ wilson_z() }} / 4.0
            )
        ) / ({{ trials }} + {{ wilson_z() }} * {{ wilson_z() }})
    )) end
{%- endmacro %}

{% macro wilson_low(successes, trials) -%}
    {{ wilson_bound(successes, trials, '-') }}
{%- endmacro %}

{% macro wilson_high(successes, trials) -%}
    {{ wilson_bound(successes, trials, '+') }}
{%- endmacro %}

{#-
  Newcombe's hybrid score interval (Newcombe 1998b, method 10) of the
  difference p1 − p2 of two independent proportions, from each one's Wilson
  interval (l, u):

      low  = (p1 − p2) − sqrt((p1 − l1)² + (u2 − p2)²)
      high = (p1 − p2) + sqrt((u1 − p1)² + (p2 − l2)²)

  `first` and `second` are the relations of p1 and p2, each with the columns
  <rate>, <rate>_ci_low and <rate>_ci_high. Null when either rate is null.
-#}

{% macro newcombe_low(first, second, rate) -%}
    {%- set p1, l1 = first ~ '.' ~ rate, first ~ '.' ~ rate ~ '_ci_low' -%}
    {%- set p2, u2 = second ~ '.' ~ rate, second ~ '.' ~ rate ~ '_ci_high' -%}
    ({{ p1 }} - {{ p2 }})
        - sqrt(({{ p1 }} - {{ l1 }}) * ({{ p1 }} - {{ l1 }})
               + ({{ u2 }} - {{ p2 }}) * ({{ u2 }} - {{ p2 }}))
{%- endmacro %}

{% macro newcombe_high(first, second, rate) -%}
    {%- set p1, u1 = first ~ '.' ~ rate, first ~ '.' ~ rate ~ '_ci_high' -%}
    {%- set p2, l2 = second ~ '.' ~ rate, second ~ '.' ~ rate ~ '_ci_low' -%}
    ({{ p1 }} - {{ p2 }})
        + sqrt(({{ u1 }} - {{ p1 }}) * ({{ u1 }} - {{ p1 }})
               + ({{ p2 }} - {{ l2 }}) * ({{ p2 }} - {{ l2 }}))
{%- endmacro %}
