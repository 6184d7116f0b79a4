"""The bundled MiniLM model: a text's vector does not depend on its batch (marked ``slow``)."""

import pytest

from covidlearning.nlp.embed import embed_texts


@pytest.mark.slow
def test_a_vector_does_not_depend_on_the_texts_embedded_with_it() -> None:

    short = "Video clinics saved patients long journeys."
    others = ["A much longer sentence about staff wellbeing, " * 6, "Teams worked well."]
    alone = embed_texts([short], progress=False, use_cache=False)
    together = embed_texts([*others, short], progress=False, use_cache=False)
    assert alone.shape == (1, 384)
    assert alone[0].tobytes() == together[2].tobytes()
