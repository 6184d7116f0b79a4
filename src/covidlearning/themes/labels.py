"""The label step: a short phrase from a theme's own texts that names it and agrees with it.

Owns a group's shares of positive and negative texts (:func:`stance_shares`; the texts'
sentiment is :mod:`covidlearning.nlp.sentiment`'s, re-exported as :func:`sentiments`), the
candidate phrases a theme's texts offer (:func:`candidate_phrases`), the choice of each
theme's label among them (:func:`choose_labels`) and the check that a label picks out its
own theme (:func:`label_fit`). It imports numpy and, of covidlearning, only
:mod:`covidlearning.nlp.text` and :mod:`covidlearning.nlp.sentiment`; the embedding function
is passed in.

A label is a phrase of 2-4 words written in at least two of the theme's texts (one if
none repeats), as written ("Waiting for the ambulance", "Kind caring staff"), holding at
least one word that is neither a stop word nor generic praise or blame, and no personal
or possessive pronoun (a phrase with one is a piece of a clause in the respondent's voice:
"the lady I spoke to", "help my child"). A phrase is
read with its negation: words that follow a negation ("could not *improve the care*",
"nothing to *improve*") are no label on their own, since they would say the opposite of
what was written, while the negated phrase is one ("Nothing to improve", "No
complaints"). A phrase that in most of its occurrences runs on into the same word is cut
short ("took a long" of "took a long time", "physio took" of "physio took time") and is
no label either; a generic noun ("time", "things") may end a phrase ("Waiting time"). Nor
is a verb without what it governs: a subject and its past tense ("pandemic brought",
"leaders understood"; a passive such as "care provided" or "advice given" is whole), a
participle that needs its noun first ("based on needs"), a verb that most of its texts
complete ("staff felt listened | to", "hierarchy mattered | less", "bloods as unable |
to"), or a phrasal verb cut from its particle, even in one text ("member turned | up").
Numbers ("given 450mg"), conjunctions that join clauses ("briefings | because everybody
heard") and "which" break a phrase as punctuation does, and "like" neither starts nor
ends one ("time felt like"). Stop words are scikit-learn's, less the nouns and
adjectives among them that name subjects in feedback ("health system", "front line",
"call bells").
Where most of a group's texts name no subject ("Absolutely brilliant", "All fine"), phrases
of generic words are candidates too.

Among the phrases most frequent in the theme and rare elsewhere (the shortlist), the
label is the one that, embedded with MiniLM, is nearest its own theme's texts against
every other theme's (mean cosine; the margin over the nearest other theme must be
positive when any phrase's is) and is written in many of them (its count against the
theme's most written phrase's: in a theme of 800 texts a phrase two of them hold is an
aside, not its name), and never contradicts the theme's texts: where most of them are
positive (VADER compound >= 0.05) a negative phrase is not used, and the other way round.
Labels are unique within a level. Only when no phrase qualifies does the label fall back on the
theme's keywords (two or more, joined), never on a placeholder.

A group most of whose texts are one short answer (2-6 words, more than half of them: 15 of 19
"Everything could be improved", the rest "Nothing could be better") is named by that answer
(:func:`majority_answer`): a phrase its few other texts share would misname most of it.

Sentiment is VADER's as feedback is written (:func:`covidlearning.nlp.sentiment.compounds`,
re-exported here as :func:`sentiments`): words of improvement carry none, and "Nothing,
all excellent" or "Nothing to improve" are no complaints.

Public API: :data:`GENERIC_WORDS`, :func:`sentiments`, :func:`stance_shares`,
:func:`candidate_phrases`, :func:`majority_answer`, :func:`choose_labels`, :func:`label_fit`,
:class:`Label`.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from covidlearning.nlp.sentiment import compounds as sentiments

logger = logging.getLogger(__name__)

#: Sentiment cut (VADER compound): at or above is positive, at or below minus it negative.
SENTIMENT_CUT = 0.05
#: Phrases shortlisted per theme (by frequency in the theme and rarity elsewhere) to embed.
SHORTLIST = 25
#: Texts a label is read from per theme: a larger theme's are a draw fixed by content.
LABEL_TEXTS = 5000
#: Weight of a phrase's coverage (texts holding it, over those holding the theme's most
#: written phrase) in its score, beside its mean cosine to the theme's texts plus twice its
#: margin over the next theme.
COVERAGE_WEIGHT = 0.25
#: Words that praise, blame or fill without naming a subject; a label needs another word.
GENERIC_WORDS = frozenset(
    """
    good great excellent brilliant fantastic amazing lovely nice fine ok okay perfect
    wonderful superb outstanding best better happy pleased satisfied poor bad terrible awful
    horrible worst worse very really thank thanks thankyou everything nothing anything
    something everyone anyone someone always never well much many lot lots thing things way
    ways time times overall general generally quite just also still lovely absolutely
    extremely definitely totally highly keep kept yes no not right wrong sure make makes
    made feel feels felt know knew go going went come came actually basically
    """.split()
)
#: Generic nouns: a label needs another word, but may end on one ("Waiting time").
_GENERIC_NOUNS = frozenset("time times thing things way ways lot lots".split())
#: Negations (VADER's own, with "no"): the words after one are read with it.
_NEGATIONS = frozenset("no not nothing never none nobody nowhere neither nor cannot".split())
#: A phrase that runs on into the same next word in at least this share of the texts
#: holding it is cut short.
RUN_ON_SHARE = 2 / 3
#: Above this share of a group's texts naming no subject, generic phrases may name it.
GENERIC_SHARE = 1 / 2
#: Personal and possessive pronouns: a phrase holding one is a piece of a clause in the
#: respondent's voice ("lady I spoke", "help my child"), not a name for a subject.
_PRONOUNS = frozenset("i me my we us our you your he him his she her they them their".split())
#: Words that complete a verb before them ("staff felt listened | to", "hierarchy mattered
#: | less", "lady who looked | after"): a phrase ending on a verb and followed by the same
#: one in most of the texts holding it is cut short, like a run-on into a noun.
_COMPLEMENTS = frozenset("what how whether less more than after up out".split())
#: Phrasal verbs in the past: a phrase cut between the verb and its particle ("member
#: turned | up", "lady who looked | after") is a fragment even where one text holds it.
#: Only these pairs: after most participles "after", "up" and "out" start what follows
#: ("care provided | after my operation", "patients discharged | out of hours").
_PHRASAL_VERBS = frozenset(
    tuple(pair.split("+"))
    for pair in """
    turned+up looked+after sorted+out followed+up picked+up carried+out helped+out
    worked+out found+out pointed+out signed+up cheered+up checked+up
    """.split()
)
#: Words that "to" completes ("felt listened | to", "unable | to travel"); after others it
#: mostly says where ("staff redeployed | to ICU") and the phrase is whole without it.
_TO_WORDS = frozenset("listened spoke spoken talked able unable used".split())
_COMPLETERS = _COMPLEMENTS | {"to"}
#: Past tenses that follow a subject and seldom stand as a passive after a noun ("time
#: spent", "care provided", "advice given" do): a phrase ending on one is a subject and a
#: verb without its object ("pandemic brought", "leaders understood").
_PAST_VERBS = frozenset(
    "brought understood felt meant sought took gave saw knew became began came went showed".split()
)
#: Participles that qualify a noun only with what follows: a phrase opening on one is a
#: piece ("based on needs"; "decisions based on needs" is whole).
_MODIFIER_PARTICIPLES = frozenset("based related compared associated".split())
_WORD = re.compile(r"[0-9]+(?:st|nd|rd|th)\b|[A-Za-z][A-Za-z'&-]*[A-Za-z]|[A-Za-z]")
#: Clause breaks: punctuation, a spaced dash, conjunctions that join two clauses
#: ("briefings | because everybody heard") and "which" (a relative clause: "a nurse who
#: listened" stays a phrase).
_CLAUSE = re.compile(
    r"[.!?;:,()\[\]\"\n\u2013\u2014]+|\s-\s"
    r"|\b(?:because|since|although|though|but|whereas|unless|while|whilst|if|until"
    r"|which)\b",
    re.IGNORECASE,
)
#: A number, or a number and its unit ("450mg", "2pm", "ward 7"), but not an ordinal
#: ("21st") nor the disease's ("COVID-19", "Covid 19"): a break, never skipped inside a
#: phrase.
_NUMBER = re.compile(
    r"(?<![\w-])(?<!covid )(?<!COVID )(?<!Covid )\d+(?!st\b|nd\b|rd\b|th\b)[A-Za-z]*(?![\w-])"
)
_PLACEHOLDER = re.compile(r"\[[A-Z][A-Z0-9]*(?:[ /_-][A-Z0-9]+)*\]")
#: A word masked by a redaction ("XXXX", "xxx"): never part of a label.
_MASKED = re.compile(r"\b[Xx]{2,}\b")


@dataclass(frozen=True)
class Label:
    """A theme's label and why it was chosen.

    Attributes:
        text: the label.
        source: ``phrase`` (written in the theme's texts), ``answer`` (the short answer
            most of its texts are, :func:`majority_answer`), ``keywords`` (fallback),
            ``text`` (the opening words of a text, when nothing else qualifies) or
            ``subtheme`` (a theme of one subtheme, named as it; margin not measured).
        margin: mean cosine of the label to its theme's texts minus that to the nearest
            other theme's texts (positive: it picks out its own theme).
        sentiment: the label's VADER compound.
    """

    text: str
    source: str
    margin: float
    sentiment: float


def stance_shares(compound: np.ndarray) -> tuple[float, float]:
    """Shares of positive and of negative texts among ``compound`` (0, 0 when empty)."""
    if len(compound) == 0:
        return 0.0, 0.0
    return (
        float((compound >= SENTIMENT_CUT).mean()),
        float((compound <= -SENTIMENT_CUT).mean()),
    )


#: Nouns and adjectives in scikit-learn's stop-word list that name subjects in feedback
#: ("health system", "front line", "call bells", "full time"): a label may hold them.
_SUBJECT_WORDS = frozenset(
    "system fire bill interest front full side part detail amount bottom top empty call".split()
)


@functools.lru_cache(maxsize=1)
def _stop() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    extra = {"get", "got", "did", "does", "don't", "i'm", "it's", "like"}
    return (frozenset(ENGLISH_STOP_WORDS) - _SUBJECT_WORDS) | extra


def _negation(word: str) -> bool:
    """A negation: "not", "nothing", "no", "can't", "couldnt" ..."""
    return word in _NEGATIONS or word.endswith("n't") or word in _NT


#: Contractions of "not" written without the apostrophe.
_NT = frozenset("cant couldnt dont didnt doesnt isnt wasnt werent wont wouldnt shouldnt".split())


def _ends(word: str) -> bool:
    """Whether a phrase may end on ``word`` (not generic praise or filler; a noun may)."""
    return word not in GENERIC_WORDS or word in _GENERIC_NOUNS


def _phrases_of(
    text: str, max_words: int = 4, generic: bool = False
) -> dict[tuple[str, ...], str | None]:
    """Lower-cased word n-grams (2..max_words) of one text, within its clauses.

    Returns each phrase with the word that follows it (None at the end of its clause, or
    when the text holds the phrase twice with different words after it). With
    ``generic``, phrases of generic words only ("Absolutely brilliant") are phrases too.
    """
    stop = _stop()
    out: dict[tuple[str, ...], str | None] = {}
    for clause in _CLAUSE.split(_mask(text)):
        words = [w.lower() for w in _WORD.findall(clause)]
        for i in range(len(words)):
            if not _negation(words[i]) and (
                words[i] in stop or words[i] in GENERIC_WORDS and len(words[i]) < 3
            ):
                continue
            if any(_negation(w) for w in words[:i]):
                continue  # without its negation it would say the opposite of the text
            for n in range(2, max_words + 1):
                gram = tuple(words[i : i + n])
                last = gram[-1]
                if len(gram) < n or last in stop or not (generic or _ends(last)):
                    continue  # "waiting for the", "discharge to assess actually"
                if _PRONOUNS.intersection(gram) or _verb_fragment(gram):
                    continue  # a clause's fragment: "lady I spoke", "pandemic brought"
                if any(
                    len(w) >= 3 and w not in stop and (generic or w not in GENERIC_WORDS)
                    for w in gram
                ):
                    after = words[i + n] if i + n < len(words) else None
                    out[gram] = after if out.get(gram, after) == after else None
    return out


def _mask(text: str) -> str:
    """Redaction placeholders (``[NAME]``, ``XXXX``) and numbers become clause breaks."""
    text = _PLACEHOLDER.sub(" . ", text.replace("\u2019", "'"))
    return _NUMBER.sub(" . ", _MASKED.sub(" . ", text))


def _verb_fragment(gram: tuple[str, ...]) -> bool:
    """A clause's piece, not a subject's name: a verb that lacks what it governs.

    "Based on needs" (a participle that needs its noun first: "decisions based on needs"
    is whole); "pandemic brought", "leaders understood" (a subject and a verb, no object).
    """
    return gram[0] in _MODIFIER_PARTICIPLES or gram[-1] in _PAST_VERBS


def _verb_form(word: str) -> bool:
    """A past tense or participle ("listened", "understood"; not "bed", "need")."""
    regular = len(word) > 4 and word.endswith("ed") and not word.endswith("eed")
    return regular or word in _PAST_VERBS


def candidate_phrases(texts: Sequence[str]) -> Counter[tuple[str, ...]]:
    """How many of ``texts`` contain each candidate phrase (see the module docstring).

    A phrase that runs on into the same word (one a phrase may end on) in at least
    :data:`RUN_ON_SHARE` of the texts holding it is cut short, and left out. When more
    than :data:`GENERIC_SHARE` of the texts hold no phrase naming a subject (a group of
    "Absolutely brilliant", "All fine"), phrases of generic words only are candidates too:
    such a group is named by what its texts say, not by a subject few of them mention.
    """
    stop = _stop()
    texts = [str(t) for t in texts]
    phrases = [_phrases_of(t) for t in texts]
    generic = sum(not p for p in phrases) > GENERIC_SHARE * len(texts)
    if generic:  # read again, phrases of generic words included
        phrases = [_phrases_of(t, generic=True) for t in texts]
    counts: Counter[tuple[str, ...]] = Counter()
    after: dict[tuple[str, ...], Counter[str]] = {}
    for grams in phrases:
        for gram, nxt in grams.items():
            counts[gram] += 1
            if nxt is not None and (
                nxt in _COMPLEMENTS  # the phrasal verbs' particles among them
                or (nxt == "to" and gram[-1] in _TO_WORDS)
                or (nxt not in stop and _ends(nxt))
            ):
                after.setdefault(gram, Counter())[nxt] += 1
    for gram, nxt in after.items():
        cut = RUN_ON_SHARE * counts[gram]
        noun = max((n for w, n in nxt.items() if w not in _COMPLETERS), default=0)
        complement = max((n for w, n in nxt.items() if w in _COMPLETERS), default=0)
        particle = max((n for w, n in nxt.items() if (gram[-1], w) in _PHRASAL_VERBS), default=0)
        # "took a long" (time), "physio took" (time); a verb before the word that completes
        # it, "staff felt listened" (to), read in two texts or more ("physio took time | to
        # explain" is whole: its "to" adds a purpose), or in one if it is the particle of a
        # phrasal verb ("member turned | up")
        completed = _verb_form(gram[-1]) or gram[-1] in _TO_WORDS
        if (
            noun >= cut
            or particle >= cut
            or (completed and counts[gram] >= 2 and complement >= cut)
        ):
            del counts[gram]
    return counts


def _written(gram: tuple[str, ...], texts: Sequence[str]) -> str:
    """The phrase as most often written in ``texts`` (case kept), first letter upper."""
    pat = re.compile(r"\b" + r"[\s-]+".join(re.escape(w) for w in gram) + r"\b", re.IGNORECASE)
    forms: Counter[str] = Counter()
    for t in texts:
        forms.update(" ".join(m.group(0).split()) for m in pat.finditer(str(t)))
    text = min(forms.items(), key=lambda kv: (-kv[1], kv[0]))[0] if forms else " ".join(gram)
    # lower case but for acronyms ("NHS", "A&E"): "Care was Good", "servIce" -> "care was
    # good", "service"; then the first letter upper
    words = [w if w == "I" or (len(w) > 1 and w.isupper()) else w.lower() for w in text.split()]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def label_fit(label_vectors: np.ndarray, means: np.ndarray) -> np.ndarray:
    """Margin of each label over the nearest other theme (row i is theme i's label).

    Args:
        label_vectors: ``(k, dim)`` normalised embeddings of the labels, in theme order.
        means: ``(k, dim)`` each theme's mean text embedding (not re-normalised, so a
            row's dot product is the label's mean cosine to the theme's texts).

    Returns:
        ``(k,)``: mean cosine to its own theme's texts minus the largest to another's;
        positive where the label is nearest its own theme.
    """
    sims = np.asarray(label_vectors, dtype=np.float64) @ np.asarray(means, dtype=np.float64).T
    k = len(sims)
    own = sims[np.arange(k), np.arange(k)]
    other = np.where(np.eye(k, dtype=bool), -np.inf, sims).max(axis=1) if k > 1 else own * 0
    return own - other


def choose_labels(
    groups: dict[int, np.ndarray],
    docs: Sequence[str],
    embeddings: np.ndarray,
    compound: np.ndarray,
    embed: Callable[[list[str]], np.ndarray],
    keywords: dict[int, list[str]] | None = None,
    reserved: Iterable[str] = (),
) -> dict[int, Label]:
    """A label per group (theme or subtheme) of one level.

    Args:
        groups: group id -> indices of its texts in ``docs``.
        docs: the modelled texts.
        embeddings: their normalised MiniLM embeddings.
        compound: their VADER compound sentiment (:func:`sentiments`).
        embed: texts -> normalised embeddings (same model as ``embeddings``).
        keywords: each group's keywords, for the fallback label.
        reserved: labels no group may take (the level's labels given otherwise).

    Returns:
        group id -> :class:`Label`; labels are unique within the level.
    """
    keys = sorted(groups)
    read = {g: _readable(groups[g], docs) for g in keys}
    # the texts left unread count as they would: 'rare elsewhere' keeps its scale
    n_all = len(docs) - sum(len(groups[g]) - len(read[g]) for g in keys)
    counts = {g: candidate_phrases([docs[i] for i in read[g]]) for g in keys}
    total: Counter[tuple[str, ...]] = Counter()
    for c in counts.values():
        total.update(c)
    ranked: dict[int, list[tuple[str, ...]]] = {}
    for g in keys:
        n_g = len(read[g])

        def lexical(gram: tuple[str, ...], g: int = g, n_g: int = n_g) -> float:
            inside = counts[g][gram]
            spec = inside / total[gram]
            return (inside / n_g) * spec * math.log(1 + n_all / total[gram])

        # phrases written in 2+ of the theme's texts first, then the others
        ranked[g] = sorted(counts[g], key=lambda p: (counts[g][p] < 2, -lexical(p), len(p), p))
    member_docs = {g: [docs[i] for i in read[g]] for g in keys}
    # each theme's mean in float64, without a float64 copy of every vector
    emb = np.asarray(embeddings)
    means = np.stack([np.asarray(emb[groups[g]], dtype=np.float64).mean(axis=0) for g in keys])
    vectors: dict[str, np.ndarray] = {}
    tones: dict[str, float] = {}

    def prepare(phrases: list[str]) -> None:  # embed and score the new ones, in one batch
        new = sorted({p for p in phrases if p not in vectors})
        if new:
            vectors.update(zip(new, np.asarray(embed(new), dtype=np.float64), strict=True))
            tones.update(zip(new, sentiments(new).tolist(), strict=True))

    # first the phrases written in 2+ of the theme's texts (when there are any)
    top = {g: [p for p in ranked[g] if counts[g][p] >= 2] or ranked[g] for g in keys}
    first = {g: [_written(p, member_docs[g]) for p in top[g][:SHORTLIST]] for g in keys}
    # coverage: texts holding the phrase, against the theme's most written phrase
    coverage = {
        (g, _written(p, member_docs[g])): counts[g][p] / max(counts[g].values())
        for g in keys
        for p in ranked[g][: 4 * SHORTLIST]
    }
    prepare([p for g in keys for p in first[g]])
    out: dict[int, Label] = {}
    used: set[str] = {r.lower() for r in reserved}

    def fit(phrase: str, j: int) -> tuple[float, float]:
        """Mean cosine of ``phrase`` to group ``j``'s texts, and its margin over the others."""
        sims = means @ vectors[phrase]
        own = float(sims[j])
        return own, own - (float(np.delete(sims, j).max()) if len(keys) > 1 else 0.0)

    order = sorted(keys, key=lambda g: (-len(groups[g]), g))  # larger themes choose first
    for g in order:
        j_g = keys.index(g)
        pos, neg = stance_shares(compound[groups[g]])

        def pick(
            cands: list[str], g: int = g, j_g: int = j_g, pos: float = pos, neg: float = neg
        ) -> tuple:
            best = fallback = None
            for p in cands:
                if p.lower() in used:
                    continue
                s = tones[p]
                if (pos > neg and s <= -SENTIMENT_CUT) or (neg > pos and s >= SENTIMENT_CUT):
                    continue  # the label would contradict most of its texts
                own, margin = fit(p, j_g)
                entry = (own + 2.0 * margin + COVERAGE_WEIGHT * coverage.get((g, p), 0.0),
                         p, margin, s)  # fmt: skip
                if margin > 0 and (best is None or entry[:2] > best[:2]):
                    best = entry
                if fallback is None or entry[:2] > fallback[:2]:
                    fallback = entry
            return best, fallback

        answer = majority_answer([docs[i] for i in groups[g]])
        if answer is not None and answer.lower() not in used:
            prepare([answer])
            margin = fit(answer, j_g)[1]
            out[g] = Label(answer, "answer", round(margin, 6), round(tones[answer], 6))
            used.add(answer.lower())
            continue
        best, fallback = pick(first[g])
        kw: list[str] = []
        if best is None:  # widen: more of the theme's phrases, and its keywords
            more = [_written(p, member_docs[g]) for p in ranked[g][: 4 * SHORTLIST]]
            kw = _keyword_labels((keywords or {}).get(g, []), member_docs[g])
            prepare(more + kw)
            best, wider = pick(more + kw)
            fallback = fallback or wider
        chosen = best or fallback
        if chosen is not None:
            kind = "keywords" if chosen[1] in kw else "phrase"
            out[g] = Label(chosen[1], kind, round(chosen[2], 6), round(chosen[3], 6))
        else:
            text = (_first_words(member_docs[g][0]) if member_docs[g] else "") or f"Group {g}"
            if text.lower() in used:
                text = f"{text} ({g})"
            out[g] = Label(text, "text", float("nan"), float(sentiments([text])[0]))
        used.add(out[g].text.lower())
    return {g: out[g] for g in keys}


#: A group is named by one answer when more than this share of its texts are that answer...
MAJORITY_SHARE = 0.5
#: ... and it has this many words (a lone word, "Nothing", says too little for a label).
MAJORITY_WORDS = (2, 6)


def majority_answer(texts: Sequence[str]) -> str | None:
    """The short answer more than half of ``texts`` are, as written, or None.

    Texts count as the same answer when they differ only in case, spacing and end
    punctuation; the answer must have 2-6 words (:data:`MAJORITY_WORDS`) and hold no
    redaction placeholder or masked word. It is given as most of its copies write it.
    """
    if not texts:
        return None
    written = [" ".join(str(t).split()).strip(" .!,;:") for t in texts]
    keys = [w.lower() for w in written]
    key, n = Counter(keys).most_common(1)[0]
    low, high = MAJORITY_WORDS
    if n <= MAJORITY_SHARE * len(texts) or not low <= len(key.split()) <= high:
        return None
    form = Counter(w for w, k in zip(written, keys, strict=True) if k == key).most_common(1)[0][0]
    if _PLACEHOLDER.search(form) or _MASKED.search(form):
        return None
    return form[:1].upper() + form[1:]


def _readable(members: np.ndarray, docs: Sequence[str]) -> np.ndarray:
    """The texts of a theme its label is read from: all, or :data:`LABEL_TEXTS` of them.

    A large theme's phrases are counted on a draw of its texts fixed by their content
    (the smallest BLAKE2b digests of the texts, then their positions), so the draw does
    not depend on row order or on the run; a phrase common in the theme is common in
    the draw. This bounds the label step's memory and time at any corpus size.
    """
    if len(members) <= LABEL_TEXTS:
        return members
    digest = [
        hashlib.blake2b(str(docs[i]).encode("utf-8"), digest_size=8).digest() for i in members
    ]
    order = sorted(range(len(members)), key=lambda j: (digest[j], int(members[j])))
    return np.sort(np.asarray(members)[order[:LABEL_TEXTS]])


def _keyword_labels(words: list[str], texts: list[str]) -> list[str]:
    """Labels made of a theme's keywords (two at a time, as written where they meet)."""
    from covidlearning.nlp.text import label_from_keywords

    out = []
    for start in range(min(4, len(words))):
        lab = label_from_keywords(words[start:], texts=texts)
        if lab and lab != "Unlabelled" and len(lab.split()) >= 2:
            lab = lab[:1] + lab[1:].lower() if lab.upper() != lab else lab
            if lab not in out:
                out.append(lab)
    return out


def _first_words(text: str, n: int = 5) -> str:
    words = _WORD.findall(str(text))[:n]
    s = " ".join(words) or "Untitled text"
    return s[:1].upper() + s[1:]
