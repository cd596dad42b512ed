"""The training corpus: never a reported, tuning or held-out image; every image loads the same twice."""

import numpy as np
import pytest

from sparseimg.learn import corpus


def test_corpus_excludes_reported_tuning_and_held_out_images():
    names = set(corpus.TRAINING_CORPUS)
    assert not names & {"camera", "astronaut", "moon", "coins", "coffee", "cat"}
    assert not names & set(corpus.HELD_OUT)
    with pytest.raises(ValueError, match="excluded"):
        corpus.corpus_image("camera")
    with pytest.raises(ValueError, match="held out"):
        corpus.training_corpus(("china",))


@pytest.mark.parametrize("name", ["binary_blobs", "logo", "stereo_motorcycle_left", "shepp_logan_phantom"])
def test_images_are_greyscale_unit_range_and_reproducible(name):
    """binary_blobs is generated at random: the corpus seeds it (an unseeded draw made training irreproducible)."""
    a, b = corpus.corpus_image(name), corpus.corpus_image(name)
    assert a.ndim == 2 and a.min() >= 0.0 and a.max() <= 1.0
    assert np.array_equal(a, b)
