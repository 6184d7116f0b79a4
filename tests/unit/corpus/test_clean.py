"""Cleaning: furniture is removed and logged, real content is kept (synthetic documents)."""

from __future__ import annotations

from pathlib import Path

from covidlearning.corpus.clean import clean_document

WEB = """\
Skip to main content

Trust logo

Home

Our ward teams learned to run daily huddles during the first wave, and staff\
 said the huddles made them feel heard and safer at work.

We will keep the huddles, but move them to a time that suits night staff as well as day staff.

the huddles made them feel heard, and that they want them to continue

Staff told us that the huddles made them feel heard, and that they want them to\
 continue after the pandemic.

Posted on 12 May 2021

Share this article

Related articles

How one ward cut waiting times
A short summary of another story that is only a teaser...

Subscribe to our newsletter

By submitting your details you agree to receive emails from us.

We use cookies to improve your experience on our website.

Accept all cookies
"""


def _kept(result) -> str:
    return "\n".join(result.block_text(b) for b in result.blocks)


def test_web_furniture_is_removed_and_logged() -> None:
    r = clean_document(WEB)
    kept = _kept(r)
    assert "daily huddles during the first wave" in kept
    assert "move them to a time that suits night staff" in kept
    for furniture in (
        "Skip to main content",
        "Trust logo",
        "Home",
        "Share this article",
        "How one ward cut waiting times",
        "Subscribe to our newsletter",
        "We use cookies",
        "Accept all cookies",
        "12 May 2021",
    ):
        assert furniture not in kept, furniture
    reasons = {x.reason for x in r.removals}
    assert {"navigation", "logo", "teaser", "date line"} <= reasons
    # every removal points at its own text
    for x in r.removals:
        assert WEB[x.start : x.end] == x.text


def test_repeated_pull_quote_is_removed_but_its_paragraph_kept() -> None:
    r = clean_document(WEB)
    pulls = [x for x in r.removals if x.reason == "repeated pull-quote"]
    assert [x.text for x in pulls] == [
        "the huddles made them feel heard, and that they want them to continue"
    ]
    assert "Staff told us that the huddles made them feel heard" in _kept(r)


def test_pull_quote_sentence_repeated_inside_a_paragraph() -> None:
    text = (
        "Intro paragraph about what staff learned during the pandemic in community care.\n\n"
        "teams are linking and working well as they have not done before\n\n"
        "Leaders reflected that teams are linking and working well as they have not done "
        "before, which surprised many of them.\n"
    )
    r = clean_document(text)
    assert [x.reason for x in r.removals] == ["repeated pull-quote"]
    assert len(r.blocks) == 2


def test_comment_form_is_removed_and_reader_comments_logged() -> None:
    text = (
        "The blog post itself has a first paragraph that is long enough to count as prose.\n\n"
        "  1. As a ward sister I saw exactly this: the huddles changed how we work together.\n\n"
        "    And a second paragraph of the same comment, indented under it.\n\n"
        "Leave a comment\n\n"
        "If you have an account please log in before posting your comment.\n\n"
        "Read our comments policy before posting your comment.\n\n"
        "This will not be publicly visible\n"
    )
    r = clean_document(text)
    kept = _kept(r)
    assert kept.startswith("The blog post itself") and "ward sister" not in kept
    comments = [x.text for x in r.removals if x.reason == "reader comment"]
    assert len(comments) == 2 and "huddles changed how we work" in comments[0]
    assert "Leave a comment" not in kept and "comments policy" not in kept
    assert "publicly visible" not in kept
    # on request, the comments stay as units; the form still goes
    r = clean_document(text, reader_comments=True)
    kept = _kept(r)
    assert "the huddles changed how we work together" in kept
    assert "Leave a comment" not in kept and "publicly visible" not in kept


def test_comments_heading_without_a_form_is_kept() -> None:
    text = (
        "Staff survey findings are set out below in the words of the respondents.\n\n"
        "Comments\n\n"
        '"The huddles changed how we work together on the ward every single day."\n'
    )
    r = clean_document(text)
    assert r.removals == []
    assert "huddles changed" in _kept(r)


def test_quote_attribution_and_byline_are_logged() -> None:
    text = (
        "Introduction to the survey and what it found across the region this year.\n\n"
        '"The system now understands its mission, which it never really did before."\n\n'
        "Senior Leadership, Primary Care\n\n"
        "Prof Jane Doe, John Roe,\n\n"
        "Health Systems Lab, Example University\n\n"
        "The full survey is here:\n\n"
        "[Read the survey](https://example.org/survey)\n"
    )
    r = clean_document(text)
    reasons = [x.reason for x in r.removals]
    assert reasons == ["attribution", "byline", "byline", "link", "link"]
    assert [b.role for b in r.blocks] == ["paragraph", "quote"]


def test_tail_run_stops_at_long_prose() -> None:
    prose = (
        "This is a long paragraph of real content after a marker. It has several sentences. "
        "It describes what staff learned about remote consultations in primary care, and how "
        "practices plan to keep the parts that worked for patients while bringing back face "
        "to face appointments for the patients who need them most. It is clearly not a teaser "
        "or a link, and a cleaner must keep it."
    )
    text = (
        "First paragraph of the article with enough words to be prose.\n\nRelated\n\nTeaser one\n\n"
        + prose
    )
    kept = _kept(clean_document(text))
    assert "Teaser one" not in kept
    assert "clearly not a teaser" in kept


PDF = """\
Key points

The first wave saw rapid change in every part of the system, led by frontline
staff and supported by a changed leadership culture at local and national level.

An example shows how changes to the ways of working across teams made it possible
to expand provision and speed up processes at a

https://www.example.org/a-long-link-annotation-left-by-pdf-extraction
https://www.example.org/a-long-link-annotation-left-by-pdf-extraction
 point when time was of the essence. Teams worked across organisational bound-
aries and kept the long-
term view in mind.

Figure 1: A model for sustainable change

 1 A footnote about a blog on lessons1 that the text cites.

The report's conclusion ends here, with a full stop and a lessons1 marker.
"""


def test_pdf_artefacts_urls_page_breaks_captions_footnotes() -> None:
    r = clean_document(PDF)
    reasons = [x.reason for x in r.removals]
    assert reasons.count("bare URL") == 2
    assert "figure caption" in reasons
    assert "footnote" in reasons
    merged = [b for b in r.blocks if "speed up processes" in r.block_text(b)]
    assert len(merged) == 1
    b = merged[0]
    assert "point when time was of the essence" in r.block_text(b)
    # the merged block spans both halves of the paragraph
    assert PDF[b.start : b.end].startswith("An example shows")
    assert PDF[b.start : b.end].endswith("term view in mind.")
    assert r.blocks[0].role == "heading"


def test_broken_character_is_logged() -> None:
    r = clean_document(
        "What we have learned\ufffd so far\n\nA paragraph of real text follows here.\n"
    )
    assert [x.reason for x in r.removals] == ["broken character"]


def test_headings_bullets_quotes_and_list_items() -> None:
    text = (
        "WHAT WE LEARNED\n\n"
        "1. Valued Staff\n\n"
        "Being valued as staff and having the energy to focus on the job.\n\n"
        '"It feels extraordinary to be valued for just doing my job."\n\n'
        "What this means:\n\n"
        "- Wellbeing is now taken seriously\n"
        "- Food and water 24/7\n\n"
        "2. Great Teams\n\n"
        "We have seen:\n\n"
        "Staff working brilliantly together\n\n"
        "Teams joined up across the system\n\n"
        "What this means:\n\n"
        "Examples of people working together:\n"
    )
    r = clean_document(text)
    roles = [(b.role, r.block_text(b)) for b in r.blocks]
    assert roles[0] == ("heading", "WHAT WE LEARNED")
    assert ("heading", "1. Valued Staff") in roles
    assert ("quote", '"It feels extraordinary to be valued for just doing my job."') in roles
    assert ("heading", "What this means:") in roles  # a repeated label
    assert ("bullet", "Food and water 24/7") in roles
    assert ("bullet", "Staff working brilliantly together") in roles  # item after a lead-in
    assert ("paragraph", "Examples of people working together:") in roles
    assert r.removals == []


def test_lexicon_does_not_eat_content_that_mentions_furniture_words() -> None:
    text = (
        "Next, we asked staff what they would keep from the first wave.\n\n"
        "Staff brought cookies and cake to the ward every Friday.\n\n"
        "Sign in sheets were removed from the staff room.\n\n"
        "70 responses\n"
    )
    r = clean_document(text)
    kept = _kept(r)
    assert "Next, we asked staff" in kept
    assert "cookies and cake" in kept
    assert "Sign in sheets" in kept
    assert r.removals == []


def test_offsets_cover_exactly_the_kept_text() -> None:
    r = clean_document(WEB)
    for b in r.blocks:
        for s in b.lines:
            assert WEB[s.start : s.end] == WEB[s.start : s.end].strip()
            assert s.end > s.start


GOVUK = """\
Cookies on GOV.UK

We use some essential cookies to make this website work.

We’d like to set additional cookies to understand how you use GOV.UK.

Accept additional cookies

Reject additional cookies

View cookies

Skip to main content

  * Home
  * Health and social care
  * Public health

Home > Health and social care > Public health

Independent report

Lessons from the first wave

Published 12 May 2021

Contents

  1. Summary
  2. What staff told us
  3. Next steps

Summary

Staff across the region told us that the speed of change in the first wave was\
 possible because teams were trusted to act and had clear, shared goals.

What staff told us

Most respondents wanted to keep remote consultations for follow-up appointments,\
 while restoring face-to-face care for people who need it.

Next steps

The board will publish a plan to keep the changes that worked, with an evaluation in the spring.

Is this page useful?

Maybe

Yes this page is useful

No this page is not useful

Report a problem with this page

Help us improve GOV.UK

Don’t include personal or financial information like your National Insurance number.

  * Privacy
  * Cookies
  * Accessibility statement
  * Contact

All content is available under the Open Government Licence v3.0, except where otherwise stated

© Crown copyright
"""


def test_government_style_page() -> None:
    r = clean_document(GOVUK)
    kept = _kept(r)
    for content in (
        "teams were trusted to act",
        "keep remote consultations",
        "publish a plan to keep the changes",
    ):
        assert content in kept
    paragraphs = [r.block_text(b) for b in r.blocks if b.role != "heading"]
    assert len(paragraphs) == 3, paragraphs
    reasons = {x.reason for x in r.removals}
    assert {"cookie notice", "navigation", "feedback form"} <= reasons
    assert not any(b.role == "bullet" for b in r.blocks)  # menus and the contents list
    assert "Crown copyright" not in kept and "Open Government Licence" not in kept


def test_pdf_without_blank_lines_running_headers_and_page_numbers() -> None:
    bodies = [
        (
            "Digital change",
            "Remote consultations were rolled out across practices within weeks, and staff\n"
            "quickly learned which patients preferred video and which preferred the phone.\n"
            "Practices now plan to keep both options for routine follow-up appointments.",
        ),
        (
            "Workforce",
            "Staff were redeployed to where they were needed most, which showed how much\n"
            "flexibility the workforce has when barriers are removed by senior leaders.",
        ),
        (
            "Partnerships",
            "Councils, charities and the NHS shared data and staff in ways that had taken\n"
            "years to agree before, because everyone could see the same urgent goal.",
        ),
    ]
    pages = [
        f"Lessons report | Regional Health Partnership\n{h}\n{body}\n{n}\n"
        for n, (h, body) in enumerate(bodies, start=1)
    ]
    text = "\f\n".join(pages)
    r = clean_document(text)
    reasons = [x.reason for x in r.removals]
    assert reasons.count("running header") == 3
    assert reasons.count("page number") == 3
    roles = [(b.role, r.block_text(b)[:20]) for b in r.blocks]
    assert roles == [
        ("heading", "Digital change"),
        ("paragraph", "Remote consultations"),
        ("heading", "Workforce"),
        ("paragraph", "Staff were redeploye"),
        ("heading", "Partnerships"),
        ("paragraph", "Councils, charities "),
    ]


DATA = Path(__file__).resolve().parents[2] / "data" / "corpus"


def test_hand_made_blog_page() -> None:
    from covidlearning.corpus.segment import segment_document

    text = (DATA / "blog_page.txt").read_text(encoding="utf-8")
    units = segment_document(text, "blog")
    joined = " ".join(u.text for u in units)
    assert len(units) == 7
    assert units[0].text.startswith("When the pandemic hit")
    assert units[-1].text.startswith("What happens next")
    for furniture in ("Share this page", "min read", "Related content", "newsletter", "charity"):
        assert furniture not in joined
    assert {u.section.split(" > ")[0] for u in units} == {
        "What we learned about leadership in the first wave of COVID-19"
    }


def test_hand_made_pdf_text_without_blank_lines() -> None:
    from covidlearning.corpus.segment import segment_document

    text = (DATA / "report_pdf_text.txt").read_text(encoding="utf-8")
    r = clean_document(text)
    reasons = [x.reason for x in r.removals]
    assert reasons.count("table of contents") == 4
    assert reasons.count("running header") == 4 and reasons.count("page number") == 4
    assert "footnote" in reasons and "publisher boilerplate" in reasons
    units = segment_document(text, "r", cleaned=r)
    assert [u.kind for u in units] == [
        "paragraph",
        "bullet",
        "bullet",
        "bullet",
        "paragraph",
        "paragraph",
    ]
    assert [u.section for u in units][1:4] == ["Learning from COVID-19 > Key findings"] * 3
    merged = units[4]
    assert "cautious, noting" in merged.text and "asking patients what they wanted" in merged.text
    assert "Community Health Network" not in merged.text
