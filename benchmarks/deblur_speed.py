#!/usr/bin/env python
"""Section 2's objective: the document's autograd + Newton-CG against FFT-based solvers.

Benchmark, not a test: it writes ``tables/deblurring_speed.csv|md`` under
``--output-dir`` (default ``reports``) and asserts nothing about wall-clock time.

The question
------------
Is the document's objective ``F(u) = sqrt(½‖k∗u − b‖²) + μ sqrt(½‖∇u‖²)`` minimized
at least 5 times faster than by the document's method (``autograd.grad`` +
``scipy.optimize.minimize(method='Newton-CG')``, Hessian-vector products by finite
differences of the gradient), *to the same PSNR within 0.1 dB*?

Method
------
Both noise cases of the section (noiseless, and Gaussian noise ``noise_sigma``), on
the section's image (``image``, ``scale``, ``crop``) and PSF. Every solver starts
from the document's random start (``seed``) and stops on its own criterion:

- ``autograd + Newton-CG (document)``: the section's method ``document_newton_cg``
  (:func:`sparseimg.restoration.deconvolution.solve_document`, scipy's defaults, ``xtol=1e-5``);
- ``FFT gradient + Newton-CG (finite-difference Hessian)``: the document's optimizer
  with the analytic gradient (separates the gradient's share of the speed-up; not a method of the section);
- ``FFT gradient + L-BFGS-B``: the section's ``lbfgs_fft``, ``gtol = lbfgs_gtol``, ``ftol = lbfgs_gtol²``;
- ``FFT gradient + Newton-CG (exact Hessian)``: the section's ``newton_cg_fft``, ``xtol = newton_xtol``.

The section's methods are called as the notebook calls them, ``METHODS[key](problem.observation, settings)``
with ``SolverSettings.from_params`` of the section's block (untracked).

One run of each gives the deterministic outcome (iterations, evaluations, objective,
PSNR); then the solvers are timed alternately in one process (A, B, C, D, A, B …),
``timing_repeats`` times after that first (warm-up) round, and the table reports the
median and quartiles. ``speedup`` is the document's median over the solver's;
``meets_target`` is ``speedup >= 5`` and ``|ΔPSNR| <= 0.1 dB``. BLAS runs on one
thread (threadpoolctl, after the imports) and ``scipy.fft`` with one worker, on
every side.

Run (from the repository root)::

    .venv/bin/python benchmarks/deblur_speed.py            # params.yaml's deblurring block
    .venv/bin/python benchmarks/deblur_speed.py --quick    # 64×64 crop, 1 repeat (smoke run)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sparseimg.restoration.deconvolution import minimize_loss, random_start
from sparseimg.experiments.deblurring import METHODS, DeblurProblem, SolverSettings, make_problem
from sparseimg.images import prepare_image
from sparseimg.kernels import gaussian_psf
from sparseimg.metrics import quality
from sparseimg.optim.objectives import SquareRootLoss
from sparseimg.workspace.reporting import Reporter
from sparseimg.workspace.runner import load_section_params
from sparseimg.workspace.sections import get_section
from sparseimg.timing import format_duration, measure_interleaved

ROOT = Path(__file__).resolve().parents[1]
TARGET_SPEEDUP = 5.0
TARGET_PSNR_DB = 0.1
DOCUMENT = "autograd + Newton-CG (document)"


def solvers(problem: DeblurProblem, params: dict) -> dict:
    """Callables ``() -> (u, details)`` for every solver of the document's objective (``details`` as the section's
    methods report them: iterations, function/gradient evaluations, Hessian-vector products, objective)."""
    settings = SolverSettings.from_params(params)
    observation = problem.observation
    loss = SquareRootLoss(problem.operator, problem.observed, settings.mu)
    x0 = random_start(problem.observed.shape, settings.seed)

    def method(key):
        def run():
            result = METHODS[key](observation, settings)
            return result.estimate, result.details
        return run

    def finite_difference_hessian():
        u, run = minimize_loss(loss, x0, method="Newton-CG", exact_hessian=False, xtol=1e-5)
        return u, {"iterations": run.n_iter, "function_evaluations": run.n_fev, "gradient_evaluations": run.n_jev,
                   "hessian_vector_products": run.n_hev, "objective": run.objective}

    return {
        DOCUMENT: method("document_newton_cg"),
        "FFT gradient + Newton-CG (finite-difference Hessian)": finite_difference_hessian,
        "FFT gradient + L-BFGS-B": method("lbfgs_fft"),
        "FFT gradient + Newton-CG (exact Hessian)": method("newton_cg_fft"),
    }


def run(params: dict, repeats: int, output_dir: Path) -> list[dict]:
    """Measure every solver in both noise cases; write and return the table rows."""
    from threadpoolctl import threadpool_limits
    threadpool_limits(1)  # after the imports: scipy loads its BLAS lazily

    psf = gaussian_psf(params["psf_size"], tuple(params["psf_sigma"]))
    sharp = prepare_image(params["image"], scale=params["scale"], crop=params["crop"])
    rows = []
    for case, sigma in (("noiseless", 0.0), ("noisy", params["noise_sigma"])):
        problem = make_problem(sharp, psf, noise_std=sigma, seed=params["noise_seed"])
        fns = solvers(problem, params)
        outcome = {}
        for name, fn in fns.items():  # warm-up round, and the deterministic outcome
            u, details = fn()
            outcome[name] = (quality(sharp, u)["psnr"], details)
        timings = measure_interleaved({k: (lambda f=f: f()) for k, f in fns.items()}, repeat=repeats, number=1)
        base_time, base_psnr = timings[DOCUMENT].median, outcome[DOCUMENT][0]
        for name, t in timings.items():
            psnr_db, details = outcome[name]
            speedup = base_time / t.median
            rows.append({
                "case": case, "solver": name, "shape": f"{sharp.shape[0]}x{sharp.shape[1]}",
                "iterations": details["iterations"], "function_evaluations": details["function_evaluations"],
                "gradient_evaluations": details["gradient_evaluations"],
                "hessian_vector_products": details["hessian_vector_products"],
                "objective": details["objective"], "psnr_db": psnr_db, "psnr_diff_db": psnr_db - base_psnr,
                "median_s": t.median, "q1_s": t.q1, "q3_s": t.q3, "repeats": t.repeat, "speedup": speedup,
                "meets_target": bool(speedup >= TARGET_SPEEDUP and abs(psnr_db - base_psnr) <= TARGET_PSNR_DB)
                if name != DOCUMENT else "",
            })
            print(f"{case:>9} | {name:<55} | {format_duration(t.median):>9} | {speedup:6.1f}x | "
                  f"PSNR {psnr_db:.2f} dB ({psnr_db - base_psnr:+.3f}) | F = {details['objective']:.8f}", flush=True)
    reporter = Reporter("deblurring", output_dir)
    markdown = reporter.write_table("speed", rows, formats={
        "objective": ".8f", "psnr_db": ".2f", "psnr_diff_db": "+.3f", "median_s": ".3g", "q1_s": ".3g",
        "q3_s": ".3g", "speedup": ".1f"})
    print(markdown)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml", help="parameter file (its deblurring block is used)")
    parser.add_argument("--output-dir", default="reports", help="root of the report tree")
    parser.add_argument("--quick", action="store_true", help="smoke run: 64x64 central crop, 1 repeat")
    parser.add_argument("--repeats", type=int, default=None, help="override timing_repeats")
    args = parser.parse_args(argv)
    from sparseimg.schema import ParamError

    try:  # the section's schema and rules (the same error path as `python -m sparseimg run`)
        params = load_section_params("deblurring", args.params, root=ROOT)
        if args.quick:
            params = {**params, "crop": 64}
            get_section("deblurring").check_rules(params)  # the 64 crop must fit the images too
    except ParamError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    repeats = params["timing_repeats"] if args.repeats is None else args.repeats
    if args.quick:
        repeats = 1
    if not 1 <= repeats <= 100:
        print(f"error: --repeats={repeats} is not allowed: expected 1 <= repeats <= 100", file=sys.stderr)
        return 2
    output_dir = Path(args.output_dir)
    if not output_dir.is_absolute():
        output_dir = ROOT / output_dir
    from sparseimg.workspace.provenance import recorded_run

    with recorded_run("benchmark_deblurring", output_dir):
        rows = run(params, repeats, output_dir)
    met = [r["meets_target"] for r in rows if r["solver"] != DOCUMENT]
    print(f"solvers meeting the target (>= {TARGET_SPEEDUP:g}x, |dPSNR| <= {TARGET_PSNR_DB} dB): "
          f"{sum(met)} of {len(met)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
