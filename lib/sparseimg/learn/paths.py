"""Where the workspace is and keeps trained weights, and the switch that forbids training them on the fly.

Apart from :mod:`sparseimg.learn.training` so that the pipeline's runner, which only sets the switch,
does not depend on the training code (a change to it would otherwise make every stage stale).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["workspace_dir", "model_path", "REQUIRE_MODELS_ENV"]


def workspace_dir() -> Path:
    """The workspace: the nearest directory holding ``dvc.yaml`` from the working directory up (the pipeline
    runs notebooks from the workspace root, JupyterLab and nbval from ``notebooks/``), else the repository this
    package was installed from.

    Returns
    -------
    Path
    """
    here = Path.cwd().resolve()
    return next((d for d in (here, *here.parents) if (d / "dvc.yaml").is_file()), Path(__file__).resolve().parents[3])


def model_path(name: str) -> Path:
    """Where the pipeline keeps model ``name``'s weights: ``<workspace>/models/<name>.npz``
    (:func:`workspace_dir`); ``SPARSEIMG_MODELS_DIR`` overrides the directory.
    """
    root = os.environ.get("SPARSEIMG_MODELS_DIR")
    if root:
        return Path(root) / f"{name}.npz"
    return workspace_dir() / "models" / f"{name}.npz"


#: Environment variable: ``"1"`` makes :func:`load_or_train` refuse to train (the pipeline sets it).
REQUIRE_MODELS_ENV = "SPARSEIMG_REQUIRE_MODELS"
