"""``python -m sparseimg train MODEL``: the pipeline's training stages.

:data:`MODELS` maps each model to its section and its training module. A training module defines
``SCHEMA`` (a spec for each of its keys: what training may read), ``TRAIN_KEYS`` (the keys the
weights depend on), ``train(block, *, progress) -> (weights, log)`` and, optionally,
``check_train(block)`` (cross-field rules among the training keys). The command validates the
module's keys of the block (schema and rules) before any work, trains with a progress bar, and writes
``models/<name>.npz`` (:func:`sparseimg.learn.training.save_weights`, configuration = the
``TRAIN_KEYS`` values; :func:`sparseimg.learn.training.model_path`) and the run record
``reports/runs/train_<name>.json`` (with the time: the weights file holds none, so that a second
run writes the same bytes).

This module imports neither the section registry nor the other sections' experiments: a training
stage depends on this module and its training module's own import closure only
(``python -m sparseimg deps``), so editing an unrelated part of the library does not retrain.
The notebook reads the weights through :func:`sparseimg.learn.training.load_or_train`, which
checks the configuration.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from sparseimg.workspace.params import read_params_file

from sparseimg.schema import ParamError, quick_values, validate_block
from sparseimg.workspace.provenance import recorded_run

__all__ = ["MODELS", "trainable_models", "training_config", "training_block", "train_model"]

#: ``model -> (section, training module)``.
MODELS = {
    "lista": ("unfolding", "sparseimg.experiments.unfolding_lista"),
    "lifting": ("unfolding", "sparseimg.experiments.unfolding_lifting"),
    "coupled": ("unfolding", "sparseimg.experiments.unfolding_coupled"),
    "winnet": ("unfolding", "sparseimg.experiments.train_winnet"),
    "nenet": ("unfolding", "sparseimg.experiments.train_nenet"),
}


def trainable_models() -> dict[str, tuple[str, str]]:
    """``{model: (section, training module)}``."""
    return dict(MODELS)


def training_config(module, block: dict) -> dict:
    """The values of ``module.TRAIN_KEYS`` in ``block``: what the weights were trained with."""
    return {key: block[key] for key in module.TRAIN_KEYS}


def training_block(module, section: str, params_path="params.yaml", *, quick: bool = False) -> dict:
    """The keys of the training module's ``SCHEMA`` in ``section``'s block, validated (their specs, then
    ``check_train`` when the module has one)."""
    schema = module.SCHEMA
    if quick:
        block = quick_values(schema, section)
    else:
        params_path = Path(params_path)
        data = read_params_file(params_path)
        raw = data.get(section)
        if not isinstance(raw, dict):
            raise ParamError(f"{params_path.name}: section {section!r} is missing: expected a mapping")
        block = validate_block(section, {k: raw[k] for k in schema if k in raw}, schema,
                               root=params_path.resolve().parent, source=params_path.name)
    check = getattr(module, "check_train", None)
    if check is not None:
        check(block)
    return block


def train_model(model: str, params_path="params.yaml", *, quick: bool = False, models_dir=None,
                reports_dir="reports", progress: bool = True) -> Path:
    """Validate, train ``model`` and write its weights; returns the weights' path."""
    from sparseimg.learn.training import model_path, save_weights

    if model not in MODELS:
        raise ParamError(f"model={model!r} is not allowed: expected one of {sorted(MODELS)}")
    section, module_name = MODELS[model]
    module = importlib.import_module(module_name)
    block = training_block(module, section, params_path, quick=quick)
    from threadpoolctl import threadpool_limits

    # one BLAS thread whatever the caller's environment: threaded reductions change the weights' last bits
    with recorded_run(f"train_{model}", reports_dir), threadpool_limits(limits=1):
        weights, log = module.train(block, progress=progress)
        target = model_path(model) if models_dir is None else Path(models_dir) / f"{model}.npz"
        path = save_weights(target, weights, config=training_config(module, block), log=log)
    return path
