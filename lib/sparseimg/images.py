"""Test images: scikit-image's packaged images by name, or a user's PNG/JPEG file.

Every loader returns float64 arrays in ``[0, 1]``, greyscale ``(n0, n1)`` or colour
``(n0, n1, 3)``. An image is named either by one of :data:`PACKAGED_IMAGES` (they ship
inside scikit-image and load offline) or by a path to a ``.png``/``.jpg``/``.jpeg``
file; a missing or unreadable file raises an error that says which file and why.

The workspace's parameter schema (:func:`sparseimg.schema.image_spec`) checks
image names and paths with the same rules, so that a bad one is reported when
``params.yaml`` is validated, before anything runs. Colour helpers: the opponent-colour
rotation used by the colour sparsity priors, and an RGB check.

Examples
--------
>>> img = load_image("camera", gray=True)
>>> img.shape, img.dtype.name, float(img.min()) >= 0.0, float(img.max()) <= 1.0
((512, 512), 'float64', True, True)
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from sparseimg._validate import check_int, check_real

__all__ = [
    "PACKAGED_IMAGES",
    "IMAGE_SUFFIXES",
    "MAX_IMAGE_PIXELS",
    "available_images",
    "image_header",
    "image_shape",
    "same_picture",
    "resolve_image",
    "load_image",
    "to_float",
    "to_gray",
    "center_crop",
    "prepare_image",
    "OPPONENT_COLORS",
    "check_color_image",
    "to_opponent",
    "from_opponent",
]

#: Names of scikit-image's packaged images (``skimage.data.<name>()``) that load
#: offline. ``cat`` is ``chelsea``; ``horse`` is a binary silhouette; ``logo`` has an
#: alpha channel (composited on white).
PACKAGED_IMAGES = (
    "astronaut", "brick", "camera", "cat", "cell", "checkerboard", "chelsea", "clock",
    "coffee", "coins", "colorwheel", "grass", "gravel", "horse", "hubble_deep_field",
    "immunohistochemistry", "logo", "microaneurysms", "moon", "page", "retina", "rocket",
    "shepp_logan_phantom", "text",
)

#: File suffixes accepted for user images (case-insensitive).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def available_images() -> list[str]:
    """Names accepted by :func:`load_image` besides file paths (sorted)."""
    return sorted(PACKAGED_IMAGES)


def _source_problem(text: str, root) -> tuple[str | None, str | None]:
    """``(resolved source, None)`` or ``(None, reason it is not allowed)``."""
    if text in PACKAGED_IMAGES:
        return text, None
    path = Path(text).expanduser()
    if not path.is_absolute() and root is not None:
        path = Path(root) / path
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        if not path.suffix and "/" not in text and "\\" not in text:
            return None, (f"expected one of the packaged images {', '.join(available_images())}, "
                          f"or a path to a {'/'.join(IMAGE_SUFFIXES)} file")
        return None, f"expected a file ending in {'/'.join(IMAGE_SUFFIXES)}"
    if not path.is_file():
        return None, f"no such file ({path.resolve()})"
    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except OSError as exc:
        return None, f"cannot be opened ({exc.strerror})"
    return str(path.resolve()), None


def resolve_image(name_or_path: str | Path, *, root: str | Path | None = None) -> str:
    """Check an image source and return it normalized, without decoding pixels.

    Parameters
    ----------
    name_or_path : str or Path
        A name from :data:`PACKAGED_IMAGES`, or a path to a PNG/JPEG file (a
        :class:`~pathlib.Path` is always taken as a path).
    root : str or Path, optional
        Directory that relative paths are resolved against (default: the
        current directory).

    Returns
    -------
    str
        The packaged name unchanged, or the absolute path of the file.

    Raises
    ------
    TypeError
        If ``name_or_path`` is not a string or path.
    ValueError
        If the suffix is not PNG/JPEG, or a bare word is not a packaged name.
    FileNotFoundError
        If the file does not exist.
    PermissionError
        If the file cannot be opened.
    """
    if isinstance(name_or_path, Path):
        text = str(name_or_path)
        if text in PACKAGED_IMAGES:
            text = f"./{text}"
    elif isinstance(name_or_path, str):
        text = name_or_path
    else:
        raise TypeError(f"image={name_or_path!r} is not allowed: expected a packaged image name "
                        f"or a path to a PNG/JPEG file")
    source, reason = _source_problem(text, root)
    if reason is None:
        return source
    if reason.startswith("no such file"):
        raise FileNotFoundError(f"image={text!r}: {reason}")
    if reason.startswith("cannot be opened"):
        raise PermissionError(f"image={text!r}: {reason}")
    raise ValueError(f"image={text!r} is not allowed: {reason}")


def to_float(image: np.ndarray) -> np.ndarray:
    """Convert an image to float64 in ``[0, 1]``.

    Integer images are divided by the maximum of their dtype (``uint8`` by 255),
    booleans map to {0, 1}; float images must already lie in ``[0, 1]``. An alpha
    channel is composited on a white background.

    Parameters
    ----------
    image : ndarray, shape (n0, n1) or (n0, n1, 3|4)

    Returns
    -------
    ndarray, same spatial shape, 3 channels at most, float64
    """
    from skimage import color, util

    arr = np.asarray(image)
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 3, 4)):
        raise ValueError(f"image has shape {arr.shape}: expected (rows, columns) or "
                         f"(rows, columns, 1|3|4 channels)")
    if arr.dtype.kind == "f" and arr.size and (np.nanmin(arr) < 0 or np.nanmax(arr) > 1):
        raise ValueError(f"image has float values in [{np.nanmin(arr):.3g}, {np.nanmax(arr):.3g}]: "
                         f"expected values in [0, 1]")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"image has dtype {arr.dtype}: expected bool, integer or float pixels")
    out = util.img_as_float64(arr)
    if out.ndim == 3 and out.shape[2] == 1:
        out = out[:, :, 0]
    elif out.ndim == 3 and out.shape[2] == 4:
        out = color.rgba2rgb(out)
    if not np.all(np.isfinite(out)):
        raise ValueError("image contains NaN or infinite values: expected finite pixels")
    return np.clip(out, 0.0, 1.0)


def to_gray(image: np.ndarray) -> np.ndarray:
    """Luminance of a float colour image (``skimage.color.rgb2gray``); 2-D input is returned as is."""
    from skimage import color

    arr = np.asarray(image, dtype=np.float64)
    return arr if arr.ndim == 2 else color.rgb2gray(arr)


#: Largest image a section reads, in pixels (64 megapixels: 1.5 GiB as float64 RGB, the form every
#: loader returns). Checked on the file's declared size, before any pixel is decoded; larger images
#: go through ``python -m sparseimg csc-large`` (zarr, tiled).
MAX_IMAGE_PIXELS = 2 ** 26


def image_header(path: str | Path) -> tuple[tuple[int, int] | None, str | None]:
    """``((rows, columns), None)`` of a PNG/JPEG file read from its header, or ``(None, reason)``.

    The declared size is checked against :data:`MAX_IMAGE_PIXELS` *before* any pixel is
    decoded (a file declaring 10⁵ × 10⁵ pixels is refused in microseconds, never handed to
    PIL's decompression-bomb check); then the whole file is decoded once, so that a truncated
    or corrupt file is refused too (PIL's ``verify`` alone passes some of them).
    """
    from PIL import Image, UnidentifiedImageError

    def reason(exc) -> str:
        text = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        return f"cannot be read as a PNG/JPEG image ({text}): expected a complete, decodable PNG/JPEG file"

    limit = Image.MAX_IMAGE_PIXELS
    try:
        # PIL's own decompression-bomb check (an exception with a traceback's worth of text, or a
        # warning) would fire inside open(): the size is checked here, on the header, instead
        Image.MAX_IMAGE_PIXELS = None
        try:
            img = Image.open(path)
        finally:
            Image.MAX_IMAGE_PIXELS = limit
        with img:
            width, height = img.size
            if width * height > MAX_IMAGE_PIXELS:
                return None, (f"the file declares {height}x{width} pixels: expected at most "
                              f"{MAX_IMAGE_PIXELS} pixels ({MAX_IMAGE_PIXELS / 1e6:.0f} megapixels; larger images: "
                              f"python -m sparseimg csc-large)")
            if width < 1 or height < 1:
                return None, f"the file declares {height}x{width} pixels: expected at least 1x1"
            img.verify()
        with Image.open(path) as img:  # verify() leaves the image unusable: decode from a fresh handle
            img.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        return None, reason(exc)
    return (height, width), None


def _decode_problem(path: str) -> str | None:
    """Why ``path`` does not decode as an image (None if it does): see :func:`image_header`."""
    return image_header(path)[1]


def _read_file(path: str) -> np.ndarray:
    from skimage import io

    problem = _decode_problem(path)
    if problem is None:
        try:
            return io.imread(path)
        except Exception as exc:  # imageio/PIL raise many types for truncated files
            problem = f"cannot be read as a PNG/JPEG image ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})"
    raise ValueError(f"image={path!r} {problem}")


def image_shape(source: str) -> tuple[int, int]:
    """``(rows, columns)`` of an image source, a file's read from its header (no pixel decoded).

    ``source`` is a packaged name or a checked file path (see :func:`resolve_image`).
    Raises ``ValueError`` for an unreadable or too large file.
    """
    if source in PACKAGED_IMAGES:
        return _packaged_shape(source)
    shape, problem = image_header(source)
    if problem is not None:
        raise ValueError(f"image={source!r} {problem}")
    return shape


@functools.lru_cache(maxsize=None)
def _packaged_shape(name: str) -> tuple[int, int]:
    return load_image(name).shape[:2]


def same_picture(a, b, *, root=None, min_psnr: float = 30.0) -> bool:
    """Whether two image sources hold the same picture, by their pixels (not their names).

    Both are loaded in greyscale; pictures of the same shape match when the PSNR between them
    is at least ``min_psnr`` dB (30 dB: an RMS difference of 3 % of the range — a file saved
    from a packaged image, or re-encoded as JPEG, matches its original; two different
    photographs are 10–20 dB apart). Pictures of different shapes but the same aspect ratio
    (within 1 %) are compared at the smaller one's size. Different aspect ratios never match.
    """
    from skimage.transform import resize

    x, y = load_image(a, gray=True, root=root), load_image(b, gray=True, root=root)
    if x.shape != y.shape:
        if abs(x.shape[0] / x.shape[1] - y.shape[0] / y.shape[1]) > 0.01 * x.shape[0] / x.shape[1]:
            return False
        small = min(x.shape, y.shape)
        x, y = (resize(z, small, anti_aliasing=True) if z.shape != small else z for z in (x, y))
    mse = float(np.mean((x - y) ** 2))
    return mse == 0.0 or 10.0 * np.log10(1.0 / mse) >= min_psnr


def load_image(name_or_path: str | Path, *, gray: bool = False, root: str | Path | None = None) -> np.ndarray:
    """Load a packaged image by name, or a PNG/JPEG file, as float64 in ``[0, 1]``.

    Parameters
    ----------
    name_or_path : str or Path
        One of :func:`available_images` (``"astronaut"``, ``"camera"`` …) or a path
        to a ``.png``/``.jpg``/``.jpeg`` file.
    gray : bool, default False
        If True, return the luminance ``(n0, n1)``; otherwise colour images come
        back as ``(n0, n1, 3)`` and greyscale ones as ``(n0, n1)``.
    root : str or Path, optional
        Directory that relative paths are resolved against (default: the
        current directory).

    Returns
    -------
    ndarray, shape (n0, n1) or (n0, n1, 3), float64, values in [0, 1]

    Raises
    ------
    FileNotFoundError, PermissionError, ValueError, TypeError
        See :func:`resolve_image`; ``ValueError`` also when the file is not a
        readable image.
    """
    if not isinstance(gray, bool):
        raise TypeError(f"gray={gray!r} is not allowed: expected True or False")
    source = resolve_image(name_or_path, root=root)
    if source in PACKAGED_IMAGES:
        from skimage import data

        raw = getattr(data, source)()
    else:
        raw = _read_file(source)
    image = to_float(raw)
    return to_gray(image) if gray else image


def center_crop(image: np.ndarray, size: int | None) -> np.ndarray:
    """Central ``size × size`` window of an image (a copy); ``None`` returns a copy of the image.

    Parameters
    ----------
    image : ndarray, shape (n0, n1, ...)
    size : int or None
        Side of the window, ``1 <= size <= min(n0, n1)``.
    """
    arr = np.asarray(image)
    if size is None:
        return arr.copy()
    size = check_int("size", size, low=1, high=min(arr.shape[:2]))
    i0 = (arr.shape[0] - size) // 2
    i1 = (arr.shape[1] - size) // 2
    return arr[i0:i0 + size, i1:i1 + size].copy()


def prepare_image(source: str, *, scale: float = 1.0 / 3.0, crop: int | None = None,
                  root=None) -> np.ndarray:
    """Greyscale test image as the document prepares it, optionally cropped.

    ``load_image(source, gray=True)``, then ``skimage.transform.rescale(image,
    scale, mode='constant')`` (scikit-image's default anti-aliasing when
    shrinking), then the central ``crop × crop`` window if ``crop`` is given.

    Parameters
    ----------
    source : str
        Packaged image name or PNG/JPEG path (see :func:`sparseimg.images.load_image`).
    scale : float
        Rescaling factor in (0, 1]; the document uses 1/3.
    crop : int, optional
        Side of the central window, after rescaling.

    Returns
    -------
    ndarray, float64, values in [0, 1]
    """
    from skimage.transform import rescale

    scale = check_real("scale", scale, low=0.0, high=1.0, low_open=True)
    image = load_image(source, gray=True, root=root)
    if scale != 1.0:
        image = rescale(image, scale, mode="constant")
    if crop is not None and crop > min(image.shape):
        raise ValueError(f"crop={crop!r} is not allowed: expected at most {min(image.shape)} "
                         f"(the rescaled image is {image.shape[0]}x{image.shape[1]})")
    return center_crop(image, crop)


#: Orthonormal opponent-colour basis (rows): luminance ``(R+G+B)/√3`` and two
#: chrominance axes. Sparsity priors are applied in this basis (the chrominance is
#: much smoother than R, G, B themselves); it is orthonormal, so frames stay tight.
OPPONENT_COLORS = np.array([[1.0, 1.0, 1.0], [1.0, 0.0, -1.0], [1.0, -2.0, 1.0]])
OPPONENT_COLORS /= np.linalg.norm(OPPONENT_COLORS, axis=1, keepdims=True)


def check_color_image(image, *, name: str = "image") -> np.ndarray:
    """Return ``image`` as float64 after checking that it is RGB ``(n0, n1, 3)``.

    Raises
    ------
    ValueError
        For a greyscale ``(n0, n1)`` image, an RGBA ``(n0, n1, 4)`` one, or any
        other shape, naming the shape received.
    """
    arr = np.asarray(image, dtype=np.float64)
    if arr.ndim == 2:
        raise ValueError(f"{name} has shape {arr.shape} (greyscale): expected an RGB image (rows, columns, 3)")
    if arr.ndim != 3 or arr.shape[2] != 3:
        what = " (RGBA)" if arr.ndim == 3 and arr.shape[2] == 4 else ""
        raise ValueError(f"{name} has shape {arr.shape}{what}: expected an RGB image (rows, columns, 3)")
    return arr


def to_opponent(x: np.ndarray) -> np.ndarray:
    """Channel-first ``(3, ...)`` RGB to the :data:`OPPONENT_COLORS` basis (an orthonormal rotation)."""
    return np.tensordot(OPPONENT_COLORS, x, axes=1)


def from_opponent(u: np.ndarray) -> np.ndarray:
    """Inverse (and adjoint) of :func:`to_opponent`."""
    return np.tensordot(OPPONENT_COLORS.T, u, axes=1)
