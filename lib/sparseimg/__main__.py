"""``python -m sparseimg``: the workspace's command line (see :mod:`sparseimg.workspace.cli`)."""

import sys

# jsonschema (imported by nbformat, hence by papermill and every stage) imports rfc3987_syntax when it is
# installed (JupyterLab's jupyter-events pulls it in), and that module compiles a Lark grammar at import:
# 0.8 s of every command's 1.0 s start-up, for an "iri" string format that no notebook schema uses. Marking it
# absent makes jsonschema skip that one format checker (it guards the import), nothing else.
sys.modules.setdefault("rfc3987_syntax", None)

from sparseimg.workspace.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
