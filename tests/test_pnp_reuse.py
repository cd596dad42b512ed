"""Section 3b takes section 3's wavelet plug-and-play computations by content key instead of running them again."""

import numpy as np
import pytest

from sparseimg.experiments import unfolding_pnp as ulp
from sparseimg.experiments import wavelet_deblurring as wvd
from sparseimg.experiments import wavelets as wv
from sparseimg.experiments.tuning import Tuned, tune_each
from sparseimg.images import center_crop, load_image


@pytest.fixture(scope="module")
def problem():
    return wvd.gaussian_blur_problem(center_crop(load_image("camera", gray=True), 32), seed=0)


def _keys(problem, **what):
    """Section 3's and section 3b's keys of the wavelet methods, at settings where the two coincide."""
    s3 = wvd.DeblurSettings()
    s3b = ulp.PnPSettings(peer_shifts=s3.denoise.shifts, estimator="mad", hqs_iter=s3.hqs_iter)
    out = {}
    for key in ("pnp_wavelet", "hqs_wavelet"):
        kind, den = wvd.PNP_PARTS[key]
        out[key] = (wvd.pnp_key(kind, den, s3.denoise, wvd.pnp_schedule(kind, s3), problem, **what),
                    ulp._content_key(key, s3b, problem, **what))
    return s3, s3b, out


def test_the_two_sections_key_the_same_computation_alike_and_compute_the_same(problem):
    s3, s3b, keys = _keys(problem, lam=0.5)
    for key, (a, b) in keys.items():
        assert a == b, key
        ours = wvd.DEBLURRERS[key](problem.observation, wvd.DeblurSettings(weights={key: 0.5}))
        theirs = ulp.PNP[key](problem.observation, ulp.PnPSettings(peer_shifts=8, estimator="mad", hqs_iter=8,
                                                                 weights={key: 0.5}))
        np.testing.assert_array_equal(ours.estimate, theirs.estimate)  # same key, same numbers


def test_the_key_changes_with_what_changes_the_computation(problem):
    kind, den = wvd.PNP_PARTS["pnp_wavelet"]
    s = wvd.DeblurSettings()
    base = wvd.pnp_key(kind, den, s.denoise, wvd.pnp_schedule(kind, s), problem, lam=0.5)
    other_problem = wvd.gaussian_blur_problem(center_crop(load_image("camera", gray=True), 32), seed=1)
    variants = [
        wvd.pnp_key(kind, den, s.denoise, wvd.pnp_schedule(kind, s), problem, lam=0.25),
        wvd.pnp_key(kind, den, wv.DenoiseSettings(shifts=4), wvd.pnp_schedule(kind, s), problem, lam=0.5),
        wvd.pnp_key(kind, den, s.denoise, {**wvd.pnp_schedule(kind, s), "max_iter": 29}, problem, lam=0.5),
        wvd.pnp_key(kind, den, s.denoise, {**wvd.pnp_schedule(kind, s), "max_fall": 1.5}, problem, lam=0.5),
        wvd.pnp_key(kind, "tv", s.denoise, wvd.pnp_schedule(kind, s), problem, lam=0.5),
        wvd.pnp_key(kind, den, s.denoise, wvd.pnp_schedule(kind, s), other_problem, lam=0.5),
        wvd.pnp_key(kind, den, s.denoise, wvd.pnp_schedule(kind, s), problem, grid=[0.5], max_extend=6),
    ]
    assert len({base, *variants}) == len(variants) + 1
    # a keyword left out is the default the run gets; a real number keys alike as int or float
    sched = wvd.pnp_schedule(kind, s)
    assert wvd.pnp_key(kind, den, s.denoise, {**sched, "max_fall": None}, problem, lam=0.5) == base
    assert wvd.pnp_key(kind, den, s.denoise, {**sched, "start_factor": 10}, problem, lam=0.5) == base
    with pytest.raises(ValueError, match="schedule="):
        wvd.pnp_key(kind, den, s.denoise, {**sched, "hqs_iter": 8}, problem, lam=0.5)


def test_tune_each_takes_known_pairs_without_running_them():
    calls = []

    class P:
        truth = np.ones(4)

    def run(method, problem, value):
        calls.append((method, value))
        return np.full(4, 1.0 - 0.1 * abs(np.log2(value)))  # best at 1: interior of [0.5, 1, 2]

    problems, grids = {"a": P(), "b": P()}, {"m": [0.5, 1.0, 2.0]}
    values, records = tune_each(run, problems, grids)
    assert len(calls) == 6
    calls.clear()
    fake = Tuned(2.0, [1.0, 2.0, 4.0], [1.0, 2.0, 1.0]).as_dict()
    values2, records2 = tune_each(run, problems, grids, known={("a", "m"): fake})
    assert len(calls) == 3 and {v for _, v in calls} == {0.5, 1.0, 2.0}  # only problem b ran
    assert values2 == {"a": {"m": 2.0}, "b": values["b"]} and records2["a"]["m"] == fake
    assert records2["b"] == records["b"]


def test_pnp_runs_takes_a_known_wavelet_run_and_runs_the_rest(monkeypatch):
    from sparseimg.workspace.sections import SECTIONS

    block = SECTIONS["unfolding"].quick_params()
    problems = {"only": wvd.gaussian_blur_problem(center_crop(load_image("camera", gray=True), 32), seed=0)}
    monkeypatch.setattr(ulp, "deblur_problems", lambda b, tuning=False: problems)
    ran = []

    class Ran(Exception):
        pass

    def spy(m, *a, **k):
        ran.append(m)
        raise Ran

    monkeypatch.setattr(ulp, "run_pnp", spy)
    p = ulp.PnPSettings._of(block, None)
    lams = {"only": {m: 0.5 for m in ulp.PNP_METHODS}}
    known = {ulp._content_key(m, p, problems["only"], lam=0.5): {"psnr": 30.0 + i, "curve": [20.0, 30.0 + i],
                                                                "iterations": 1}
             for i, m in enumerate(ulp.PNP_METHODS) if not m.endswith("learned")}
    with pytest.raises(Ran):  # the first learned method is run
        ulp.pnp_runs(None, block, lams, known=known)
    assert ran == ["pnp_learned"]
    monkeypatch.setattr(ulp, "PNP_METHODS", {m: m for m in ulp.PNP_METHODS if not m.endswith("learned")})
    out = ulp.pnp_runs(None, block, lams, known=known)["only"]
    assert all(r["reused"] and r["lam"] == 0.5 and r["seconds"] is None for r in out.values())
    assert [r["psnr"] for r in out.values()] == [known[k]["psnr"] for k in known]
