"""Compare two folders of preset tables (tools/preset_tables.sh): byte for byte, except the
rows of mechanism=mpyc_*, which measure a real runtime (bytes and seconds vary)."""

import sys
from pathlib import Path

import pandas as pd


def main(before: Path, after: Path) -> int:
    different = 0
    for old in sorted(before.glob("*.csv")):
        new = after / old.name
        if not new.exists():
            verdict = "missing"
        elif old.read_bytes() == new.read_bytes():
            verdict = "identical"
        else:
            a, b = (pd.read_csv(p) for p in (old, new))
            a, b = (f[~f.mechanism.astype(str).str.startswith("mpyc_")].reset_index(drop=True) for f in (a, b))
            verdict = "identical except mpyc rows" if a.equals(b) else "DIFFERENT"
        different += not verdict.startswith("identical")
        print(f"{old.stem}: {verdict}")
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
