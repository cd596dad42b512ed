"""Experiments: one module per section — its problems (where the ground truth lives), its
methods, its scans and tables. Notebooks and benchmarks call these; the science modules
never import them.

Every section registers its methods the same way: a :class:`Registry` of key → method, with
``labels`` for figures. Keys (plain snake_case) name the methods in metrics and tables; labels
appear only in figures; an unknown key is an error that lists the valid ones. Every method has
one signature, ``method(problem, settings) -> Result``: ``problem`` holds what the method may
see (never the ground truth), ``settings`` is the section's settings object, built from its
validated parameters by ``Settings.from_params(block)``, and :class:`Result` carries the
estimate, the solver's history (if any) and JSON-able details. ``Registry.example()`` builds a
tiny seeded problem of the section (the uniformity test runs every method of every section on it).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

__all__ = ["Registry", "Result", "UnknownMethodError", "image_label"]


@dataclass
class Result:
    """What every registered method returns.

    Attributes
    ----------
    estimate : ndarray or object
        The method's output (an image, a code, samples), as the section documents it.
    history : sparseimg.optim.History or None
        The solver's per-iteration record, when the method iterates and records one.
    details : dict
        JSON-able facts of the run (iterations, chosen weights, ranks ...); empty when none.
    """

    estimate: Any
    history: Any = None
    details: dict = field(default_factory=dict)


def _check_method(section: str, key: str, fn: Callable) -> None:
    """Refuse a method whose signature is not ``(problem, settings)`` (one line)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):  # a builtin without a signature: cannot be checked, so refused
        params = None
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    required = [p for p in params or [] if p.default is inspect.Parameter.empty
                and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)]
    if (params is None or len(required) != 2 or any(p.kind not in positional for p in required)
            or any(p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD) for p in params)):
        shown = "?" if params is None else ", ".join(map(str, params))
        raise TypeError(f"method {key!r} of section {section} takes ({shown}): expected (problem, settings)")


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
    settings : type, optional
        The section's settings class (``settings.from_params(block)`` builds it from the validated
        parameters). Given, every method must take ``(problem, settings)`` and return a :class:`Result`
        (checked at registration for the signature, at the call for the result).
    example : callable, optional
        ``example() -> problem``: a tiny seeded problem every method of the registry runs on.

    Examples
    --------
    >>> @dataclass
    ... class Scale:
    ...     factor: float = 1.0
    ...     @classmethod
    ...     def from_params(cls, block):
    ...         return cls(block["factor"])
    >>> reg = Registry("demo", {"a": lambda problem, settings: Result(settings.factor * abs(problem))},
    ...                {"a": "scaled absolute value"}, settings=Scale)
    >>> reg["a"](-2, Scale.from_params({"factor": 3})).estimate, reg.labels["a"]
    (6, 'scaled absolute value')
    >>> reg["b"]
    Traceback (most recent call last):
    ...
    sparseimg.experiments.UnknownMethodError: method='b' is not allowed in section demo: expected one of a
    """

    def __init__(self, section: str, methods: dict[str, Callable], labels: dict[str, str], *,
                 settings: type | None = None, example: Callable[[], Any] | None = None):
        if settings is not None:  # the one signature (every section's registry declares its settings)
            for key, fn in methods.items():
                _check_method(section, key, fn)
            methods = {key: _returning_result(section, key, fn) for key, fn in methods.items()}
        super().__init__(methods)
        unlabelled = [k for k in methods if k not in labels]
        if unlabelled:
            raise ValueError(f"method {unlabelled[0]!r} of section {section} has no label")
        bad = [k for k in methods if not (k.isidentifier() and k == k.lower())]
        if bad:
            raise ValueError(f"method key {bad[0]!r} of section {section} is not allowed: expected snake_case")
        self.section = section
        self.labels = {k: labels[k] for k in methods}
        self.settings = settings
        self._example = example

    def example(self):
        """A tiny seeded problem of this section (for the uniformity test and a first try).

        Returns
        -------
        object
            What the registry's ``example()`` callable returns: a problem every method of the registry
            accepts as its first argument (section-specific type).

        Raises
        ------
        NotImplementedError
            The registry was built without an ``example``.
        """
        if self._example is None:
            raise NotImplementedError(f"section {self.section}'s registry has no example problem")
        return self._example()

    def __missing__(self, key):
        raise UnknownMethodError(f"method={key!r} is not allowed in section {self.section}: expected one of "
                                 + ", ".join(self))

    def check(self, key: str) -> str:
        """``key`` if registered, else :class:`UnknownMethodError`.

        Parameters
        ----------
        key : str
            A method key of this section.

        Returns
        -------
        str
            ``key`` itself (unchanged) when it is one of the registry's keys.

        Raises
        ------
        UnknownMethodError
            ``key`` is not registered (the message lists the valid keys, in display order).
        """
        self[key]
        return key


def _returning_result(section: str, key: str, fn: Callable) -> Callable:
    """``fn`` checked at the call: a method that returns anything but a :class:`Result` is a bug (one line)."""
    import functools

    @functools.wraps(fn)
    def method(problem, settings):
        out = fn(problem, settings)
        if not isinstance(out, Result):
            raise TypeError(f"method {key!r} of section {section} returned {type(out).__name__}: expected a Result")
        return out

    return method
