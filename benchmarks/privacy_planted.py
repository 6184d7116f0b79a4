"""Planted-identifier benchmark: recall per identifier type and over-redaction of decoys.

Our own synthetic patient and staff comments (no real person's details: names from the
shipped lists' common entries, Ofcom drama phone ranges, reserved domains), each holding
one planted identifier of a known type, mixed with comments holding decoys that must
survive redaction (drug doses, times, dates of service, ward-less numbers, places kept).

Two measures:

* **text level**: every planted comment through :class:`covidlearning.privacy.redact.Redactor`;
  recall per type = share of planted identifiers that no longer appear (case-insensitive),
  over-redaction = share of decoys changed.
* **end to end** (``--e2e``): the comments (planted + decoys + 300 ordinary ones from the
  synthetic trust survey, so that themes form) written as a survey export and run
  through ``covidlearning discover``, ``covidlearning assign`` and ``covidlearning report``
  (the synthetic-trust config pointed at this export, 20 quotes per theme so almost every
  text is quoted); recall per type = share of planted identifiers found in no output file
  (every file, including the saved model), decoys survive = share of decoys quoted in
  ``tables/quotes.csv`` that appear there unchanged.

Targets (issue #20): recall 1.0 on every type end to end, decoy over-redaction under 5%.

Usage::

    .venv/bin/python benchmarks/privacy_planted.py            # text level, ~10 s
    .venv/bin/python benchmarks/privacy_planted.py --e2e      # + discover/assign/report, ~15 min
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Plant:
    """One comment with one planted identifier (or a decoy) of a known kind."""

    kind: str
    secret: str
    text: str
    decoy: bool = False


_GIVEN = ["Sarah", "Priya", "Thomas", "Aisha", "Gareth", "Joanne", "Kwame", "Siobhan", "Tariq"]
_SURN = ["Okafor", "Hughes", "Patel", "Kowalski", "Robertson", "Nwosu", "Fitzgerald", "Khan"]
_TITLE = ["Dr", "Nurse", "Sister", "Mr", "Mrs", "Dr.", "Prof", "Matron"]
_ROLES = ["nurse", "porter", "HCA", "paramedic", "receptionist", "physio", "doctor"]
_STREETS = ["Acacia Avenue", "Mill Lane", "Station Road", "Orchard Close", "Victoria Street",
            "Beech Grove", "Church Crescent", "Elm Drive"]  # fmt: skip
_TREES = ["Rowan", "Willow", "Beech", "Cedar", "Hazel", "Juniper"]
_COLOURS = ["Blue", "Yellow", "Amber"]
_MONTHS = ["January", "March", "May", "July", "September", "November"]
_WORD_DAYS = ["third", "twenty-first", "fifth", "twelfth", "first", "eighth"]
_WORD_YEARS = ["nineteen fifty", "nineteen thirty-two", "nineteen forty-seven"]


def _nhs(rng: random.Random, valid: bool) -> str:
    while True:
        d = [rng.choice("4679")] + [str(rng.randrange(10)) for _ in range(8)]
        total = sum(int(x) * w for x, w in zip(d, range(10, 1, -1), strict=True))
        check = 11 - total % 11
        check = 0 if check == 11 else check
        if check == 10:
            continue
        last = check if valid else (check + rng.randrange(1, 10)) % 10
        return "".join(d) + str(last)


def planted_texts(seed: int = 20, per_kind: int = 6) -> list[Plant]:
    """The planted comments: ``per_kind`` variants of every identifier type, plus decoys."""
    rng = random.Random(seed)
    out: list[Plant] = []

    def add(kind: str, secret: str, text: str) -> None:
        out.append(Plant(kind, secret, text))

    g = lambda: rng.choice(_GIVEN)  # noqa: E731
    s = lambda: rng.choice(_SURN)  # noqa: E731
    for k in range(per_kind):
        # names: any case, hyphens, particles, apostrophes; titles; staff with role
        given, sur = g(), s()
        variants = [
            (f"{given.lower()} {sur.lower()}", "{} looked after my dad all night, thank you"),
            ("Anne-Marie Smith-Jones", "The discharge nurse {} explained everything twice."),
            ("van der Berg", f"{rng.choice(['Dr', 'dr', 'Doctor'])} {{}} took time to listen."),
            ("O'Neill", "Sister {} sorted the pain relief within minutes."),
            (f"{given} O'Brien", "{} on reception was rude to my wife."),
            (f"{sur.upper()}", "DR {} NEVER CAME BACK TO SEE US."),
        ]
        secret, tmpl = variants[k % len(variants)]
        add("name", secret, tmpl.format(secret))
        title, sur2 = rng.choice(_TITLE), s()
        add("name", sur2, f"{title} {sur2} was kind but the wait was far too long.")
        given2, role = g(), rng.choice(_ROLES)
        role_variants = [
            f"The {role} called {given2.lower()} made all the difference.",
            f"{given2} the {role} stayed late to help us.",
            f"Our {role}, {given2}, could not have been kinder.",
        ]
        add("name", given2, role_variants[k % 3])
        # addresses
        no, street = rng.randrange(2, 180), rng.choice(_STREETS)
        addr = [
            f"{no} {street}",
            f"{no} {street.lower()}",
            f"Flat {rng.randrange(1, 30)}",
            f"{no}b {street}",
        ][k % 4]
        add("address", addr, f"Transport never came to {addr} so I missed my appointment.")
        home = f"{rng.choice(['Rose', 'Ivy', 'Primrose', 'Holly'])} Cottage"
        add("address", home, f"My mum lives at {home} and nobody visited her after discharge.")
        # postcodes
        pc = rng.choice(["SW1A 1AA", "ls1 4ap", "M14 5RX", "b152tt", "EH3  9DR", "cf10 3nq"])
        pc = [pc, pc.lower().replace(" ", ""), pc.upper()][k % 3]
        add("postcode", pc, f"Home visits do not cover {pc} apparently, which is ridiculous.")
        # phones
        n3 = f"{rng.randrange(1000):03d}"
        ph = [
            f"07700 900{n3}", f"07700900{n3}", f"+44 7700 900{n3}", f"(0161) 496 0{n3}",
            f"020-7946-0{n3}", f"0044 113 496 0{n3}", f"07700.900.{n3}", f"+44(0)1632 960{n3}",
        ][k % 8]  # fmt: skip
        add("phone", ph, f"Nobody answered {ph} for two days.")
        # emails, including spelled out
        gl, sl = g().lower(), s().lower()
        em = [
            f"{gl}.{sl}@nhs.net",
            f"{gl} dot {sl} at nhs dot net",
            f"{gl}{sl} (at) example dot co dot uk",
            f"{gl}.{sl} at gmail.com",
            f"{gl}_{sl}[at]example[dot]org",
        ][k % 5]
        add("email", em, f"I emailed {em} twice and heard nothing back.")
        # dates of birth and ages
        dob = [
            f"{rng.randrange(1, 28)}/{rng.randrange(1, 12)}/19{rng.randrange(30, 99)}",
            f"{rng.randrange(1, 28)} {rng.choice(_MONTHS)} 19{rng.randrange(30, 99)}",
            f"the {rng.choice(_WORD_DAYS)} of {rng.choice(_MONTHS)} {rng.choice(_WORD_YEARS)}",
            f"{rng.choice(_MONTHS)} {rng.randrange(1, 28)}, 19{rng.randrange(30, 99)}",
        ][k % 4]
        ctx = ["born on", "DOB", "date of birth", "born"][k % 4]
        add("date_of_birth", dob, f"My father, {ctx} {dob}, was left on a trolley.")
        age = [str(rng.randrange(90, 104)), "ninety-four", "101"][k % 3]
        age_tmpl = [
            "My nan is {} years old and was sent home at 2am.",
            "A {}-year-old lady was left in the corridor.",
            "My grandad, aged {}, waited nine hours.",
        ][k % 3]
        add("age", age, age_tmpl.format(age))
        # NHS-number-like: valid or not, grouped or not
        num = _nhs(rng, valid=k % 2 == 0)
        num = [num, f"{num[:3]} {num[3:6]} {num[6:]}", f"{num[:3]}-{num[3:6]}-{num[6:]}"][k % 3]
        add("nhs_number", num, f"The letter had {num} on it but it was not my number.")
        # hospital, ward, bay and bed identifiers
        ward = [
            f"Ward {rng.randrange(1, 40)}",
            f"{rng.choice(_TREES)} Ward",
            f"{rng.choice(_COLOURS)} Ward",
            f"Bay {rng.randrange(1, 8)} Bed {rng.randrange(1, 12)}",
            f"{rng.choice(_TREES).lower()} ward",
            "Florence Nightingale Ward",
        ][k % 6]
        add("ward_bed", ward, f"The staff on {ward} were stretched to breaking point.")
        hosp = ["Whiston Hospital", "St Thomas' Hospital", "Kingsmill Hospital"][k % 3]
        add("place", hosp, f"I was moved to {hosp} without being told why.")
        # reference numbers
        ref = rng.randrange(10000, 99999999)
        refs = [
            f"Incident no {ref}",
            f"crew no{ref % 10000:04d}",
            f"complaint reference CMP-{ref % 100000}",
            f"case number {ref}",
            f"Datix {ref}",
            f"hospital number K{ref % 1000000:06d}",
        ][k % 6]
        secret = refs.split()[-1].removeprefix("no")
        add("reference", secret, f"I quoted {refs} and still no reply.")
    # decoys: must survive
    for k in range(per_kind * 4):
        dose = f"{rng.choice([5, 10, 20, 50, 100, 250, 500])}mg"
        time = f"{rng.randrange(0, 24):02d}:{rng.choice(['00', '15', '30', '45'])}"
        day = f"{rng.randrange(1, 28)} {rng.choice(_MONTHS)} 2021"
        dd = f"{rng.randrange(1, 28)}/{rng.randrange(1, 12)}/2021"
        n = str(rng.randrange(12, 900))
        decoys = [
            (dose, f"They gave me {dose} of morphine and it barely touched the pain."),
            (time, f"The ambulance arrived at {time} after a long wait."),
            (day, f"I was seen on {day} and discharged the same day."),
            (dd, f"My appointment on {dd} was cancelled twice."),
            (n, f"There were {n} people in the waiting room."),
            ("2 paracetamol", "They only offered 2 paracetamol every 4 hours."),
            ("30 minutes", "Waited 30 minutes for a bed pan."),
            ("85 years old", "My mum is 85 years old and was treated with dignity."),
            ("a 2 hour drive", "It is a 2 hour drive to the nearest specialist."),
            ("10 hours", "I was on a trolley for 10 hours in A&E."),
            ("1 in 3", "Around 1 in 3 of the staff were off sick."),
            ("999", "I rang 999 and they came quickly."),
        ]
        secret, text = decoys[k % len(decoys)]
        out.append(Plant("decoy", secret, text, decoy=True))
    return out


_PARTICLES = {"van", "der", "von", "de", "la", "le", "du", "da", "di"}


def leaked(p: Plant, text: str) -> bool:
    """The planted identifier is in ``text``: whole, or (for names) any part of it.

    A short number (an age) counts only with the words around it in its comment ("is 94
    years"), so a count or an id elsewhere that happens to hold the digits is no leak.
    """
    low = text.lower()
    secret = p.secret.lower()
    if secret.isdigit() and len(secret) <= 4:
        i = p.text.lower().index(secret)
        before = p.text.lower()[:i].split()[-1:]
        after = p.text.lower()[i + len(secret) :].split()[:1]
        secret = " ".join([*before, secret]) + (
            after[0] if p.text[i + len(secret) :][:1] == "-" else ""
        )
        if not before:
            secret = p.text.lower()[i : i + len(p.secret) + 6]
        return re.search(rf"(?<![\w]){re.escape(secret)}", low) is not None
    if secret in low:
        return True
    if p.kind == "name":
        parts = [w for w in re.split(r"[\s-]+", p.secret.lower()) if len(w) > 2]
        return any(
            re.search(rf"(?<![\w'-]){re.escape(w)}(?![\w'-])", low)
            for w in parts
            if w not in _PARTICLES
        )
    return False


def text_level(plants: list[Plant], config=None) -> dict:
    """Recall per type and decoy over-redaction, one comment at a time."""
    from covidlearning.config import RedactionConfig
    from covidlearning.privacy.redact import Redactor

    red = Redactor(config or RedactionConfig())
    found, total = defaultdict(int), defaultdict(int)
    misses, changed = [], []
    for p in plants:
        out = red.redact(p.text)
        if p.decoy:
            total["decoy"] += 1
            if p.secret not in out:
                changed.append((p.text, out))
            continue
        total[p.kind] += 1
        if not leaked(p, out):
            found[p.kind] += 1
        else:
            misses.append((p.kind, p.text, out))
    recall = {k: found[k] / total[k] for k in sorted(total) if k != "decoy"}
    return {
        "recall": recall,
        "decoy_over_redaction": len(changed) / max(1, total["decoy"]),
        "n": dict(total),
        "misses": misses,
        "decoys_changed": changed,
    }


def _export(plants: list[Plant], path: Path, n_ordinary: int = 300) -> None:
    """A survey export: planted comments among ordinary synthetic ones, shuffled."""
    import pandas as pd

    from covidlearning.testing.synthetic import generate

    base = generate(n=max(400, n_ordinary + 100), seed=11).frame
    planted_ids = set()
    base = base[~base["answer"].str.contains(r"\d|@|Dr |Sister |Nurse ", regex=True)]
    base = base.head(n_ordinary).copy()
    rows = []
    for i, p in enumerate(plants):
        rows.append(
            {
                "response_id": f"P{i:04d}",
                "submitted": f"{(i % 27) + 1:02d}/0{(i % 9) + 1}/2021",
                "staff_group": "Nursing and midwifery",
                "site": "Riverside",
                "answer": p.text,
            }
        )
        planted_ids.add(f"P{i:04d}")
    base["site"] = "Riverside"
    base["staff_group"] = "Nursing and midwifery"
    frame = pd.concat([base, pd.DataFrame(rows)], ignore_index=True)
    frame = frame.sample(frac=1.0, random_state=3).reset_index(drop=True)
    frame.to_csv(path, index=False)


def _all_text(folder: Path) -> str:
    """Every readable text under ``folder`` (the guard's reader, plus raw bytes of the rest)."""
    from covidlearning.privacy.redact import file_chunks

    parts = []
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        chunks = list(file_chunks(f))
        parts += [c for _, c in chunks]
        if not chunks:
            parts.append(f.read_bytes().decode("utf-8", errors="ignore"))
    return "\n".join(parts)


def end_to_end(plants: list[Plant], work: Path) -> dict:
    """Run discover, assign and report on an export holding the planted comments."""
    import pandas as pd
    import yaml

    exe = str(ROOT / ".venv" / "bin" / "covidlearning")
    export = work / "export.csv"
    _export(plants, export)
    runs: dict[str, Path] = {}
    common = ["--text-column", "answer", "--id-column", "response_id"]
    subprocess.run(
        [exe, "-q", "discover", str(export), *common, "--out", str(work / "discover"),
         "--stability-runs", "0", "--no-refine"],
        check=True,
    )  # fmt: skip
    runs["discover"] = work / "discover"
    subprocess.run(
        [exe, "-q", "assign", str(export), *common, "--model", str(work / "discover"),
         "--out", str(work / "assign")],
        check=True,
    )  # fmt: skip
    runs["assign"] = work / "assign"
    cfg = yaml.safe_load((ROOT / "configs" / "synthetic-trust.yaml").read_text())
    cfg["name"] = "planted"
    cfg["input"]["path"] = str(export)
    cfg["input"]["dayfirst"] = True
    cfg["discover"]["n_quotes"] = 20
    cfg["discover"]["stability_runs"] = 0
    cfg["discover"]["refine"] = False
    cfg["reports_dir"] = str(work / "reports")
    cfg["redaction"]["log_dir"] = str(work / "anonymisation")
    (work / "planted.yaml").write_text(yaml.safe_dump(cfg))
    proc = subprocess.run(
        [exe, "-q", "report", "--config", str(work / "planted.yaml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    runs["report"] = work / "reports" / "planted"
    result: dict = {"report_exit": proc.returncode, "report_stderr": proc.stderr[-500:]}
    for stage, folder in runs.items():
        text = _all_text(folder).lower() if folder.exists() else ""
        found, total = defaultdict(int), defaultdict(int)
        leaks = []
        for p in plants:
            if p.decoy:
                continue
            total[p.kind] += 1
            if leaked(p, text):
                leaks.append(p.kind)
            else:
                found[p.kind] += 1
        result[stage] = {
            "recall": {k: round(found[k] / total[k], 3) for k in sorted(total)},
            "leaked_kinds": sorted(set(leaks)),
        }
    quotes = runs["report"] / "tables" / "quotes.csv"
    if quotes.exists():
        q = pd.read_csv(quotes, dtype=str).fillna("")
        qtext = "\n".join(q["quote"])
        decoys = [p for p in plants if p.decoy]
        lines = qtext.splitlines()

        def quoted_line(p: Plant) -> tuple[str, bool] | None:
            """The quote of a decoy's comment and whether the decoy survived in it.

            Comments share templates ("arrived at 05:30" / "at 09:15"), so a line with
            another decoy's value is not this one's; a placeholder where the decoy was is.
            """
            if kept := next((ln for ln in lines if p.text in ln), None):
                return kept, True
            before, _, after = p.text.partition(p.secret)
            pat = re.compile(re.escape(before) + r"(.{0,40}?)" + re.escape(after))
            for ln in lines:
                if (m := pat.search(ln)) and "[" in m.group(1):
                    return ln, False
            return None

        found = [(p, q) for p in decoys if (q := quoted_line(p)) is not None]
        quoted = [p for p, _ in found]
        changed = [q[0] for _, q in found if not q[1]]
        result["report"]["decoys_quoted"] = len(quoted)
        result["report"]["decoy_over_redaction"] = (
            round(len(changed) / len(quoted), 3) if quoted else None
        )
        result["report"]["decoys_changed"] = changed
    return result


def main() -> None:
    """Print the text-level (and with ``--e2e`` the end-to-end) figures as JSON."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--e2e", action="store_true", help="also run discover, assign, report")
    ap.add_argument("--per-kind", type=int, default=6)
    ap.add_argument("--seed", type=int, default=20)
    ap.add_argument("--show-misses", action="store_true")
    args = ap.parse_args()
    plants = planted_texts(args.seed, args.per_kind)
    res = text_level(plants)
    shown = {k: v for k, v in res.items() if k not in {"misses", "decoys_changed"}}
    if args.show_misses:
        shown["misses"] = res["misses"]
        shown["decoys_changed"] = res["decoys_changed"]
    print(json.dumps({"text_level": shown}, indent=1))
    if args.e2e:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps({"end_to_end": end_to_end(plants, Path(tmp))}, indent=1))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
