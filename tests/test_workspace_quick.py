"""Quick values live in the schemas; each notebook's `parameters` cell must hold exactly them."""

import ast
from pathlib import Path

import pytest
import yaml

from sparseimg.workspace.benchmarks import BENCHMARK_SCHEMAS, benchmark_quick_params
from sparseimg.workspace.params import COMMON_SCHEMA
from sparseimg.schema import Int, quick_values, validate_block
from sparseimg.workspace.sections import SECTIONS

ROOT = Path(__file__).resolve().parents[1]
PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())


@pytest.mark.parametrize("name", list(SECTIONS))
def test_notebook_parameters_cell_holds_the_schema_quick_values(name):
    import papermill as pm

    sec = SECTIONS[name]
    cell = {k: ast.literal_eval(v["default"]) for k, v in pm.inspect_notebook(str(ROOT / sec.notebook)).items()
            if k not in ("output_dir", "notebook")}
    quick = {**sec.quick_params(), **quick_values(COMMON_SCHEMA, "common")}
    assert set(cell) == set(quick), f"{sec.notebook}: keys differ from the schema"
    differ = {k: (cell[k], quick[k]) for k in quick if cell[k] != quick[k] or type(cell[k]) is not type(quick[k])}
    assert not differ, f"{sec.notebook} parameters cell (notebook, schema): {differ}"


@pytest.mark.parametrize("name", list(SECTIONS))
def test_quick_values_are_valid(name):
    sec = SECTIONS[name]
    block = validate_block(name, sec.quick_params(), sec.schema, root=ROOT)
    sec.check_rules(block)


@pytest.mark.parametrize("name", list(BENCHMARK_SCHEMAS))
def test_benchmark_schema_matches_params_yaml_and_its_quick_block_is_valid(name):
    schema = BENCHMARK_SCHEMAS[name]
    assert set(schema) == set(PARAMS[name])
    validate_block(name, PARAMS[name], schema, root=ROOT)
    validate_block(name, benchmark_quick_params(name), schema, root=ROOT)


def test_a_spec_without_quick_value_is_named():
    with pytest.raises(ValueError, match=r"demo\.n has no quick value"):
        quick_values({"n": Int(1, 2)}, "demo")


def test_quick_values_are_copies():
    sec = SECTIONS["inpainting"]
    sec.quick_params()["proportions"].append(0.9)
    assert sec.quick_params()["proportions"] == [0.1, 0.4, 0.8]
