"""Redaction placeholders never become topic words."""

from __future__ import annotations

from covidlearning.config import RedactionConfig
from covidlearning.nlp.text import TopicTokenizer, tokenize
from covidlearning.privacy.redact import Redactor


def test_placeholders_are_not_tokens() -> None:
    assert tokenize("Dr [NAME] on [WARD/BED] was kind; ring [PHONE]") == [
        "dr", "on", "was", "kind", "ring",
    ]  # fmt: skip


def test_redacted_text_gives_no_placeholder_or_name_terms() -> None:
    texts = [
        "Sister Jones on Ward 7 was wonderful to my mother, thank you Sister Jones.",
        "The nurses on the ward were kind and the discharge was quick.",
        "Please call 020 7946 0018 about parking, parking was terrible.",
    ] * 4
    red = Redactor(RedactionConfig())
    redacted = [red.redact(t) for t in texts]
    assert all("Jones" not in t for t in redacted)
    tok = TopicTokenizer().fit(redacted)
    terms = {w for t in redacted for w in tok.terms(t)}
    assert terms, "the tokenizer found no terms at all"
    assert not terms & {"name", "phone", "ward/bed", "jones"}, terms
