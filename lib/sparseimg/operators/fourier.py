"""Circular convolution operators computed with real FFTs.

A convolution ``A y = k ⊛ y`` on an ``(n0, n1)`` periodic grid is diagonal in the
Fourier basis: ``A y = irfft2(H · rfft2(y))`` where ``H`` is the *transfer
function* of the kernel sampled on the ``rfft2`` half grid, shape
``(n0, n1 // 2 + 1)``. Everything here keeps ``H`` precomputed, so that one
application costs one ``rfft2`` + ``irfft2`` pair plus one elementwise product.

Conventions
-----------
- Frequencies are in cycles per pixel; the DC term is at index ``[0, 0]`` of the
  half grid (not centred). :func:`transfer_from_centered` converts from the centred
  full-grid layout that MotionClouds uses.
- ``H`` is stored real when the kernel is even (as for the isotropic MotionClouds
  envelope and centred Gaussians), complex otherwise.
- The adjoint multiplies by ``conj(H)``; the operator norm is ``max |H|``, so the
  Lipschitz constant of ``y -> ½‖A y - b‖²`` is ``max |H|²``.
"""

from __future__ import annotations

import threading

import numpy as np
import scipy.fft as sfft

from sparseimg._linalg import sq_norm
from sparseimg._validate import check_array, check_choice, check_dtype, check_shape2d
from sparseimg.contracts import FourierDataTerm
from sparseimg.operators.base import LinearOperator, PreparedData

__all__ = [
    "FourierConvolution",
    "transfer_from_centered",
    "transfer_from_kernel",
    "hermitian_part",
    "half_spectrum_sq_norm",
    "frequency_radius",
    "full_spectrum",
    "FFT_BACKENDS",
]

_COMPLEX = {np.dtype(np.float32): np.dtype(np.complex64), np.dtype(np.float64): np.dtype(np.complex128)}

#: FFT implementations: ``"fftw"`` (pyFFTW plans, FFTW_ESTIMATE: deterministic, about 1.7x
#: faster than pocketfft for 512x512 float64 here) and ``"scipy"`` (``scipy.fft``, pocketfft).
FFT_BACKENDS = ("auto", "fftw", "scipy")


def _fftw_available() -> bool:
    try:
        import pyfftw  # noqa: F401
    except ImportError:
        return False
    return True


class _Transforms:
    """Planned ``rfft2``/``irfft2`` for one shape and precision.

    ``rfft``/``irfft`` return fresh arrays. The scratch interface serves hot loops:
    ``rfft_scratch(x)`` may return an internal buffer (valid until the next call), and
    ``irfft_input`` is a buffer that ``irfft_from_input()`` transforms (its content is
    destroyed), saving the copies that safety otherwise costs.
    """

    def __init__(self, shape, dtype, backend, workers):
        self.shape = shape
        if backend == "auto":
            backend = "fftw" if _fftw_available() else "scipy"
        self.backend = backend
        if backend == "fftw":
            import pyfftw

            a = pyfftw.empty_aligned(shape, dtype=dtype)
            self._fwd = pyfftw.builders.rfft2(a, threads=workers, planner_effort="FFTW_ESTIMATE")
            self._inv = pyfftw.builders.irfft2(self._fwd.output_array, s=shape, threads=workers,
                                               planner_effort="FFTW_ESTIMATE")
            self.irfft_input = self._inv.input_array
        else:
            self._workers = workers
            self.irfft_input = np.empty((shape[0], shape[1] // 2 + 1), dtype=_COMPLEX[np.dtype(dtype)])

    def rfft_scratch(self, x):
        if self.backend == "fftw":
            return self._fwd(x)  # the plan's output buffer
        return sfft.rfft2(x, workers=self._workers)

    def rfft(self, x):
        out = self.rfft_scratch(x)
        return out.copy() if self.backend == "fftw" else out

    def irfft_from_input(self):
        if self.backend == "fftw":
            return self._inv().copy()  # FFTW's c2r destroys the input buffer; the output buffer is reused
        return sfft.irfft2(self.irfft_input, s=self.shape, workers=self._workers)

    def irfft(self, spectrum):
        self.irfft_input[...] = spectrum  # never hand the caller's array to a c2r transform
        return self.irfft_from_input()


def frequency_radius(shape: tuple[int, int], *, centered: bool = True) -> np.ndarray:
    """Radial frequency ``sqrt(fx² + fy²)`` in cycles per pixel on the full grid.

    Parameters
    ----------
    shape : (n0, n1)
        Grid shape.
    centered : bool
        If True (MotionClouds layout) the zero frequency sits at ``[n0//2, n1//2]``;
        otherwise at ``[0, 0]`` (``numpy.fft`` layout).

    Returns
    -------
    ndarray, shape (n0, n1), float64
    """
    n0, n1 = check_shape2d("shape", shape)
    f0 = np.fft.fftfreq(n0)[:, None]
    f1 = np.fft.fftfreq(n1)[None, :]
    radius = np.sqrt(f0 ** 2 + f1 ** 2)
    return np.fft.fftshift(radius) if centered else radius


def hermitian_part(transfer_full: np.ndarray) -> np.ndarray:
    """Hermitian-symmetric part ``(H(k) + conj(H(-k))) / 2`` of a full-grid transfer.

    Taking the real part of ``ifft2(H · fft2(y))`` (as the source document does)
    applies exactly this symmetrized transfer function; it is the transfer function
    of a real kernel and can therefore be used with real FFTs.
    """
    h = np.asarray(transfer_full)
    flipped = np.roll(h[::-1, ::-1], shift=(1, 1), axis=(0, 1))  # H(-k mod n)
    return 0.5 * (h + np.conj(flipped))


def transfer_from_centered(envelope: np.ndarray) -> np.ndarray:
    """Half-grid transfer function from a centred full-grid envelope.

    Parameters
    ----------
    envelope : ndarray, shape (n0, n1)
        Transfer function with the zero frequency at ``[n0//2, n1//2]`` (the
        layout of ``MotionClouds.get_grids``), real or complex.

    Returns
    -------
    ndarray, shape (n0, n1 // 2 + 1)
        Real if the symmetrized envelope is real, complex otherwise.
    """
    env = check_array("envelope", envelope, ndim=2)
    h = hermitian_part(np.fft.ifftshift(env))[:, : env.shape[1] // 2 + 1]
    if np.iscomplexobj(h) and np.all(h.imag == 0):
        h = h.real
    return np.ascontiguousarray(h)


def transfer_from_kernel(kernel: np.ndarray, shape: tuple[int, int], *,
                         center: tuple[int, int] | None = None) -> np.ndarray:
    """Half-grid transfer function of a small spatial kernel (a PSF).

    The kernel is zero-padded to ``shape`` and rolled so that its ``center`` pixel
    (default: ``(k0 // 2, k1 // 2)``) sits at the origin, so that the convolution
    does not shift the image.

    Parameters
    ----------
    kernel : ndarray, shape (k0, k1)
        Spatial kernel, ``k0 <= n0`` and ``k1 <= n1``.
    shape : (n0, n1)
        Image shape.
    center : (int, int), optional
        Kernel pixel placed at the origin.

    Returns
    -------
    ndarray, shape (n0, n1 // 2 + 1), complex128
        (Real-valued kernels that are even about ``center`` give a transfer
        function whose imaginary part is round-off; it is kept complex.)
    """
    k = check_array("kernel", kernel, ndim=2)
    n0, n1 = check_shape2d("shape", shape)
    if k.shape[0] > n0 or k.shape[1] > n1:
        raise ValueError(f"kernel has shape {k.shape}: expected at most the image shape {(n0, n1)}")
    c0, c1 = (k.shape[0] // 2, k.shape[1] // 2) if center is None else center
    padded = np.zeros((n0, n1), dtype=np.float64)
    padded[: k.shape[0], : k.shape[1]] = k
    padded = np.roll(padded, shift=(-c0, -c1), axis=(0, 1))
    return sfft.rfft2(padded)


def full_spectrum(half: np.ndarray, shape: tuple[int, int], *, centered: bool = True) -> np.ndarray:
    """Full-grid array from a Hermitian half-grid one (for display and checks).

    Parameters
    ----------
    half : ndarray, shape (n0, n1 // 2 + 1)
        Values on the ``rfft2`` half grid of a Hermitian-symmetric array.
    shape : (n0, n1)
    centered : bool
        Return the zero frequency at the centre (``fftshift``), as MotionClouds does.
    """
    n0, n1 = check_shape2d("shape", shape)
    half = check_array("half", half, shape=(n0, n1 // 2 + 1))
    full = np.empty((n0, n1), dtype=np.result_type(half.dtype, np.complex64))
    full[:, : half.shape[1]] = half
    cols = np.arange(half.shape[1], n1)  # k1 > n1 // 2 mirrors to n1 - k1 with conjugation
    rows = (-np.arange(n0)) % n0
    full[:, cols] = np.conj(half[rows][:, n1 - cols])
    return np.fft.fftshift(full) if centered else full


def half_spectrum_sq_norm(spectrum: np.ndarray, n1: int) -> float:
    """Squared ℓ2 norm of the real signal whose ``rfft2`` is ``spectrum`` (Parseval).

    Parameters
    ----------
    spectrum : ndarray, shape (n0, n1 // 2 + 1), complex
    n1 : int
        Length of the last axis of the real signal (resolves the even/odd ambiguity).
    """
    n0 = spectrum.shape[0]
    total = 2.0 * sq_norm(spectrum) - sq_norm(spectrum[:, 0])
    if n1 % 2 == 0:
        total -= sq_norm(spectrum[:, -1])
    return float(total / (n0 * n1))


class FourierConvolution(LinearOperator):
    """Circular convolution by a fixed kernel, applied with real FFTs.

    Parameters
    ----------
    transfer : ndarray, shape (n0, n1 // 2 + 1)
        Transfer function on the ``rfft2`` half grid (see
        :func:`transfer_from_centered`, :func:`transfer_from_kernel`).
    shape : (n0, n1)
        Shape of the images the operator acts on.
    dtype : {float64, float32}
        Working precision; inputs are cast to it.
    backend : {"auto", "fftw", "scipy"}
        FFT implementation; ``"auto"`` takes pyFFTW when it is installed.
    workers : int
        FFT threads (1 is fastest on small shared machines).

    Notes
    -----
    The object is immutable (its spectra are read-only arrays) and safe to share
    between threads: FFT plans and their scratch buffers are created per thread
    (FFTW_ESTIMATE plans are deterministic, so every thread gets the same numbers).

    Examples
    --------
    >>> import numpy as np
    >>> op = FourierConvolution(np.ones((8, 5)), (8, 8))
    >>> x = np.arange(64.0).reshape(8, 8)
    >>> bool(np.allclose(op.forward(x), x))
    True
    """

    def __init__(self, transfer: np.ndarray, shape: tuple[int, int], *, dtype=np.float64,
                 backend: str = "auto", workers: int = 1):
        self.shape = check_shape2d("shape", shape)
        self.dtype = check_dtype("dtype", dtype)
        half = (self.shape[0], self.shape[1] // 2 + 1)
        h = check_array("transfer", transfer, shape=half)
        if np.iscomplexobj(h) and np.all(h.imag == 0):
            h = h.real
        h = h.astype(_COMPLEX[self.dtype] if np.iscomplexobj(h) else self.dtype)
        power = (h.real ** 2 + h.imag ** 2) if np.iscomplexobj(h) else h ** 2
        for arr in (h, power):
            arr.flags.writeable = False
        self.transfer = h
        self.power = power.astype(self.dtype)
        self.power.flags.writeable = False
        self.workers = int(workers)
        check_choice("backend", backend, FFT_BACKENDS)
        if backend == "fftw" and not _fftw_available():
            raise ValueError("backend='fftw' is not allowed: pyFFTW is not installed (use 'scipy' or 'auto')")
        if backend == "auto":
            backend = "fftw" if _fftw_available() else "scipy"
        self.backend = backend
        self._conj_transfer = np.conj(h) if np.iscomplexobj(h) else h
        self._conj_transfer.flags.writeable = False
        self._local = threading.local()

    def __getstate__(self):  # plans and buffers are per thread and per process: never pickled
        state = self.__dict__.copy()
        del state["_local"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._local = threading.local()

    @property
    def _fft(self) -> _Transforms:
        """This thread's FFT plans and scratch buffers (created on first use)."""
        fft = getattr(self._local, "fft", None)
        if fft is None:
            fft = self._local.fft = _Transforms(self.shape, self.dtype, self.backend, self.workers)
        return fft

    # -- FFT helpers -------------------------------------------------------------
    def rfft(self, x: np.ndarray) -> np.ndarray:
        """``rfft2`` of an image of the operator's shape, in its precision."""
        return self._fft.rfft(np.asarray(x, dtype=self.dtype))

    def irfft(self, spectrum: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`rfft` (the input is left untouched)."""
        return self._fft.irfft(spectrum)

    def _check(self, x: np.ndarray, name: str = "x") -> np.ndarray:
        x = np.asarray(x)
        if x.shape != self.shape:
            raise ValueError(f"{name} has shape {x.shape}: expected {self.shape}")
        return x

    # -- the operator ------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        """``A x``: convolve ``x`` (shape ``self.shape``) with the kernel."""
        return self._filter(self._check(x), self.transfer)

    def _filter(self, x: np.ndarray, half: np.ndarray) -> np.ndarray:
        """``irfft2(half · rfft2(x))`` without intermediate copies."""
        fft = self._fft
        np.multiply(fft.rfft_scratch(np.asarray(x, dtype=self.dtype)), half, out=fft.irfft_input)
        return fft.irfft_from_input()

    def adjoint(self, y: np.ndarray) -> np.ndarray:
        """``Aᵀ y``: correlate ``y`` with the kernel."""
        return self._filter(self._check(y, "y"), self._conj_transfer)

    def normal(self, x: np.ndarray) -> np.ndarray:
        """``Aᵀ A x`` with a single FFT pair."""
        return self._filter(self._check(x), self.power)

    def apply_filter(self, x: np.ndarray, filter_half: np.ndarray) -> np.ndarray:
        """Apply any other half-grid filter (for example an inverse filter) to ``x``."""
        return self._filter(self._check(x), filter_half)

    def lipschitz_constant(self) -> float:
        """``‖A‖² = max |H|²``, the Lipschitz constant of ``∇ ½‖A x − b‖²``."""
        return float(np.max(self.power))

    def normal_trace(self) -> float:
        """``trace(AᵀA) = Σ |H|²`` over the full frequency grid, from the ``rfft2`` half grid (its first
        column, and its last one for an even width, appear once; every other column twice)."""
        n1 = self.shape[1]
        total = 2.0 * float(self.power.sum()) - float(self.power[:, 0].sum())
        if n1 % 2 == 0:
            total -= float(self.power[:, -1].sum())
        return total

    # -- the data term ½‖A x − b‖² in one FFT pair (see LinearOperator) ----------
    def prepare_data(self, data: np.ndarray) -> "SpectralData":
        """Keep ``b``, its spectrum ``B`` and ``conj(H) B`` (the spectrum of ``Aᵀb``)."""
        b = np.asarray(data, dtype=self.dtype)
        if b.shape != self.shape:
            raise ValueError(f"data has shape {b.shape}: expected {self.shape}")
        spec = self.rfft(b)
        return SpectralData(b, spec, self._conj_transfer * spec)

    def fourier_data_term(self, prepared: "SpectralData") -> FourierDataTerm | None:
        """The named arrays of the fused loops (with the fftw backend, whose plans they use), else None."""
        if self.backend != "fftw":
            return None
        return FourierDataTerm(self, self.transfer, self.power, prepared.data_spectrum, prepared.adjoint_spectrum)

    def adjoint_data(self, prepared: "SpectralData") -> np.ndarray:
        if prepared._adjoint is None:
            prepared._adjoint = self.irfft(prepared.adjoint_spectrum)
        return prepared._adjoint

    def residual_value(self, x: np.ndarray, prepared: PreparedData) -> float:
        """``½‖A x − b‖²`` by Parseval on the residual spectrum (one ``rfft2``)."""
        resid = self.rfft(x) * self.transfer - prepared.data_spectrum
        return 0.5 * half_spectrum_sq_norm(resid, self.shape[1])

    def residual_grad(self, x: np.ndarray, prepared: PreparedData) -> np.ndarray:
        """``Aᵀ(A x − b) = irfft2(|H|² X − conj(H) B)`` (one FFT pair)."""
        return self.irfft(self.rfft(x) * self.power - prepared.adjoint_spectrum)

    def residual_value_and_grad(self, x: np.ndarray, prepared: PreparedData) -> tuple[float, np.ndarray]:
        """Both from one FFT pair: the residual spectrum lives in this thread's inverse-plan input."""
        fft = self._fft
        resid = np.multiply(fft.rfft_scratch(np.asarray(x, dtype=self.dtype)), self.transfer, out=fft.irfft_input)
        resid -= prepared.data_spectrum
        value = 0.5 * half_spectrum_sq_norm(resid, self.shape[1])
        resid *= self._conj_transfer
        return value, fft.irfft_from_input()

    def solve_normal(self, rhs: np.ndarray, shift: float, *, x0: np.ndarray | None = None, tol: float = 1e-12,
                     n_iter: int = 1000) -> np.ndarray:
        """``(AᵀA + shift·I)⁻¹ rhs`` exactly: ``irfft2(rfft2(rhs) / (|H|² + shift))`` (one FFT pair).

        ``x0``, ``tol`` and ``n_iter`` are the protocol's options for iterative solves; an exact
        solve needs no start and no stopping rule, so they do not change the result.
        """
        if not shift > 0:
            raise ValueError(f"shift={shift!r} is not allowed: expected > 0")
        return self._filter(self._check(rhs, "rhs"), 1.0 / (self.power + self.dtype.type(shift)))

    def circular(self) -> "FourierConvolution":
        """Itself: already circular (see :meth:`LinearConvolution.circular`)."""
        return self

    def astype(self, dtype) -> "FourierConvolution":
        """The same operator in another precision."""
        return FourierConvolution(self.transfer, self.shape, dtype=dtype, backend=self.backend, workers=self.workers)

    def __repr__(self) -> str:
        kind = "complex" if np.iscomplexobj(self.transfer) else "real"
        return (f"FourierConvolution(shape={self.shape}, dtype={self.dtype.name}, transfer={kind}, "
                f"backend={self.backend!r})")


class SpectralData(PreparedData):
    """``b`` with its spectrum ``data_spectrum = rfft2(b)`` and ``adjoint_spectrum = conj(H)·rfft2(b)``."""

    __slots__ = ("data_spectrum", "adjoint_spectrum")

    def __init__(self, data: np.ndarray, data_spectrum: np.ndarray, adjoint_spectrum: np.ndarray):
        super().__init__(data)
        self.data_spectrum = data_spectrum
        self.adjoint_spectrum = adjoint_spectrum
