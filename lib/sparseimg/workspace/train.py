"""``python -m sparseimg train MODEL``: the pipeline's training stages.

A section that learns declares ``MODELS = {name: experiments module}`` in its schema module
(:mod:`sparseimg.workspace.sections`); each experiments module defines ``TRAIN_KEYS`` (the keys
of the section's block that training reads) and ``train(block, *, progress) -> (weights, log)``.
The command validates the whole block (schema and cross-field rules) before any work,
trains with a progress bar, and writes ``models/<name>.npz``
(:func:`sparseimg.learn.training.save_weights`, configuration = the ``TRAIN_KEYS`` values;
:func:`sparseimg.learn.training.model_path`) and the
run record ``reports/runs/train_<name>.json``. The notebook reads the weights through
:func:`sparseimg.learn.training.load_or_train`, which checks the configuration.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from sparseimg.workspace.params import ParamError
from sparseimg.workspace.provenance import recorded_run
from sparseimg.workspace.sections import SECTIONS

__all__ = ["trainable_models", "training_config", "train_model"]


def trainable_models() -> dict[str, tuple[str, str]]:
    """``{model: (section, experiments module)}`` over every section that declares ``MODELS``."""
    out = {}
    for name, sec in SECTIONS.items():
        mod = importlib.import_module(sec.module)
        for model, module in getattr(mod, "MODELS", {}).items():
            out[model] = (name, module)
    return out


def training_config(module, block: dict) -> dict:
    """The values of ``module.TRAIN_KEYS`` in ``block``: what the weights were trained with."""
    return {key: block[key] for key in module.TRAIN_KEYS}


def train_model(model: str, params_path="params.yaml", *, quick: bool = False, models_dir=None,
                reports_dir="reports", progress: bool = True) -> Path:
    """Validate, train ``model`` and write its weights; returns the weights' path."""
    from sparseimg.learn.training import model_path, save_weights
    from sparseimg.workspace.runner import load_section_params
    from sparseimg.workspace.sections import get_section

    models = trainable_models()
    if model not in models:
        raise ParamError(f"model={model!r} is not allowed: expected one of {sorted(models)}")
    section, module_name = models[model]
    block = (get_section(section).quick_params() if quick else load_section_params(section, params_path))
    module = importlib.import_module(module_name)
    with recorded_run(f"train_{model}", reports_dir):
        weights, log = module.train(block, progress=progress)
        target = model_path(model) if models_dir is None else Path(models_dir) / f"{model}.npz"
        path = save_weights(target, weights, config=training_config(module, block), log=log)
    return path
