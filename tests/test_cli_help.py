"""The command line's help names the valid values: sections, models, and what --params is."""

import pytest

from sparseimg.workspace.cli import main
from sparseimg.workspace.sections import SECTIONS
from sparseimg.workspace.train import trainable_models


@pytest.mark.parametrize("command, values", [("run", list(SECTIONS)), ("validate", list(SECTIONS)),
                                             ("train", list(trainable_models()))])
def test_help_lists_the_valid_values(command, values, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "-h"])
    assert exc.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    assert len(values) >= 3 and all(v in text for v in values), text
    assert "parameter file" in text


def test_the_command_line_starts_without_the_heavy_scipy_modules():
    """`python -m sparseimg` imports the section registry, hence every experiments module, in each pipeline stage
    and CLI call: scipy.signal (with scipy.stats, 0.4 s) and scipy.optimize (0.1 s) are imported where they are
    used, inside the functions, so that start-up does not pay for them."""
    import subprocess
    import sys

    code = ("import sys, sparseimg.workspace.cli; "
            "print(' '.join(m for m in ('scipy.signal', 'scipy.stats', 'scipy.optimize') if m in sys.modules))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "", f"imported at start-up: {res.stdout.strip()}"
