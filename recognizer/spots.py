"""Tell a desk covered in dots or stripes (a polka-dot or striped cloth, a print) from the paper on it.

Between its dots or stripes such a desk is as light and as smooth as paper, and at thumbnail
size the sheet's edge is often too weak to split the two: the paper finder sees one light region
filling the picture, takes it for a scan, and the dots are thresholded as ink (read as 0s, or as
1s where the sheet cuts them); or it takes the cloth for part of the sheet, and the stripes set
the digits' height. What gives the desk away is its holes: many dots of one size and shape, or
many dark parallel bands, where a sheet's holes are its writing and print, of every size and
shape, and as light as paper between their thin strokes.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ["DeskPattern", "find_dot_pattern", "find_stripe_pattern"]

# A region is dotted when it holds at least MIN_DOTS holes that are dots, and they are at least
# DOT_SHARE of its holes of MIN_HOLE_AREA thumbnail px or more.
MIN_DOTS = 50
DOT_SHARE = 0.5
MIN_HOLE_AREA = 4
# A dot: a hole within a factor 2 of the holes' median area, filling at least DOT_FILL of its box
# (a disc fills 0.79, a box's cell 1.0 but comes with print of every size), near square.
DOT_FILL = 0.6
DOT_MAX_ASPECT = 1.5
# The spacing is measured from at most this many dots to all of them (a distance matrix of a
# few thousand dots squared would be hundreds of MB).
SPACING_SAMPLE = 300
# A region is striped when at least MIN_STRIPES of its holes are stripes within STRIPE_ANGLE
# degrees of one direction. A stripe: at least STRIPE_ELONGATION times as long as it is wide and
# STRIPE_MIN_WIDTH thumbnail px wide (a ruled line is thinner), filling STRIPE_FILL of its
# rotated box (a straight band), and at most STRIPE_LIGHTNESS of the region's lightness on average.
# That last is what tells a cloth's stripes from a sheet's lines of writing, which at thumbnail
# size are bands as long and as straight (touching phone numbers): their strokes are thin, so
# the band is mostly paper, 0.8-1.0 as light as the sheet, where a green stripe was 0.5-0.7.
# Without it, three photos of touching strings lost their numbers (a sheet of them: 8 -> 52 errors).
MIN_STRIPES = 6
STRIPE_ANGLE = 6.0
STRIPE_ELONGATION = 4.0
STRIPE_MIN_WIDTH = 3.0
STRIPE_FILL = 0.75
STRIPE_LIGHTNESS = 0.7


@dataclass(frozen=True)
class DeskPattern:
    # Dot or stripe pixels grown by the spacing between them: the desk between them.
    cover: npt.NDArray[np.bool_]
    # Median distance from a dot's centre to the nearest other dot's, or between neighbouring
    # stripes across them, in the region's pixels.
    spacing: float


def find_dot_pattern(region: npt.NDArray[np.bool_], filled: npt.NDArray[np.uint8]) -> DeskPattern | None:
    """The dot pattern that riddles ``region`` (its holes are ``filled`` less the region), or None."""
    holes = ((filled > 0) & ~region).astype(np.uint8)
    _, labels, stats, centroids = cv2.connectedComponentsWithStats(holes, connectivity=8)
    areas = stats[:, cv2.CC_STAT_AREA].astype(np.float64)
    widths = stats[:, cv2.CC_STAT_WIDTH].astype(np.float64)
    heights = stats[:, cv2.CC_STAT_HEIGHT].astype(np.float64)
    sized = areas >= MIN_HOLE_AREA
    sized[0] = False  # the background
    if np.count_nonzero(sized) < MIN_DOTS:
        return None
    middle = float(np.median(areas[sized]))
    aspect = widths / heights
    dots = (
        sized
        & (areas >= 0.5 * middle)
        & (areas <= 2.0 * middle)
        & (areas >= DOT_FILL * widths * heights)
        & (aspect >= 1.0 / DOT_MAX_ASPECT)
        & (aspect <= DOT_MAX_ASPECT)
    )
    count = int(np.count_nonzero(dots))
    if count < MIN_DOTS or count < DOT_SHARE * np.count_nonzero(sized):
        return None
    spacing = _spacing(np.asarray(centroids[dots], np.float64))
    # Grown by the spacing, the dots cover the desk between them; the sheet, clear of dots, stays.
    size = max(3, int(round(spacing)) | 1)
    grown = cv2.dilate(dots[labels].astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
    return DeskPattern(cover=grown > 0, spacing=spacing)


def _spacing(centres: npt.NDArray[np.float64]) -> float:
    """Median distance from a dot to its nearest neighbour (from an evenly spread sample of dots)."""
    step = max(1, len(centres) // SPACING_SAMPLE)
    sample = centres[::step]
    distances = np.sqrt(((sample[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2))
    # Each sampled dot's distance to itself is 0: the nearest other dot is the second smallest.
    nearest = np.partition(distances, 1, axis=1)[:, 1]
    return float(np.median(nearest))


def find_stripe_pattern(
    region: npt.NDArray[np.bool_], filled: npt.NDArray[np.uint8], lightness: npt.NDArray[np.uint8]
) -> DeskPattern | None:
    """The stripes of a cloth that cut into ``region`` (its holes are ``filled`` less the region),
    or None. ``lightness``: the thumbnail's lightness, which the region was found in.

    Between its stripes a striped cloth is as light and smooth as paper. The sheet's edge does not
    part the two where the cloth is white, and closing the thin cuts that rules and writing make
    in the paper closes the stripes too: the paper took in the cloth, and its stripes set the
    digits' height. What gives the cloth away is its holes: dark straight bands, many and parallel.
    """
    holes = ((filled > 0) & ~region).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(holes, connectivity=8)
    areas = stats[:, cv2.CC_STAT_AREA].astype(np.float64)
    sums = np.bincount(labels.ravel(), weights=lightness.ravel().astype(np.float64), minlength=count)
    dark = sums / np.maximum(areas, 1.0) <= STRIPE_LIGHTNESS * float(lightness[region].mean())
    contours, _ = cv2.findContours(holes, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    stripes: list[_Stripe] = []
    for found in contours:
        contour = np.asarray(found, np.int32)
        x, y = contour[0][0]
        label = int(labels[y, x])
        if not dark[label]:
            continue
        (centre_x, centre_y), sides, _ = cv2.minAreaRect(contour)
        # The rectangle runs through the outermost pixels' centres: a pixel more each way is their extent.
        length, width = max(sides) + 1.0, min(sides) + 1.0
        if (
            width < STRIPE_MIN_WIDTH
            or length < STRIPE_ELONGATION * width
            or areas[label] < STRIPE_FILL * length * width
        ):
            continue
        stripes.append(_Stripe(contour, _direction(contour), width, centre_x, centre_y))
    if len(stripes) < MIN_STRIPES:
        return None
    direction, parallel = _most_parallel(stripes)
    if len(parallel) < MIN_STRIPES:
        return None
    spacing = _stripe_spacing(parallel, direction)
    if spacing is None:
        return None
    drawn = np.zeros(holes.shape, np.uint8)
    cv2.drawContours(drawn, [stripe.contour for stripe in parallel], -1, 1, thickness=cv2.FILLED)
    # Grown by the spacing, the stripes cover the cloth between them; the sheet, clear of them, stays.
    size = max(3, int(round(spacing)) | 1)
    grown = cv2.dilate(drawn, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
    return DeskPattern(cover=grown > 0, spacing=spacing)


@dataclass(frozen=True)
class _Stripe:
    contour: npt.NDArray[np.int32]
    # Degrees in [0, 180): a stripe has no head or tail.
    direction: float
    width: float
    x: float
    y: float


def _direction(contour: npt.NDArray[np.int32]) -> float:
    """The direction of a band's long side, in degrees in [0, 180)."""
    corners = cv2.boxPoints(cv2.minAreaRect(contour))
    sides = (corners[1] - corners[0], corners[2] - corners[1])
    along = max(sides, key=lambda side: float(np.hypot(side[0], side[1])))
    return float(np.degrees(np.arctan2(along[1], along[0]))) % 180.0


def _apart(first: float, second: float) -> float:
    """Degrees between two directions (0 and 179 are 1 apart)."""
    difference = abs(first - second) % 180.0
    return min(difference, 180.0 - difference)


def _most_parallel(stripes: list[_Stripe]) -> tuple[float, list[_Stripe]]:
    """The largest set of stripes within STRIPE_ANGLE of one of them, and that one's direction."""
    sets = [
        (stripe.direction, [other for other in stripes if _apart(other.direction, stripe.direction) <= STRIPE_ANGLE])
        for stripe in stripes
    ]
    return max(sets, key=lambda item: len(item[1]))


def _stripe_spacing(stripes: list[_Stripe], direction: float) -> float | None:
    """Median distance between neighbouring stripes, across their ``direction`` (degrees); None if
    they lie in one line.

    The pieces of one stripe (a sheet lying across it cuts it in two) lie at the same distance
    across, so gaps narrower than a stripe are not counted.
    """
    angle = np.radians(direction)
    across = np.sort([stripe.y * np.cos(angle) - stripe.x * np.sin(angle) for stripe in stripes])
    gaps = np.diff(across)
    gaps = gaps[gaps > float(np.median([stripe.width for stripe in stripes]))]
    return float(np.median(gaps)) if gaps.size else None
