"""Section 3 (part 1): the experiment registries, problems and figure helpers, and the section's schema
(quick values, cross-field rules with one-line messages, headline paths)."""

import ast
import dataclasses
from pathlib import Path

import numpy as np
import pytest

from sparseimg.experiments import Registry, UnknownMethodError
from sparseimg.experiments import wavelets as wv
from sparseimg.experiments import wavelet_deblurring as wvd
from sparseimg.experiments.deblurring import make_problem
from sparseimg.images import center_crop, load_image, prepare_image
from sparseimg.kernels import gaussian_psf
from sparseimg.metrics import psnr
from sparseimg.operators.lifting import dwt, get_wavelet, idwt2
from sparseimg.workspace.params import COMMON_SCHEMA
from sparseimg.schema import ParamError, quick_values, validate_block
from sparseimg.workspace.sections import extract_headline
from sparseimg.workspace.sections import wavelet_deblurring as deblur_section
from sparseimg.workspace.sections import wavelets as section

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def camera64():
    return center_crop(load_image("camera", gray=True), 64)


# --- registries ------------------------------------------------------------------------------------
def test_registries_have_the_issue_keys_labels_and_one_line_errors():
    assert list(wv.DENOISERS) == ["visushrink", "bayesshrink", "bayesshrink_ti", "tv", "skimage_wavelet",
                                  "skimage_cycle_spin", "skimage_tv", "bm3d"]
    assert list(wvd.DEBLURRERS) == ["ista_synthesis", "fista_synthesis", "fista_analysis_ti", "tv_fista",
                                   "pnp_wavelet", "pnp_tv", "pnp_bm3d", "hqs_wavelet", "hqs_tv", "hqs_bm3d"]
    for reg, name in ((wv.DENOISERS, "wavelets"), (wvd.DEBLURRERS, "wavelet_deblurring")):
        assert isinstance(reg, Registry) and reg.section == name
        assert set(reg.labels) == set(reg) and len(set(reg.labels.values())) == len(reg)
        with pytest.raises(UnknownMethodError) as info:
            reg["nope"]
        assert "\n" not in str(info.value) and "expected one of" in str(info.value)
    assert set(wv.TUNED_DENOISERS) <= set(wv.DENOISERS)
    assert set(wvd.LAMBDA_GRIDS) | set(wvd.SHARED_LAMBDA) == set(wvd.DEBLURRERS)
    assert not set(wvd.LAMBDA_GRIDS) & set(wvd.SHARED_LAMBDA)
    assert all(source in wvd.LAMBDA_GRIDS for source in wvd.SHARED_LAMBDA.values())
    assert set(wvd.LAMBDA_GRIDS.values()) <= set(deblur_section.SCHEMA)


@pytest.mark.parametrize("key", list(wv.DENOISERS))
def test_every_denoiser_improves_on_the_noisy_image(camera64, key):
    sigma = 50 / 255
    noisy = wv.add_noise(camera64, sigma, [0, 1])
    out = wv.DENOISERS[key](wv.NoisyImage(noisy, sigma), wv.DenoiseSettings(shifts=2)).estimate
    assert out.shape == camera64.shape and out.dtype == np.float64
    assert psnr(camera64, out, data_range=1.0) > psnr(camera64, noisy, data_range=1.0) + 3


def test_add_noise_is_seeded():
    x = np.zeros((8, 8))
    assert np.array_equal(wv.add_noise(x, 0.1, [3, 4]), wv.add_noise(x, 0.1, [3, 4]))
    assert not np.array_equal(wv.add_noise(x, 0.1, [3, 4]), wv.add_noise(x, 0.1, [3, 5]))


def test_tune_denoisers_records_each_choice_grown_to_the_inside(camera64):
    sigma = 25 / 255
    noisy = wv.add_noise(camera64, sigma, 0)
    tuned, records = wv.tune_denoisers(camera64, noisy, sigma, [0.05, 0.1], wv.DenoiseSettings(), max_extend=6)
    assert set(records) == set(wv.TUNED_DENOISERS)
    for key, name in wv.TUNED_DENOISERS.items():
        rec = records[key]
        assert getattr(tuned, name) == rec["value"] == rec["grid"][int(np.argmax(rec["scores"]))]
        assert len(rec["grid"]) > 2 and rec["grid"][-1] > 0.1  # 0.1 is far too weak at σ 25: the grid grew upward
        assert rec["edge"] == "" and rec["grid"][0] < rec["value"] < rec["grid"][-1]


# --- problems --------------------------------------------------------------------------------------
def test_section2_problem_is_section_2s():
    mine = wvd.section2_problem(crop=48, seed=1)
    image = prepare_image("astronaut", scale=1 / 3, crop=48)
    theirs = make_problem(image, gaussian_psf(13, (1.0, 3.0)), noise_std=0.01, seed=1)
    assert np.array_equal(mine.observed, theirs.observed) and mine.boundary == "linear"


def test_gaussian_blur_problem_is_circular_and_seeded(camera64):
    p = wvd.gaussian_blur_problem(camera64, seed=3)
    assert p.boundary == "circular" and p.noise_std == pytest.approx(0.01)
    assert np.array_equal(p.observed, wvd.gaussian_blur_problem(camera64, seed=3).observed)
    residual = (p.observed - p.operator.forward(camera64)) * 255
    assert abs(residual.std() - 2.55) < 0.3


# --- deblurrers ------------------------------------------------------------------------------------
SMALL = wvd.DeblurSettings(levels=3, n_iter=15, analysis_shifts=2, pnp_max_iter=5, hqs_iter=3,
                          denoise=wv.DenoiseSettings(levels=3, shifts=2, bm3d_stages="hard"))
LAMS = {"ista_synthesis": 1e-3, "fista_synthesis": 1e-3, "fista_analysis_ti": 1e-3, "tv_fista": 5e-4,
        "pnp_wavelet": 1.0, "pnp_tv": 1.0, "hqs_wavelet": 0.25, "hqs_tv": 0.25, "hqs_bm3d": 0.25}


@pytest.mark.parametrize("key", list(wvd.DEBLURRERS))
def test_every_deblurrer_improves_on_the_blurred_image(camera64, key):
    p = wvd.gaussian_blur_problem(camera64, seed=0)
    r = wvd.run_deblurrer(key, p, LAMS, SMALL)
    blurred = psnr(p.truth, p.observed, data_range=1.0)
    assert r.estimate.shape == p.truth.shape
    assert psnr(p.truth, r.estimate, data_range=1.0) > blurred + 0.5
    assert r.details["lam"] == LAMS[wvd.SHARED_LAMBDA.get(key, key)] and r.details["iterations"] >= 1
    assert len(r.psnr) == r.details["iterations"] + 1  # the start, then every iterate
    assert r.psnr[-1] == pytest.approx(psnr(p.truth, r.estimate, data_range=1.0), abs=1e-9)
    assert r.seconds >= 0


def test_run_deblurrer_without_its_weight_names_it(camera64):
    p = wvd.gaussian_blur_problem(camera64, seed=0)
    with pytest.raises(ValueError, match=r"^weights has no 'pnp_wavelet' entry: method 'pnp_bm3d' needs its tuned λ$"):
        wvd.run_deblurrer("pnp_bm3d", p, {}, SMALL)


def test_a_deblurrer_sees_no_ground_truth_and_tracking_does_not_change_its_estimate(camera64):
    p = wvd.gaussian_blur_problem(camera64, seed=0)
    obs = p.observation
    assert not hasattr(obs, "truth") and obs.noise_std == p.noise_std
    settings = dataclasses.replace(SMALL, weights=LAMS)
    for key in ("fista_analysis_ti", "pnp_tv", "hqs_wavelet"):
        plain = wvd.DEBLURRERS[key](obs, settings)
        tracked = wvd.run_deblurrer(key, p, LAMS, SMALL)
        assert np.array_equal(plain.estimate, tracked.estimate) and list(plain.history.psnr) == []
    with pytest.raises(ValueError, match=r"^settings.weights has no 'tv_fista' entry"):
        wvd.DEBLURRERS["tv_fista"](obs, SMALL)
    with pytest.raises(ValueError, match="needs the observation's noise_std"):
        wvd.DEBLURRERS["hqs_tv"](dataclasses.replace(obs, noise_std=None), settings)


def test_settings_from_params_start_every_lambda_inside_its_grid():
    block = quick_values(deblur_section.SCHEMA)
    settings = wvd.DeblurSettings.from_params(block)
    assert set(settings.weights) == set(wvd.LAMBDA_GRIDS)
    for key, grid in wvd.LAMBDA_GRIDS.items():
        assert min(block[grid]) < settings.weights[key] < max(block[grid])
    assert settings.n_iter == block["deblur_iter"] and settings.denoise == wv.DenoiseSettings.from_params(block)


def test_tune_deblurrers_picks_from_each_grid_and_skips_shared(camera64):
    p = wvd.gaussian_blur_problem(camera64, seed=1)
    grids = {"wavelet_lam_grid": [3e-4, 1e-3], "tv_lam_grid": [5e-4, 1e-3], "pnp_lam_grid": [0.3, 1.0],
             "hqs_lam_grid": [0.25, 0.5]}
    weights, records = wvd.tune_deblurrers({"p": p}, grids, SMALL, keys=["fista_synthesis", "pnp_tv", "pnp_bm3d"],
                                          max_extend=2)
    assert wvd.tune_deblurrers({"p": p}, grids, SMALL, keys=["fista_synthesis", "pnp_tv"], max_extend=2,
                              workers=2) == (weights, records)  # the same numbers in two processes
    weights, records = weights["p"], records["p"]
    assert set(weights) == set(records) == {"fista_synthesis", "pnp_tv"}
    for key, lam in weights.items():
        rec = records[key]
        assert set(grids[wvd.LAMBDA_GRIDS[key]]) <= set(rec["grid"]) and len(rec["grid"]) <= 4  # grown by at most 2
        assert lam == rec["value"] == rec["grid"][int(np.argmax(rec["scores"]))]
        assert (rec["edge"] == "") == (rec["grid"][0] < lam < rec["grid"][-1])


def test_run_all_is_run_deblurrer_for_every_pair_in_any_number_of_processes(camera64):
    problems = {"a": wvd.gaussian_blur_problem(camera64[:32, :32], seed=0),
                "b": wvd.gaussian_blur_problem(camera64[32:, 32:], seed=1)}
    weights = {"a": LAMS, "b": LAMS}
    short = dataclasses.replace(SMALL, pnp_max_iter=1, hqs_iter=1)  # each BM3D call costs 0.35 s whatever the size
    one, two = (wvd.run_all(problems, weights, short, workers=w) for w in (1, 2))
    for name, p in problems.items():
        assert list(one[name]) == list(two[name]) == list(wvd.DEBLURRERS)
        for key in wvd.DEBLURRERS:
            direct = wvd.run_deblurrer(key, p, LAMS, short)
            for r in (one[name][key], two[name][key]):
                assert np.array_equal(r.estimate, direct.estimate) and r.details == direct.details
                assert np.array_equal(r.psnr, direct.psnr)


def test_denoising_table_seeds_each_image_by_its_position_in_any_number_of_processes(camera64):
    clean = {"top": camera64[:32, :32], "bottom": camera64[32:, 32:]}
    tuned = {s: wv.DenoiseSettings(levels=3, shifts=1, bm3d_stages="hard") for s in (25.0, 50.0)}
    one, two = (wv.denoising_table(clean, [25.0, 50.0], tuned, 3, workers=w) for w in (1, 2))
    assert one[0] == two[0] and one[1] == two[1] and set(one[2]) == set(wv.DENOISERS)
    noisy = wv.add_noise(clean["bottom"], 50 / 255, wv.seed_for(3, 1, 50.0))  # the second image, at σ 50
    assert one[0]["sigma_50"]["bottom"]["noisy"] == psnr(clean["bottom"], noisy, data_range=1.0)
    est = wv.denoiser("bayesshrink", tuned[50.0])(noisy, 50 / 255)
    assert one[0]["sigma_50"]["bottom"]["bayesshrink"] == psnr(clean["bottom"], est, data_range=1.0)
    assert len(one[1]) == 2 * 2 * len(wv.DENOISERS)
    # every run under its content key, with the cell's PSNR
    assert one[3] == two[3] and len(one[3]) == 2 * 2 * len(wv.DENOISERS)
    assert one[3][wv.run_key("bayesshrink", tuned[50.0], clean["bottom"], noisy, 50 / 255)] == \
        one[0]["sigma_50"]["bottom"]["bayesshrink"]


def test_reads_lists_exactly_the_settings_fields_each_denoiser_reads(camera64):
    """READS decides which runs two stages share: a field outside it must not change the output, and a
    field inside it must be able to."""
    from dataclasses import fields, replace

    noisy = wv.add_noise(camera64[:32, :32], 25 / 255, 0)
    base = wv.DenoiseSettings(levels=3, shifts=2, tv_iter=20, bm3d_stages="hard")
    other = {"wavelet": "cdf53", "levels": 2, "shifts": 3, "tv_iter": 5, "tv_factor": 0.5,
             "skimage_tv_factor": 0.5, "bm3d_stages": "all"}
    assert set(wv.READS) == set(wv.DENOISERS) and set(other) == {f.name for f in fields(wv.DenoiseSettings)}
    for key in wv.DENOISERS:
        out = wv.denoiser(key, base)(noisy, 25 / 255)
        for name, value in other.items():
            changed = wv.denoiser(key, replace(base, **{name: value}))(noisy, 25 / 255)
            assert np.array_equal(changed, out) == (name not in wv.READS[key]), (key, name)


def test_run_key_covers_method_read_settings_sigma_and_both_images(camera64):
    clean = camera64[:16, :16]
    noisy = wv.add_noise(clean, 0.1, 0)
    s = wv.DenoiseSettings()
    key = wv.run_key("bm3d", s, clean, noisy, 0.1)
    assert len(key) == 32 and key == wv.run_key("bm3d", wv.DenoiseSettings(shifts=2, tv_factor=3.0), clean, noisy, 0.1)
    others = [wv.run_key("bayesshrink", s, clean, noisy, 0.1), wv.run_key("bm3d", s, clean, noisy, 0.2),
              wv.run_key("bm3d", wv.DenoiseSettings(bm3d_stages="hard"), clean, noisy, 0.1),
              wv.run_key("bm3d", s, clean + 1e-9, noisy, 0.1), wv.run_key("bm3d", s, clean, noisy.T, 0.1),
              wv.run_key("bm3d", s, clean[:8], noisy[:8], 0.1)]
    assert len({key, *others}) == 1 + len(others)
    with pytest.raises(ValueError, match="bm4d"):
        wv.run_key("bm4d", s, clean, noisy, 0.1)


def test_stored_runs_reads_the_record_and_is_empty_without_it(tmp_path, monkeypatch):
    import json

    assert wv.stored_runs(tmp_path / "missing.json") == {}
    (tmp_path / "w.json").write_text(json.dumps({"denoising": {}}))
    assert wv.stored_runs(tmp_path / "w.json") == {}
    (tmp_path / "w.json").write_text(json.dumps({"denoising_runs": {"ab": 30.5}}))
    assert wv.stored_runs(tmp_path / "w.json") == {"ab": 30.5}
    metrics = tmp_path / "reports" / "metrics"
    metrics.mkdir(parents=True)
    (metrics / "wavelet_deblurring.json").write_text(json.dumps({"pnp_runs": {"cd": {"psnr": 28.0}}}))
    monkeypatch.setattr("sparseimg.learn.paths.workspace_dir", lambda: tmp_path)  # default: <workspace>/reports/metrics
    assert wv.stored_runs(record="pnp_runs", section="wavelet_deblurring") == {"cd": {"psnr": 28.0}}
    assert wv.stored_runs(record="pnp_runs") == {}  # wavelets.json: none there


def test_tune_denoisers_takes_a_known_tuning_by_its_content_key(camera64, monkeypatch):
    """Notebook 03a takes the TV factor notebook 03 tuned (same images, σ, grid, settings): the same settings and
    records, no denoiser called; any change of what the tuning reads is another key, and it tunes."""
    clean = camera64[:32, :32]
    noisy = wv.add_noise(clean, 0.1, 0)
    base = wv.DenoiseSettings(levels=2, shifts=2, tv_iter=10)
    grid = [0.6, 1.0, 1.4]
    tuned, records = wv.tune_denoisers(clean, noisy, 0.1, grid, base, max_extend=1)
    key = wv.tuning_key(clean, noisy, 0.1, grid, base, max_extend=1)
    known = {key: records}
    def refuse(*args, **kwargs):
        raise AssertionError("tuned again")

    monkeypatch.setattr(wv, "denoiser", refuse)
    again, again_records = wv.tune_denoisers(clean, noisy, 0.1, grid, base, max_extend=1, known=known)
    assert again == tuned and again_records == records
    others = [wv.tuning_key(clean, noisy, 0.1, grid, dataclasses.replace(base, tv_iter=11), max_extend=1),
              wv.tuning_key(clean, noisy, 0.1, grid[:2], base, max_extend=1),
              wv.tuning_key(clean, noisy, 0.1, grid, base, max_extend=2),
              wv.tuning_key(clean, noisy, 0.2, grid, base, max_extend=1),
              wv.tuning_key(clean, noisy + 1e-9, 0.1, grid, base, max_extend=1),
              wv.tuning_key(clean.T.copy(), noisy, 0.1, grid, base, max_extend=1)]
    assert key not in others and len(set(others)) == len(others)
    # a setting no tuned denoiser reads (the wavelet, BM3D's stages) or the factors themselves: the same key
    assert wv.tuning_key(clean, noisy, 0.1, grid, dataclasses.replace(base, wavelet="haar", bm3d_stages="hard", tv_factor=3.0),
                         max_extend=1) == key
    with pytest.raises(AssertionError, match="tuned again"):
        wv.tune_denoisers(clean, noisy, 0.1, grid, dataclasses.replace(base, tv_iter=11), max_extend=1, known=known)


# --- figure helpers --------------------------------------------------------------------------------
@pytest.mark.parametrize("wavelet", ["haar", "cdf53", "cdf97"])
def test_lifting_trace_ends_at_dwt(wavelet):
    x = np.random.default_rng(0).standard_normal(20)
    trace = wv.lifting_trace(x, wavelet)
    assert [t[0] for t in trace] == ["split"] + [s.kind for s in get_wavelet(wavelet).steps] + ["scale"]
    assert np.allclose(np.concatenate(trace[-1][1:]), dwt(x, wavelet, levels=1), atol=1e-13, rtol=0)
    with pytest.raises(ValueError, match="expected an even length"):
        wv.lifting_trace(x[:7], wavelet)


@pytest.mark.parametrize("transform", wv.COMPRESSION_TRANSFORMS)
def test_keep_largest(camera64, transform):
    fractions = [0.02, 0.1, 0.3, 1.0]
    out = wv.keep_largest(camera64, transform, fractions, levels=3)
    scores = [psnr(camera64, o, data_range=1.0) for o in out]
    assert scores == sorted(scores) and scores[-1] > 250  # more coefficients, better; all of them: exact


def test_keep_largest_ranks_by_contribution():
    coefs = np.zeros((32, 32))
    coefs[0, 1] = 1.5  # a coarse-band coefficient: its 5/3 synthesis atom has norm ≈ 0.67
    coefs[20, 20] = 1.0  # a finest diagonal one, smaller, but its atom has norm ≈ 1.44
    image = idwt2(coefs, "cdf53", levels=3, boundary="periodic")
    one = 1 / image.size
    by_contribution = wv.keep_largest(image, "cdf53", [one], levels=3)[0]
    by_magnitude = wv.keep_largest(image, "cdf53", [one], levels=3, rank="magnitude")[0]
    assert psnr(image, by_contribution, data_range=1.0) > psnr(image, by_magnitude, data_range=1.0)


# --- the section's schema --------------------------------------------------------------------------
QUICK = {**quick_values(section.SCHEMA, "wavelets"), **quick_values(deblur_section.SCHEMA, "wavelets")}


def valid(**edits):
    """The ``wavelets`` block as both of its sections check it (03 and 03a read it; each runs its own rules)."""
    block = {}
    for sec in (section, deblur_section):
        mine = {k: v for k, v in {**QUICK, **edits}.items() if k in sec.SCHEMA}
        block.update(validate_block("wavelets", mine, sec.SCHEMA, root=ROOT))
        for rule in sec.RULES:
            rule(block)
    return block


def test_quick_values_are_valid_and_the_notebook_holds_them():
    import papermill as pm

    valid()
    cell = {k: ast.literal_eval(v["default"]) for k, v in pm.inspect_notebook(str(ROOT / section.NOTEBOOK)).items()
            if k not in ("output_dir", "notebook")}
    quick = {**quick_values(section.SCHEMA, "wavelets"), **quick_values(COMMON_SCHEMA, "common")}
    assert set(cell) == set(quick)
    assert {k: cell[k] for k in quick if cell[k] != quick[k] or type(cell[k]) is not type(quick[k])} == {}
    assert all(spec.help for spec in {**section.SCHEMA, **deblur_section.SCHEMA}.values())
    assert set(section.SCHEMA) & set(deblur_section.SCHEMA) == set(section.SHARED)  # the shared keys, one spec each
    assert all(section.SCHEMA[k] is deblur_section.SCHEMA[k] for k in section.SHARED)


RULE_CASES = [
    ({"tuning_image": "camera"}, ["wavelets.tuning_image='camera'", "wavelets.image='camera'"]),
    ({"tuning_image": "moon"}, ["wavelets.tuning_image='moon'", "wavelets.images[2]='moon'"]),
    ({"tuning_image": "astronaut", "images": ["camera"]}, ["wavelets.tuning_image='astronaut'", "section 2"]),
    ({"crop": 304}, ["wavelets.crop=304", "wavelets.images='coins'"]),
    ({"image_crop": 600}, ["wavelets.image_crop=600", "wavelets.image='camera'"]),
    ({"blur_crop": 401}, ["wavelets.blur_crop=401", "wavelets.tuning_image='coffee'"]),
    ({"section2_crop": 150}, ["wavelets.section2_crop=150", "wavelets.tuning_image='coffee'"]),
    ({"levels": 5}, ["wavelets.levels=5", "wavelets.crop"]),
    ({"compression_levels": 7}, ["wavelets.compression_levels=7", "wavelets.image_crop=128"]),
    ({"shifts": 64}, ["wavelets.shifts=64", "wavelets.crop=64"]),
    ({"signal_length": 31}, ["wavelets.signal_length=31", "even"]),
    ({"blur_psf_size": 12}, ["wavelets.blur_psf_size=12", "odd"]),
    ({"hqs_sigma_start": 2.0}, ["wavelets.hqs_sigma_start=2.0", "wavelets.blur_noise=2.55"]),
]


@pytest.mark.parametrize("edits, names", RULE_CASES, ids=lambda v: "-".join(v) if isinstance(v, dict) else None)
def test_rules_fire_with_one_line(edits, names):
    with pytest.raises(ParamError) as info:
        valid(**edits)
    msg = str(info.value)
    assert "\n" not in msg and "is not allowed: expected" in msg
    for name in names:
        assert name in msg, msg


def test_headline_paths_follow_the_notebooks_metrics_and_keys_are_unique():
    from sparseimg.workspace.sections import SECTIONS

    for mine in (section, deblur_section):
        name = mine.__name__.rsplit(".", 1)[-1]
        others = {key for sec in SECTIONS.values() if sec.name != name for key in sec.headline}
        assert not set(mine.HEADLINE) & others
    assert all(key.startswith("wavelet_") for key in section.HEADLINE)
    assert all(key.startswith("pnp_") for key in deblur_section.HEADLINE)
    metrics = {  # the shape the notebook writes
        "compression": {"cdf97": {"psnr": 33.5}},
        "denoising_main": {key: {"psnr": 20.0 + i, "ssim": 0.5} for i, key in enumerate(wv.DENOISERS)},
        "deblurring": {name: {key: {"psnr": 25.0, "ssim": 0.8} for key in wvd.DEBLURRERS}
                       for name in ("gaussian_blur", "section2")},
        "summary": {"gaussian_blur": {"best_method": "hqs_bm3d", "best_psnr": 29.1},
                    "section2": {"best_method": "hqs_bm3d", "best_psnr": 25.2}},
    }
    assert extract_headline("wavelets", section.HEADLINE, metrics)["wavelet_bm3d_psnr"] == 27.0
    assert extract_headline("wavelet_deblurring", deblur_section.HEADLINE, metrics)["pnp_best_section2_psnr"] == 25.2


def test_bm3d_runs_single_threaded_so_repeated_calls_are_bitwise_equal(monkeypatch):
    """The bm3d library sums its threads' estimates in a racy order (two runs may differ by ~1e-7), which would
    make the section's metrics differ between runs: the wrapper asks for one thread, and the output is the
    same call after call."""
    import bm3d

    seen = []
    real = bm3d.bm3d

    def spy(z, sigma, profile=None, **kw):
        seen.append(getattr(profile, "num_threads", None))
        return real(z, sigma, profile=profile, **kw)

    monkeypatch.setattr(bm3d, "bm3d", spy)
    noisy = np.random.default_rng(3).random((40, 40))
    settings = wv.DenoiseSettings(bm3d_stages="hard")
    bm3d_denoise = wv.denoiser("bm3d", settings)
    first = bm3d_denoise(noisy, 0.1)
    assert all(np.array_equal(first, bm3d_denoise(noisy, 0.1)) for _ in range(3))
    assert seen == [1] * 4


def test_plug_and_play_kind_is_checked_in_one_line(camera64):
    obs = wvd.gaussian_blur_problem(camera64, seed=0).observation
    with pytest.raises(ValueError, match=r"^kind='admm' is not allowed: expected 'algorithm1' or 'hqs'$"):
        wvd.plug_and_play("admm", obs, lambda x, s: x, 1.0)
