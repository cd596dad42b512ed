"""Two notebooks of one part share a params.yaml block (03b `unfolding`, 03c `winnet`): each takes its own keys,
an unknown key fails for both, and 03c reuses 03b's denoising cells only when they were computed with its settings."""

import json
import shutil
from pathlib import Path

import pytest
import yaml

from sparseimg.experiments import unfolding_lifting as ulf
from sparseimg.schema import ParamError
from sparseimg.workspace.runner import load_section_params
from sparseimg.workspace.sections import SECTIONS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def params_file(tmp_path):
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    return tmp_path / "params.yaml"


def test_each_section_takes_its_own_keys_of_the_shared_block(params_file):
    assert SECTIONS["winnet"].params_block == "unfolding" and SECTIONS["unfolding"].params_block == "unfolding"
    win = load_section_params("winnet", params_file, root=ROOT)
    unf = load_section_params("unfolding", params_file, root=ROOT)
    lista = load_section_params("lista", params_file, root=ROOT)
    assert SECTIONS["lista"].params_block == "unfolding"
    assert "win_shifts" in win and "lift_crop" in win and "lista_m" not in win and "csr_atoms" not in win
    assert "csr_atoms" in unf and "win_shifts" not in unf and "lista_m" not in unf
    assert "lista_m" in lista and "lift_crop" not in lista and "win_shifts" not in lista
    assert win["lift_crop"] == unf["lift_crop"]  # one value for both notebooks
    block = yaml.safe_load(params_file.read_text())["unfolding"]
    assert set(block) == set(SECTIONS["winnet"].schema) | set(SECTIONS["unfolding"].schema) | set(SECTIONS["lista"].schema)


@pytest.mark.parametrize("section", ["winnet", "unfolding", "lista"])
def test_an_unknown_key_of_the_shared_block_fails_for_both(params_file, section):
    data = yaml.safe_load(params_file.read_text())
    data["unfolding"]["win_shfits"] = 2
    params_file.write_text(yaml.safe_dump(data))
    with pytest.raises(ParamError, match=r"unfolding\.win_shfits is not a known parameter"):
        load_section_params(section, params_file, root=ROOT)


def test_a_missing_key_is_named_for_the_section_that_reads_it(params_file):
    data = yaml.safe_load(params_file.read_text())
    del data["unfolding"]["win_shifts"]
    params_file.write_text(yaml.safe_dump(data))
    load_section_params("unfolding", params_file, root=ROOT)  # 03b does not read it
    with pytest.raises(ParamError, match=r"unfolding\.win_shifts is missing"):
        load_section_params("winnet", params_file, root=ROOT)


def test_stored_table_is_reused_only_with_the_same_settings(tmp_path):
    block = SECTIONS["unfolding"].quick_params()
    table = {"sigma_25": {"camera": {"bm3d": 30.0}}}
    path = tmp_path / "unfolding.json"
    assert ulf.stored_table(block, path) is None  # no file
    path.write_text(json.dumps({"lifting": {"denoising": table, "table_settings": ulf.table_settings(block)}}))
    assert ulf.stored_table(block, path) == table
    for key, value in (("lift_crop", block["lift_crop"] * 2), ("lift_noise_seed", 7), ("lift_train_steps", 31),
                       ("lift_sigmas", [25.0])):
        assert ulf.stored_table({**block, key: value}, path) is None, key
    path.write_text(json.dumps({"lifting": {"denoising": table}}))  # a table stored without its settings
    assert ulf.stored_table(block, path) is None
