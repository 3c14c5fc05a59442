"""Tell a desk covered in dots (a polka-dot cloth, a dotted print) from the paper lying on it.

Between its dots such a desk is as light and as smooth as paper, and at thumbnail size the
sheet's edge is often too weak to split the two: the paper finder sees one light region filling
the picture, takes it for a scan, and the dots are thresholded as ink (read as 0s, or as 1s where
the sheet cuts them). What gives the desk away is its holes: many dots of one size and shape,
where a sheet's holes are its writing and print, of every size and shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ["DotPattern", "find_dot_pattern", "hidden_dots"]

# A region is dotted when it holds at least MIN_DOTS holes that are dots (or MIN_STRIP_DOTS, below),
# and they are at least DOT_SHARE of its holes of MIN_HOLE_AREA thumbnail px or more.
MIN_DOTS = 50
DOT_SHARE = 0.5
# A strip of dotted cloth beside the sheet holds fewer dots: at least MIN_STRIP_DOTS make a desk
# when they fill the region as a lattice does, MIN_LATTICE_FILL dots or more to each square of the
# dot spacing in it. Dots on a square lattice give 1 (a hexagonal one 1.15), less the dots the
# region's edge cuts and any part of the region without dots: 0.68 for a strip of 35 dots that came
# with a strip of the sheet's margin. So a strip joined to a whole sheet, about twice its size or
# more, is not told this way. A scan's specks and loops are scattered: 0.3 in the two scans that 30
# dots alone took for a desk.
MIN_STRIP_DOTS = 20
MIN_LATTICE_FILL = 0.5
MIN_HOLE_AREA = 4
# A dot: a hole within a factor 2 of the holes' median area, filling at least DOT_FILL of its box
# (a disc fills 0.79, a box's cell 1.0 but comes with print of every size), near square.
DOT_FILL = 0.6
DOT_MAX_ASPECT = 1.5
# The spacing is measured from at most this many dots to all of them (a distance matrix of a
# few thousand dots squared would be hundreds of MB).
SPACING_SAMPLE = 300
# Where the sheet lies on the desk it hides the dots under it, and cuts those along its edge: the
# visible part of a cut dot is a short thick stroke, read as a 1 (see hidden_dots). A dot's
# neighbours lie between NEIGHBOUR_NEAREST and NEIGHBOUR_FURTHEST spacings from it (a square
# lattice's diagonal neighbours at 1.41), and a lattice point is hidden when no dot lies within
# HIDDEN_CLEAR spacings of it.
NEIGHBOUR_NEAREST = 0.6
NEIGHBOUR_FURTHEST = 1.5
HIDDEN_CLEAR = 0.5
# Points stepped to within about this many spacings of one another are one.
HIDDEN_MERGE = 0.25


@dataclass(frozen=True)
class DotPattern:
    # Dot pixels grown by the spacing between dots: the desk between them.
    cover: npt.NDArray[np.bool_]
    # Median distance from a dot's centre to the nearest other dot's, in the region's pixels.
    spacing: float
    # The dots' centres (x, y), and the diameter of a disc of the holes' median area (most holes
    # are dots), in the region's pixels.
    centres: npt.NDArray[np.float64]
    diameter: float


def find_dot_pattern(region: npt.NDArray[np.bool_], filled: npt.NDArray[np.uint8]) -> DotPattern | None:
    """The dot pattern that riddles ``region`` (its holes are ``filled`` less the region), or None."""
    holes = ((filled > 0) & ~region).astype(np.uint8)
    _, labels, stats, centroids = cv2.connectedComponentsWithStats(holes, connectivity=8)
    areas = stats[:, cv2.CC_STAT_AREA].astype(np.float64)
    widths = stats[:, cv2.CC_STAT_WIDTH].astype(np.float64)
    heights = stats[:, cv2.CC_STAT_HEIGHT].astype(np.float64)
    sized = areas >= MIN_HOLE_AREA
    sized[0] = False  # the background
    if np.count_nonzero(sized) < MIN_STRIP_DOTS:
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
    if count < MIN_STRIP_DOTS or count < DOT_SHARE * np.count_nonzero(sized):
        return None
    centres = np.asarray(centroids[dots], np.float64)
    spacing = _spacing(centres)
    if count < MIN_DOTS and count * spacing**2 < MIN_LATTICE_FILL * np.count_nonzero(filled):
        return None
    # Grown by the spacing, the dots cover the desk between them; the sheet, clear of dots, stays.
    size = max(3, int(round(spacing)) | 1)
    grown = cv2.dilate(dots[labels].astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
    return DotPattern(cover=grown > 0, spacing=spacing, centres=centres, diameter=2.0 * math.sqrt(middle / math.pi))


def _spacing(centres: npt.NDArray[np.float64]) -> float:
    """Median distance from a dot to its nearest neighbour (from an evenly spread sample of dots)."""
    step = max(1, len(centres) // SPACING_SAMPLE)
    sample = centres[::step]
    distances = np.sqrt(((sample[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2))
    # Each sampled dot's distance to itself is 0: the nearest other dot is the second smallest.
    nearest = np.partition(distances, 1, axis=1)[:, 1]
    return float(np.median(nearest))


def hidden_dots(pattern: DotPattern, sheet: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
    """The lattice points next to the dots along ``sheet`` (a mask of the region's size) where the
    lattice goes on under the sheet but shows no dot: the centres (x, y) of the dots the sheet
    hides or cuts.

    Each dot within a spacing of the sheet is stepped on by the offset from each of its neighbours
    to it (the lattice continues in a straight line); a point no dot lies near is hidden.
    """
    spacing = pattern.spacing
    rows, cols = sheet.shape
    size = max(3, 2 * int(round(spacing)) + 1)
    beside = cv2.dilate(sheet.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))) > 0
    centres = pattern.centres
    x = np.clip(np.round(centres[:, 0]).astype(np.int64), 0, cols - 1)
    y = np.clip(np.round(centres[:, 1]).astype(np.int64), 0, rows - 1)
    # Each dot's number at its centre: a dot's neighbours are looked up in a window around it.
    numbered = np.zeros((rows, cols), np.int32)
    numbered[y, x] = np.arange(1, len(centres) + 1, dtype=np.int32)
    reach = int(math.ceil(NEIGHBOUR_FURTHEST * spacing))
    steps = []
    for index in np.flatnonzero(beside[y, x]).tolist():
        top, left = max(0, y[index] - reach), max(0, x[index] - reach)
        window = numbered[top : y[index] + reach + 1, left : x[index] + reach + 1]
        neighbours = window[window > 0] - 1
        offsets = centres[index] - centres[neighbours]
        distances = np.sqrt((offsets**2).sum(axis=1))
        near = (distances >= NEIGHBOUR_NEAREST * spacing) & (distances <= NEIGHBOUR_FURTHEST * spacing)
        steps.append(centres[index] + offsets[near])
    if not steps:
        return np.zeros((0, 2))
    points = np.concatenate(steps)
    inside = (points[:, 0] >= 0) & (points[:, 0] <= cols - 1) & (points[:, 1] >= 0) & (points[:, 1] <= rows - 1)
    points = points[inside]
    # Distance from every pixel to the nearest dot's centre.
    clear = cv2.distanceTransform((numbered == 0).astype(np.uint8), cv2.DIST_L2, 3)
    nearest = clear[np.round(points[:, 1]).astype(np.int64), np.round(points[:, 0]).astype(np.int64)]
    hidden = points[nearest > HIDDEN_CLEAR * spacing]
    # A point is stepped to from several neighbours, a little apart: one of each is kept.
    _, first = np.unique(np.round(hidden / (HIDDEN_MERGE * spacing)), axis=0, return_index=True)
    merged: npt.NDArray[np.float64] = hidden[np.sort(first)]
    return merged
