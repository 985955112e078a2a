"""Static check: every XML file is well-formed and every CSV file has rows as wide as its header."""

import csv
import pathlib
import sys
import xml.etree.ElementTree as ET

ROOT = pathlib.Path(__file__).resolve().parent.parent
SKIP = {".git", "node_modules", "__pycache__"}


def files(suffix):
    for path in ROOT.rglob(f"*{suffix}"):
        if not SKIP.intersection(path.parts):
            yield path


def main():
    errors = []
    count = 0
    for path in files(".xml"):
        count += 1
        try:
            ET.parse(path)
        except ET.ParseError as exc:
            errors.append(f"{path.relative_to(ROOT)}: {exc}")
    for path in files(".csv"):
        count += 1
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        if not rows:
            errors.append(f"{path.relative_to(ROOT)}: empty")
            continue
        width = len(rows[0])
        for number, row in enumerate(rows[1:], start=2):
            if row and len(row) != width:
                errors.append(f"{path.relative_to(ROOT)}:{number}: {len(row)} columns, header has {width}")
    for error in errors:
        print(error, file=sys.stderr)
    print(f"checked {count} XML/CSV files: {len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
