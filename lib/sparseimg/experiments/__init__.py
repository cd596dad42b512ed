"""Experiments: one module per section — its problems (where the ground truth lives), its
methods, its scans and tables. Notebooks and benchmarks call these; the science modules
never import them.

Every section registers its methods the same way: ``METHODS``, a :class:`Registry` of
key → function, with ``METHODS.labels`` for figures. Keys (plain snake_case) name the
methods in metrics and tables; labels appear only in figures; an unknown key is an error
that lists the valid ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

__all__ = ["Registry", "UnknownMethodError", "image_label"]


def image_label(source) -> str:
    """How an image is named in tables, metrics and figures: its packaged name, or a user file's
    name without its directories (no machine-specific path enters a report).

    Parameters
    ----------
    source : str or Path
        A packaged image name or a file path.

    Returns
    -------
    str
    """
    from sparseimg.images import available_images

    return source if source in available_images() else Path(source).name


class UnknownMethodError(ValueError, KeyError):
    """A method key that the section does not have (the message lists the valid ones)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class Registry(dict):
    """The methods of a section: ``key -> function``, in display order, with labels.

    Parameters
    ----------
    section : str
        Section name (for error messages).
    methods : dict
        ``key -> function``.
    labels : dict
        ``key -> label`` for figures; every key needs one.

    Examples
    --------
    >>> reg = Registry("demo", {"a": abs}, {"a": "absolute value"})
    >>> reg["a"](-2), reg.labels["a"]
    (2, 'absolute value')
    >>> reg["b"]
    Traceback (most recent call last):
    ...
    sparseimg.experiments.UnknownMethodError: method='b' is not allowed in section demo: expected one of a
    """

    def __init__(self, section: str, methods: dict[str, Callable], labels: dict[str, str]):
        super().__init__(methods)
        unlabelled = [k for k in methods if k not in labels]
        if unlabelled:
            raise ValueError(f"method {unlabelled[0]!r} of section {section} has no label")
        bad = [k for k in methods if not (k.isidentifier() and k == k.lower())]
        if bad:
            raise ValueError(f"method key {bad[0]!r} of section {section} is not allowed: expected snake_case")
        self.section = section
        self.labels = {k: labels[k] for k in methods}

    def __missing__(self, key):
        raise UnknownMethodError(f"method={key!r} is not allowed in section {self.section}: expected one of "
                                 + ", ".join(self))

    def check(self, key: str) -> str:
        """``key`` if registered, else :class:`UnknownMethodError`."""
        self[key]
        return key
