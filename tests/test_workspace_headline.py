"""Headline numbers: read along the sections' HEADLINE paths (new snake_case keys), written next to
the metrics by the runner; a renamed key fails loudly, naming the section and the path."""

import json
import os

import pytest

from sparseimg.workspace.runner import write_headline
from sparseimg.workspace.sections import SECTIONS, HeadlineError

SYNTHETIC = {
    "sparse_coding": {
        "methods": {"noisy/fista": {"event_psnr": 78.1, "event_error": 1.2e-4},
                    "noisy/inverse_filter": {"event_psnr": 40.9, "event_error": 0.6}},
        "reference_objective": 0.00215},
    "deblurring": {
        "document": {"noisy": {"psnr": 22.8}},
        "summary": {"noisy": {"best_method": "tv_fista", "best_psnr": 25.0}},
        "methods": {"noisy": {"tv_fista": {"psnr": 25.0}, "richardson_lucy": {"psnr": 23.5},
                              "wiener": {"psnr": 24.1}}}},
    "wavelets": {
        "compression": {"cdf97": {"psnr": 33.5}},
        "denoising_main": {"bayesshrink_ti": {"psnr": 26.0}, "skimage_wavelet": {"psnr": 25.2}, "bm3d": {"psnr": 27.8}}},
    "wavelet_deblurring": {
        "deblurring": {"gaussian_blur": {"tv_fista": {"psnr": 28.6}, "pnp_wavelet": {"psnr": 27.2}}},
        "summary": {"gaussian_blur": {"best_psnr": 29.2}, "section2": {"best_psnr": 25.2}}},
    "inpainting": {
        "best": {f"missing_{p}pct": {"psnr": 30.0 + p, "method": "dct_threshold"} for p in (10, 40, 80)},
        "methods": {f"missing_{p}pct": {"adam_document": {"psnr": 20.0 + p}, "biharmonic": {"psnr": 25.0 + p}}
                    for p in (10, 40, 80)}},
    "generation": {
        "scores": {"pairwise": {"confidence": {"mean": 0.75}, "precision": {"mean": 0.64}, "frechet": {"mean": 205.0}},
                   "gmm": {"frechet": {"mean": 42.0}}},
        "ksvd": {"main": {"test_rmse": 25.9}}},
    "large_images": {
        "accuracy": {"round0": {"relative_error": 2e-6, "objective_gap": 1e-12, "support_flips": 0},
                     "round1": {"relative_error": 4e-10, "objective_gap": 0.0, "support_flips": 0}},
        "estimate": {"tiles": 152881}},
    "lista": {
        "lista": {"noiseless": {"lista_nmse_db": -32.7, "fista_iterations": 95, "lista_margin_over_fista_db": 21.2},
                  "snr40db": {"lista_nmse_db": -30.8}, "training_seconds": 206.0}},
    "unfolding": {
        "lifting": {"headline": {"learned": {"psnr": 26.47}},
                    "mean_gain_over_ti_wavelet_db": {"sigma_15": 0.54, "sigma_50": 0.16, "sigma_25": 0.43}},
        "coupled": {"ratio_x4_coupled_to_bicubic": 0.734, "sep_psnr_x1_side_exclusion": 30.18}},
    "winnet": {"summary": {"winnet_minus_ti_db": 1.27, "winnet_minus_bm3d_db": -0.35},
               "talk_setting": {"winnet": 27.72, "bm3d": 28.18}, "nenet_max_abs_error": {"nenet": 1.38, "patches": 1.17}},
}

EXPECTED = {
    "sparse_coding": {"fista_noisy_event_psnr": 78.1, "inverse_filter_noisy_event_psnr": 40.9,
                      "fista_noisy_event_error": 1.2e-4, "reference_objective": 0.00215},
    "deblurring": {"document_noisy_psnr": 22.8, "best_noisy_psnr": 25.0, "tv_fista_noisy_psnr": 25.0, "richardson_lucy_noisy_psnr": 23.5,
                   "wiener_noisy_psnr": 24.1},
    "wavelets": {"wavelet_keep_fraction_cdf97_psnr": 33.5, "wavelet_bayesshrink_ti_psnr": 26.0,
                 "wavelet_skimage_wavelet_psnr": 25.2, "wavelet_bm3d_psnr": 27.8},
    "wavelet_deblurring": {"pnp_best_gaussian_blur_psnr": 29.2, "pnp_tv_fista_gaussian_blur_psnr": 28.6,
                           "pnp_algorithm1_wavelet_gaussian_blur_psnr": 27.2, "pnp_best_section2_psnr": 25.2},
    "inpainting": {"best_psnr": 70.0, "adam_document_psnr": 60.0, "biharmonic_psnr": 65.0},
    "generation": {"gen_pairwise_confidence": 0.75, "gen_pairwise_precision": 0.64, "gen_pairwise_frechet": 205.0,
                   "gen_gmm_frechet": 42.0, "gen_ksvd_test_rmse": 25.9},
    "large_images": {"large_schwarz_relative_error": 4e-10, "large_independent_relative_error": 2e-6,
                     "large_schwarz_objective_gap": 0.0, "large_schwarz_support_flips": 0, "large_estimate_tiles": 152881},
    "lista": {"lista_nmse_db": -32.7, "lista_fista_iterations": 95, "lista_margin_over_fista_db": 21.2},
    "unfolding": {"lifting_psnr": 26.47, "lifting_gain_over_ti_db": 0.16, "csr_x4_ratio_to_bicubic": 0.734,
                  "sep_psnr_x1": 30.18},
    "winnet": {"winnet_minus_ti_db": 1.27, "winnet_minus_bm3d_db": -0.35, "winnet_talk_psnr": 27.72,
               "nenet_max_abs_error": 1.38},
}


@pytest.mark.parametrize("name", list(SECTIONS))
def test_headline_values(name):
    assert SECTIONS[name].headline_values(SYNTHETIC[name]) == EXPECTED[name]


def test_inpainting_headline_takes_the_middle_proportion_without_40pct():
    metrics = {"best": {k: {"psnr": v} for k, v in (("missing_5pct", 1.0), ("missing_20pct", 2.0),
                                                     ("missing_60pct", 3.0))},
               "methods": {k: {"adam_document": {"psnr": 0.0}, "biharmonic": {"psnr": 0.0}}
                           for k in ("missing_5pct", "missing_20pct", "missing_60pct")}}
    assert SECTIONS["inpainting"].headline_values(metrics)["best_psnr"] == 2.0


def test_a_renamed_key_names_the_section_and_the_path():
    old = {"methods": {"noisy/FISTA": {"event_psnr": 78.1}}, "reference_objective": 0.1}
    with pytest.raises(HeadlineError) as info:
        SECTIONS["sparse_coding"].headline_values(old)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith("sparse_coding: headline fista_noisy_event_psnr")
    assert "'methods' -> 'noisy/fista' -> 'event_psnr'" in msg and "'noisy/FISTA'" in msg


def test_a_non_number_is_refused():
    bad = json.loads(json.dumps(SYNTHETIC["deblurring"]))
    bad["methods"]["noisy"]["wiener"]["psnr"] = "high"
    with pytest.raises(HeadlineError, match="deblurring: headline wiener_noisy_psnr .* expected a number"):
        SECTIONS["deblurring"].headline_values(bad)


def test_runner_writes_the_headline_file(tmp_path):
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "deblurring.json").write_text(json.dumps(SYNTHETIC["deblurring"]))
    path = write_headline(tmp_path, "deblurring")
    assert path == tmp_path / "metrics" / "deblurring_headline.json"
    assert json.loads(path.read_text()) == {"headline": EXPECTED["deblurring"]}


def test_runner_refuses_a_missing_metrics_file(tmp_path):
    with pytest.raises(HeadlineError, match="inpainting: metrics/inpainting.json was not written"):
        write_headline(tmp_path, "inpainting")


def test_cli_exit_status_1_for_a_headline_error(monkeypatch, capsys):
    from sparseimg.workspace import cli, runner

    def fake_run(*args, **kwargs):
        raise HeadlineError("sparse_coding: headline x path 'a' not found in metrics/sparse_coding.json")
    monkeypatch.setattr(runner, "run_section", fake_run)
    assert cli.main(["run", "sparse_coding"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "headline x" in err[0] and "reports left untouched" in err[0]


def test_headline_keys_are_unique_across_sections():
    # `dvc exp show` names a column by its key alone only while no other metrics file has it
    from sparseimg.workspace.sections import SECTIONS

    keys = [key for sec in SECTIONS.values() for key in sec.headline]
    assert len(keys) == len(set(keys)) and len(keys) >= 3 * 3


def test_runner_forbids_training_inside_a_section_notebook(monkeypatch, tmp_path):
    # the kernel inherits SPARSEIMG_REQUIRE_MODELS=1 (load_or_train then refuses to retrain),
    # and the runner's own environment is restored even when the notebook fails
    from pathlib import Path

    import papermill

    from sparseimg.learn.training import REQUIRE_MODELS_ENV
    from sparseimg.workspace import runner

    seen = []

    def fake_execute(*args, **kwargs):
        seen.append(os.environ.get(REQUIRE_MODELS_ENV))
        raise RuntimeError("notebook failed")

    monkeypatch.delenv(REQUIRE_MODELS_ENV, raising=False)
    monkeypatch.setattr(papermill, "execute_notebook", fake_execute)
    root = Path(__file__).resolve().parents[1]
    with pytest.raises(RuntimeError, match="notebook failed"):
        runner.run_section("unfolding", root=root, reports=tmp_path / "reports")
    assert seen == ["1"] and REQUIRE_MODELS_ENV not in os.environ
