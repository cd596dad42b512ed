"""Section 3, part 2 (coupled pieces): guided super-resolution of a disparity map by an unfolded
coupled ISTA (the separation with side information is :mod:`sparseimg.experiments.unfolding_separation`).

Super-resolution (keys ``csr_*``)
    Data: scikit-image's ``stereo_motorcycle()`` (Middlebury 2014, down-sampled by 4): the
    left RGB view and its disparity map, whose NaN pixels (7.3 %) are invalid and masked
    everywhere (training loss, dictionary learning targets, RMSE). Both are cropped to
    496 × 736 (multiples of 8). The left 368 columns train, the right 368 columns are
    reported. Low resolution: area average of the valid pixels of each ``s × s`` block
    (``s`` = 4 or 8); blocks without a valid pixel are filled by the nearest valid block before
    the bicubic up-sampling. Guidance: the left view in grey at full resolution.

    Methods (keys of :data:`SR_LABELS`): bicubic up-sampling; the guided filter (radius and ε
    chosen on the training half); the unfolded coupled ISTA with and without the guidance branch
    (:func:`train_sr_network`), plus the untrained coupled ISTA at the learned dictionary.
    Patches (bicubic map and grey guidance, means removed) are divided by their norm plus a
    floor; patches flatter than ``csr_min_contrast`` keep the bicubic values; training draws
    minibatches under the 8 flips/rotations of the square.

Sources: X. Deng and P. L. Dragotti, "Deep Coupled ISTA Network for Multi-Modal Image
Super-Resolution", IEEE TIP 29, 2020; K. He, J. Sun and X. Tang,
"Guided Image Filtering", ECCV 2010.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from sparseimg.learn import coupled
from sparseimg.schema import Float, Int, ListOf

__all__ = ["SCHEMA", "TRAIN_KEYS", "train", "SRProblem", "sr_problem", "train_sr_network", "sr_predict",
           "tune_guided_filter", "evaluate_sr", "network_weights", "SR_LABELS"]

# ---------------------------------------------------------------------------------------------
# Parameters (full values in comments: they go in params.yaml)
# ---------------------------------------------------------------------------------------------
SCHEMA = {
    # --- super-resolution
    "csr_scales": ListOf(Int(2, 8), min_len=1, max_len=2, quick=[4, 8],
                         help="down-sampling factors (full: [4, 8])"),
    "csr_patch": ListOf(Int(4, 24), min_len=1, max_len=2, quick=[8, 8],
                        help="HR patch size per scale (full: [8, 8])"),
    "csr_atoms": Int(8, 1024, quick=64, help="atoms of the coupled dictionary (full: 256)"),
    "csr_lam": Float(0.0, 10.0, low_open=True, quick=0.1, help="ℓ1 weight of dictionary learning / ISTA init (full: 0.1)"),
    "csr_dict_iter": Int(0, 200, quick=3, help="dictionary-learning alternations (full: 10)"),
    "csr_layers": Int(0, 20, quick=2, help="ISTA steps of the network after the first thresholding (full: 4)"),
    "csr_steps": Int(0, 100000, quick=150, help="Adam steps per network (full: 2000)"),
    "csr_batch": Int(8, 4096, quick=128, help="patches per minibatch (full: 256)"),
    "csr_lr": Float(0.0, 1.0, low_open=True, quick=2e-3, help="peak learning rate (cosine schedule) (full: 2e-3)"),
    "csr_train_stride": Int(1, 16, quick=4, help="stride of the training patches (full: 2)"),
    "csr_min_contrast": Float(0.0, None, quick=0.5,
                              help="patches whose bicubic RMS deviation (disparity px) is at most this keep the "
                                   "bicubic values; the others train and are super-resolved (full: 0.5)"),
    "csr_eval_stride": Int(1, 16, quick=4, help="stride of the patches at inference (full: 2)"),
    "csr_seed": Int(0, None, quick=0, help="seed of dictionary init and minibatches (full: 0)"),
}

#: The keys the coupled networks' training reads (the weights' configuration).
TRAIN_KEYS = ("csr_scales", "csr_patch", "csr_atoms", "csr_lam", "csr_dict_iter", "csr_layers", "csr_steps",
              "csr_batch", "csr_lr", "csr_train_stride", "csr_min_contrast", "csr_seed")

SR_LABELS = {
    "bicubic": "bicubic",
    "guided_filter": "guided filter",
    "ista_dictionary": "coupled ISTA, learned dictionary (untrained)",
    "network_no_guidance": "unfolded ISTA, no guidance",
    "network_coupled": "unfolded coupled ISTA",
}


# ---------------------------------------------------------------------------------------------
# Super-resolution problem
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SRProblem:
    """The disparity super-resolution problem at one scale.

    :func:`sr_problem` builds one; the class itself checks nothing.

    Parameters
    ----------
    factor : int
        The down-sampling factor ``s``.
    truth : (H, W) ndarray
        HR disparity (0 at invalid pixels), float64, in disparity pixels.
    valid : (H, W) bool ndarray
        Pixels with a ground truth.
    guide : (H, W) ndarray
        Left view in grey, in [0, 1].
    low, low_valid : (H/s, W/s) ndarray, (H/s, W/s) bool ndarray
        The LR disparity (area average of valid pixels) and its valid blocks.
    bicubic : (H, W) ndarray
        Bicubic up-sampling of the LR map (invalid blocks filled first).
    split : int
        Columns ``< split`` train, columns ``>= split`` are reported.

    Attributes
    ----------
    train_mask, test_mask : (H, W) bool ndarray
        The valid pixels of the training columns and of the reported columns.
    """

    factor: int
    truth: np.ndarray
    valid: np.ndarray
    guide: np.ndarray
    low: np.ndarray
    low_valid: np.ndarray
    bicubic: np.ndarray
    split: int

    @property
    def train_mask(self) -> np.ndarray:
        mask = np.zeros(self.truth.shape, dtype=bool)
        mask[:, :self.split] = True
        return mask & self.valid

    @property
    def test_mask(self) -> np.ndarray:
        mask = np.zeros(self.truth.shape, dtype=bool)
        mask[:, self.split:] = True
        return mask & self.valid


def load_motorcycle(multiple: int = 8) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(disparity with 0 at invalid pixels, valid mask, grey left view)``, cropped to multiples.

    From scikit-image's ``data.stereo_motorcycle()``; a disparity pixel is valid when finite and
    ``> 0``.

    Parameters
    ----------
    multiple : int, optional
        Both sides are cropped down to a multiple of it, keeping the top-left corner (default 8).

    Returns
    -------
    disparity : (H, W) ndarray
        float64, 0 at invalid pixels.
    valid : (H, W) bool ndarray
    grey : (H, W) ndarray
        The left view in grey, in [0, 1] (:func:`skimage.color.rgb2gray`).
    """
    from skimage import data
    from skimage.color import rgb2gray

    left, _, disparity = data.stereo_motorcycle()
    h, w = (disparity.shape[0] // multiple) * multiple, (disparity.shape[1] // multiple) * multiple
    disparity = np.asarray(disparity[:h, :w], dtype=np.float64)
    valid = np.isfinite(disparity) & (disparity > 0)
    return np.where(valid, disparity, 0.0), valid, rgb2gray(left[:h, :w])


def sr_problem(factor: int, *, multiple: int = 8) -> SRProblem:
    """The motorcycle problem at down-sampling ``factor`` (the split: half the width, a multiple of 8).

    The split is half the width rounded down to a multiple of ``multiple``. Built by
    :func:`load_motorcycle` and :mod:`sparseimg.learn.coupled`'s ``downsample_masked``,
    ``fill_invalid`` and ``upsample_bicubic``.

    Parameters
    ----------
    factor : int
        Down-sampling factor ``s``, ``>= 1``; must divide the cropped image's sides.
    multiple : int, optional
        Crop multiple of :func:`load_motorcycle` (default 8).

    Returns
    -------
    SRProblem

    Raises
    ------
    TypeError
        ``factor`` is not an integer.
    ValueError
        ``factor`` is below 1 or does not divide the cropped shape.
    """
    truth, valid, guide = load_motorcycle(multiple)
    low, low_valid = coupled.downsample_masked(truth, valid, factor)
    bicubic = coupled.upsample_bicubic(coupled.fill_invalid(low, low_valid), factor)
    split = (truth.shape[1] // 2 // multiple) * multiple
    return SRProblem(factor, truth, valid, guide, low, low_valid, bicubic, split)


def _features(problem: SRProblem, size: int, stride: int, region: str):
    """Patch features: centred bicubic patch, centred guidance patch, HR residual and its mask."""
    width = problem.split if region == "train" else problem.truth.shape[1]
    crop = (slice(None), slice(0, width))
    bic, corners = coupled.extract_patches(problem.bicubic[crop], size, stride)
    guide, _ = coupled.extract_patches(problem.guide[crop], size, stride)
    truth, _ = coupled.extract_patches(problem.truth[crop], size, stride)
    valid, _ = coupled.extract_patches(problem.valid[crop].astype(np.float64), size, stride)
    a = bic - bic.mean(axis=1, keepdims=True)
    b = guide - guide.mean(axis=1, keepdims=True)
    h = (truth - bic) * valid
    # contrast normalization: the residual of an edge scales with the edge's height
    gain_a = np.linalg.norm(a, axis=1, keepdims=True) + CONTRAST_FLOOR * size
    gain_b = np.linalg.norm(b, axis=1, keepdims=True) + CONTRAST_FLOOR_GUIDE * size
    contrast = np.sqrt(np.mean(a * a, axis=1))  # RMS deviation of the bicubic patch (disparity units)
    return a / gain_a, b / gain_b, h / gain_a, valid, corners, gain_a, contrast


#: Floors of the patch-contrast normalization (disparity units and grey levels per pixel).
CONTRAST_FLOOR = 0.5
CONTRAST_FLOOR_GUIDE = 0.02


def _scales(a, b, h, valid):
    return {"scale_a": np.array(a.std()), "scale_b": np.array(b.std()),
            "scale_h": np.array(np.sqrt(np.sum(h * h) / max(valid.sum(), 1.0)))}


def _dihedral_permutations(size: int) -> np.ndarray:
    """``(8, size²)`` index permutations of a raveled square patch: its flips and rotations."""
    grid = np.arange(size * size).reshape(size, size)
    views = [np.rot90(g, k) for g in (grid, grid.T) for k in range(4)]
    return np.stack([v.ravel() for v in views])


def train_sr_network(problem: SRProblem, *, patch: int, guided: bool, atoms: int, lam: float, dict_iter: int,
                     layers: int, steps: int, batch: int, lr: float, stride: int, seed: int,
                     min_contrast: float = 0.5, augment: bool = True, progress: bool = True,
                     guide_gain: float = 1.0) -> tuple[dict, dict]:
    """Learn the coupled dictionary on the training half, then train the unfolded coupled ISTA.

    Training patches are those with at least half of their pixels valid and a bicubic RMS deviation
    above ``min_contrast``; the dictionary is learned on at most 10,000 of them
    (:func:`sparseimg.learn.coupled.learn_coupled_dictionary`), the network is initialized at ISTA on it
    (:func:`sparseimg.learn.coupled.init_coupled_ista`) and trained by
    :func:`sparseimg.learn.training.fit` (cosine schedule, gradient clipped to norm 10) on the masked
    mean squared error of the HR residual.

    Parameters
    ----------
    problem : SRProblem
    patch : int
        Side of the square patches (pixels of the HR grid).
    guided : bool
        With the guidance branch (the grey left view) or without.
    atoms : int
        Atoms of the coupled dictionary, ``>= 1`` and at most the number of patches it is learned on.
    lam : float
        ℓ1 weight of dictionary learning and of the ISTA initialization, ``>= 0``.
    dict_iter : int
        Dictionary-learning alternations, ``>= 0``.
    layers : int
        ISTA steps of the network after the first thresholding, ``>= 0``.
    steps : int
        Adam steps, ``>= 0``.
    batch : int
        Patches per minibatch.
    lr : float
        Peak learning rate, ``> 0``.
    stride : int
        Stride of the training patches (pixels).
    seed : int
        Seed of the dictionary initialization and the minibatches (with the factor and ``guided``),
        a non-negative integer.
    min_contrast : float, optional
        Patches whose bicubic RMS deviation (disparity pixels) is at most this are left out
        (default 0.5).
    augment : bool, optional
        Draw each patch under one of the 8 flips/rotations of the square (default True).
    progress : bool, optional
        Show a progress bar (default True).
    guide_gain : float, optional
        Multiplies the (normalized) guidance patches relative to the target patches, ``>= 0``
        (default 1.0; an ablation knob: 0 feeds the guided network a blank guidance). Stored in the
        weights (``guide_gain``) so that :func:`sr_predict` applies it too.

    Returns
    -------
    weights : dict of str -> ndarray
        The network (:func:`sparseimg.learn.coupled.init_coupled_ista` keys: ``Wa``, ``Da``, ``Dh``,
        ``theta`` and, guided, ``Wb``, ``Db``) plus the feature scales ``scale_a``, ``scale_b``,
        ``scale_h`` and ``dictionary_*`` copies of the untrained network.
    log : dict
        ``factor``, ``guided``, ``patches`` (training patches kept), ``dictionary_seconds``,
        ``train_seconds``, ``wall_seconds``, ``cpu_seconds``, ``loss_first`` and ``loss_last``
        (mean training loss of the first and last 20 steps; None when ``steps`` is 0).

    Raises
    ------
    TypeError, ValueError
        From :mod:`sparseimg.learn.coupled` and ``fit``: ``atoms``, ``lam``, ``dict_iter``,
        ``layers``, ``steps`` or ``lr`` out of range, or fewer training patches than atoms.
    FloatingPointError
        From ``fit``: the loss becomes NaN or infinite.
    """
    import autograd.numpy as anp

    from sparseimg.learn.training import fit

    t0, c0 = time.perf_counter(), time.process_time()
    a, b, h, valid, _, _, contrast = _features(problem, patch, stride, "train")
    keep = (valid.mean(axis=1) >= 0.5) & (contrast > min_contrast)
    a, b, h, valid = a[keep], b[keep], h[keep], valid[keep]
    scales = _scales(a, b, h, valid)

    guide_gain = float(guide_gain)
    if not guide_gain >= 0.0:
        raise ValueError(f"guide_gain={guide_gain!r} is not allowed: expected a number >= 0")
    a, b, h = a / scales["scale_a"], guide_gain * b / scales["scale_b"], h / scales["scale_h"]
    blocks = [a, b, h] if guided else [a, h]
    rng = np.random.default_rng([seed, problem.factor, int(guided)])
    n_dict = min(len(a), 10000)
    rows = rng.choice(len(a), n_dict, replace=False)
    dictionary, _ = coupled.learn_coupled_dictionary(np.hstack([x[rows] for x in blocks]), atoms, lam,
                                                     n_iter=dict_iter, seed=rng)
    dims = (a.shape[1], b.shape[1] if guided else 0, h.shape[1])
    init = coupled.init_coupled_ista(dictionary, dims, lam, layers)
    t_dict = time.perf_counter() - t0

    def loss(params, a_, b_, h_, v_):
        out = coupled.coupled_ista(params, a_, b_ if guided else None)
        return anp.sum(v_ * (out - h_) ** 2) / anp.sum(v_)

    perms = _dihedral_permutations(patch)

    def draw(gen):
        idx = gen.integers(0, len(a), batch)
        if not augment:
            return a[idx], b[idx], h[idx], valid[idx]
        # each patch under one of the 8 flips/rotations of the square (same for all modalities)
        order = perms[gen.integers(0, len(perms), batch)]
        return tuple(np.take_along_axis(x[idx], order, axis=1) for x in (a, b, h, valid))

    result = fit(loss, init, draw, steps, lr=lr, seed=int(rng.integers(2**31)), clip=10.0, progress=progress,
                 desc=f"coupled ISTA x{problem.factor}{'' if guided else ' (no guidance)'}")
    weights = dict(result.params)
    weights.update(scales)
    if guide_gain != 1.0:
        weights["scale_b"] = scales["scale_b"] / guide_gain if guide_gain else np.array(np.inf)
    weights.update({f"dictionary_{k}": v for k, v in init.items()})
    log = {"factor": problem.factor, "guided": guided, "patches": int(len(a)), "dictionary_seconds": t_dict,
           "train_seconds": result.seconds, "wall_seconds": time.perf_counter() - t0,
           "cpu_seconds": time.process_time() - c0,
           "loss_first": float(result.losses[:20].mean()) if steps else None,
           "loss_last": float(result.losses[-20:].mean()) if steps else None}
    return weights, log


def sr_predict(problem: SRProblem, weights: dict, *, patch: int, stride: int, min_contrast: float = 0.5,
               dictionary: bool = False) -> np.ndarray:
    """Super-resolved disparity of the whole image: bicubic + overlap-averaged network residuals.

    Patches whose bicubic RMS deviation is at most ``min_contrast`` get no residual (as in training).
    The network is :func:`sparseimg.learn.coupled.coupled_ista`, guided when ``weights`` holds ``Wb``.

    Parameters
    ----------
    problem : SRProblem
    weights : dict of str -> ndarray
        One network's weights (:func:`train_sr_network`, or :func:`network_weights` of :func:`train`'s),
        with the scales ``scale_a``, ``scale_b``, ``scale_h``.
    patch : int
        Patch side, the one the network was trained with.
    stride : int
        Stride of the patches at inference (pixels).
    min_contrast : float, optional
        Contrast threshold of the patches super-resolved (disparity pixels; default 0.5).
    dictionary : bool, optional
        ``dictionary=True`` runs the untrained network (ISTA on the learned coupled dictionary);
        default False.

    Returns
    -------
    (H, W) ndarray
        The super-resolved disparity, float64 (disparity pixels; not clipped).
    """
    a, b, _, _, corners, gain, contrast = _features(problem, patch, stride, "all")
    active = contrast > min_contrast  # flat patches keep the bicubic values (as in training)
    a, b, gain = a[active], b[active], gain[active]
    prefix = "dictionary_" if dictionary else ""
    params = {k[len(prefix):]: v for k, v in weights.items()
              if k.startswith(prefix) and not k.startswith("scale_") and (dictionary or not k.startswith("dictionary_"))}
    guided = "Wb" in params
    out = coupled.coupled_ista(params, a / weights["scale_a"], b / weights["scale_b"] if guided else None)
    residual = np.zeros((len(corners), a.shape[1]))
    residual[active] = np.asarray(out) * weights["scale_h"] * gain
    residual = coupled.assemble_patches(residual, corners, problem.truth.shape)
    return problem.bicubic + residual


def tune_guided_filter(problem: SRProblem, radii=(1, 2, 3, 4, 6, 8, 12, 16),
                       eps=(1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)) -> tuple[dict, list[dict]]:
    """The radius and ε of the guided filter with the lowest RMSE on the *training* half.

    (Radius 0 would be the identity, i.e. bicubic; ε is in squared grey levels of [0, 1].)
    The filter (:func:`sparseimg.learn.coupled.guided_filter`) is applied to the bicubic map with the
    grey view as guide; every pair of the grid is tried, ties go to the first.

    Parameters
    ----------
    problem : SRProblem
    radii : sequence of int, optional
        Window radii to try, each ``>= 0`` (default 1, 2, 3, 4, 6, 8, 12, 16).
    eps : sequence of float, optional
        Values of ε to try, each ``>= 0`` (default 10⁻⁶ … 1 by decades).

    Returns
    -------
    best : dict
        ``{"radius": int, "eps": float}``.
    rows : list of dict
        ``{"radius", "eps", "rmse_train"}`` for every pair, radii outermost.

    Raises
    ------
    TypeError, ValueError
        From :func:`sparseimg.learn.coupled.guided_filter`: a radius or ε out of range.
    """
    rows = []
    for r in radii:  # one radius's window statistics serve every ε (coupled.guided_filters: the same bits)
        for e, out in zip(eps, coupled.guided_filters(problem.guide, problem.bicubic, r, eps)):
            rows.append({"radius": int(r), "eps": float(e),
                         "rmse_train": coupled.masked_rmse(problem.truth, out, problem.train_mask)})
    best = min(rows, key=lambda row: row["rmse_train"])
    return {"radius": best["radius"], "eps": best["eps"]}, rows


def _network_key(factor: int, guided: bool) -> str:
    return f"x{factor}_{'guided' if guided else 'plain'}"


def train(block: dict, *, progress: bool = True) -> tuple[dict, dict]:
    """Train the coupled networks (with and without guidance) at every scale of ``block``.

    Each network is :func:`train_sr_network` on :func:`sr_problem` of its scale.

    Parameters
    ----------
    block : dict
        The section's parameters (:data:`SCHEMA`); reads :data:`TRAIN_KEYS`.
    progress : bool, optional
        Show progress bars (default True).

    Returns
    -------
    weights : dict of str -> ndarray
        One flat dict of arrays (keys ``x4_guided/Wa`` …, ``x{factor}_guided/`` or ``x{factor}_plain/``
        then :func:`train_sr_network`'s keys).
    log : dict
        The log per network (same ``x4_guided`` … keys).

    Raises
    ------
    ValueError
        ``csr_patch`` does not give one patch size per scale of ``csr_scales``.
    TypeError, ValueError, FloatingPointError
        As for :func:`sr_problem` and :func:`train_sr_network`.
    """
    scales, patches = block["csr_scales"], block["csr_patch"]
    if len(patches) != len(scales):
        raise ValueError(f"csr_patch={patches!r} is not allowed: expected one patch size per scale of "
                         f"csr_scales={scales!r}")
    weights, log = {}, {}
    for factor, patch in zip(scales, patches):
        problem = sr_problem(factor)
        for guided in (True, False):
            key = _network_key(factor, guided)
            w, info = train_sr_network(problem, patch=patch, guided=guided, atoms=block["csr_atoms"],
                                       lam=block["csr_lam"], dict_iter=block["csr_dict_iter"],
                                       layers=block["csr_layers"], steps=block["csr_steps"],
                                       batch=block["csr_batch"], lr=block["csr_lr"],
                                       stride=block["csr_train_stride"], seed=block["csr_seed"],
                                       min_contrast=block["csr_min_contrast"], progress=progress)
            weights.update({f"{key}/{k}": v for k, v in w.items()})
            log[key] = info
    return weights, log


def network_weights(weights: dict, factor: int, guided: bool) -> dict:
    """The weights of one network out of :func:`train`'s flat dict.

    Parameters
    ----------
    weights : mapping of str -> ndarray
        :func:`train`'s weights (or their file).
    factor : int
        The scale.
    guided : bool
        The network with guidance or the one without.

    Returns
    -------
    dict of str -> ndarray
        Its keys without the ``x{factor}_guided/`` (or ``_plain/``) prefix; empty when there is none.
    """
    prefix = _network_key(factor, guided) + "/"
    return {k[len(prefix):]: v for k, v in weights.items() if k.startswith(prefix)}


def evaluate_sr(block: dict, weights: dict) -> tuple[list[dict], dict]:
    """Every method at every scale on the reported half: rows of RMSE, and the images.

    The methods are :data:`SR_LABELS`'s: bicubic, the guided filter tuned by
    :func:`tune_guided_filter`, and :func:`sr_predict` with the untrained and both trained networks.

    Parameters
    ----------
    block : dict
        The section's parameters (:data:`SCHEMA`); reads ``csr_scales``, ``csr_patch``,
        ``csr_eval_stride`` and ``csr_min_contrast``.
    weights : mapping of str -> ndarray
        :func:`train`'s weights, with both networks of every scale.

    Returns
    -------
    rows : list of dict
        ``{"scale", "method", "rmse_test", "rmse_train"}`` (RMSE over the valid pixels of each half,
        in disparity pixels).
    images : dict
        ``images[factor][method]`` the full-size ``(H, W)`` estimates (plus ``"problem"``, the
        :class:`SRProblem`, and ``"guided_filter_params"``, the tuned radius and ε).
    """
    rows, images = [], {}
    for factor, patch in zip(block["csr_scales"], block["csr_patch"]):
        problem = sr_problem(factor)
        gf, _ = tune_guided_filter(problem)
        guided_w = network_weights(weights, factor, True)
        plain_w = network_weights(weights, factor, False)
        kw = dict(patch=patch, stride=block["csr_eval_stride"], min_contrast=block["csr_min_contrast"])
        est = {
            "bicubic": problem.bicubic,
            "guided_filter": coupled.guided_filter(problem.guide, problem.bicubic, gf["radius"], gf["eps"]),
            "ista_dictionary": sr_predict(problem, guided_w, dictionary=True, **kw),
            "network_no_guidance": sr_predict(problem, plain_w, **kw),
            "network_coupled": sr_predict(problem, guided_w, **kw),
        }
        for method, image in est.items():
            rows.append({"scale": int(factor), "method": method,
                         "rmse_test": coupled.masked_rmse(problem.truth, image, problem.test_mask),
                         "rmse_train": coupled.masked_rmse(problem.truth, image, problem.train_mask)})
        images[factor] = dict(est, problem=problem, guided_filter_params=gf)
    return rows, images
