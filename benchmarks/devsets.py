"""Labelled development sets for theme discovery, built from ../shared/eval and the seed documents.

Every set is (name, texts, labels). Eval data is read from ../shared/eval (never copied into
the repo); sets whose files are absent are skipped.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
EVAL = SHARED / "eval"
SEEDS = SHARED / "seeds" if (SHARED / "seeds").is_dir() else ROOT / "data" / "raw"


def _seed(prefix: str) -> str | None:
    hits = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    return hits[0].read_text(encoding="utf-8") if hits else None


def lsbu():
    path = EVAL / "lsbu_10_leaps_gold.jsonl"
    if not path.exists():
        return None
    rows = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    return [r["text"] for r in rows], [r["theme"] for r in rows]


def trust_b(column: str):
    path = EVAL / "nhs_feedback_trust_b.csv"
    if not path.exists():
        return None
    import pandas as pd

    fb = pd.read_csv(path, dtype=str, keep_default_na=False)
    return fb["text"].tolist(), fb[column].tolist()


def _numbered(text: str, stop: str, heading: re.Pattern[str]):
    texts, labels, theme = [], [], None
    for line in text.splitlines():
        s = line.strip()
        if s.startswith(stop):
            break
        m = heading.match(line)
        if m:
            theme = m.group(1).strip()
            continue
        if theme and len(s) > 40:
            texts.append(s)
            labels.append(theme)
    return texts, labels


def seed_000():
    text = _seed("000")
    if text is None:
        return None
    return _numbered(text, "Tracy Webb", re.compile(r"^\s*\d\.\s+(.{5,80})$"))


def seed_001():
    text = _seed("001")
    if text is None:
        return None
    return _numbered(text, "Does this snapshot", re.compile(r"^\s*\d\.\s+(.{5,80})$"))


def seed_002():
    text = _seed("002")
    if text is None:
        return None
    texts, labels, theme = [], [], None
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("Latest News"):
            break
        if s.endswith("?") and len(s) < 90 and not s.startswith("•"):
            theme = s
        elif theme and s.startswith("•"):
            texts.append(s.lstrip("• ").strip())
            labels.append(theme)
    return texts, labels


def seed_003(sentences_per_unit: int = 3):
    text = _seed("003")
    if text is None:
        return None
    sections: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if re.match(r"^ [A-Z][^.]{3,40}$", line.rstrip()) and not line.rstrip().endswith(","):
            sections.append((line.strip(), []))
        elif sections and line.strip() and not line.strip().startswith("http"):
            sections[-1][1].append(line.strip())
    texts, labels = [], []
    for name, lines in sections:
        if name.startswith("About") or name == "Viewpoint" or name.endswith(":"):
            continue
        body = re.sub(r"\s+", " ", " ".join(lines))
        sents = [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z“\"'])", body) if len(s) > 20]
        for i in range(0, len(sents), sentences_per_unit):
            texts.append(" ".join(sents[i : i + sentences_per_unit]))
            labels.append(name)
    return texts, labels


def seeds_small():
    """Seeds 000-002 pooled: 13 authors' themes across three short documents."""
    out_t, out_l = [], []
    for name, fn in (("000", seed_000), ("001", seed_001), ("002", seed_002)):
        got = fn()
        if got:
            out_t += got[0]
            out_l += [f"{name}:{lab}" for lab in got[1]]
    return (out_t, out_l) if out_t else None


def all_sets():
    """Return {name: (texts, labels)} for every set whose source is present."""
    sets = {
        "lsbu": lsbu(),
        "trustb_category": trust_b("category"),
        "trustb_subcategory": trust_b("subcategory"),
        "seeds_000_002": seeds_small(),
        "seed_003": seed_003(),
    }
    return {k: v for k, v in sets.items() if v is not None}
