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


@pytest.mark.slow
def test_vectors_are_the_same_whatever_the_batches_and_the_cache(tmp_path) -> None:
    import numpy as np

    from covidlearning.nlp.embed import LENGTH_BUCKETS, bucket, load_model

    texts = [
        f"Comment {i}: the {'very ' * (i % 9)}kind nurse explained everything." for i in range(70)
    ]
    others = [f"Other text {i} about parking and {'long ' * (i % 13)}waits." for i in range(90)]
    cold = embed_texts(texts, cache_dir=tmp_path / "cold", progress=False)
    # fill a cache by embedding the same texts among others, in another order
    mixed = others[:45] + texts[::-1] + others[45:]
    embed_texts(mixed, cache_dir=tmp_path / "warm", progress=False)
    warm = embed_texts(texts, cache_dir=tmp_path / "warm", progress=False)
    assert cold.tobytes() == warm.tobytes()
    one_by_one = np.stack([embed_texts([t], use_cache=False, progress=False)[0] for t in texts[:5]])
    assert one_by_one.tobytes() == cold[:5].tobytes()
    # and close to sentence-transformers' own batched vectors (padding moves only last bits)
    st = load_model()
    ref = st.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    assert np.abs(ref - cold).max() < 1e-5
    assert bucket(1) == LENGTH_BUCKETS[0] and bucket(10**6) == LENGTH_BUCKETS[-1]
