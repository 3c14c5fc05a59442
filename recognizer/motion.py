"""Motion blur: find it in a photo and take it out.

A hand-held camera that moves while the shutter is open smears every point of the picture along
one line, of some length and direction: the picture is the sharp one convolved with a short line.
Along that direction, the strokes of thin handwriting are spread over the length of the line and
lose most of their darkness, while the strokes lying along it keep theirs. The threshold then keeps
only some strokes of each digit.

Found in the spectrum: a line's spectrum is a sinc across it, zero at the multiples of one over its
length. The picture's power spectrum, divided along each direction by the spectrum along the
direction at right angles to it, leaves the blur's own sinc squared where the picture's content is
alike in every direction, as handwriting is (stroke widths, loops and curves), and does not depend
on the picture's content otherwise. The direction whose ratio falls like a sinc from the centre to
its first zero is the blur's; where the zero lies is its length. (Print is not alike in every
direction: the rows of a page of text leave peaks at the multiples of the row pitch, which do not
fall like a sinc.)

Taken out by a Wiener filter with that line, each colour channel alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from recognizer.percentiles import percentile

Image = npt.NDArray[np.uint8]

# Tiles the spectrum is averaged over (Welch's method): a power of two for the FFT, large enough to
# resolve the first zero of a blur of MAX_LENGTH (TILE / MAX_LENGTH frequency bins from the centre).
TILE = 128
# Blur lengths looked for, in pixels of the picture. Shorter blur costs a digit of 20 px little;
# longer blur leaves nothing to read.
MIN_LENGTH = 4.0
MAX_LENGTH = 14.0
LENGTH_STEP = 0.25
# Directions looked at (degrees, anticlockwise from the picture's x axis), and the spread each is
# sampled over: the median of three samples keeps a ruled line's narrow streak in the spectrum out.
ANGLE_STEP = 5.0
ANGLE_SPREAD = 4.0
# Tiles are taken where the picture is mostly paper (at most PAPER_SHARE of its pixels under
# PAPER_LEVEL of its brightest) and holds some ink (at least INK_SHARE of its pixels under INK_LEVEL
# of the brightest); at most MAX_TILES of them, the inkiest.
PAPER_LEVEL = 0.75
PAPER_SHARE = 0.3
INK_LEVEL = 0.6
INK_SHARE = 0.005
MIN_TILES = 8
MAX_TILES = 96
# A blur is taken to be there when the ratio along its direction follows a sinc from the centre to
# past its first zero this closely (correlation) and falls at least MIN_DEPTH (natural log of the
# power ratio) by that zero.
MIN_FIT = 0.94
MIN_DEPTH = 2.5
# The log of the sinc squared is floored here: past the zero, noise fills the spectrum.
LOG_FLOOR = -8.0
# Wiener filter: the noise-to-signal power ratio, which keeps the filter from raising the spectrum's
# zeros (where there is only noise) without bound. Over the 180 pictures of the thirty-eight sets
# in which a blur is found: 0.005 / 0.01 / 0.02 gave 1,288 / 1,254 / 1,225 errors (with
# pipeline.BLUR_MARGIN 0.1; 1,484 unsharpened), and 0.02 with the margin at 0.05, 1,169.
NOISE_TO_SIGNAL = 0.02


@dataclass(frozen=True)
class MotionBlur:
    """The line a camera's motion smeared a picture along."""

    # Pixels of the picture.
    length: float
    # Degrees, clockwise from the picture's x axis (as y grows downwards): the direction of the line.
    angle: float
    # How closely the spectrum followed the blur's sinc (correlation) and how deep it fell.
    fit: float
    depth: float


def find_motion_blur(image: Image) -> MotionBlur | None:
    """The motion blur in ``image`` (a photo, BGR or grey), or None when there is none to see."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    spectrum = _log_power_spectrum(np.asarray(grey, np.uint8))
    if spectrum is None:
        return None
    angles, radii, profiles = _polar_profiles(spectrum)
    # Each direction against the one at right angles to it: the content's own falloff cancels.
    ratios = profiles - np.roll(profiles, -len(angles) // 2, axis=0)
    best: MotionBlur | None = None
    best_row = 0
    for length in np.arange(MIN_LENGTH, MAX_LENGTH + LENGTH_STEP / 2, LENGTH_STEP):
        zero = TILE / length
        within = radii <= 1.1 * zero
        model = np.maximum(np.log(np.sinc(radii[within] * length / TILE) ** 2 + 1e-12), LOG_FLOOR)
        observed = ratios[:, within]
        fits = _correlations(observed, model)
        # The ratio at the zero, between the two radii sampled either side of it.
        below = int(np.searchsorted(radii, zero)) - 1
        share = (zero - radii[below]) / (radii[below + 1] - radii[below])
        depths = (1.0 - share) * ratios[:, below] + share * ratios[:, below + 1]
        fits[depths > -MIN_DEPTH] = -1.0
        index = int(np.argmax(fits))
        if fits[index] >= MIN_FIT and (best is None or fits[index] > best.fit):
            best_row = index
            # The spectrum's angle is anticlockwise (rows grow upwards there); the line's is clockwise.
            best = MotionBlur(
                float(length), float((180.0 - angles[index]) % 180.0), float(fits[index]), float(-depths[index])
            )
    if best is None:
        return None
    # The length is where the ratio falls deepest along that direction, not the best fit's: a long
    # blur's sinc, fitted over fewer radii, fits as well as the true one and is taken too long.
    usable = (radii >= TILE / MAX_LENGTH) & (radii <= TILE / MIN_LENGTH)
    deepest = radii[usable][int(np.argmin(ratios[best_row, usable]))]
    return MotionBlur(float(TILE / deepest), best.angle, best.fit, best.depth)


def without_motion_blur(image: Image, blur: MotionBlur) -> Image:
    """``image`` deconvolved by ``blur``'s line (a Wiener filter), each channel alike."""
    kernel = _line_kernel(blur.length, blur.angle)
    channels = [image] if image.ndim == 2 else list(cv2.split(image))
    height, width = image.shape[:2]
    pad = kernel.shape[0]
    rows, cols = cv2.getOptimalDFTSize(height + 2 * pad), cv2.getOptimalDFTSize(width + 2 * pad)
    padded_kernel = np.zeros((rows, cols), np.float32)
    padded_kernel[: kernel.shape[0], : kernel.shape[1]] = kernel
    padded_kernel = np.roll(padded_kernel, (-(kernel.shape[0] // 2), -(kernel.shape[1] // 2)), axis=(0, 1))
    response = np.fft.rfft2(padded_kernel)
    wiener = np.conj(response) / (np.abs(response) ** 2 + NOISE_TO_SIGNAL)
    restored = []
    for channel in channels:
        # Mirrored at the borders, so the picture's edges do not ring through it.
        padded = cv2.copyMakeBorder(channel, pad, rows - height - pad, pad, cols - width - pad, cv2.BORDER_REFLECT)
        sharp = np.fft.irfft2(np.fft.rfft2(padded.astype(np.float32)) * wiener, s=(rows, cols))
        restored.append(np.clip(sharp[pad : pad + height, pad : pad + width], 0, 255).astype(np.uint8))
    return restored[0] if len(restored) == 1 else np.asarray(cv2.merge(restored), np.uint8)


def _line_kernel(length: float, angle: float) -> npt.NDArray[np.float32]:
    """A line ``length`` px long at ``angle`` degrees (clockwise), antialiased, summing to 1."""
    steps = max(2, int(round(length)))
    size = steps + 3 if steps % 2 == 0 else steps + 2
    kernel = np.zeros((size, size), np.float32)
    centre = (size - 1) / 2
    dx = (steps - 1) / 2 * math.cos(math.radians(angle))
    dy = (steps - 1) / 2 * math.sin(math.radians(angle))
    start = (round(centre - dx), round(centre - dy))
    end = (round(centre + dx), round(centre + dy))
    cv2.line(kernel, start, end, 1.0, 1, cv2.LINE_AA)
    return np.asarray(kernel / kernel.sum(), np.float32)


def _log_power_spectrum(grey: Image) -> npt.NDArray[np.float32] | None:
    """The log of the mean power spectrum of the tiles of paper with ink on it, centred."""
    # Statistics of half tiles; a tile is any two by two of them (tiles overlap by half).
    half = TILE // 2
    rows, cols = grey.shape[0] // half, grey.shape[1] // half
    if min(rows, cols) < 2:
        return None
    brightest = percentile(grey[::4, ::4].ravel(), 99)
    # Every other pixel is plenty to tell paper and ink apart, at a quarter of the cost.
    step = 2
    sampled = grey[: rows * half : step, : cols * half : step]
    blocks = sampled.reshape(rows, half // step, cols, half // step)
    paper = _tile_means((blocks > PAPER_LEVEL * brightest).mean(axis=(1, 3)))
    ink = _tile_means((blocks < INK_LEVEL * brightest).mean(axis=(1, 3)))
    chosen = np.argwhere((paper >= 1.0 - PAPER_SHARE) & (ink > INK_SHARE))
    if len(chosen) < MIN_TILES:
        return None
    # The inkiest first: they carry the most of the spectrum the blur shapes.
    chosen = chosen[np.argsort(-ink[chosen[:, 0], chosen[:, 1]], kind="stable")[:MAX_TILES]] * half
    window = np.outer(np.hanning(TILE), np.hanning(TILE)).astype(np.float32)
    power = np.zeros((TILE, TILE), np.float32)
    for row, col in chosen:
        tile = grey[row : row + TILE, col : col + TILE].astype(np.float32)
        spectrum = cv2.dft((tile - float(tile.mean())) * window, flags=cv2.DFT_COMPLEX_OUTPUT)
        power += spectrum[:, :, 0] ** 2 + spectrum[:, :, 1] ** 2
    mean_power = power / len(chosen)
    return np.asarray(np.fft.fftshift(np.log(mean_power + 1e-6)), np.float32)


def _tile_means(blocks: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The mean of each two by two of ``blocks`` (half tiles): the tiles' statistics."""
    return np.asarray((blocks[:-1, :-1] + blocks[1:, :-1] + blocks[:-1, 1:] + blocks[1:, 1:]) / 4.0, np.float64)


def _polar_profiles(
    spectrum: npt.NDArray[np.float32],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float32]]:
    """The spectrum along each direction (rows) at each radius (columns), each the median of three
    directions ANGLE_SPREAD apart."""
    angles = np.arange(0.0, 180.0, ANGLE_STEP)
    radii = np.arange(3.0, TILE / MIN_LENGTH * 1.1 + 1.0, 1.0)
    centre = TILE / 2
    samples = []
    for spread in (-ANGLE_SPREAD, 0.0, ANGLE_SPREAD):
        theta = np.radians(angles + spread)[:, None]
        map_x = (centre + radii[None, :] * np.cos(theta)).astype(np.float32)
        map_y = (centre - radii[None, :] * np.sin(theta)).astype(np.float32)
        samples.append(cv2.remap(spectrum, map_x, map_y, cv2.INTER_LINEAR))
    return angles, radii, np.median(np.asarray(samples), axis=0).astype(np.float32)


def _correlations(rows: npt.NDArray[np.float32], model: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The correlation of each row with ``model``."""
    centred = rows - rows.mean(axis=1, keepdims=True)
    model_centred = model - model.mean()
    spread = np.sqrt((centred**2).sum(axis=1) * (model_centred**2).sum()) + 1e-12
    return np.asarray((centred * model_centred).sum(axis=1) / spread, np.float64)
