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
