"""Section 5: image generation from a sparsity model (digits and faces) and its baselines (scores: generation_scores).

Data ship with the installed packages (no network): scikit-learn's ``load_digits()``
(1,797 images of 8×8, values 0–16, rescaled here to 0–255) and scikit-image's
``lfw_subset()`` (100 faces then 100 non-faces, 25×25, values in [0, 1], rescaled to 0–255).

Images are rows here (``n × n_pixels``); the dictionary code works on columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from sparseimg.sparsemodels.dictionary import batch_omp, ksvd, sparse_rmse
from sparseimg.sparsemodels.generation import (code_supports, double_codes, double_dictionary, fit_support_model,
                                               gibbs_fixed_size, random_supports, synthesize)
from sparseimg.sparsemodels.generative_scores import data_copying_ct, frechet_distance
from sparseimg.sparsemodels.support_models import (fit_sequential, neighbour_supports, ordered_supports,
                                                   sample_sequential)
from sparseimg.experiments import Registry, Result

__all__ = ["Settings", "GenerationProblem", "load_digit_split", "load_face_split", "SparseModel", "fit_sparse_model", "held_out_rmse", "METHODS",
           "generate", "random_atom_images", "TUNED", "tune_generation"]

PIXEL_MAX = 255.0
#: K-SVD cleaning of the section (params.yaml ``generation.clean_coherence`` / ``clean_min_use``) and the benchmark.
CLEANING = {"max_coherence": 0.95, "min_use": 2}


def load_digit_split(n_train: int = 1197, seed: int = 0):
    """``(train, train_labels, test, test_labels)``: a seeded random split of the 1,797 digits, 0–255.

    Parameters
    ----------
    n_train : int, optional
        Digits in the training part (default 1197: the other 600 are held out).
    seed : int, optional
        Seed of the permutation that splits them (default 0).

    Returns
    -------
    train : ndarray, shape (n_train, 64)
        Training digits as rows (8×8 pixels), float64 in [0, 255] (``load_digits``' 0–16 times 255/16).
    train_labels : ndarray of int, shape (n_train,)
        Their classes, 0–9.
    test : ndarray, shape (1797 - n_train, 64)
        The held-out digits, rows as ``train``.
    test_labels : ndarray of int, shape (1797 - n_train,)
        Their classes.
    """
    from sklearn.datasets import load_digits

    data = load_digits()
    X = data.data * (PIXEL_MAX / 16.0)
    perm = np.random.default_rng(seed).permutation(X.shape[0])
    tr, te = perm[:n_train], perm[n_train:]
    return X[tr], data.target[tr], X[te], data.target[te]


def load_face_split(n_train: int = 80, mirror: bool = True, seed: int = 0):
    """``(train_faces, test_faces, non_faces, side)`` from ``lfw_subset()``, 0–255, rows.

    ``n_train`` faces (plus their left-right mirror images if ``mirror``) train; the other
    faces are held out; the 100 non-faces serve the face/non-face classifier.

    Parameters
    ----------
    n_train : int, optional
        Faces (of the 100) in the training part, before mirroring (default 80).
    mirror : bool, optional
        Append the left-right mirror image of every training face (default True: ``2 n_train`` rows).
    seed : int, optional
        Seed of the permutation that splits the faces (default 0).

    Returns
    -------
    train_faces : ndarray, shape (n_train, side²) or (2 n_train, side²)
        Training faces as rows, float in [0, 255] (the mirror images after the originals).
    test_faces : ndarray, shape (100 - n_train, side²)
        The held-out faces.
    non_faces : ndarray, shape (100, side²)
        The 100 non-face images of ``lfw_subset()``.
    side : int
        The images' side in pixels (25).
    """
    from skimage.data import lfw_subset

    imgs = lfw_subset() * PIXEL_MAX
    side = imgs.shape[1]
    faces, non_faces = imgs[:100], imgs[100:]
    perm = np.random.default_rng(seed).permutation(100)
    train, test = faces[perm[:n_train]], faces[perm[n_train:]]
    if mirror:
        train = np.concatenate([train, train[:, :, ::-1]])
    flat = lambda a: a.reshape(a.shape[0], -1)  # noqa: E731
    return flat(train), flat(test), flat(non_faces), side


@dataclass
class SparseModel:
    """A learned dictionary with the training codes, doubled, and the support law."""

    dictionary: np.ndarray  # (n_pixels, K)
    codes: np.ndarray  # (K, N)
    k: int
    rmse: list
    doubled: np.ndarray = field(init=False)  # (n_pixels, 2K)
    doubled_codes: np.ndarray = field(init=False)  # (2K, N)
    supports: np.ndarray = field(init=False)  # (N, k)
    train: np.ndarray | None = None  # (n_pixels, N): the training signals, for OMP's order
    ordered: np.ndarray | None = field(init=False, default=None)  # (N, k): OMP's greedy order, doubled atoms
    # EM coefficient fits of drawn supports, shared by every generator of this model (synthesize's ``cache``)
    fits: dict = field(init=False, default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        self.doubled = double_dictionary(self.dictionary)
        self.doubled_codes = double_codes(self.codes)
        self.supports = code_supports(self.doubled_codes, self.k)
        if self.train is not None:
            G, order = batch_omp(self.train, self.dictionary, self.k, return_supports=True)
            self.ordered = ordered_supports(G, order)

    def all_supports(self) -> np.ndarray:
        """Every training support as a sorted row: K-SVD's final codes and, if known, OMP's codes on
        the final dictionary (the sequential model learns from the latter; copies count both).

        Returns
        -------
        ndarray of int, shape (N, k) or (2N, k)
            Atom indices into the doubled dictionary (``0 … 2K − 1``), each row sorted: :attr:`supports`
            (``N`` training codes), then, when the model knows its training signals (:attr:`ordered` set), OMP's
            supports sorted; :attr:`supports` itself (not a copy) otherwise.
        """
        if self.ordered is None:
            return self.supports
        return np.concatenate([self.supports, np.sort(self.ordered, axis=1)])


def fit_sparse_model(train: np.ndarray, n_atoms: int, k: int, *, n_iter: int = 20, exact: bool = False,
                     seed: int = 0, clean: bool = True, max_coherence: float = CLEANING["max_coherence"],
                     min_use: int = CLEANING["min_use"]) -> SparseModel:
    """K-SVD on the training rows (with the cleaning step unless ``clean=False``), the codes doubled,
    the supports extracted, and OMP's greedy order on the final dictionary.

    Parameters
    ----------
    train : ndarray, shape (N, n_pixels)
        Training images as rows (0–255).
    n_atoms : int
        Dictionary size ``K`` (at most ``N``: the initial atoms are distinct training rows).
    k : int
        Atoms per code (the sparsity).
    n_iter : int, optional
        K-SVD iterations (default 20).
    exact : bool, optional
        Exact K-SVD (a rank-1 SVD per atom) instead of one power iteration (default False).
    seed : int, optional
        Seed of K-SVD's initial atoms and replacements (default 0).
    clean : bool, optional
        Run the cleaning step between dictionary passes (default True).
    max_coherence : float, optional
        Cleaning: an atom closer than this to another is replaced (default ``CLEANING["max_coherence"]``, 0.95).
    min_use : int, optional
        Cleaning: an atom used by fewer codes is replaced (default ``CLEANING["min_use"]``, 2).

    Returns
    -------
    SparseModel
        ``dictionary`` (n_pixels, K), ``codes`` (K, N), ``k``, ``rmse`` (training RMSE per pixel after each
        iteration, index 0 the initial dictionary's), with ``train`` set to ``train.T`` so that
        ``ordered`` (OMP's greedy order) is filled.
    """
    res = ksvd(train.T, n_atoms, k, n_iter=n_iter, exact=exact, rng=seed, clean=clean,
               max_coherence=max_coherence, min_use=min_use)
    return SparseModel(res.dictionary, res.codes, k, res.rmse, train=train.T)


def held_out_rmse(model: SparseModel, test: np.ndarray) -> float:
    """RMSE per pixel of the OMP codes (``k`` atoms) of the test rows.

    Parameters
    ----------
    model : SparseModel
        Its ``dictionary`` and ``k`` code the rows.
    test : ndarray, shape (n_test, n_pixels)
        Held-out images as rows (0–255).

    Returns
    -------
    float
        ``sqrt(mean((X − D Γ)²))`` over all pixels of all rows, in pixel units (0–255 scale).
    """
    return sparse_rmse(test.T, model.dictionary, batch_omp(test.T, model.dictionary, model.k))


# -- the registry's contract: METHODS[key](problem, settings) -> Result ---------------------------------------

@dataclass(frozen=True)
class Settings:
    """The generators' settings (frozen; vary one with :func:`dataclasses.replace`).

    Built by :meth:`from_params` from the section's parameter block; ``settings["key"]`` reads a field
    (the generators' bodies index their settings as they indexed the parameter dict).
    """

    shrinkage: float
    overlap_power: float
    temperature: float
    seq_temperature: float
    neighbour_temperature: float
    neighbour_swaps: int
    burn_in: int
    em_iter: int
    gmm_pca: int
    gmm_components: int

    @classmethod
    def from_params(cls, block: dict) -> "Settings":
        """From a parameter block: a tuned setting's value if the block holds it (the notebook adds the
        choices of :func:`tune_generation`), else the middle value of its ``<name>_grid``.

        Parameters
        ----------
        block : dict
            The section's validated parameters (extra keys are ignored).

        Returns
        -------
        Settings
        """
        values = {}
        for f in fields(cls):
            if f.name in block:
                values[f.name] = block[f.name]
            else:
                grid = sorted(block[f"{f.name}_grid"])
                values[f.name] = grid[len(grid) // 2]
        return cls(**values)

    def __getitem__(self, key: str):
        return getattr(self, key)


@dataclass
class GenerationProblem:
    """What a generator sees: the sparse model, how many images, the Generator, and (for the GMM) the
    training rows."""

    model: SparseModel
    n: int
    rng: np.random.Generator
    train: np.ndarray | None = None


def _registered(impl):
    """``impl(model, settings, n, rng[, train=])`` as a registry method ``(problem, settings) -> Result``:
    the images (rows) as the estimate, the supports (or None) in ``details["supports"]`` (an array)."""
    def method(problem, settings):
        kw = {"train": problem.train} if getattr(impl, "needs_train", False) else {}
        images, supports = impl(problem.model, settings, problem.n, problem.rng, **kw)
        return Result(images, details={"supports": supports})
    method.__doc__ = impl.__doc__
    method.__name__ = impl.__name__
    return method


def _example() -> GenerationProblem:
    """A tiny seeded problem: K-SVD (K = 16, k = 3, 2 iterations) on 60 training digits, 8 images."""
    train = load_digit_split(60, 0)[0]
    model = fit_sparse_model(train, 16, 3, n_iter=2, seed=0)
    return GenerationProblem(model, 8, np.random.default_rng(0), train)


# -- generators: (model, params, n, rng) -> (images rows (n, n_pixels), supports (n, k) or None) -------------

def _support_law(model: SparseModel, params: dict, pairwise: bool):
    return fit_support_model(model.supports, model.doubled.shape[1], pair_prior="independence",
                             strength=params["shrinkage"], pairwise=pairwise)


def _gibbs_images(model, params, n, rng, pairwise):
    law = _support_law(model, params, pairwise)
    start = random_supports(law, n, model.k, rng=rng)
    supports, _ = gibbs_fixed_size(law, start, params["burn_in"], rng=rng, temperature=params["temperature"])
    return synthesize(model.doubled, model.doubled_codes, supports, rng=rng, n_iter=params["em_iter"],
                      overlap_power=params["overlap_power"], cache=model.fits).T, supports


def generate_pairwise(model, params, n, rng):
    """Supports by Gibbs from random starts (``burn_in`` sweeps) under the pairwise law; EM coefficients.

    Parameters
    ----------
    model : SparseModel
        The learned dictionary (``K`` atoms, doubled to ``M = 2K``), its training codes and supports
        (``k = model.k`` atoms each).
    params : Settings or dict
        The generators' settings, read by key: ``shrinkage``, ``burn_in``, ``temperature``, ``em_iter``,
        ``overlap_power``.
    n : int
        Number of images to draw.
    rng : numpy.random.Generator
        Draws the supports and the coefficients.

    Returns
    -------
    images : ndarray, shape (n, n_pixels)
        The images as rows, clipped to [0, 255].
    supports : ndarray of int, shape (n, k)
        Atom indices into the doubled dictionary, each row sorted (the Gibbs chains' final states).
    """
    return _gibbs_images(model, params, n, rng, True)


def generate_independent(model, params, n, rng):
    """Supports from the single-atom factors only (no pairs); EM coefficients.

    Parameters
    ----------
    model : SparseModel
        The learned dictionary (``K`` atoms, doubled to ``M = 2K``), its training codes and supports
        (``k = model.k`` atoms each).
    params : Settings or dict
        The generators' settings, read by key: ``shrinkage``, ``burn_in``, ``temperature``, ``em_iter``,
        ``overlap_power`` (as :func:`generate_pairwise`).
    n : int
        Number of images to draw.
    rng : numpy.random.Generator
        Draws the supports and the coefficients.

    Returns
    -------
    images : ndarray, shape (n, n_pixels)
        The images as rows, clipped to [0, 255].
    supports : ndarray of int, shape (n, k)
        Atom indices into the doubled dictionary, each row sorted (the Gibbs chains' final states).
    """
    return _gibbs_images(model, params, n, rng, False)


def generate_true_supports(model, params, n, rng):
    """Training supports drawn at random, coefficients by the same EM (the coefficient model's ceiling).

    Parameters
    ----------
    model : SparseModel
        The learned dictionary (``K`` atoms, doubled to ``M = 2K``), its training codes and supports
        (``k = model.k`` atoms each).
    params : Settings or dict
        The generators' settings, read by key: ``em_iter``, ``overlap_power``.
    n : int
        Number of images to draw.
    rng : numpy.random.Generator
        Draws the supports and the coefficients.

    Returns
    -------
    images : ndarray, shape (n, n_pixels)
        The images as rows, clipped to [0, 255].
    supports : ndarray of int, shape (n, k)
        Rows of ``model.supports`` drawn uniformly with replacement (sorted; copies of training supports).
    """
    supports = model.supports[rng.choice(model.supports.shape[0], n, replace=True)]
    return synthesize(model.doubled, model.doubled_codes, supports, rng=rng, n_iter=params["em_iter"],
                      overlap_power=params["overlap_power"], cache=model.fits).T, supports


def generate_neighbour(model, params, n, rng):
    """A training support with its ``neighbour_swaps`` smallest-coefficient atoms redrawn from the pairwise
    law's conditional at ``neighbour_temperature``, never a training support (:func:`neighbour_supports`);
    EM coefficients.

    Parameters
    ----------
    model : SparseModel
        The learned dictionary (``K`` atoms, doubled to ``M = 2K``), its training codes and supports
        (``k = model.k`` atoms each).
    params : Settings or dict
        The generators' settings, read by key: ``shrinkage``, ``neighbour_swaps``, ``neighbour_temperature``,
        ``em_iter``, ``overlap_power``.
    n : int
        Number of images to draw.
    rng : numpy.random.Generator
        Draws the supports and the coefficients.

    Returns
    -------
    images : ndarray, shape (n, n_pixels)
        The images as rows, clipped to [0, 255].
    supports : ndarray of int, shape (n, k)
        Atom indices into the doubled dictionary, each row sorted; none equals a row of
        :meth:`SparseModel.all_supports`.

    Raises
    ------
    RuntimeError
        100 draws of one sample all equal a training support (:func:`neighbour_supports`).
    """
    law = _support_law(model, params, True)
    by_magnitude = np.argsort(-model.doubled_codes, axis=0, kind="stable")[:model.k].T  # largest first
    supports = neighbour_supports(by_magnitude, law, n, rng, n_swaps=params["neighbour_swaps"], slots="last",
                                  temperature=params["neighbour_temperature"], exclude=model.all_supports())
    return synthesize(model.doubled, model.doubled_codes, supports, rng=rng, n_iter=params["em_iter"],
                      overlap_power=params["overlap_power"], cache=model.fits).T, supports


def generate_neighbour_ranked(model, params, n, rng):
    """The neighbour model's supports (kept atoms first, by magnitude; the redrawn ones last) with coefficients
    that keep the ranks: the kept ones from the EM Gaussian, each redrawn one from its conditional truncated
    below the smallest drawn before it (:func:`~sparseimg.sparsemodels.generation.sample_ranked_coefficients`).
    The redrawn atom replaces the *smallest* coefficient, so it takes a small one (round three of issue 23: with
    plain EM it takes the magnitude it has in other codes, 2.3 × the one it replaces, and that is what
    costs the neighbour row its quality).

    Parameters
    ----------
    model : SparseModel
        The learned dictionary (``K`` atoms, doubled to ``M = 2K``), its training codes and supports
        (``k = model.k`` atoms each).
    params : Settings or dict
        The generators' settings, read by key: ``shrinkage``, ``neighbour_swaps``, ``neighbour_temperature``,
        ``em_iter``, ``overlap_power``.
    n : int
        Number of images to draw.
    rng : numpy.random.Generator
        Draws the supports and the coefficients.

    Returns
    -------
    images : ndarray, shape (n, n_pixels)
        The images as rows, clipped to [0, 255].
    supports : ndarray of int, shape (n, k)
        Atom indices into the doubled dictionary, each row sorted (the coefficients were drawn in slot
        order, kept atoms first); none equals a row of :meth:`SparseModel.all_supports`.

    Raises
    ------
    RuntimeError
        100 draws of one sample all equal a training support (:func:`neighbour_supports`).
    """
    law = _support_law(model, params, True)
    by_magnitude = np.argsort(-model.doubled_codes, axis=0, kind="stable")[:model.k].T  # largest first
    swaps = params["neighbour_swaps"]
    supports = neighbour_supports(by_magnitude, law, n, rng, n_swaps=swaps, slots="last", sort=False,
                                  temperature=params["neighbour_temperature"], exclude=model.all_supports())
    images = synthesize(model.doubled, model.doubled_codes, supports, rng=rng, n_iter=params["em_iter"],
                        overlap_power=params["overlap_power"], n_kept=model.k - swaps, cache=model.fits).T
    return images, np.sort(supports, axis=1)


def generate_sequential(model, params, n, rng):
    """Not a row of :data:`METHODS` (dominated by the pairwise model on the quality–novelty curve,
    issue 23; the notebook draws its curve). Supports atom by atom in OMP's greedy order (next atom given the first and the previous one,
    Witten–Bell smoothed) at ``seq_temperature``; EM coefficients.

    Parameters
    ----------
    model : SparseModel
        The learned dictionary (``K`` atoms, doubled to ``M = 2K``), its training codes and supports
        (``k = model.k`` atoms each); its ``ordered`` supports
        (OMP's order) must be known: fitted with the training signals (:func:`fit_sparse_model`).
    params : Settings or dict
        The generators' settings, read by key: ``seq_temperature``, ``em_iter``, ``overlap_power``.
    n : int
        Number of images to draw.
    rng : numpy.random.Generator
        Draws the supports and the coefficients.

    Returns
    -------
    images : ndarray, shape (n, n_pixels)
        The images as rows, clipped to [0, 255].
    supports : ndarray of int, shape (n, k)
        Atom indices into the doubled dictionary, each row sorted (drawn in OMP's order), only atoms
        used by some training code.
    """
    seq = fit_sequential(model.ordered, model.doubled.shape[1])
    supports = sample_sequential(seq, n, rng, temperature=params["seq_temperature"],
                                 allowed=model.doubled_codes.any(axis=1))
    return synthesize(model.doubled, model.doubled_codes, supports, rng=rng, n_iter=params["em_iter"],
                      overlap_power=params["overlap_power"], cache=model.fits).T, supports


def random_atom_images(model: SparseModel, n: int, rng, *, clip: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``k`` atoms of the doubled dictionary at random (the paper's Fig. 1), coefficients drawn from
    the training coefficients of their rank (largest, second largest, ...); rows, and the supports.

    Parameters
    ----------
    model : SparseModel
        The doubled dictionary (``M = 2K`` atoms), its training codes and ``k``.
    n : int
        Number of images.
    rng : numpy.random.Generator
        Draws the atoms, the training codes the coefficients come from, and their slot order.
    clip : bool, optional
        Clip the images to [0, 255] (default True).

    Returns
    -------
    images : ndarray, shape (n, n_pixels)
        The images as rows (clipped to [0, 255] when ``clip``).
    supports : ndarray of int, shape (n, k)
        ``k`` distinct atoms of the doubled dictionary per row, drawn uniformly, sorted (an atom and its
        mirror may both appear).
    """
    M = model.doubled.shape[1]
    supports = random_supports(np.arange(M), n, model.k, rng=rng)
    C = np.sort(model.doubled_codes, axis=0)[::-1][:model.k]  # (k, N): j-th largest per code
    coefs = C[np.arange(model.k)[None, :], rng.integers(0, C.shape[1], (n, model.k))]
    coefs = rng.permuted(coefs, axis=1)
    images = np.einsum("pnk,nk->np", model.doubled[:, supports], coefs)
    return (np.clip(images, 0.0, PIXEL_MAX) if clip else images), supports


def generate_random_atoms(model, params, n, rng):
    """:func:`random_atom_images`, clipped to the pixel range.

    Parameters
    ----------
    model : SparseModel
        The doubled dictionary, its training codes and ``k``.
    params : Settings or dict
        The generators' settings (not read: the signature of every generator).
    n : int
        Number of images to draw.
    rng : numpy.random.Generator
        Draws the atoms and the coefficients.

    Returns
    -------
    images : ndarray, shape (n, n_pixels)
        The images as rows, clipped to [0, 255].
    supports : ndarray of int, shape (n, k)
        The drawn atoms of the doubled dictionary, each row sorted.
    """
    return random_atom_images(model, n, rng)


def generate_gmm(model, params, n, rng, *, train):
    """scikit-learn's GaussianMixture (``gmm_components`` components, full covariances) on ``gmm_pca`` PCA
    coefficients of ``train``; the component count is tuned like the support models' settings
    (:func:`tune_generation`).

    Parameters
    ----------
    model : SparseModel
        Not read (the signature of every generator: the GMM works on pixels).
    params : Settings or dict
        The generators' settings, read by key: ``gmm_pca`` (PCA components) and ``gmm_components``
        (mixture components, an integer).
    n : int
        Number of images to draw.
    rng : numpy.random.Generator
        Seeds the mixture's fit (one integer drawn) and shuffles the drawn samples.
    train : ndarray, shape (N, n_pixels)
        Training images as rows (0–255), keyword only: the PCA and the mixture are fitted on them.

    Returns
    -------
    images : ndarray, shape (n, n_pixels)
        The images as rows, clipped to [0, 255].
    supports : None
        The GMM has no supports.
    """
    from sklearn.decomposition import PCA
    from sklearn.mixture import GaussianMixture

    pca = PCA(n_components=params["gmm_pca"], random_state=0).fit(train)
    gm = GaussianMixture(int(params["gmm_components"]), covariance_type="full", reg_covar=1e-3, max_iter=500,
                         random_state=int(rng.integers(2**31 - 1))).fit(pca.transform(train))
    z, _ = gm.sample(n)
    z = z[rng.permutation(n)]
    return np.clip(pca.inverse_transform(z), 0.0, PIXEL_MAX), None


generate_gmm.needs_train = True


METHODS = Registry("generation", {
    "pairwise": _registered(generate_pairwise),
    "neighbour": _registered(generate_neighbour),
    "independent": _registered(generate_independent),
    "random_atoms": _registered(generate_random_atoms),
    "true_supports": _registered(generate_true_supports),
    "gmm": _registered(generate_gmm),
    "neighbour_ranked": _registered(generate_neighbour_ranked),  # last: the other rows keep their seeds ([seed, index])
}, {
    "pairwise": "pairwise support model + EM (paper, fixed |S|)",
    "neighbour": "training supports, smallest atom redrawn (no copies) + EM",
    "independent": "independent supports + EM",
    "random_atoms": "k random atoms (paper Fig. 1)",
    "true_supports": "training supports + EM",
    "gmm": "GMM on PCA (components tuned)",
    "neighbour_ranked": "neighbour supports + EM, the redrawn atom's coefficient the smallest",
}, settings=Settings, example=_example)


def generate(key: str, model: SparseModel, params, n: int, rng, *, train=None):
    """``(images, supports)`` of generator ``key`` of :data:`METHODS` (or ``"sequential"``, not a row) with a
    Generator ``rng``; ``params`` is a :class:`Settings` or a parameter dict (:meth:`Settings.from_params`).

    Parameters
    ----------
    key : str
        A key of :data:`METHODS` or ``"sequential"`` (:func:`generate_sequential`).
    model : SparseModel
        The fitted sparse model the generator draws from.
    params : Settings or dict
        The generators' settings; a dict is turned into :class:`Settings` by :meth:`Settings.from_params`
        (each absent setting at the middle of its ``<name>_grid``).
    n : int
        Number of images to draw.
    rng : numpy.random.Generator
        The generator's random draws.
    train : ndarray, shape (N, n_pixels), optional
        Training rows, needed by ``"gmm"`` only (default None).

    Returns
    -------
    images : ndarray, shape (n, n_pixels)
        The generated images as rows (0–255).
    supports : ndarray of int, shape (n, k), or None
        Their supports in the doubled dictionary; None for ``"gmm"``.

    Raises
    ------
    UnknownMethodError
        ``key`` is neither a key of :data:`METHODS` nor ``"sequential"``.
    """
    settings = params if isinstance(params, Settings) else Settings.from_params(params)
    method = _registered(generate_sequential) if key == "sequential" else METHODS[key]
    result = method(GenerationProblem(model, n, rng, train), settings)
    return result.estimate, result.details["supports"]


# -- tuning (issue 21): every setting of the generators chosen on the training split -------------------------

#: ``setting -> (the generator it is scored on, integer?)``, in the order they are tuned (each sweep uses the
#: choices made before it). ``temperature`` also sets the independent model's; ``gmm_components`` is the GMM's.
TUNED = {
    "shrinkage": ("pairwise", False),
    "temperature": ("pairwise", False),
    "overlap_power": ("pairwise", False),
    "neighbour_temperature": ("neighbour_ranked", False),
    "seq_temperature": ("sequential", False),
    "gmm_components": ("gmm", True),
}


#: The tuning score's copy flag: the data-copying statistic C_T below -3 flags copying (the paper's threshold) ...
COPY_FLAG = -3.0
#: ... and each unit of C_T below it costs this much Fréchet distance.
COPY_PENALTY = 100.0


def tune_generation(train: np.ndarray, params: dict, grids: dict, *, holdout: float = 0.2, n_samples: int = 200,
                    max_extend: int = 6, seed: int = 0, n_cells: int = 10) -> tuple[dict, dict]:
    """Choose every setting of :data:`TUNED` on the training rows only.

    The training rows are split (seeded) into a fitting part and a validation part (``holdout`` of them); a
    sparse model is fitted on the fitting part (K-SVD with the section's ``n_atoms``, ``sparsity``,
    ``ksvd_iter``, ``ksvd_seed``, ``clean_coherence``, ``clean_min_use``), and each setting is swept by
    :func:`~sparseimg.experiments.tuning.sweep_to_interior` on its generator's Fréchet distance (PCA features
    of the fitting part, ``pca_dim`` of them) between ``n_samples`` draws and the validation rows, lower is
    better, plus :data:`COPY_PENALTY` per unit of the data-copying statistic C_T (fitting part against the
    validation rows, ``n_cells`` cells) below :data:`COPY_FLAG`: a distribution score alone is best for a
    generator that replays its training images, which is what the overlap weight and a low temperature tend
    to. The score is rounded to 0.1 (far below the sampling spread of a Fréchet distance of a few hundred
    draws), so a plateau is a tie and ties go to the smaller value (the overlap weight saturates: beyond
    β ≈ 32 only the codes of largest overlap count). Every value of a sweep draws with the same seed.

    Parameters
    ----------
    train : ndarray
        ``(N, n_pixels)`` training rows (never the held-out ones).
    params : dict
        The section's settings; a tuned key absent from it starts at its grid's middle value until its own
        sweep (the sweeps run in :data:`TUNED`'s order, each with the choices made before it).
    grids : dict
        ``setting -> starting grid`` for every key of :data:`TUNED`.
    holdout : float, optional
        Fraction of ``train`` kept for validation, in (0, 1).
    n_samples : int, optional
        Draws per value scored.
    n_cells : int, optional
        Cells of the C_T statistic.
    max_extend : int, optional
        Values a grid may grow by beyond an edge choice.
    seed : int, optional
        Seed of the split and the draws.

    Returns
    -------
    values : dict
        ``setting -> choice``.
    records : dict
        ``setting -> Tuned.as_dict()`` plus ``"scored_on"``, the generator.

    Raises
    ------
    ValueError
        A missing grid or a ``holdout`` outside (0, 1).
    """
    from sklearn.decomposition import PCA

    from sparseimg.experiments.tuning import sweep_to_interior

    missing = [key for key in TUNED if key not in grids]
    if missing:
        raise ValueError(f"grids={sorted(grids)!r} is not allowed: expected a grid for each of {list(TUNED)}")
    if not 0.0 < holdout < 1.0:
        raise ValueError(f"holdout={holdout!r} is not allowed: expected 0 < holdout < 1")
    perm = np.random.default_rng([seed, 21]).permutation(train.shape[0])
    n_val = max(int(round(holdout * train.shape[0])), 2)
    fit_rows, val_rows = train[perm[n_val:]], train[perm[:n_val]]
    model = fit_sparse_model(fit_rows, params["n_atoms"], params["sparsity"], n_iter=params["ksvd_iter"],
                             seed=params["ksvd_seed"], max_coherence=params["clean_coherence"],
                             min_use=params["clean_min_use"])
    scale = PIXEL_MAX / 16.0  # features on load_digits' own 0-16 scale, as the section's scores
    pca = PCA(n_components=params["pca_dim"], random_state=seed).fit(fit_rows / scale)
    f_fit, f_val = pca.transform(fit_rows / scale), pca.transform(val_rows / scale)
    # a setting not tuned yet starts at its grid's middle value unless ``params`` gives one
    chosen = {**{key: sorted(grids[key])[len(grids[key]) // 2] for key in TUNED}, **params}
    values, records = {}, {}
    for key, (method, integer) in TUNED.items():
        def score(value, method=method, key=key, integer=integer):
            settings = {**chosen, key: int(value) if integer else float(value)}
            rng = np.random.default_rng([seed, 22])
            images, _ = generate(method, model, settings, n_samples, rng, train=fit_rows)
            f_img = pca.transform(images / scale)
            ct = data_copying_ct(f_fit, f_val, f_img, n_cells=n_cells, rng=seed)
            return round(-frechet_distance(f_img, f_val) - COPY_PENALTY * max(0.0, COPY_FLAG - ct), 1)

        tuned = sweep_to_interior(score, grids[key], max_extend=max_extend, integer=integer,
                                  low=0.5 if integer else 0.0)
        chosen[key] = int(tuned.value) if integer else float(tuned.value)
        values[key] = chosen[key]
        records[key] = {**tuned.as_dict(), "scored_on": method}
    model.fits.clear()
    return values, records
