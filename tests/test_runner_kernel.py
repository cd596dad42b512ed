"""The pipeline's kernels: IPC transport, so no "Kernel is running over TCP without encryption" in any
stage's output (the kernel writes that warning to the stderr it inherits from papermill)."""

import os

import nbformat
import pytest

from sparseimg.workspace.runner import KERNELSPEC, kernel_config


@pytest.mark.skipif(os.name != "posix", reason="IPC transport needs Unix sockets")
def test_papermill_kernel_runs_over_ipc_without_the_tcp_warning(tmp_path, capfd):
    import papermill as pm

    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    nb.cells.append(nbformat.v4.new_code_cell("import json, sys\nprint(json.load(open(get_ipython().kernel.config"
                                              "['IPKernelApp']['connection_file']))['transport'])"))
    nb.cells.append(nbformat.v4.new_code_cell("print(json.load(open(get_ipython().kernel.config"
                                              "['IPKernelApp']['connection_file']))['ip'])"))
    cwd = os.getcwd()
    os.chdir(tmp_path)  # the sockets must not land in the working directory (the workspace root in a stage)
    try:
        out = pm.execute_notebook(nb, str(tmp_path / "out.ipynb"), kernel_name=KERNELSPEC["name"],
                                  progress_bar=False, config=kernel_config())
    finally:
        os.chdir(cwd)
    assert out.cells[0].outputs[0]["text"].strip() == "ipc"
    from jupyter_core.paths import jupyter_runtime_dir

    socket_prefix = out.cells[1].outputs[0]["text"].strip()
    assert os.path.dirname(socket_prefix) == jupyter_runtime_dir() and "sparseimg-" in socket_prefix
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.ipynb"]  # no kernel-ipc-* here
    captured = capfd.readouterr()
    assert "without encryption" not in captured.err + captured.out
