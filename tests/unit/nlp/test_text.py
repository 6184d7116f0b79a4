"""Topic tokenising, keyword labels and the vectorizer."""

from covidlearning.nlp.text import (
    DOMAIN_STOP_WORDS,
    TopicTokenizer,
    label_from_keywords,
    make_vectorizer,
    stop_words,
    tokenize,
)


def test_tokenize_lowercases_and_keeps_hyphens():
    assert tokenize("Video-consultations WORKED, didn't they? COVID-19") == [
        "video-consultations",
        "worked",
        "didn't",
        "they",
        "covid-19",
    ]


def test_stop_words_combine_sources_and_domain_list():
    words = stop_words(["zoom"])
    assert {"the", "and"} <= words  # sklearn
    assert {"covid", "nhs", "health", "care"} <= words  # domain list
    assert "zoom" in words
    assert "consultation" not in words
    assert DOMAIN_STOP_WORDS <= words


def test_tokenizer_groups_stems_under_most_frequent_form():
    docs = ["consultation by video", "consultations online", "the consultation went well"]
    tok = TopicTokenizer().fit(docs)
    assert tok("Consultations were quick") == ["consultation", "quick"]


def test_tokenizer_drops_stop_words_digits_and_short_words():
    tok = TopicTokenizer()
    assert tok("The NHS staff at 10 Parking St were ok") == ["parking"]


def test_collocations_found_and_emitted():
    docs = ["We used video consultation daily"] * 8 + [
        "video calls helped",
        "a consultation in person",
        "daily huddles",
        "parking was free",
        "tea and food in the canteen",
    ]
    tok = TopicTokenizer().fit(docs)
    assert ("video", "consultation") in tok.collocations
    terms = tok("Video consultations replaced clinics")
    assert "video consultation" in terms
    assert "video" in terms and "consultation" in terms


def test_collocations_never_span_texts():
    docs = ["first ends with video", "consultation starts this"] * 5
    tok = TopicTokenizer().fit(docs)
    assert ("video", "consultation") not in tok.collocations


def test_vectorizer_uses_topic_terms():
    docs = ["video consultation worked"] * 3 + ["parking was free for staff"] * 3
    tok = TopicTokenizer().fit(docs)
    vec = make_vectorizer(tok, len(docs)).fit(docs)
    assert "video consultation" in vec.vocabulary_
    assert "the" not in vec.vocabulary_


def test_label_prefers_collocation_and_title_case():
    assert label_from_keywords(["video", "video consultation", "remote"]) == "Video Consultation"
    assert label_from_keywords(["parking", "bikes", "food"]) == "Parking, Bikes"
    assert label_from_keywords(["wellbeing", "wellbeing support"]) == "Wellbeing Support"
    assert label_from_keywords([]) == "Unlabelled"
    assert label_from_keywords(["leadership", "leaders", "management"]) == "Leadership, Management"


def test_label_at_most_four_words():
    label = label_from_keywords(["red tape removed quickly today", "red", "tape"])
    assert 1 <= len(label.replace(",", "").split()) <= 4


def test_collocation_shown_as_most_often_written():
    # "clinics" and "clinical" share a stem; the pair keeps the words it is written with
    docs = ["virtual clinics started", "virtual clinics worked well"] * 4 + [
        "clinical teams",
        "clinical decisions",
        "clinical work",
        "clinical staff rotas",
        "clinical leads",
        "parking was free",
    ] * 2
    tok = TopicTokenizer().fit(docs)
    assert tok.display[tok._stem("clinics")] == "clinical"
    assert tok("More virtual clinics") == ["virtual", "clinical", "virtual clinics"]


def test_label_skips_phrase_fragments():
    # "decisions based [on ...]" ends in a participle: a fragment, not a theme name
    assert label_from_keywords(["decisions based", "planning", "priority"]) == "Planning, Priority"
    assert label_from_keywords(["shared decisions", "planning"]) == "Shared Decisions"
    assert label_from_keywords(["carers", "treated", "respect"]) == "Carers, Respect"
    assert label_from_keywords(["needs", "speed", "bed"]) == "Needs, Speed"
    assert label_from_keywords(["treated"]) == "Treated"  # nothing better to say
    # participles that name a state are theme words
    assert label_from_keywords(["valued", "staff"]) == "Valued, Staff"
    assert label_from_keywords(["isolated", "exhausted"]) == "Isolated, Exhausted"
    assert label_from_keywords(["short staffed", "nurses"]) == "Short Staffed"
    assert label_from_keywords(["well organised", "clinic"]) == "Well Organised"
    assert label_from_keywords(["care provided", "one hundred", "beds"]) == "One Hundred"


def test_label_joins_words_written_together():
    texts = ["Autonomy for the professional", "professional autonomy matters"] * 2
    assert label_from_keywords(["professional", "autonomy"], texts=texts) == "Professional Autonomy"
    texts = ["nurse meetings daily", "the nurse-meetings helped", "meetings"]
    assert label_from_keywords(["meetings", "nurse"], texts=texts) == "Nurse Meetings"
    # side by side in one text only, or never: two keywords
    texts = ["professional autonomy", "autonomy of each professional"]
    assert (
        label_from_keywords(["professional", "autonomy"], texts=texts) == "Professional, Autonomy"
    )
    assert label_from_keywords(["professional", "autonomy"]) == "Professional, Autonomy"
