"""The GEO marts' metrics computed in plain Python, and dbt runs for the tests.

The reference reads the same source rows the dbt models read (``llm_responses``,
``llm_response_citations`` and the two seeds) and follows the definitions in
``transform/models/marts/geo_models.yml`` line by line, so any disagreement
between SQL and the documented definition shows as a difference in a test.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import typing as t
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from report.stats import newcombe, wilson

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable

REPO = Path(__file__).resolve().parent.parent
TRANSFORM = REPO / "transform"
DBT = Path(sys.executable).parent / "dbt"
ANSWERED = 20000
#: The marts' schema in the tests (the profiles' DBT_*_SCHEMA).
MARTS = "geo"
#: A word character: a Unicode letter or digit (not the underscore).
_WORD = r"[^\W_]"

#: Runs one SQL query, returns its rows as dicts.
Query = t.Callable[[str], list[dict[str, t.Any]]]


def answered(response: dict[str, t.Any]) -> bool:
    """An answer the marts count: status 20000 and no failure record's raw answer."""
    return response["status_code"] == ANSWERED and response.get("raw_answer") is None


def nfc(text: str) -> str:
    """Unicode normalisation form C."""
    return unicodedata.normalize("NFC", text)


def _seed_rows(seeds: Path, name: str) -> list[tuple[str, str]]:
    with (seeds / name).open(encoding="utf-8", newline="") as file:
        return [(a, b) for a, b in list(csv.reader(file))[1:]]


@dataclass(frozen=True)
class Brands:
    """The seeds: (brand, alias) rows, (brand, domain) rows, (domain, type) rows.

    Without source types, the shipped source_types seed applies.
    """

    aliases: list[tuple[str, str]]
    domains: list[tuple[str, str]]
    source_types: list[tuple[str, str]] | None = None

    def by_brand(self) -> dict[str, set[str]]:
        """Every brand's aliases (NFC), its own name included; blank ones dropped."""
        found: dict[str, set[str]] = defaultdict(set)
        for brand, alias in self.aliases:
            found[nfc(brand.strip())].add(nfc(brand.strip()))
            if alias and alias.strip():
                found[nfc(brand.strip())].add(nfc(alias.strip()))
        return found

    def owner(self, domain: str) -> str | None:
        """The brand owning a domain (itself or a parent domain; longest wins)."""
        return longest_match(self.domains, domain)

    def source_type(self, domain: str) -> str:
        """owned, else the listed type of the domain or a parent, else earned."""
        if self.owner(domain) is not None:
            return "owned"
        types = self.source_types
        if types is None:
            types = _seed_rows(TRANSFORM / "seeds", "source_types.csv")
        listed = longest_match([(kind, domain) for domain, kind in types], domain)
        return listed or "earned"

    def write(self, seeds: Path) -> None:
        """Write the seeds into a seeds folder (source_types.csv when given)."""
        for name, header, rows in (
            ("brands.csv", ("brand", "alias"), self.aliases),
            ("brand_domains.csv", ("brand", "domain"), self.domains),
            ("source_types.csv", ("domain", "source_type"), self.source_types),
        ):
            if rows is None:
                continue
            with (seeds / name).open("w", newline="", encoding="utf-8") as file:
                writer = csv.writer(file, lineterminator="\n")
                writer.writerow(header)
                writer.writerows(rows)

    @classmethod
    def read(cls, seeds: Path) -> Brands:
        """Read the seeds of a dbt project."""
        return cls(
            _seed_rows(seeds, "brands.csv"),
            _seed_rows(seeds, "brand_domains.csv"),
            _seed_rows(seeds, "source_types.csv"),
        )


def longest_match(listed: list[tuple[str, str]], domain: str) -> str | None:
    """The value of the longest listed (value, domain) owning ``domain``."""
    matches = [(d, value) for value, d in listed if owns(d, domain)]
    return min(matches, key=lambda m: (-len(m[0]), m[1]))[1] if matches else None


def owns(owned: str, cited: str) -> bool:
    """A cited domain is owned when it is the owned domain or a subdomain of it."""
    return cited == owned or cited.endswith("." + owned)


def mention_offset(text: str | None, alias: str) -> int | None:
    """0-based offset of the first whole-word, case-insensitive match, or None."""
    pattern = rf"(?<!{_WORD}){re.escape(alias)}(?!{_WORD})"
    found = re.search(pattern, text or "", re.IGNORECASE)
    return found.start() if found else None


def third(offset: int | None, length: int) -> str | None:
    """top, middle or bottom third of the answer, by character offset."""
    if offset is None:
        return None
    return (
        "top"
        if 3 * offset < length
        else "middle"
        if 3 * offset < 2 * length
        else "bottom"
    )


def week_of(day: date) -> date:
    """The Monday starting the ISO week of a day."""
    return day - timedelta(days=day.weekday())


def utc_day(value: datetime | None) -> date | None:
    """The UTC date of a loaded timestamp (naive ones are UTC already)."""
    if value is None:
        return None
    return (value.astimezone(UTC) if value.tzinfo else value).date()


def answer_brands(
    responses: Iterable[dict[str, t.Any]],
    citations: Iterable[dict[str, t.Any]],
    brands: Brands,
) -> dict[tuple[str, str], dict[str, t.Any]]:
    """geo_answer_brands by (response_id, brand)."""
    aliases = brands.by_brand()
    cited: dict[str, list[str]] = defaultdict(list)
    for citation in citations:
        if citation["domain"]:
            cited[citation["id"]].append(citation["domain"].lower())
    facts = {}
    for response in responses:
        if not answered(response):
            continue
        text = nfc(response["response_text"] or "")
        firsts = {}
        for brand, spellings in aliases.items():
            found = [mention_offset(text, a) for a in spellings]
            offsets = [offset for offset in found if offset is not None]
            if offsets:
                firsts[brand] = min(offsets)
        for brand in aliases:
            first = firsts.get(brand)
            owned = sum(
                1
                for domain in cited[response["id"]]
                if any(owns(d, domain) for b, d in brands.domains if b == brand)
            )
            facts[response["id"], brand] = {
                "day": utc_day(response["datetime"]),
                "se": response["se"],
                "model_name": response["model_name"],
                "tag": response["tag"],
                "is_mentioned": first is not None,
                "first_offset": first,
                "response_length": len(text)
                if response["response_text"] is not None
                else None,
                "first_mention_third": third(first, len(text)),
                "mention_rank": None
                if first is None
                else 1 + sum(1 for other in firsts.values() if other < first),
                "brands_mentioned": len(firsts),
                "owned_citations": owned,
                "cites_owned_domain": owned > 0,
            }
    return facts


def interval(successes: int, trials: int) -> tuple[float | None, float | None]:
    """The Wilson 95% interval, (None, None) without trials."""
    return wilson(successes, trials) or (None, None)


def brand_visibility(
    facts: dict[tuple[str, str], dict[str, t.Any]],
    period: Callable[[date], date] = lambda day: day,
) -> dict[tuple[t.Any, ...], dict[str, t.Any]]:
    """geo_brand_visibility by (period of day, se, model_name, brand)."""
    groups: dict[tuple[t.Any, ...], list[dict[str, t.Any]]] = defaultdict(list)
    for (_, brand), fact in facts.items():
        groups[period(fact["day"]), fact["se"], fact["model_name"], brand].append(fact)
    mentioning = {
        key: sum(f["is_mentioned"] for f in rows) for key, rows in groups.items()
    }
    total: dict[tuple[t.Any, ...], int] = defaultdict(int)
    for key, count in mentioning.items():
        total[key[:3]] += count
    visibility = {}
    for key, rows in groups.items():
        ranks = [f["mention_rank"] for f in rows if f["is_mentioned"]]
        rate_low, rate_high = interval(mentioning[key], len(rows))
        voice_low, voice_high = interval(mentioning[key], total[key[:3]])
        visibility[key] = {
            "answers": len(rows),
            "answers_mentioning": mentioning[key],
            "mention_rate": mentioning[key] / len(rows),
            "mention_rate_ci_low": rate_low,
            "mention_rate_ci_high": rate_high,
            "group_mentions": total[key[:3]],
            "share_of_voice": mentioning[key] / total[key[:3]]
            if total[key[:3]]
            else None,
            "share_of_voice_ci_low": voice_low,
            "share_of_voice_ci_high": voice_high,
            "avg_first_position": sum(ranks) / len(ranks) if ranks else None,
        }
    return visibility


def brand_visibility_weekly(
    facts: dict[tuple[str, str], dict[str, t.Any]],
) -> dict[tuple[t.Any, ...], dict[str, t.Any]]:
    """geo_brand_visibility_weekly by (week, se, model_name, brand)."""
    weeks = brand_visibility(facts, week_of)
    weekly = {}
    for key, row in weeks.items():
        week, *group = key
        before = weeks.get((week - timedelta(days=7), *group))
        change = difference = None
        if before is not None:
            change = row["mention_rate"] - before["mention_rate"]
            difference = newcombe(
                row["answers_mentioning"],
                row["answers"],
                before["answers_mentioning"],
                before["answers"],
            )
        low, high = difference or (None, None)
        weekly[key] = {
            **row,
            "iso_week": "{}-W{:02d}".format(*week.isocalendar()[:2]),
            "previous_answers": before and before["answers"],
            "previous_mention_rate": before and before["mention_rate"],
            "mention_rate_change": change,
            "mention_rate_change_ci_low": low,
            "mention_rate_change_ci_high": high,
            "change_is_significant": None
            if difference is None
            else (low > 0 or high < 0),
        }
    return weekly


def cited_domains(
    responses: Iterable[dict[str, t.Any]],
    citations: Iterable[dict[str, t.Any]],
    brands: Brands,
) -> dict[tuple[t.Any, ...], dict[str, t.Any]]:
    """geo_cited_domains by (day, se, domain)."""
    answers = {r["id"]: r for r in responses if answered(r)}
    counts: dict[tuple[t.Any, ...], int] = defaultdict(int)
    citing: dict[tuple[t.Any, ...], set[str]] = defaultdict(set)
    for citation in citations:
        response = answers.get(citation["id"])
        if response is None or not citation["domain"]:
            continue
        key = (
            utc_day(response["datetime"]),
            response["se"],
            citation["domain"].lower(),
        )
        counts[key] += 1
        citing[key].add(citation["id"])
    per_day: dict[tuple[t.Any, ...], int] = defaultdict(int)
    for key, count in counts.items():
        per_day[key[:2]] += count
    return {
        key: {
            "citations": count,
            "answers_citing": len(citing[key]),
            "citation_share": count / per_day[key[:2]],
            "brand": brands.owner(key[2]),
            "source_type": brands.source_type(key[2]),
        }
        for key, count in counts.items()
    }


def citation_stability(
    domains: dict[tuple[t.Any, ...], dict[str, t.Any]],
) -> dict[tuple[t.Any, ...], dict[str, t.Any]]:
    """geo_citation_stability by (se, week, domain), from geo_cited_domains."""
    cited: dict[tuple[t.Any, ...], set[str]] = defaultdict(set)
    citations: dict[tuple[t.Any, ...], int] = defaultdict(int)
    for (day, se, domain), row in domains.items():
        cited[se, week_of(day)].add(domain)
        citations[se, week_of(day), domain] += row["citations"]
    stability = {}
    for (se, week, domain), count in citations.items():
        this_week = cited[se, week]
        week_before = cited.get((se, week - timedelta(days=7)))
        both = len(this_week & week_before) if week_before else None
        stability[se, week, domain] = {
            "iso_week": "{}-W{:02d}".format(*week.isocalendar()[:2]),
            "citations": count,
            "cited_week_before": bool(week_before) and domain in week_before,
            "weeks_cited_last_4": sum(
                domain in cited.get((se, week - timedelta(days=7 * back)), set())
                for back in range(4)
            ),
            "domains_cited": len(this_week),
            "domains_cited_week_before": len(week_before) if week_before else None,
            "domains_in_both": both,
            "jaccard_index": both / len(this_week | week_before)
            if week_before
            else None,
        }
    return stability


def fan_out_queries(
    responses: Iterable[dict[str, t.Any]],
) -> dict[tuple[t.Any, ...], dict[str, t.Any]]:
    """geo_fan_out_queries by (day, se, query)."""
    answering: dict[tuple[t.Any, ...], set[str]] = defaultdict(set)
    for response in responses:
        queries = response["fan_out_queries"]
        if not answered(response) or queries is None:
            continue
        for query in json.loads(queries) if isinstance(queries, str) else queries:
            if query and query.strip():
                key = (utc_day(response["datetime"]), response["se"], query)
                answering[key].add(response["id"])
    return {key: {"answers": len(ids)} for key, ids in answering.items()}


def keyed(
    rows: list[dict[str, t.Any]], keys: tuple[str, ...], values: Iterable[str]
) -> dict[tuple[t.Any, ...], dict[str, t.Any]]:
    """Rows of a mart as {key tuple: {column: value}}, keys checked unique."""
    found = {tuple(row[k] for k in keys): {v: row[v] for v in values} for row in rows}
    assert len(found) == len(rows), f"duplicate keys {keys}"
    return found


def assert_same(
    name: str,
    actual: dict[tuple[t.Any, ...], dict[str, t.Any]],
    expected: dict[tuple[t.Any, ...], dict[str, t.Any]],
) -> None:
    """Same keys, same values (floats to 1e-9); the message lists what differs."""
    problems = [f"missing {key}" for key in expected.keys() - actual.keys()]
    problems += [f"unexpected {key}" for key in actual.keys() - expected.keys()]
    for key in expected.keys() & actual.keys():
        for column, value in expected[key].items():
            got = actual[key][column]
            same = got == (
                pytest.approx(value, rel=1e-9) if isinstance(value, float) else value
            )
            if not same:
                problems.append(f"{key} {column}: mart {got!r}, Python {value!r}")
    assert not problems, f"{name} differs:\n" + "\n".join(sorted(problems)[:40])


def assert_marts_match(
    query: Query, brands: Brands, schema: str = "dataforseo"
) -> None:
    """Compute every metric from the loaded source rows; compare with the marts."""
    responses = query(
        "select id, se, status_code, raw_answer, tag, model_name, datetime, "
        f"response_text, fan_out_queries from {schema}.llm_responses"
    )
    citations = query(f"select id, domain from {schema}.llm_response_citations")
    facts = answer_brands(responses, citations, brands)
    domains = cited_domains(responses, citations, brands)
    assert facts, "no answer to compare"
    assert domains, "no citation to compare"
    by_group = ("se", "model_name", "brand")
    for mart, keys, expected in (
        ("geo_answer_brands", ("response_id", "brand"), facts),
        ("geo_brand_visibility", ("day", *by_group), brand_visibility(facts)),
        (
            "geo_brand_visibility_weekly",
            ("week", *by_group),
            brand_visibility_weekly(facts),
        ),
        ("geo_cited_domains", ("day", "se", "domain"), domains),
        (
            "geo_citation_stability",
            ("se", "week", "domain"),
            citation_stability(domains),
        ),
        ("geo_fan_out_queries", ("day", "se", "query"), fan_out_queries(responses)),
    ):
        columns = next(iter(expected.values()), {}).keys()
        actual = keyed(query(f"select * from {MARTS}.{mart}"), keys, columns)
        assert_same(mart, actual, expected)


def copy_project(destination: Path, brands: Brands | None = None) -> Path:
    """Copy transform/ (without build output), with other seeds if given."""
    project = destination / "transform"
    shutil.copytree(
        TRANSFORM, project, ignore=shutil.ignore_patterns("target", "logs", ".user.yml")
    )
    if brands is not None:
        brands.write(project / "seeds")
    return project


def dbt(
    project: Path, profile: str, *args: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run dbt from this venv on a copy of the project, with one of its profiles."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("DBT_")}
    return subprocess.run(
        [
            str(DBT),
            *args,
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project / "profiles" / profile),
        ],
        env={**base, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **env},
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def dbt_build(
    project: Path, profile: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """``dbt build`` (seeds, models, tests); fail the test with dbt's output."""
    done = dbt(project, profile, "build", env=env)
    assert done.returncode == 0, f"dbt build failed:\n{done.stdout[-8000:]}"
    return done


def duckdb_query(path: Path) -> Callable[[str], list[dict[str, t.Any]]]:
    """A Query over a DuckDB file, opened read-only for each query."""
    import duckdb

    def query(sql: str) -> list[dict[str, t.Any]]:
        with duckdb.connect(str(path), read_only=True) as connection:
            cursor = connection.execute(sql)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    return query
