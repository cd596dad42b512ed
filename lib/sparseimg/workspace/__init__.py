"""The workspace around the science: parameter schemas, the section registry, the
papermill runner, the files a notebook writes into ``reports/``, the report page,
timing helpers and the command line.

Nothing in the science modules of :mod:`sparseimg` imports from here; notebooks,
experiments and benchmarks do.
"""
