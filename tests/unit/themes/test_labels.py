"""Labels: phrases written in a theme's texts, nearest their theme, never contradicting it."""

import numpy as np

from covidlearning.themes.labels import (
    candidate_phrases,
    choose_labels,
    label_fit,
    majority_answer,
    sentiments,
    stance_shares,
)

WAIT = [
    "Waiting for the ambulance took four hours.",
    "We were waiting for the ambulance all night.",
    "Long wait for the ambulance, very stressful.",
    "Waiting for the ambulance was awful.",
]
PRAISE = [
    "Service was excellent, kind caring staff.",
    "Excellent service, could not be improved.",
    "Kind caring staff, thank you.",
    "The nurses were kind caring staff and excellent.",
]
PARKING = [
    "The car park was full again.",
    "No spaces in the car park.",
    "Car park charges are too high.",
    "Could not find the car park entrance.",
]


def _grams(texts):
    """The candidate phrases of ``texts``, each as one string."""
    return {" ".join(g) for g in candidate_phrases(texts)}


def _fake_embed(texts):
    """Stand-in encoder: a vector from which subject words a text holds."""
    axes = {"ambulance": 0, "wait": 0, "kind": 1, "excellent": 1, "staff": 1, "car": 2, "park": 2}
    out = np.zeros((len(texts), 4))
    for i, t in enumerate(texts):
        low = t.lower()
        for w, a in axes.items():
            if w in low:
                out[i, a] += 1
        out[i, 3] = 0.2
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def _labels():
    docs = WAIT + PRAISE + PARKING
    groups = {0: np.arange(0, 4), 1: np.arange(4, 8), 2: np.arange(8, 12)}
    emb = _fake_embed(docs)
    return docs, groups, emb, choose_labels(groups, docs, emb, sentiments(docs), _fake_embed)


def test_labels_are_phrases_from_the_theme_texts():
    docs, groups, _, labels = _labels()
    for g, lab in labels.items():
        assert lab.source == "phrase" and len(lab.text.split()) >= 2
        members = " ".join(docs[i] for i in groups[g]).lower()
        assert lab.text.lower() in members  # written in its own texts
        assert lab.text != "Unlabelled"
    assert "ambulance" in labels[0].text.lower()
    assert "car park" in labels[2].text.lower()
    assert len({lab.text.lower() for lab in labels.values()}) == 3


def test_labels_pick_out_their_own_theme():
    docs, groups, emb, labels = _labels()
    vecs = _fake_embed([labels[g].text for g in sorted(labels)])
    means = np.stack([emb[groups[g]].mean(axis=0) for g in sorted(groups)])
    assert (label_fit(vecs, means) > 0).all()
    assert all(lab.margin > 0 for lab in labels.values())


def test_label_never_contradicts_most_of_its_texts():
    _, _, _, labels = _labels()
    assert labels[1].sentiment > -0.05  # a praise theme is never named by a complaint
    # a theme whose frequent phrase is negative but whose texts are praise
    docs = [
        "Terrible parking but excellent, kind caring staff.",
        "Terrible parking, yet the kind caring staff were wonderful.",
        "Kind caring staff, lovely ward, terrible parking.",
        "Terrible parking. Brilliant, kind caring staff.",
    ] + PARKING
    groups = {0: np.arange(0, 4), 1: np.arange(4, 8)}
    comp = sentiments(docs)
    pos, neg = stance_shares(comp[groups[0]])
    assert pos > neg
    got = choose_labels(groups, docs, _fake_embed(docs), comp, _fake_embed)
    assert "terrible" not in got[0].text.lower()


def test_a_group_most_of_whose_texts_are_one_short_answer_is_named_by_it():
    # 5 of 7 read "Everything could be improved"; the 2 others share a praise phrase
    answers = [
        "Everything could be improved",
        "everything could be improved.",
        *(["Everything could be improved"] * 3),
    ]
    docs = [*answers, "Nothing could be better, kind caring staff.",
            "Nothing could be better, excellent staff."] + PARKING  # fmt: skip
    groups = {0: np.arange(0, 7), 1: np.arange(7, 11)}
    got = choose_labels(groups, docs, _fake_embed(docs), sentiments(docs), _fake_embed)
    assert got[0].text == "Everything could be improved" and got[0].source == "answer"
    assert got[1].source == "phrase" and "car park" in got[1].text.lower()
    # half or fewer, a lone word, or a long text: the usual phrase rule
    assert majority_answer(answers[:2] + ["a", "b"]) is None
    assert majority_answer(["Nothing"] * 5 + ["Kind staff"]) is None
    assert majority_answer(["the staff were kind and caring to me"] * 3) is None
    assert majority_answer(["all  good!", "All good", "Parking"]) == "All good"
    assert majority_answer(["ALL GOOD", "All good", "All good"]) == "All good"  # as most write it
    assert majority_answer(["Thank you [NAME]"] * 3 + ["Ward was clean"]) is None
    assert majority_answer(["Thanks XXXX on the ward"] * 3) is None


def test_candidate_phrases_skip_stop_word_edges_generic_words_and_placeholders():
    texts = ["Thank you so much, very good.", "Ask [NAME] about parking permits"]
    counts = candidate_phrases(texts)
    grams = {" ".join(g) for g in counts}
    assert "parking permits" in grams
    assert not any(g.startswith(("so ", "very ")) or g.endswith(" you") for g in grams)
    assert not any("name" in g for g in grams)
    assert "thank you" not in grams and "very good" not in grams  # nothing but generic words


def test_stance_shares():
    comp = sentiments(["Excellent care", "Awful wait", "The clinic is on Monday"])
    assert stance_shares(comp) == (1 / 3, 1 / 3)
    assert stance_shares(np.array([])) == (0.0, 0.0)


def test_written_form_keeps_acronyms_drops_odd_capitals_and_masked_names():
    from covidlearning.themes.labels import _written

    texts = ["The NHS servIce was quick.", "NHS servIce, quick again."]
    assert _written(("nhs", "service"), texts) == "NHS service"
    assert _written(("care", "was", "good"), ["Care was Good!"]) == "Care was good"
    grams = _grams(["XXXX is excellent", "xxx was kind"])
    assert not any("xx" in g for g in grams)


def test_phrases_keep_ordinals_and_never_end_on_a_generic_word():
    grams = _grams(["21st century tools, discharge to assess actually"])
    assert "21st century tools" in grams and "discharge to assess" in grams
    assert not any(g.endswith("actually") for g in grams)


def test_phrases_holding_a_personal_pronoun_are_not_labels():
    texts = [
        "The lady I spoke to was kind",
        "The exercise plan she gave me helped",
        "Learnt how to help my child",
        "Sessions helped our family cope",
    ]
    grams = _grams(texts)
    assert not any(set(g.split()) & {"i", "she", "me", "my", "our"} for g in grams)
    assert "sessions helped" in grams
    assert "exercise plan" in grams  # the phrase before the clause stays


def test_a_large_theme_is_labelled_from_a_draw_fixed_by_its_texts(monkeypatch):
    import covidlearning.themes.labels as labels_mod

    monkeypatch.setattr(labels_mod, "LABEL_TEXTS", 6)
    docs = [f"{t} (visit {i})" for i in range(5) for t in WAIT + PRAISE + PARKING]
    members = np.arange(len(docs))
    drawn = labels_mod._readable(members, docs)
    assert len(drawn) == 6 and len(set(drawn.tolist())) == 6
    # the same texts in another order give the same draw (the same texts, new positions)
    perm = np.random.default_rng(0).permutation(len(docs))
    shuffled = [docs[i] for i in perm]
    again = labels_mod._readable(members, shuffled)
    assert sorted(shuffled[i] for i in again) == sorted(docs[i] for i in drawn)
    # labels stay phrases of their own theme when only a draw is read
    groups = {0: np.flatnonzero(["mbulance" in d for d in docs])}
    groups[1] = np.flatnonzero(["car park" in d for d in docs])
    emb = _fake_embed(docs)
    chosen = choose_labels(groups, docs, emb, sentiments(docs), _fake_embed)
    for g, lab in chosen.items():  # written in its own theme's texts
        assert any(lab.text.lower() in docs[i].lower() for i in groups[g]), lab.text
    assert "ambulance" in chosen[0].text.lower()
    # small themes are read whole
    assert labels_mod._readable(members[:6], docs).tolist() == list(range(6))


def test_words_after_a_negation_are_no_label_but_the_negated_phrase_is():
    texts = [
        "Could not improve the care we had.",
        "You could do nothing to improve the care.",
        "Nothing to improve, the ward staff were kind.",
        "I couldn't ask for better care.",
    ]
    grams = _grams(texts)
    # read without their negation these would name praise by its opposite
    assert not any(g.startswith(("improve", "better")) for g in grams)
    assert "nothing to improve" in grams
    assert "ward staff" in grams  # a new clause: no negation before it


def test_a_praise_theme_is_not_named_by_a_negated_wish():
    docs = [
        "Could not improve the care at all.",
        "Nobody could improve the care, thank you.",
        "Nothing to improve the care was wonderful.",
        "Could not have had better care, wonderful.",
        "Nothing to improve, the care was wonderful.",
    ] + PARKING
    groups = {0: np.arange(0, 5), 1: np.arange(5, 9)}
    emb = _fake_embed(docs)
    got = choose_labels(groups, docs, emb, sentiments(docs), _fake_embed)
    low = got[0].text.lower()
    assert not low.startswith(("improve", "better")), got[0].text


def test_improvement_words_carry_no_sentiment_of_their_own():
    # VADER scores "Nothing to improve" as a complaint and "Improve the care" as praise
    s = sentiments(
        ["Nothing to improve", "Couldn't be better", "Improve the parking", "Couldn't be improved"]
    )
    assert (np.abs(s) < 0.05).all()
    assert sentiments(["My pain has not improved"])[0] < -0.05  # an outcome, negated
    assert sentiments(["Excellent care"])[0] > 0.05 and sentiments(["Awful wait"])[0] < -0.05


def test_a_phrase_cut_short_of_its_next_word_is_no_label():
    texts = [
        "It took a long time to answer the call bells.",
        "It took a long time to have our first visit.",
        "The physio took time to listen.",
        "Physio took time to explain.",
        "Long waiting time at the clinic.",
    ]
    grams = _grams(texts)
    assert "took a long" not in grams and "physio took" not in grams
    assert "took a long time" in grams and "physio took time" in grams
    assert "long waiting time" in grams  # a generic noun may end a phrase


def test_a_group_of_texts_naming_no_subject_is_named_by_what_they_say():
    praise = ["Absolutely brilliant.", "Brilliant, absolutely brilliant", "Excellent",
              "Absolutely brilliant thanks", "Food was good"]  # fmt: skip
    grams = _grams(praise)
    assert "absolutely brilliant" in grams
    # where most texts name a subject, generic phrases stay out
    grams = _grams(PRAISE + ["Absolutely brilliant."])
    assert "absolutely brilliant" not in grams and "kind caring staff" in grams


def test_a_label_is_written_in_many_of_its_texts_not_a_rare_aside():
    common = [f"The exercise plan helped, day {i}." for i in range(8)]
    rare = ["Sent exercises promptly by post.", "Started exercises promptly at home."]
    # a large theme: most texts share no phrase, so even its commonest is in few of them
    other = [f"{d} {m}." for d in ("Monday", "Tuesday", "Friday") for m in (
        "January", "March", "May", "July", "September", "November", "December")]  # fmt: skip
    docs = common + rare + other + PARKING
    n0 = len(common + rare + other)
    groups = {0: np.arange(0, n0), 1: np.arange(n0, len(docs))}

    def embed(texts):  # "exercises promptly" sits nearer the theme's mean than the plan
        out = np.zeros((len(texts), 3))
        for i, t in enumerate(texts):
            low = t.lower()
            out[i] = [0.2, 1.0, 0.0]
            if "car park" in low:
                out[i] = [1.0, 0.0, 0.0]
            elif "plan" in low:
                out[i, 2] = 0.4
            elif "promptly" in low:
                out[i, 2] = 0.05
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    got = choose_labels(groups, docs, embed(docs), sentiments(docs), embed)
    assert "promptly" not in got[0].text.lower()
    assert all(got[0].text.lower() in t.lower() for t in common)  # written in all eight


def test_a_verb_without_what_it_governs_is_no_label():
    texts = [
        "Decisions based on needs and what's best for patients.",
        "A system making decisions based on needs.",
        "The common sense of urgency that the pandemic brought, is part of it.",
        "It mattered because leaders understood what the front line was like.",
        "As leaders understood what the front line was like, we coped.",
        "Staff felt listened to for once.",
        "Compassionate leadership: staff felt listened to.",
        "The physio took time to explain.",
        "Physio took time to listen.",
    ]
    grams = _grams(texts)
    assert "decisions based on needs" in grams  # the participle inside a phrase is fine
    assert not {"based on needs", "pandemic brought", "leaders understood"} & grams
    assert "staff felt listened" not in grams  # in both texts it needs its "to"
    assert "physio took time" in grams  # whole: its "to" adds a purpose


def test_numbers_and_joining_conjunctions_break_a_phrase():
    texts = [
        "I was given 450mg at 00:21 and the pain eased",
        "I was given 300mg at 20:27 and the pain eased",
        "Daily briefings because everybody heard the same message",
        "Daily briefings, since everybody heard the same message",
        "COVID-19 wards were calm; 21st century tools, at last",
        "Covid 19 wards, very calm",
    ]
    grams = _grams(texts)
    assert "given mg" not in grams and not any("mg" in g.split() for g in grams)
    assert "daily briefings" in grams
    assert not any("because" in g.split() or "since" in g.split() for g in grams)
    assert "covid wards" in grams and "21st century tools" in grams


def test_subject_words_in_scikit_learns_stop_list_may_name_a_theme():
    texts = [
        "The local health system worked together.",
        "A joined-up local health system, at last.",
        "Front line staff were exhausted.",
        "Call bells: never answered.",
    ]
    grams = _grams(texts)
    assert {"local health system", "front line staff", "call bells"} <= grams


def test_a_verb_its_texts_complete_and_a_trailing_like_are_no_label():
    texts = [
        "The lady who looked after me was lovely.",
        "Every lady who looked after Mum, thank you.",
        "Time felt like it dragged.",
        "Time felt like a week on the ward.",
        "Had a home visit as unable to get to the surgery.",
        "Home visit as unable to travel.",
    ]
    grams = _grams(texts)
    assert not any("who" in g.split() or g.endswith(" like") for g in grams)
    assert "lady who looked" not in grams and "time felt like" not in grams
    assert not any(g.endswith(" unable") for g in grams)  # in both texts it needs its "to"
    assert "home visit" in grams


def test_passives_destinations_and_nouns_in_ed_stay_phrases():
    texts = [
        "Always treated with respect.",
        "I was treated with respect throughout.",
        "Treated with respect and dignity.",
        "Involved in decisions about my care, and taken seriously.",
        "Felt involved in decisions and taken seriously.",
        "Staff redeployed to ICU.",
        "Staff redeployed to other wards.",
        "Waited for a hospital bed to become free.",
        "Needed a hospital bed to recover.",
        "The care provided was excellent.",
        "Care provided, excellent.",
    ]
    grams = _grams(texts)
    assert {"treated with respect", "involved in decisions", "taken seriously"} <= grams
    assert {"staff redeployed", "hospital bed", "care provided"} <= grams


def test_a_verb_read_in_one_text_is_not_cut_by_its_to():
    one = _grams(["Staff felt listened to for once."])
    assert "staff felt listened" in one  # one text is no evidence that it always goes on
    two = ["Staff felt listened to for once.", "At last staff felt listened to."]
    assert ("staff", "felt", "listened") not in candidate_phrases(two)


def test_a_verb_cut_from_its_particle_is_no_label_even_in_one_text():
    texts = [
        "Staff member turned up on time and was very knowledgeable.",
        "The lady who looked after us was very friendly.",
        "Nurse sorted out my dressings quickly.",
        "Staff listened more than I expected.",
    ]
    grams = _grams(texts)
    assert not {"member turned", "staff member turned", "lady who looked", "nurse sorted"} & grams
    assert "turned up on time" in grams  # the whole phrasal verb still is one
    # a comparison read in one text leaves the verb a phrase ("staff listened" stays)
    assert "staff listened" in grams


def test_after_up_or_out_starting_what_follows_leave_the_phrase_whole():
    for text, phrase in (
        ("Excellent care provided after my operation.", "care provided"),
        ("Staff redeployed after the first wave.", "staff redeployed"),
        ("Patients discharged out of hours.", "patients discharged"),
        ("Visiting restricted up to the end.", "visiting restricted"),
    ):
        grams = _grams([text])
        assert phrase in grams, text


def test_every_phrasal_particle_is_a_complement():
    from covidlearning.themes.labels import _COMPLEMENTS, _PHRASAL_VERBS

    # candidate_phrases records the word after a phrase when it is a complement: the
    # particles must be among them for the phrasal rule to see them
    assert {particle for _, particle in _PHRASAL_VERBS} <= _COMPLEMENTS


def test_reserved_labels_are_left_to_the_groups_they_are_reserved_for():
    docs, groups, emb, labels = _labels()
    taken = labels[0].text
    again = choose_labels(
        groups, docs, emb, sentiments(docs), _fake_embed, reserved=[taken.upper()]
    )
    assert all(lab.text.lower() != taken.lower() for lab in again.values())
    assert again[1].text == labels[1].text and again[2].text == labels[2].text
