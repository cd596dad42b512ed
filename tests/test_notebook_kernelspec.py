"""Notebooks open clean in JupyterLab: the stored kernelspec is the project kernel's.

JupyterLab rewrites a notebook's kernelspec with the running kernel's name and display name as soon as
the kernel starts; a stored "Python 3" against the kernel's "Python 3 (ipykernel)" marks the notebook
modified within seconds of opening it, and closing it then asks to save. The executed notebooks the
runner writes into reports/ carry the same kernelspec.
"""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def project_kernel():
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")  # what papermill, nbval and JupyterLab start
    return {"name": "python3", "display_name": spec.display_name, "language": spec.language}


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 7


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_stored_kernelspec_is_the_project_kernel(path, project_kernel):
    stored = json.loads(path.read_text())["metadata"]["kernelspec"]
    assert stored == project_kernel


def test_executed_notebooks_get_the_project_kernelspec(project_kernel):
    from sparseimg.workspace.runner import strip_notebook

    assert dict(strip_notebook(NOTEBOOKS[0]).metadata["kernelspec"]) == project_kernel
