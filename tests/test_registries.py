"""One registry signature for every section: ``METHODS[key](problem, settings) -> Result``.

Every experiments module's registries are found by import; each section has at least one; a registry that
declares its settings class is checked at registration (signature) and at the call (result type), and here
every one of its methods runs on the registry's tiny example problem with the settings built from the
section's quick parameters. ``PENDING`` lists the sections whose registries still have their own call
signature: it only shrank, and is empty since every section (1, 1b, 2, 3, 3b's two notebooks, 3c, 4, 5) moved over.
"""

import dataclasses
import importlib
import pkgutil

import numpy as np
import pytest

import sparseimg.experiments as ex
from sparseimg.experiments import Registry, Result
from sparseimg.workspace.params import COMMON_SCHEMA
from sparseimg.schema import quick_values
from sparseimg.workspace.sections import SECTIONS

#: Sections whose registries do not take ``(problem, settings)`` yet (issue 19: this set only shrinks).
PENDING: set[str] = set()


def _registries() -> dict[str, Registry]:
    found, seen = {}, set()
    for info in sorted(pkgutil.iter_modules(ex.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{ex.__name__}.{info.name}")
        for name, obj in vars(module).items():
            if isinstance(obj, Registry) and id(obj) not in seen:
                seen.add(id(obj))
                found[f"{info.name}.{name}"] = obj
    return found


REGISTRIES = _registries()
UNIFORM = {name: reg for name, reg in REGISTRIES.items() if reg.settings is not None}
CASES = [(name, key) for name, reg in UNIFORM.items() for key in reg]


def test_the_pending_list_is_exactly_the_sections_not_yet_uniform():
    registered = {reg.section for reg in REGISTRIES.values()}
    assert registered <= set(SECTIONS), f"registries of unknown sections: {sorted(registered - set(SECTIONS))}"
    old_style = {reg.section for reg in REGISTRIES.values() if reg.settings is None} | (set(SECTIONS) - registered)
    assert old_style == PENDING, f"update PENDING (it only shrinks): now uniform {sorted(PENDING - old_style)}, " \
        f"not uniform {sorted(old_style - PENDING)}"


def _settings(reg: Registry):
    section = SECTIONS[reg.section]
    return reg.settings.from_params({**quick_values(COMMON_SCHEMA), **quick_values(section.schema)})


@pytest.mark.parametrize("name,key", CASES, ids=[f"{n}[{k}]" for n, k in CASES])
def test_every_method_runs_on_its_section_example_and_returns_a_result(name, key, request):
    reg = UNIFORM[name]
    settings = _settings(reg)
    if "client" in getattr(settings, "__dataclass_fields__", {}):  # the tiled solvers' cluster: the file's one,
        settings = dataclasses.replace(settings, client=request.getfixturevalue("dask_client"))  # not one per call
    result = reg[key](reg.example(), settings)
    assert isinstance(result, Result)
    if isinstance(result.estimate, np.ndarray):
        assert np.all(np.isfinite(result.estimate)), f"{name}[{key}] returned non-finite values"
    assert isinstance(result.details, dict)


def test_a_method_with_another_signature_is_refused_in_one_line():
    class S:
        @classmethod
        def from_params(cls, block):
            return cls()

    with pytest.raises(TypeError) as info:
        Registry("demo", {"a": lambda image, sigma, settings: None}, {"a": "A"}, settings=S)
    assert "\n" not in str(info.value) and "expected (problem, settings)" in str(info.value)
    reg = Registry("demo", {"a": lambda problem, settings: problem}, {"a": "A"}, settings=S)
    with pytest.raises(TypeError, match="returned int: expected a Result"):
        reg["a"](1, S())
