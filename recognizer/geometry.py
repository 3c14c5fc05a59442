"""Page geometry: skew estimation, rotation, and mapping boxes back to the original image."""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from recognizer.reading import Box

__all__ = [
    "Transform",
    "crop_like",
    "picture_edge",
    "crop_to_ink",
    "estimate_skew",
    "rotate_mask",
    "rotate_quarter",
    "is_small",
    "light_on_dark",
    "paper_to_the_edges",
    "surround",
]

# OpenCV images: uint8 in practice; typed loosely because cv2 returns untyped arrays.
Image = npt.NDArray[Any]
# Skew below this is left alone: rotating costs time and blurs nothing the classifier minds.
MIN_SKEW_DEGREES = 0.8
MAX_SKEW_DEGREES = 20.0
# The profile search runs on a thumbnail where digits are about this tall: rows stay
# distinct and each trial rotation costs a fraction of a millisecond.
SKEW_DIGIT_HEIGHT = 6.0
# A picture's edge, turned, is drawn this wide: nearest-neighbour turning moves a pixel on the edge
# by up to half a pixel, and the turned corners are rounded to whole pixels.
EDGE_BAND = 3


class Transform:
    """An affine map from working coordinates to original-image coordinates."""

    def __init__(self, matrix: npt.NDArray[np.float64], width: int, height: int) -> None:
        self.matrix = matrix
        self.width = width
        self.height = height

    @classmethod
    def identity(cls, width: int, height: int) -> Transform:
        return cls(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), width, height)

    @staticmethod
    def scaling_step(scale: float) -> npt.NDArray[np.float64]:
        """The map back from an image resized by ``scale``, to pass to :meth:`then`."""
        return np.array([[1.0 / scale, 0.0, 0.0], [0.0, 1.0 / scale, 0.0]])

    def then(self, working_to_previous: npt.NDArray[np.float64]) -> Transform:
        """Prepend a map from new working coordinates to the previous working coordinates."""
        full_self = np.vstack([self.matrix, [0.0, 0.0, 1.0]])
        full_step = np.vstack([working_to_previous, [0.0, 0.0, 1.0]])
        return Transform((full_self @ full_step)[:2], self.width, self.height)

    def box(self, x: float, y: float, w: float, h: float) -> Box:
        corners = np.array([[x, y, 1.0], [x + w, y, 1.0], [x, y + h, 1.0], [x + w, y + h, 1.0]])
        mapped = corners @ self.matrix.T
        left = max(0, math.floor(mapped[:, 0].min()))
        top = max(0, math.floor(mapped[:, 1].min()))
        right = min(self.width, math.ceil(mapped[:, 0].max()))
        bottom = min(self.height, math.ceil(mapped[:, 1].max()))
        return Box(left, top, max(1, right - left), max(1, bottom - top))


# A still picture whose shorter side is under SMALL_PICTURE_SIDE (a field cut out of a form), or
# whose longer side is under SMALL_PICTURE_LONG_SIDE (a drawing pad's canvas, 280-512 px), is read
# set in a margin (see surround) when it is paper to its edges; a 640x480 or 768x432 photo is not small.
SMALL_PICTURE_SIDE = 400
SMALL_PICTURE_LONG_SIDE = 600
# A picture whose border is at least this light against its lightest part is paper to its edges
# (a crop, a drawing pad); a photo of a sheet has the desk at its border. Of the crops around every
# number of the samples, 688 of 691 are; of their photos scaled to 768x432, 5 of 48 (sheets filling the frame).
PAPER_BORDER = 0.8
# ... judged on a band this share (1/n) of the shorter side deep.
BORDER_BAND = 20
# A small picture is light writing on a dark ground (a dark-mode drawing pad; MNIST itself) when
# its border is flat (FLAT_SHARE of it within DARK_GROUND_SPREAD grey levels of its median) and
# darker than DARK_GROUND of its lightest part, under LIGHT_INK_SHARE of it is light (a sheet on a
# dark desk is mostly light), and its largest light shape covers under STROKE_FILL of its box or
# is a bar under BAR_SHARE as wide as it is long (a note on a dark desk is a light block).
DARK_GROUND = 0.5
DARK_GROUND_SPREAD = 12.0
FLAT_SHARE = 0.8
LIGHT_INK_SHARE = 0.3
STROKE_FILL = 0.6
BAR_SHARE = 0.35


def _profile_score(small: npt.NDArray[np.float32], angle: float) -> float:
    height, width = small.shape
    matrix = cv2.getRotationMatrix2D((width / 2.0, height / 2.0), angle, 1.0)
    rotated = cv2.warpAffine(small, matrix, (width, height), flags=cv2.INTER_LINEAR)
    rows = rotated.sum(axis=1)
    return float(np.square(rows).sum())


def estimate_skew(mask: Image, digit_height: float) -> float:
    """Angle (degrees, counter-clockwise positive as OpenCV's) that makes text rows horizontal.

    Projection-profile search: rows of digits and ruled lines give the sharpest
    horizontal profile when the page is straight. Coarse steps, then fine ones.
    """
    factor = min(1.0, SKEW_DIGIT_HEIGHT / max(digit_height, 1.0))
    small = cv2.resize(mask, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA).astype(np.float32)
    if float(small.sum()) == 0.0:
        return 0.0
    best_angle, best_score = 0.0, _profile_score(small, 0.0)
    for step, span in ((2.0, MAX_SKEW_DEGREES), (0.5, 1.5), (0.125, 0.375)):
        centre = best_angle
        for angle in np.arange(centre - span, centre + span + 1e-9, step):
            if abs(angle - centre) < 1e-9 or abs(angle) > MAX_SKEW_DEGREES:
                continue
            score = _profile_score(small, float(angle))
            if score > best_score * 1.0001:
                best_angle, best_score = float(angle), score
    return best_angle


def rotate_mask(
    mask: Image, angle: float, interpolation: int = cv2.INTER_NEAREST
) -> tuple[Image, npt.NDArray[np.float64]]:
    """Rotate a binary mask about its centre, growing the canvas; return it and the map back.

    Nearest-neighbour by default: an ink map of the same size, turned by the same angle, stays
    pixel for pixel with its mask. With ``cv2.INTER_LINEAR`` the edges come out grey, for the
    caller to threshold.
    """
    height, width = mask.shape
    matrix = cv2.getRotationMatrix2D((width / 2.0, height / 2.0), angle, 1.0)
    cos_a, sin_a = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_width = int(math.ceil(height * sin_a + width * cos_a))
    new_height = int(math.ceil(height * cos_a + width * sin_a))
    matrix[0, 2] += new_width / 2.0 - width / 2.0
    matrix[1, 2] += new_height / 2.0 - height / 2.0
    rotated = cv2.warpAffine(mask, matrix, (new_width, new_height), flags=interpolation)
    inverse = cv2.invertAffineTransform(matrix).astype(np.float64)
    return rotated, inverse


def picture_edge(shape: tuple[int, ...], back: npt.NDArray[np.float64], turned_shape: tuple[int, ...]) -> Image:
    """Where the edge of a picture of ``shape`` runs in it turned by :func:`rotate_mask` (which
    returned ``back``, and a mask of ``turned_shape``): a band EDGE_BAND px wide along it.

    Turned, the picture's edge is a slanted line inside the mask, and a shape it cuts no longer
    touches the mask's own edge (see segment.estimate_digit_height_and_support).
    """
    height, width = shape[:2]
    corners = np.array(
        [[0.0, 0.0, 1.0], [width - 1.0, 0.0, 1.0], [width - 1.0, height - 1.0, 1.0], [0.0, height - 1.0, 1.0]]
    )
    forward = cv2.invertAffineTransform(back)
    turned = np.rint(corners @ forward.T).astype(np.int32)
    edge = np.zeros(turned_shape[:2], np.uint8)
    cv2.polylines(edge, [turned.reshape(-1, 1, 2)], isClosed=True, color=255, thickness=EDGE_BAND)
    return edge


def rotate_quarter(mask: Image, clockwise_turns: int) -> tuple[Image, npt.NDArray[np.float64]]:
    """Rotate a mask or an image by a multiple of 90 degrees clockwise; return it and the map back."""
    turns = clockwise_turns % 4
    height, width = mask.shape[:2]
    if turns == 0:
        return mask, np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    codes = {1: cv2.ROTATE_90_CLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_COUNTERCLOCKWISE}
    rotated = cv2.rotate(mask, codes[turns])
    # Maps from rotated (x', y') back to original (x, y), for pixel edges (boxes), not centres.
    if turns == 1:
        back = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, float(height)]])
    elif turns == 2:
        back = np.array([[-1.0, 0.0, float(width)], [0.0, -1.0, float(height)]])
    else:
        back = np.array([[0.0, -1.0, float(width)], [1.0, 0.0, 0.0]])
    return rotated, back


def is_small(image: Image) -> bool:
    """Whether a picture is small enough to be a crop around its writing or a drawing pad's canvas."""
    height, width = image.shape[:2]
    return bool(min(height, width) < SMALL_PICTURE_SIDE or max(height, width) < SMALL_PICTURE_LONG_SIDE)


def light_on_dark(image: Image) -> bool:
    """Whether a picture is light writing on a flat dark ground, to be read inverted (see DARK_GROUND)."""
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    band = _border_band(gray)
    ground = float(np.median(band))
    lightest = max(1.0, float(np.percentile(gray, 99)))
    # Flat: most of the border at the ground's level (writing may reach into the band).
    flat = float(np.mean(np.abs(band - ground) < DARK_GROUND_SPREAD)) >= FLAT_SHARE
    if ground >= DARK_GROUND * lightest or not flat:
        return False
    light = (gray > (ground + lightest) / 2).astype(np.uint8)
    if float(light.mean()) >= LIGHT_INK_SHARE:
        return False
    # Strokes, not a light block (a note on a dark desk): the largest light shape covers under
    # STROKE_FILL of its box, or is a thin upright or level bar (a 1 fills its narrow box).
    count, _, stats, _ = cv2.connectedComponentsWithStats(light, connectivity=8)
    if count < 2:
        return False
    _, _, w, h, area = stats[1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))]
    return bool(area < STROKE_FILL * w * h or min(w, h) < BAR_SHARE * max(w, h))


def _border_band(image: Image, depth: int | None = None) -> Image:
    """The pixels of a band round the picture's edges (one per row; a colour pixel's channels kept),
    ``depth`` deep or, by default, BORDER_BAND of its shorter side."""
    height, width = image.shape[:2]
    depth = depth or max(1, min(height, width) // BORDER_BAND)
    pixel = image.shape[2:]
    sides = [image[:depth], image[-depth:], image[:, :depth], image[:, -depth:]]
    return np.concatenate([side.reshape(-1, *pixel) for side in sides])


def paper_to_the_edges(image: Image) -> bool:
    """Whether the picture's border is as light as paper: the median of a band round its edges at
    least PAPER_BORDER of its 95th percentile. A band, not the outermost row: a crop cut on a
    form box's line, or an export's 1-px frame, is still paper to its edges."""
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    return float(np.median(_border_band(gray))) >= PAPER_BORDER * max(1.0, float(np.percentile(gray, 95)))


def surround(image: Image, max_side: int) -> tuple[Image, npt.NDArray[np.float64]]:
    """A small picture set in a wide margin of its own paper's colour; and the map back.

    The page preparation and the segmentation judge sizes against the picture: a stroke's width
    against the paper estimate's scale, a digit's height against the picture's (a shape taller
    than 0.4 of it is a sheet's edge unless it fills its box as writing does). A picture cropped
    around a number, or a digit drawn on a small canvas, is filled by its writing and fails both;
    set in a margin twice its shorter side all round, its writing is as small against it as on a
    page. The margin never takes a side past ``max_side``, the longest read at full resolution,
    so that a long strip (a field cut out of a form) is not read smaller for it.
    """
    height, width = image.shape[:2]
    wanted = 2 * min(height, width)
    pad_y = max(0, min(wanted, (max_side - height) // 2))
    pad_x = max(0, min(wanted, (max_side - width) // 2))
    # The paper's colour is that of the picture's border (its median, as digits may touch it).
    colour = np.median(_border_band(image, depth=1), axis=0)
    value = float(colour) if image.ndim == 2 else [float(c) for c in colour]
    surrounded = cv2.copyMakeBorder(image, pad_y, pad_y, pad_x, pad_x, cv2.BORDER_CONSTANT, value=value)
    return surrounded, np.array([[1.0, 0.0, -float(pad_x)], [0.0, 1.0, -float(pad_y)]])


def crop_to_ink(mask: Image, margin: int) -> tuple[Image, npt.NDArray[np.float64]]:
    """The part of ``mask`` holding ink, with ``margin`` px around it; return it and the map back.

    Every later step costs in proportion to the mask's area, and in a photo the writing
    often fills a small part of the frame (a sticky note, a sheet on a desk), while a
    deskewed mask has grown empty corners.
    """
    x, y, w, h = cv2.boundingRect(mask)
    if w == 0 or h == 0:
        return mask, np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    # On a multiple of 8: rules are looked for at halved resolutions, and the halving's 2x2
    # blocks then fall where they fell on the whole mask.
    left, top = max(0, x - margin) // 8 * 8, max(0, y - margin) // 8 * 8
    right, bottom = min(mask.shape[1], x + w + margin), min(mask.shape[0], y + h + margin)
    cropped = np.ascontiguousarray(mask[top:bottom, left:right])
    return cropped, np.array([[1.0, 0.0, float(left)], [0.0, 1.0, float(top)]])


def crop_like(image: Image, back: npt.NDArray[np.float64], shape: tuple[int, ...]) -> Image:
    """The same part of ``image`` (as large as the mask) that :func:`crop_to_ink` cut to ``shape``,
    given the map back it returned: a view, as only a few of its pixels are read."""
    left, top = int(back[0, 2]), int(back[1, 2])
    return image[top : top + shape[0], left : left + shape[1]]
