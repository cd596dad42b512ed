"""Section 3b's WINNet evaluation: the denoising table reuses part 1's cells and never the WINNet rows."""

import numpy as np

from sparseimg.experiments import unfolding_lifting as ulf
from sparseimg.experiments import unfolding_winnet as uwn
from sparseimg.experiments import wavelets as wv
from sparseimg.learn import winnet
from sparseimg.schema import quick_values


def test_denoising_table_takes_known_cells_and_computes_the_rest(monkeypatch):
    block = {**quick_values(ulf.SCHEMA), **quick_values(uwn.SCHEMA)}
    block.update(lift_images=["camera"], lift_crop=64, lift_bm3d=True, win_photos=["china"], win_sigmas=[25.0],
                 win_far_sigmas=[75.0])
    den = winnet.WINNetDenoiser(winnet.init_params({"levels": 2, "extra": 1, "steps": 1, "pu_hidden": 2,
                                                    "dn_channels": 4, "dn_layers": 1}), shifts=1)
    calls = []

    def fake_peer(key, block):  # records which (method, image) cells are computed
        return lambda x, s: calls.append(key) or x
    monkeypatch.setattr(ulf, "_peer", fake_peer)
    key = wv.sigma_key(25.0)
    known = {key: {"camera": {"bm3d": 99.0, "bayesshrink_ti": 98.0, "winnet": -1.0}}}
    table, rows, _ = uwn.denoising_table({"winnet": den}, block, known=known)
    cam = table[key]["camera"]
    assert cam["bm3d"] == 99.0 and cam["bayesshrink_ti"] == 98.0
    assert cam["winnet"] != -1.0 and np.isfinite(cam["winnet"])  # WINNet itself is never taken from part 1
    # computed: both peers on china at 25, both peers on two images at 75 (outside part 1's table)
    assert sorted(calls) == sorted(["bayesshrink_ti", "bm3d"] * 3)
    assert len(rows) == 2 * 2 * 3
    without, _, _ = uwn.denoising_table({"winnet": den}, block)
    assert without[key]["camera"]["winnet"] == cam["winnet"]


def test_tables_are_the_same_in_one_or_two_processes():
    block = {**quick_values(ulf.SCHEMA), **quick_values(uwn.SCHEMA)}
    block.update(lift_images=["camera", "moon"], lift_crop=48, lift_bm3d=False, win_photos=["china"],
                 win_sigmas=[25.0], win_far_sigmas=[75.0], ne_sigmas=[10.0, 50.0])
    den = winnet.WINNetDenoiser(winnet.init_params({"levels": 2, "extra": 1, "steps": 1, "pu_hidden": 2,
                                                    "dn_channels": 4, "dn_layers": 1}), shifts=1)
    models = {"winnet": den}
    one = uwn.denoising_table(models, {**block, "win_workers": 1})
    two = uwn.denoising_table(models, {**block, "win_workers": 2})
    assert one[:2] == two[:2] and set(one[0]) == {wv.sigma_key(25.0), wv.sigma_key(75.0)}
    assert (uwn.nenet_table(_std_estimator, {**block, "win_workers": 1})
            == uwn.nenet_table(_std_estimator, {**block, "win_workers": 2}))


def _std_estimator(x):  # module level: the worker processes receive it pickled
    return float(np.std(x))
