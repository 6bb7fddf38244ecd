"""``python -m report.screenshot PAGE PNG``: the page as a person sees it.

Renders an HTML file with headless Chromium (Debian: ``apt-get install
chromium``) to a PNG, to look at the report as a browser draws it. Offline:
background networking, sync and component updates are off, and a throw-away
profile is used.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def screenshot(page: Path, png: Path, width: int, height: int) -> None:
    """Write ``png``, the first ``height`` pixels of ``page`` at ``width``.

    Raises:
        RuntimeError: no Chromium, or it wrote no PNG.
    """
    browser = next(filter(None, map(shutil.which, BROWSERS)), None)
    if browser is None:
        raise RuntimeError("no chromium on PATH (Debian: apt-get install chromium)")
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="report-chromium-") as profile:
        # The browser found on PATH, our own flags and paths: no untrusted input.
        done = subprocess.run(  # noqa: S603
            [browser, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--no-first-run", "--disable-sync",
             "--disable-component-update", "--hide-scrollbars",
             f"--user-data-dir={profile}", f"--screenshot={png.resolve()}",
             f"--window-size={width},{height}", page.resolve().as_uri()],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    if not png.is_file():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"chromium wrote no {png} (exit {done.returncode}): {last}")


def main(argv: list[str] | None = None) -> int:
    """Write the PNG; a problem ends with one line on stderr and exit 1."""
    parser = argparse.ArgumentParser(prog="python -m report.screenshot")
    parser.add_argument("page", type=Path)
    parser.add_argument("png", type=Path)
    parser.add_argument("--width", type=int, default=1100)
    parser.add_argument("--height", type=int, default=5200)
    args = parser.parse_args(argv)
    if not args.page.is_file():
        print(f"report.screenshot: error: no page at {args.page}", file=sys.stderr)
        return 1
    try:
        screenshot(args.page, args.png, args.width, args.height)
    except RuntimeError as exc:
        print(f"report.screenshot: error: {exc}", file=sys.stderr)
        return 1
    print(f"Screenshot: {args.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
