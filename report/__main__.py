"""``python -m report``: write the GEO report (static HTML) from the warehouse.

Reads the marts that ``dbt build`` (``meltano run ... dbt-duckdb:run``) leaves in
the DuckDB file and writes one self-contained page: inline SVG charts, no script,
no network, viewable offline.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from report.data import ReportError, read
from report.page import render

#: Where meltano.yml points target-duckdb and dbt-duckdb.
WAREHOUSE = Path("output/warehouse.duckdb")
OUTPUT = Path("output/report.html")
#: The marts' schema (DBT_DUCKDB_SCHEMA in transform/profiles/duckdb).
SCHEMA = "geo"


def write(warehouse: Path, output: Path, schema: str = SCHEMA) -> Path:
    """Read the marts and write the page; return its path.

    Raises:
        ReportError: the warehouse or its marts are missing.
    """
    figures = read(warehouse, schema)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(figures), encoding="utf-8")
    return output


def main(argv: list[str] | None = None) -> int:
    """Write the report; a problem ends with one line on stderr and exit 1."""
    parser = argparse.ArgumentParser(prog="python -m report", description=__doc__)
    parser.add_argument("--warehouse", type=Path, default=WAREHOUSE)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--schema", default=SCHEMA)
    args = parser.parse_args(argv)
    try:
        path = write(args.warehouse, args.output, args.schema)
    except ReportError as exc:
        print(f"report: error: {exc}", file=sys.stderr)
        return 1
    print(f"Report: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
