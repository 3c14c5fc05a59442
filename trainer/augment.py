"""Augment digits for what real crops look like.

Every function works on a *pen mask*: a uint8 image at four times MNIST's
resolution with ink 255 on 0, the same kind of binary image the recognizer's
threshold produces. Working at 4x makes pen changes (a stroke one MNIST pixel
thicker or thinner) smooth instead of blocky. Each augmented mask ends in
:func:`recognizer.normalize.normalize_digit`, the recognizer's own function.
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from recognizer.normalize import MNIST_SIZE, normalize_digit

__all__ = [
    "PEN_SCALE",
    "mnist_to_pen",
    "distort_pen",
    "degrade_pen",
    "jitter_normalized",
    "augment_pen",
    "crop_to_ink",
    "change_pen_width",
    "add_clutter",
    "stroke_width",
]

PEN_SCALE = 4
PEN_SIZE = MNIST_SIZE * PEN_SCALE
# Room around the digit so rotation and shear never clip it.
PEN_MARGIN = 24

# Pen masks: uint8 0/255; typed loosely because cv2 returns untyped arrays.
Mask = npt.NDArray[Any]


def mnist_to_pen(image: npt.NDArray[np.uint8]) -> Mask:
    """Turn a 28x28 MNIST digit into a smooth 4x pen mask with a margin."""
    large = cv2.resize(image, (PEN_SIZE, PEN_SIZE), interpolation=cv2.INTER_LINEAR)
    _, mask = cv2.threshold(large, 110, 255, cv2.THRESH_BINARY)
    return cv2.copyMakeBorder(mask, PEN_MARGIN, PEN_MARGIN, PEN_MARGIN, PEN_MARGIN, cv2.BORDER_CONSTANT, value=0)


def distort_pen(mask: Mask, rng: np.random.Generator, strength: float = 1.0) -> Mask:
    """Rotate, shear and stretch the digit about its centre (handwriting slant and aspect)."""
    height, width = mask.shape
    angle = math.radians(rng.uniform(-14.0, 14.0) * strength)
    shear = rng.uniform(-0.35, 0.35) * strength
    stretch_x = math.exp(rng.uniform(-0.22, 0.18) * strength)
    stretch_y = math.exp(rng.uniform(-0.1, 0.1) * strength)
    cos_a, sin_a = math.cos(angle), math.sin(angle)
    rotation = np.array([[cos_a, -sin_a], [sin_a, cos_a]])
    shearing = np.array([[1.0, shear], [0.0, 1.0]])
    scaling = np.diag([stretch_x, stretch_y])
    linear = rotation @ shearing @ scaling
    centre = np.array([width / 2.0, height / 2.0])
    offset = centre - linear @ centre
    matrix = np.hstack([linear, offset[:, None]]).astype(np.float32)
    warped = cv2.warpAffine(mask, matrix, (width, height), flags=cv2.INTER_LINEAR)
    _, warped = cv2.threshold(warped, 127, 255, cv2.THRESH_BINARY)
    return warped


def stroke_width(mask: Mask) -> float:
    distance = cv2.distanceTransform((mask > 0).astype(np.uint8), cv2.DIST_L2, 3)
    inside = distance[distance > 0]
    return 2.0 * float(np.percentile(inside, 90)) if inside.size else 0.0


def change_pen_width(mask: Mask, rng: np.random.Generator) -> Mask:
    """Thin or bold pens: erode or dilate by up to about one MNIST pixel."""
    radius = int(rng.integers(-3, 6))
    if radius < 0 and stroke_width(mask) < 10:
        # Eroding an already thin stroke would break the digit apart.
        radius = 0
    if radius == 0:
        return mask
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(radius) + 1, 2 * abs(radius) + 1))
    if radius > 0:
        return cv2.dilate(mask, kernel)
    thinner = cv2.erode(mask, kernel)
    return thinner if cv2.countNonZero(thinner) > 0.4 * cv2.countNonZero(mask) else mask


def degrade_pen(mask: Mask, rng: np.random.Generator) -> Mask:
    """Blur, threshold, JPEG and low-resolution artefacts of real crops."""
    kind = rng.random()
    if kind < 0.3:
        # Blur then threshold again: rounded corners, thinner or thicker strokes.
        sigma = rng.uniform(1.0, 5.0)
        blurred = cv2.GaussianBlur(mask, (0, 0), sigma)
        _, mask = cv2.threshold(blurred, int(rng.uniform(70, 180)), 255, cv2.THRESH_BINARY)
    elif kind < 0.55:
        # A small digit from a webcam: few pixels tall, blocky once thresholded.
        rows = np.flatnonzero(mask.max(axis=1))
        if rows.size:
            target_height = int(rng.integers(9, 22))
            scale = target_height / (rows[-1] - rows[0] + 1)
            small = cv2.resize(mask, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            _, mask = cv2.threshold(small, int(rng.uniform(60, 160)), 255, cv2.THRESH_BINARY)
    elif kind < 0.75:
        # JPEG at low quality on a downscaled crop, then thresholded.
        scale = rng.uniform(0.3, 0.6)
        small = cv2.resize(mask, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        quality = int(rng.integers(8, 45))
        ok, encoded = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, quality])
        decoded = cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE) if ok else None
        if decoded is not None:
            _, mask = cv2.threshold(decoded, int(rng.uniform(80, 170)), 255, cv2.THRESH_BINARY)
    else:
        # Ragged edges of a noisy adaptive threshold.
        noise = rng.normal(0.0, 60.0, mask.shape).astype(np.float32)
        blurred = cv2.GaussianBlur(mask, (0, 0), 2.0).astype(np.float32) + noise
        mask = np.where(blurred > 127, 255, 0).astype(np.uint8)
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    return mask


def add_clutter(mask: Mask, rng: np.random.Generator) -> Mask:
    """A speck or a stub of a ruled line left next to the digit by segmentation."""
    rows = np.flatnonzero(mask.max(axis=1))
    cols = np.flatnonzero(mask.max(axis=0))
    if rows.size == 0:
        return mask
    top, bottom, left, right = rows[0], rows[-1], cols[0], cols[-1]
    height = bottom - top + 1
    out = mask.copy()
    if rng.random() < 0.6:
        radius = max(1, int(height * rng.uniform(0.02, 0.05)))
        x = int(rng.uniform(left, right))
        y = int(top + height * rng.choice([rng.uniform(-0.05, 0.05), rng.uniform(0.95, 1.05)]))
        cv2.circle(out, (x, y), radius, 255, -1)
    else:
        y = int(bottom + height * rng.uniform(0.0, 0.06))
        thickness = max(1, int(height * rng.uniform(0.02, 0.05)))
        cv2.line(out, (left - int(height * 0.1), y), (right + int(height * 0.1), y), 255, thickness)
    return out


def jitter_normalized(digit: npt.NDArray[np.float32], rng: np.random.Generator) -> npt.NDArray[np.float32]:
    """Small scale and shift after normalisation: crops are never perfectly centred."""
    scale = rng.uniform(0.88, 1.08)
    shift_x, shift_y = rng.uniform(-1.5, 1.5, size=2)
    centre = MNIST_SIZE / 2.0
    matrix = np.array(
        [[scale, 0.0, centre - scale * centre + shift_x], [0.0, scale, centre - scale * centre + shift_y]],
        dtype=np.float32,
    )
    return np.asarray(cv2.warpAffine(digit, matrix, (MNIST_SIZE, MNIST_SIZE), flags=cv2.INTER_LINEAR), np.float32)


def crop_to_ink(mask: Mask, padding: int = 16) -> Mask:
    """The ink's bounding box plus ``padding``: later steps then touch only the pixels that matter."""
    rows = np.flatnonzero(mask.max(axis=1))
    cols = np.flatnonzero(mask.max(axis=0))
    if rows.size == 0:
        return mask
    top, bottom = max(rows[0] - padding, 0), min(rows[-1] + padding + 1, mask.shape[0])
    left, right = max(cols[0] - padding, 0), min(cols[-1] + padding + 1, mask.shape[1])
    cropped = mask[top:bottom, left:right]
    return cv2.copyMakeBorder(
        cropped,
        padding - (rows[0] - top),
        padding - (bottom - rows[-1] - 1),
        padding - (cols[0] - left),
        padding - (right - cols[-1] - 1),
        cv2.BORDER_CONSTANT,
        value=0,
    )


def augment_pen(mask: Mask, rng: np.random.Generator) -> npt.NDArray[np.float32]:
    """One random view of a pen mask, normalised exactly as the recognizer does."""
    mask = crop_to_ink(distort_pen(mask, rng))
    if rng.random() < 0.7:
        mask = change_pen_width(mask, rng)
    if rng.random() < 0.6:
        mask = degrade_pen(mask, rng)
    if rng.random() < 0.1:
        mask = add_clutter(mask, rng)
    digit = normalize_digit(mask)
    if rng.random() < 0.5:
        digit = jitter_normalized(digit, rng)
    return digit
