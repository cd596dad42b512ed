"""Command line: ``python -m sparseimg {run,validate,code,report,sections,deps,train,repro,csc-large}``.

Exit status: 0 on success, 2 for invalid parameters or inputs (one line on
stderr naming the key, the value and what is allowed), 1 when a notebook fails,
when its metrics lack a headline number, or when ``deps --check`` finds
``dvc.yaml`` out of date.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sparseimg.schema import ParamError
from sparseimg.workspace.sections import HeadlineError


PARAMS_HELP = "parameter file: one block per section plus common (default: %(default)s)"


def main(argv: list[str] | None = None) -> int:
    from sparseimg.workspace.sections import SECTIONS
    from sparseimg.workspace.train import trainable_models

    sections, models = ", ".join(SECTIONS), ", ".join(trainable_models())
    parser = argparse.ArgumentParser(prog="python -m sparseimg", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="validate a section's parameters, execute its notebook, publish reports")
    run.add_argument("section", help=f"one of: {sections}")
    run.add_argument("--params", default="params.yaml", help=PARAMS_HELP)
    run.add_argument("--log-output", action="store_true", help="stream cell outputs to the terminal")
    val = sub.add_parser("validate", help="validate parameters of sections (all by default)")
    val.add_argument("sections", nargs="*", help=f"any of: {sections}")
    val.add_argument("--params", default="params.yaml", help=PARAMS_HELP)
    code = sub.add_parser("code", help="write notebooks' code fingerprints (DVC dependencies), one process for all")
    code.add_argument("notebooks", nargs="+", help="notebooks; each writes OUT_DIR/<its stem>.json")
    code.add_argument("--out-dir", default="build/code", help="where the fingerprints go (default: build/code)")
    rep = sub.add_parser("report", help="write reports/index.md and reports/index.html")
    rep.add_argument("--reports", default="reports")
    sub.add_parser("sections", help="list the sections")
    deps = sub.add_parser("deps", help="rewrite the deps lists of dvc.yaml from the imports (--check: compare only)")
    deps.add_argument("--check", action="store_true", help="exit 1 with a one-line difference when out of date")
    deps.add_argument("--root", default=".", help="repository root (holds dvc.yaml and lib/)")
    train = sub.add_parser("train", help="train a learned model of a section (a pipeline stage) into models/")
    train.add_argument("model", help=f"one of: {models}")
    train.add_argument("--params", default="params.yaml", help=PARAMS_HELP)
    train.add_argument("--quick", action="store_true", help="the schema's quick values (seconds), not params.yaml")
    train.add_argument("--models-dir", default=None, help="default: the repository's models/")
    train.add_argument("--reports", default="reports", help="where runs/train_<model>.json goes")
    rp = sub.add_parser("repro", help="the DVC pipeline, JOBS stages at a time in dependency order (make repro); "
                                      "one log per stage in reports/.logs/")
    rp.add_argument("--jobs", type=int, default=2, help="stages running at once (default: %(default)s; 1 = dvc repro)")
    from sparseimg.workspace import csc_large
    csc_large.add_parser(sub)
    args = parser.parse_args(argv)

    try:
        if args.command == "run":
            from sparseimg.workspace.runner import run_section
            out = run_section(args.section, args.params, log_output=args.log_output)
            print(f"{args.section}: executed notebook written to {out}")
        elif args.command == "validate":
            from sparseimg.workspace.runner import load_section_params
            from sparseimg.workspace.sections import SECTIONS
            for name in args.sections or list(SECTIONS):
                load_section_params(name, args.params)
                print(f"{name}: parameters OK")
        elif args.command == "code":
            from sparseimg.workspace.runner import write_code_fingerprint
            for notebook in args.notebooks:
                write_code_fingerprint(notebook, Path(args.out_dir) / f"{Path(notebook).stem}.json")
        elif args.command == "report":
            from sparseimg.workspace.report import build_report
            md, page = build_report(args.reports)
            print(f"wrote {md} and {page}")
        elif args.command == "sections":
            from sparseimg.workspace.sections import SECTIONS
            for name, sec in SECTIONS.items():
                print(f"{name}\t{sec.notebook}\t{sec.title}")
        elif args.command == "deps":
            return _deps(args.root, check=args.check)
        elif args.command == "train":
            from sparseimg.workspace.heap import keep_freed_memory
            from sparseimg.workspace.train import train_model
            keep_freed_memory()  # the section kernels' heap policy (sparseimg.workspace.heap): the same weights
            path = train_model(args.model, args.params, quick=args.quick, models_dir=args.models_dir,
                               reports_dir=args.reports)
            print(f"{args.model}: weights written to {path}")
        elif args.command == "repro":
            if args.jobs < 1:
                raise ParamError(f"--jobs={args.jobs} is not allowed: expected at least 1")
            from sparseimg.workspace.schedule import run_pipeline
            dvc = Path(sys.executable).with_name("dvc")
            return run_pipeline(args.jobs, dvc=str(dvc) if dvc.is_file() else "dvc")
        elif args.command == "csc-large":
            return csc_large.run(args)
    except ParamError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except HeadlineError as exc:
        print(f"error: {exc} (reports left untouched; partial run kept in reports/.staging/)", file=sys.stderr)
        return 1
    except Exception as exc:  # papermill's PapermillExecutionError and friends
        if type(exc).__name__ == "PapermillExecutionError":
            print(f"error: notebook failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue} "
                  "(reports left untouched; partial run kept in reports/.staging/)", file=sys.stderr)
            return 1
        raise
    return 0



def _deps(root: str, *, check: bool) -> int:
    from sparseimg.workspace.deps import DepsError, check_deps, update_deps

    unresolved: set[str] = set()
    try:
        if check:
            problem = check_deps(root, unresolved=unresolved)
        else:
            changed = update_deps(root, unresolved=unresolved)
            problem = None
            print("dvc.yaml: deps rewritten for " + ", ".join(changed) if changed else "dvc.yaml: deps up to date")
    except DepsError as exc:
        problem = str(exc)
    for mod in sorted(unresolved):
        print(f"warning: {mod} is imported but does not exist under lib/ (left out of the deps)", file=sys.stderr)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    return 0
