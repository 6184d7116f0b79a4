"""Topic-word handling with NLTK: tokens, stop words, stemming and collocations.

Everything here works without NLTK data (no ``nltk.download``): tokens come from
``RegexpTokenizer``, stems from ``PorterStemmer``, collocations from
``nltk.collocations.BigramCollocationFinder``. Stop words are scikit-learn's list,
stopwordsiso's English list and :data:`DOMAIN_STOP_WORDS`, words present in nearly
every text of this domain that would otherwise top every topic.

:class:`TopicTokenizer` is fitted on a corpus: it learns which stem groups
belong together (``consultations``/``consultation`` -> ``consultation``, shown as the
group's most frequent surface form, so keywords stay readable) and which word pairs
are collocations (``video consultation``), which it emits as one term beside the
single words, written as the pair is most often written (``virtual clinics``, not the
stem groups' forms ``virtual clinical``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

#: Words too common in health-and-care COVID texts to tell themes apart.
DOMAIN_STOP_WORDS = frozenset(
    """
    covid covid19 covid-19 coronavirus pandemic nhs health healthcare care
    service services people patient patients staff thing things really just
    lot lots way ways new time times like good great also would could
    xxx xxxx xx
    """.split()
)

_TOKEN_PATTERN = r"[a-z][a-z0-9]*(?:[-'][a-z0-9]+)*"
#: Redaction placeholders such as ``[NAME]`` or ``[WARD/BED]``: never topic words.
_PLACEHOLDER = re.compile(r"\[[A-Z][A-Z0-9]*(?:[ /_-][A-Z0-9]+)*\]")


def _prepare(text: str) -> str:
    return _PLACEHOLDER.sub(" ", text).lower().replace("\u2019", "'")


def stop_words(extra: Iterable[str] = ()) -> frozenset[str]:
    """Return the stop-word set: scikit-learn + stopwordsiso English + domain list + ``extra``."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = set(ENGLISH_STOP_WORDS) | set(DOMAIN_STOP_WORDS)
    try:
        import stopwordsiso

        words |= set(stopwordsiso.stopwords("en"))
    except (ImportError, KeyError):  # pragma: no cover - stopwordsiso is a dependency
        pass
    words |= {w.lower() for w in extra}
    return frozenset(words)


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens (letters first; keeps ``covid-19``, ``don't``)."""
    from nltk.tokenize import RegexpTokenizer

    return RegexpTokenizer(_TOKEN_PATTERN).tokenize(_prepare(text))


class TopicTokenizer:
    """Turn a text into topic terms: content words (stem-grouped) and collocations.

    Use :meth:`fit` on the corpus first; calling an unfitted tokenizer gives
    content words without stem grouping or collocations. Instances are callables,
    so they serve as scikit-learn ``CountVectorizer(tokenizer=...)``.

    Args:
        extra_stop_words: words to drop in addition to :func:`stop_words`.
        min_len: shortest word kept.
        max_collocations: most word pairs learned as collocations.
        min_pair_count: a pair must occur at least this often (None: 2 for fewer
            than 500 texts, else 3).
    """

    def __init__(
        self,
        extra_stop_words: Iterable[str] = (),
        min_len: int = 3,
        max_collocations: int = 200,
        min_pair_count: int | None = None,
    ) -> None:
        self.stop = stop_words(extra_stop_words)
        self.min_len = min_len
        self.max_collocations = max_collocations
        self.min_pair_count = min_pair_count
        self.display: dict[str, str] = {}
        self.collocations: set[tuple[str, str]] = set()
        self.phrases: dict[tuple[str, str], str] = {}
        from nltk.stem import PorterStemmer
        from nltk.tokenize import RegexpTokenizer

        self._stemmer = PorterStemmer()
        self._tok = RegexpTokenizer(_TOKEN_PATTERN)
        self._stem_cache: dict[str, str] = {}

    def _stem(self, word: str) -> str:
        s = self._stem_cache.get(word)
        if s is None:
            s = self._stemmer.stem(word)
            self._stem_cache[word] = s
        return s

    def _content(self, text: str) -> list[str | None]:
        """Tokens with stop words and short words replaced by None (keeps adjacency)."""
        out: list[str | None] = []
        for w in self._tok.tokenize(_prepare(text)):
            w = w.strip("'")
            if w.endswith("'s"):
                w = w[:-2]
            ok = len(w) >= self.min_len and w not in self.stop and not w[0].isdigit()
            out.append(w if ok else None)
        return out

    def fit(self, texts: Sequence[str]) -> TopicTokenizer:
        """Learn stem groups and collocations from ``texts``; returns self."""
        from nltk.collocations import BigramAssocMeasures, BigramCollocationFinder

        surface: dict[str, Counter[str]] = {}
        pairs: list[str | None] = []
        for text in texts:
            toks = self._content(text)
            for w in toks:
                if w is not None:
                    surface.setdefault(self._stem(w), Counter())[w] += 1
            pairs.extend(toks)
            pairs.append(None)  # never pair across texts
        # Most frequent surface form of each stem group; ties -> shortest, then alphabetical.
        self.display = {
            stem: min(forms.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))[0]
            for stem, forms in surface.items()
        }
        min_count = self.min_pair_count or (2 if len(texts) < 500 else 3)
        stems = [self.display[self._stem(w)] if w is not None else None for w in pairs]
        finder = BigramCollocationFinder.from_words(stems)
        finder.apply_freq_filter(min_count)
        finder.apply_ngram_filter(lambda a, b: a is None or b is None or a == b)
        scored = finder.score_ngrams(BigramAssocMeasures.likelihood_ratio)
        scored = [(p, s) for p, s in scored if s > 10.83]  # chi2(1) at p < 0.001
        scored.sort(key=lambda ps: (-ps[1], ps[0]))
        self.collocations = {p for p, _ in scored[: self.max_collocations]}
        written: dict[tuple[str, str], Counter[str]] = {}
        for i in range(len(stems) - 1):
            key = (stems[i], stems[i + 1])
            if key in self.collocations:
                written.setdefault(key, Counter())[f"{pairs[i]} {pairs[i + 1]}"] += 1
        self.phrases = {
            key: min(forms.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))[0]
            for key, forms in written.items()
        }
        return self

    def terms(self, text: str) -> list[str]:
        """Return the topic terms of one text: normalised words, then collocations."""
        words = [
            self.display.get(self._stem(w), w) if w is not None else None
            for w in self._content(text)
        ]
        out = [w for w in words if w is not None]
        if self.collocations:
            for a, b in zip(words, words[1:], strict=False):
                if a is not None and b is not None and (a, b) in self.collocations:
                    out.append(self.phrases.get((a, b), f"{a} {b}"))
        return out

    def __call__(self, text: str) -> list[str]:
        """Alias of :meth:`terms`, for ``CountVectorizer(tokenizer=...)``."""
        return self.terms(text)


#: Participles that say nothing without what follows them (``treated [with respect]``,
#: ``decisions based [on need]``); ones that name a state (``valued``, ``isolated``,
#: ``short staffed``, ``well organised``) are good theme words and stay.
_BARE_PARTICIPLES = frozenset(
    "asked associated based called compared concerned considered given involved led made "
    "needed offered provided received related required taken treated used".split()
)


def _fragment(keyword: str) -> bool:
    """A keyword that cannot name a theme: it ends in a participle that needs its object."""
    words = keyword.lower().split()
    return bool(words) and words[-1] in _BARE_PARTICIPLES


def _as_written(a: str, b: str, texts: Sequence[str]) -> str | None:
    """``"a b"`` or ``"b a"``, whichever is written side by side in 2+ texts (more often)."""
    counts = {
        phrase: sum(1 for t in texts if pat.search(t))
        for phrase, pat in (
            (f"{x} {y}", re.compile(rf"\b{re.escape(x)}[\s-]+{re.escape(y)}\b", re.IGNORECASE))
            for x, y in ((a, b), (b, a))
        )
    }
    best = max(counts, key=lambda k: counts[k])  # ties: the keywords' own order
    return best if counts[best] >= 2 else None


def make_vectorizer(tokenizer: TopicTokenizer, n_docs: int):
    """Return a ``CountVectorizer`` over :class:`TopicTokenizer` terms, sized for ``n_docs``.

    Terms in fewer than 2 texts (``min_df``) are dropped once the corpus has 200+ texts.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(
        tokenizer=tokenizer,
        lowercase=False,
        token_pattern=None,
        min_df=1 if n_docs < 200 else 2,
    )


def label_from_keywords(
    keywords: Sequence[str], max_words: int = 4, texts: Sequence[str] | None = None
) -> str:
    """Build a short title-cased label (2-4 words) from ranked keywords/keyphrases.

    A collocation among the top keywords leads; further keywords are added until
    the label holds at least two words, never repeating a word or its root
    (``leaders`` after ``leadership``). A keyword ending in a participle that needs its
    object is a fragment (``treated``, ``decisions based [on need]``) and is not used;
    one naming a state (``valued``, ``short staffed``) is kept. Given the
    topic's ``texts``, two single words written side by side in at least two of them
    become one phrase (``professional``, ``autonomy`` -> ``Professional Autonomy``).

    Examples:
        >>> label_from_keywords(["video", "video consultation", "remote", "digital"])
        'Video Consultation'
    """
    kws = [k.strip() for k in keywords if k and k.strip()]
    kws = [k for k in kws if not _fragment(k)] or kws
    if not kws:
        return "Unlabelled"
    top = kws[:5]
    phrases = [k for k in top if " " in k]
    ordered = ([phrases[0]] if phrases else []) + [k for k in kws if not phrases or k != phrases[0]]
    parts: list[str] = []
    used: set[str] = set()
    n_words = 0

    def _near(w: str) -> bool:  # same word or same 5-letter root ("leaders"/"leadership")
        return any(w == u or (len(w) > 4 and len(u) > 4 and w[:5] == u[:5]) for u in used)

    for kw in ordered:
        words = kw.split()
        if any(_near(w) for w in words) or n_words + len(words) > max_words:
            continue
        parts.append(kw)
        used.update(words)
        n_words += len(words)
        if n_words >= 2:
            break
    if len(parts) == 2 and " " not in parts[0] + parts[1] and texts:
        parts = [_as_written(parts[0], parts[1], texts) or ", ".join(parts)]
    label = ", ".join(parts) if parts else kws[0]
    return re.sub(r"\b([a-z])", lambda m: m.group(1).upper(), label)
