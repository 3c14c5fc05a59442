"""MNIST normalisation: one function shared by the trainer and the recognizer.

MNIST was made by fitting each binary NIST digit into a 20x20 box (keeping its
aspect ratio, anti-aliased by the downscale) and translating it so that its
centre of mass sits at the centre of a 28x28 field. Feeding the model anything
else (a plain resize to 28x28, say) costs a lot of accuracy on real crops, so
the trainer passes every training digit through :func:`normalize_digit` and the
recognizer passes every crop through it too.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ["MNIST_SIZE", "MNIST_BOX", "MNIST_CENTRE", "normalize_digit", "normalize_digits"]

MNIST_SIZE = 28
MNIST_BOX = 20
# Measured on the 60,000 MNIST training digits: the mean centre of mass is
# (13.996, 14.007) in pixel-index coordinates, with the spread of an integer
# shift (std 0.29). MNIST centred on pixel 14, not on the geometric 13.5.
MNIST_CENTRE = 14.0


def _as_unit_float(ink: npt.NDArray[np.generic]) -> npt.NDArray[np.float32]:
    if ink.dtype == np.bool_:
        return ink.astype(np.float32)
    if ink.dtype == np.uint8:
        return ink.astype(np.float32) * (1.0 / 255.0)
    if np.issubdtype(ink.dtype, np.integer) or np.issubdtype(ink.dtype, np.floating):
        as_float = ink.astype(np.float32)
        peak = float(as_float.max()) if as_float.size else 0.0
        # Integer images other than uint8 (e.g. 16-bit scans) are scaled by their peak.
        if np.issubdtype(ink.dtype, np.integer) and peak > 1.0:
            as_float /= peak
        # NaN (a damaged float image) counts as no ink rather than poisoning the box and the centring.
        return np.clip(np.nan_to_num(as_float, nan=0.0), 0.0, 1.0)
    raise ValueError(f"expected a numeric image, got dtype {ink.dtype}")


def normalize_digit(ink: npt.NDArray[np.generic]) -> npt.NDArray[np.float32]:
    """Return the MNIST form of one digit: 28x28 float32 in [0, 1].

    ``ink`` is a 2-D array with the ink bright on a zero background: a binary
    mask (bool, 0/1 or 0/255) or grey levels (uint8 0-255, float 0-1). The ink's
    bounding box is scaled so its longer side is 20 px, keeping the aspect
    ratio, and pasted into 28x28 so the centre of mass lands on pixel
    (14, 14), as in MNIST. A crop with no ink gives an all-zero image.

    Raises ``ValueError`` when ``ink`` is not a non-empty 2-D numeric array.
    """
    if ink.ndim != 2 or ink.shape[0] == 0 or ink.shape[1] == 0:
        raise ValueError(f"expected a non-empty 2-D image, got shape {ink.shape}")
    unit = _as_unit_float(ink)
    out = np.zeros((MNIST_SIZE, MNIST_SIZE), dtype=np.float32)
    # The ink's bounding box (OpenCV's takes a twentieth of the time of numpy's row and column scans).
    left, top, width, height = cv2.boundingRect((unit > 0).view(np.uint8))
    if width == 0:
        return out
    glyph = unit[top : top + height, left : left + width]
    scale = MNIST_BOX / max(height, width)
    new_width = max(1, min(MNIST_BOX, round(width * scale)))
    new_height = max(1, min(MNIST_BOX, round(height * scale)))
    if (new_width, new_height) != (width, height):
        # INTER_AREA is the anti-aliasing downscale that gave MNIST its grey edges.
        interpolation = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
        # Resampling float images can overshoot [0, 1] by a rounding error.
        resized = np.asarray(cv2.resize(glyph, (new_width, new_height), interpolation=interpolation), np.float32)
        np.clip(resized, 0.0, 1.0, out=resized)
        glyph = resized
    mass = float(glyph.sum())
    if mass <= 0.0:
        return out
    ys = np.arange(new_height, dtype=np.float32)
    xs = np.arange(new_width, dtype=np.float32)
    centre_y = float(glyph.sum(axis=1) @ ys) / mass
    centre_x = float(glyph.sum(axis=0) @ xs) / mass
    # Integer shift, as MNIST did; clamped so that no ink falls off the field.
    top = min(max(round(MNIST_CENTRE - centre_y), 0), MNIST_SIZE - new_height)
    left = min(max(round(MNIST_CENTRE - centre_x), 0), MNIST_SIZE - new_width)
    out[top : top + new_height, left : left + new_width] = glyph
    return out


def normalize_digits(
    crops: Sequence[npt.NDArray[np.generic]],
) -> npt.NDArray[np.float32]:
    """Normalise many crops at once: returns an (N, 28, 28) float32 batch."""
    batch = np.zeros((len(crops), MNIST_SIZE, MNIST_SIZE), dtype=np.float32)
    for index, crop in enumerate(crops):
        batch[index] = normalize_digit(crop)
    return batch
