"""``python -m vendor_models [--check]``: write (or check) the vendor models file."""

from __future__ import annotations

import json
import sys

from vendor_models import TARGET, derived


def rendered() -> str:
    """The file as it should read."""
    return json.dumps(derived(), indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def main() -> None:
    """Write the file, or with ``--check`` exit 1 if it differs."""
    text = rendered()
    if "--check" in sys.argv[1:]:
        if TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET.name} differs: run python -m vendor_models")
            sys.exit(1)
        return
    TARGET.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
