"""Write the synthetic trust staff survey: data/raw/synthetic-trust/staff_survey.csv.

Usage (from the project root)::

    .venv/bin/python scripts/make_synthetic_trust.py [--n 3000] [--seed 2021] [--out PATH]

The file is committed; tests regenerate it and check the bytes are identical, so
edit covidlearning/testing/synthetic.py and rerun this script rather than editing the CSV.
The planted identifiers stay in memory (``SyntheticTrust.planted``); only counts
are printed.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from covidlearning.testing.synthetic import write

DEFAULT_OUT = Path("data/raw/synthetic-trust/staff_survey.csv")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000, help="number of responses")
    parser.add_argument("--seed", type=int, default=2021, help="random seed")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="CSV to write")
    args = parser.parse_args(argv)
    data = write(args.out, n=args.n, seed=args.seed)
    kinds = Counter(p.kind for p in data.planted)
    print(
        f"wrote {len(data.frame)} responses to {args.out}; planted identifiers: "
        + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
        + f"; decoy doses and times {len(data.decoys)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
