"""The images learned models train on: everything greyscale-convertible that the installed packages ship
offline, except the images the sections report, the tuning image and the held-out test photographs.

- :data:`TRAINING_CORPUS` — scikit-image's offline images (colour ones through their luminance,
  boolean ones as 0/1, the RGBA logo through its RGB luminance, both views of ``stereo_motorcycle``),
  minus :data:`EXCLUDED`.
- :data:`EXCLUDED` — the reported images of sections 3 and 3b (camera, astronaut, moon, coins), the
  plug-and-play tuning image (coffee), ``cat`` (the same photograph as ``chelsea``), and images too small
  for a training patch (``lfw_subset``'s 25 × 25 faces, scikit-learn's 8 × 8 digits).
- :data:`HELD_OUT` — scikit-learn's two sample photographs (``china``, ``flower``): photographs that no
  model ever trains or is tuned on, the "unseen photos" of the denoising tables.

:func:`corpus_image` loads any of them (greyscale float64 in [0, 1]).
"""

from __future__ import annotations

import numpy as np

__all__ = ["TRAINING_CORPUS", "EXCLUDED", "HELD_OUT", "corpus_image", "training_corpus"]

#: scikit-image images trained on (greyscale or converted).
TRAINING_CORPUS = ("chelsea", "rocket", "brick", "grass", "gravel", "clock", "hubble_deep_field",
                   "immunohistochemistry", "page", "text", "retina", "cell", "colorwheel", "microaneurysms",
                   "shepp_logan_phantom", "checkerboard", "binary_blobs", "horse", "logo",
                   "stereo_motorcycle_left", "stereo_motorcycle_right")

#: Never trained on: reported images, the tuning image, a duplicate, images smaller than a patch.
EXCLUDED = {"camera": "reported (sections 3, 3b)", "astronaut": "reported", "moon": "reported",
            "coins": "reported", "coffee": "plug-and-play tuning image", "cat": "duplicate of chelsea",
            "lfw_subset": "25 x 25 faces: smaller than a patch", "digits": "8 x 8: smaller than a patch"}

#: Held-out photographs (scikit-learn's sample images): test images only.
HELD_OUT = ("china", "flower")


def _gray(a) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype == bool:
        a = a.astype(np.float64)
    elif a.dtype.kind in "ui":
        a = a.astype(np.float64) / np.iinfo(a.dtype).max
    else:
        a = a.astype(np.float64)
        lo, hi = float(a.min()), float(a.max())
        a = (a - lo) / (hi - lo) if hi > lo else a * 0.0
    if a.ndim == 3:
        a = a[..., :3] @ np.array([0.2125, 0.7154, 0.0721])
    return np.clip(a, 0.0, 1.0)


def corpus_image(name: str) -> np.ndarray:
    """A training or held-out image by name, greyscale float64 in [0, 1]."""
    if name in HELD_OUT:
        from sklearn.datasets import load_sample_image

        return _gray(load_sample_image(f"{name}.jpg"))
    if name in EXCLUDED:
        raise ValueError(f"image {name!r} is excluded from training ({EXCLUDED[name]})")
    if name.startswith("stereo_motorcycle_"):
        from skimage import data

        left, right, _ = data.stereo_motorcycle()
        return _gray(left if name.endswith("left") else right)
    if name not in TRAINING_CORPUS:
        raise ValueError(f"image {name!r} is not allowed: expected one of {list(TRAINING_CORPUS + HELD_OUT)}")
    from skimage import data

    if name == "binary_blobs":  # generated at random: seeded, so that training is reproducible
        return _gray(data.binary_blobs(length=512, rng=0))
    return _gray(getattr(data, name)())


def training_corpus(names=TRAINING_CORPUS, max_side: int = 512) -> list:
    """The training images (greyscale float64), each a central crop of at most ``max_side`` per side."""
    out = []
    for n in names:
        if n in HELD_OUT:
            raise ValueError(f"image {n!r} is held out for testing: never train on it")
        im = corpus_image(n)
        h, w = im.shape
        a, b = min(h, max_side), min(w, max_side)
        i, j = (h - a) // 2, (w - b) // 2
        out.append(np.ascontiguousarray(im[i:i + a, j:j + b]))
    return out
