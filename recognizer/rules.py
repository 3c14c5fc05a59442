"""Remove ruled lines and form boxes without eating the digits written on them.

Horizontal rules are runs far longer than any digit stroke (2.5 digit
heights). Box frames are shorter than that, so straight runs only count as a
frame when they close into a rectangle, which a digit's strokes never do.
Where a stroke runs into a rule, the rule's pixels under it are given back (strokes are grown across the rule, never
along it), so a 7 written through a line stays one piece and a digit sitting
on a line keeps its foot. Where a stroke runs along a rule (the base of a 2 drawn on
the line), the ink map tells them apart: printed lines are lighter than pen strokes.

The connected grid of rules also tells which box each digit was written in:
digits inside one printed field belong to one number.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import cv2
import numpy as np
import numpy.typing as npt

from recognizer.percentiles import percentile, percentiles_by_label
from recognizer.segment import label_components

__all__ = ["MIN_BOX_SIDE", "RuleRemoval", "long_runs", "remove_rules", "strip_long_runs"]

# OpenCV images: uint8 in practice; typed loosely because cv2 returns untyped arrays.
Image = npt.NDArray[Any]
# A box's side is its outermost column of vertical strokes at least this full against the fullest.
SIDE_SHARE = 0.8
# A comb field's divider that leans in a photo (see _dividers): a vertical covering this share of the
# box's height within DIVIDER_SPREAD columns either side of one, counted where the field, with such
# lines, has at least DIVIDERS_FOUND of the dividers its pitch expects. Before, a divider counted
# only where one column held 0.8 of the height, and a box's pitch was set by the straight ones:
# leaning dividers stayed and read as 1s (`111915` for 1195), and where some were missing the pitch
# came out wrong. Errors over 25 sets: 9,763 -> 9,678, boxed photos 1,129 -> 1,053, tiny cheques
# 436 -> 425, boxed forms 495 -> 497 (28 pictures better by 94, 9 worse by 1 each). Without the
# DIVIDERS_FOUND condition (and without the other conditions in _on_pitch), the strokes of digits
# filling a cheque's one long box passed for dividers: 9,763 (tiny cheques 436 -> 518). Share of
# expected dividers 0.6 / 0.9: 9,684 / 9,691; height 0.85: 9,700; 2 columns either side: 9,695.
# Dividers measured 0.93-0.95 of their box's height this way, 1s inside boxes 0.80-0.89.
DIVIDER_SPREAD = 1
LEANING_DIVIDER_HEIGHT = 0.9
DIVIDERS_FOUND = 0.75
# Boxes are drawn to hold a digit (sides in digit heights): a smaller closed shape is a digit's
# loop (a boxy 0) or a printed letter.
MIN_BOX_SIDE = 0.8
# A tilted line spreads over neighbouring rows, each still holding a good share of the fullest one.
WIDEN_SHARE = 0.5
# A printed rule is straight: at least this share of the columns where it runs alone lie within
# a pixel of one straight line. A run of handwriting that lines up for a few digit heights
# wanders more. Longer runs (a wavy security pattern, a page's curved rule) go whatever their course.
RULE_STRAIGHT = 0.75
WOBBLY_LENGTH = 12.0
# Centres are averages of whole rows, so a centre often lies exactly 1 or 1.5 px off the fitted line;
# it counts as within, whichever way the fit's last bit is rounded.
FIT_TOLERANCE = 1e-9
# Forms print their rules and boxes lighter than pens write (grey or coloured lines). A pixel on a
# rule's course this many times darker than the rule itself is a stroke lying along it, and stays:
# the base of a 2 written on the line, which went with the line and left a 7. A box's frame is as
# dark as this percentile of all its pixels (a few are under strokes). A rule too dark for anything
# to be 1.15 times darker (a level over 222: the map stops at 255) goes whole, as before. Errors
# over the samples and three seed-7 sets: 3,525 -> 3,375 (rules alone: 3,422; the two levels 1.05
# to 1.4 and, for the rule's level as it was then, percentiles 65 to 99 of its pixels tried; at 0.95
# of their 80th percentile, frames stayed in the mask: 4,588). Frames keep whatever is darker:
# their level taken as below, from each column's or row's darkest pixel, read worse (3,197-3,214
# against 3,190).
STROKE_OVER_RULE = 1.15
FRAME_LEVEL_PERCENTILE = 80.0
# A rule is as dark as this percentile of its columns' darkest pixels, over the columns where it
# runs alone. Not of all those pixels: a stroke lying exactly along the rule is as thick as the
# rule, so its columns count as the rule alone, and its pixels raised the 95th percentile to the
# pen's own darkness (a rule of 150 under a 2's base of 226 measured 222, and the base went). Each
# column's darkest pixel is the rule's core (its edges are lighter, and fewer the thinner it is),
# and strokes along it cover few of its columns. Errors over the samples and three seed-7 sets:
# 3,280 -> 3,206, with the pipeline's UPRIGHT_ENOUGH and UPRIGHT_LIKELY (the 60th or 85th
# percentile: 3,238 / 3,233); with MIN_STROKE_ALONG below, 3,190 (ruled forms 118 -> 88 errors,
# low contrast 211 -> 184, sticky notes 100 -> 104).
RULE_LEVEL_PERCENTILE = 75.0
# A stroke lying along a rule runs along it, and one crossing it spans its thickness; a darker
# speck or two on its course (the cores of a title's letters taken in with its underline, a JPEG
# block) is neither and goes with the rule. A blurred webcam photo's title kept such specks, which
# read as a "1" and a "9". Errors over the same sets: 3,206 -> 3,190 (0.08 or 0.16 digit heights:
# 3,194 / 3,197, before crossing strokes were kept too; without that, the foot of a 9 in a comb
# field went and it read as a 7).
MIN_STROKE_ALONG = 0.12
# On a photo (and on a scan: see FAINT_FRAME_LEVEL), a printed box's thin grey lines fall apart
# when thresholded. A digit touching the box joins it into one shape, and each shape keeps only the
# pixels darker than 0.3 of its darkest (prepare.RELATIVE_INK); the box is lighter than that, so
# only dashes of it are left. No run of the dashes is long enough to be a side, the box stays, and
# its cells read as 1s and 0s.
# Boxes are therefore also looked for in all the ink above this level: prepare.MIN_INK, the
# lowest noise floor a mask is cut at. There they are whole, but handwriting is fatter too, and
# its strokes can close into a rectangle. A printed box the threshold shredded is one the mask holds
# little of: at most MAX_FRAME_COVER of its pixels (0.08 to 0.47 on the boxed photos looked at, a
# few up to 0.69; the rectangles closed by handwriting or a cheque's pattern, 0.57 to 0.8). Only
# the frame pixels in the mask go. Errors over the samples and the seed-7, 11, 13 and 17 sets:
# 2,457 -> 2,403 (a cover of 0.4: 2,437, 0.6: 2,400; a level of 35: 2,442).
FAINT_FRAME_INK = 22.0
MAX_FRAME_COVER = 0.5
# A box the mask holds most of can still have gone to dashes where it counts: seed 163's scanned
# form (page_015) prints its comb fields in 1-px lines of grey 185, just at the cut its digits set,
# and the mask kept 0.65-0.92 of each box, in pieces too short for its sides and dividers. They
# read as 1s (`5425195694` as `542151195694`; 44 errors). Such a box is printed lighter than the
# pen writes, which handwriting that closes a rectangle seldom is: a box found in the faint ink is
# also taken when its line (the median of its pixels in the ink map: most are the printed line
# alone) is at most FAINT_FRAME_LEVEL of the strokes inside it (the FRAME_LEVEL_PERCENTILE of the
# mask's pixels clear of the frame). Printed boxes measured 0.23-0.6 on the pictures this
# changed, rectangles closed by faint blue handwriting, a cheque's pattern or a desk 0.5-0.9; the
# level is where the errors were fewest. Boxes are looked for so on scans too, where (before this
# level) the faint ink changed no reading.
# Over thirty-six sets: 13,601 -> 13,478 errors (boxed photos 1,454 -> 1,353, boxed forms 764 ->
# 723; 49 pictures better by 175, 28 worse by 52). A level of 0.4 / 0.45 / 0.6 / 0.7: 13,508 /
# 13,492 / 13,498 / 13,616.
FAINT_FRAME_LEVEL = 0.5
# On a scan a printed line is even, and its median is its level. The strokes lying along a box
# found in the faint ink are told from it by that level (not FRAME_LEVEL_PERCENTILE of its
# pixels, which in a field of a few boxes took in the strokes: seed 163's `7078` lost its 7's bar
# and 0's side, and what was left of it was dropped as a printed word). Over thirty-six sets:
# 13,478 -> 13,457 (boxed forms 723 -> 707, noisy scans 201 -> 196). Not on photos, whose
# resampled lines vary in darkness along their course, and more of a line passes for strokes
# along it (boxed photos 1,352 -> 1,518).
SCAN_FRAME_LEVEL_PERCENTILE = 50.0
# A photographed sheet's rules are resampled (perspective, scaling, blur): a thin rule's darkness
# varies along it with where it falls on the pixel grid, its edges are soft, and its columns lean.
# On photos of a sheet (``remove_rules(photo=True)``: the paper was found), three things follow:
# - Its band (its course, half its thickness and 0.6 px either side) misses a pixel of its edge
#   here and there: where a thin line crosses from one pixel row to the next it covers two rows
#   half-dark. Those edge pieces stayed, and giving back the rule pixels that strokes run into
#   (see remove_rules) grew them across the line: chunks of a table's rules where they cross read
#   as 1s, a title's underline gave its letters back as digits. A piece of the mask lying wholly
#   within LINE_EDGE_REACH px of a ruled line, and not STROKE_OVER_RULE times darker than the
#   line's pixels in the LINE_EDGE_WINDOW-pixel square around each of its own, is that edge and
#   goes. Boxes found only as boxes keep their edges (a comb field long enough to be a rule does
#   not): the bar of a 7 lies just outside a box's top, and went with it.
# - Where the line falls on one row its darkest pixel is darker than where it straddles two, and
#   such stretches passed for strokes along it: a stroke must also hold STROKE_OVER_RULE times the
#   ink the rule holds summed across its course (see _line_bands).
# - Columns are also searched for in the mask sheared by COLUMN_TILTS (degrees), at half
#   resolution: perspective leans a table's columns a few degrees off the upright that
#   straightening gives its rows, and the run search, with a pixel of slack either side, loses a
#   thin line leaning over about 2 degrees.
# Errors over the samples and the seed-7 to 29 sets: 3,603 -> 3,551, no scanned page changed (a
# photographed table 24 -> 7; either of the first two alone left 21 or more); on two sets made
# after these choices (seeds 31 and 37), 936 -> 930. With all three on every picture: 3,554.
# Scanned pages were then worse by 19 (24 worse, 13 better: on a noisy scan the pen is hardly
# darker than the rule), and photos whose sheet was not found (cheques filling the picture), now read as
# before, 28 better. Each tried on every picture, against the first two alone, 3,563 (the tilts
# then took that to 3,554): edges without the summed ink 3,574; within 1 or 3 px 3,589 / 3,581;
# frames' edges too 3,591; every such piece, dark or not, 3,603; darker by 1.0 or 1.3 3,559 /
# 3,571; only slivers at most 2 px across: 46 more over ten sets. Tilts of 4 degrees (at full
# resolution) 3 more; rows at these tilts too 58 more, as straightening has levelled them. The
# tilts cost about 1-3 ms a photo.
LINE_EDGE_REACH = 2
LINE_EDGE_WINDOW = 7
COLUMN_TILTS = (-3.0, 3.0)


@dataclass(frozen=True)
class RuleRemoval:
    mask: Image
    rules: Image
    # Bounding boxes (x, y, w, h) of printed fields with two or more boxes.
    grids: list[tuple[int, int, int, int]]
    # Bounding boxes of every printed frame found, a lone box or a field of them.
    boxes: list[tuple[int, int, int, int]]

    def field_of(self, x: float, y: float) -> int:
        """1-based index of the printed field (a row of two or more boxes) holding (x, y); 0 if none."""
        for index, (left, top, width, height) in enumerate(self.grids, start=1):
            if left <= x < left + width and top <= y < top + height:
                return index
        return 0


def long_runs(mask: Image, length: int, horizontal: bool = True) -> Image:
    """Pixels of ``mask`` on straight runs of at least ``length`` px (with 1 px of slack across)."""
    return cv2.bitwise_and(_run_support(mask, length, horizontal), mask)


def _run_support(mask: Image, length: int, horizontal: bool = True) -> Image:
    """Where straight runs of at least ``length`` px lie, a pixel or two wider than the runs.

    Long runs are found at half resolution: an opening costs in proportion to its
    length, and a rule is just as long and straight at half size.
    """
    pooled = mask
    factor = 1
    while length // factor >= 40 and min(pooled.shape) >= 64:
        pooled = _halved(pooled)
        factor *= 2
    across = (3, 1) if horizontal else (1, 3)
    along = (1, length // factor) if horizontal else (length // factor, 1)
    # A little slack across the run so that 1-px rules left slightly slanted are still found.
    slack = cv2.dilate(pooled, np.ones(across, np.uint8))
    runs = cv2.morphologyEx(slack, cv2.MORPH_OPEN, np.ones(along, np.uint8))
    if factor > 1:
        runs = _enlarged(runs, factor, mask)
    grow = np.ones((2 * factor + 1, 1) if horizontal else (1, 2 * factor + 1), np.uint8)
    return cv2.dilate(runs, grow)


def _halved(mask: Image) -> Image:
    """``mask`` at half resolution, each pixel the maximum of its 2x2 block (an odd last row or
    column dropped): a thin line stays whole."""
    height, width = mask.shape[0] // 2 * 2, mask.shape[1] // 2 * 2
    return cv2.dilate(mask[:height, :width], np.ones((2, 2), np.uint8), anchor=(0, 0))[::2, ::2]


def _enlarged(small: Image, factor: int, like: Image) -> Image:
    """``small`` enlarged ``factor`` times (nearest), cut or padded with 0 to ``like``'s shape."""
    large = cv2.resize(small, None, fx=factor, fy=factor, interpolation=cv2.INTER_NEAREST)
    padded = np.zeros_like(like)
    padded[: large.shape[0], : large.shape[1]] = large[: like.shape[0], : like.shape[1]]
    return padded


def _tilted_run_support(mask: Image, length: int, tilts: tuple[float, ...]) -> Image:
    """:func:`_run_support` of horizontal runs, with runs rising by tan(t) rows a column for each t
    in ``tilts`` (degrees) too: the mask sheared until they lie level, searched, and the support
    sheared back.

    The tilted runs are searched at half resolution, where a line is as long and as straight, for
    a quarter of the work.
    """
    support = _run_support(mask, length, horizontal=True)
    if not tilts or min(mask.shape) < 2:
        return support
    pooled = _halved(mask)
    height, width = pooled.shape
    tilted = np.zeros_like(pooled)
    for degrees in tilts:
        slope = -float(np.tan(np.radians(degrees)))
        # Row y of column x goes to row y + slope * x (+ a shift keeping every row in the image):
        # a run whose row changes by -slope a column lies level.
        shear = np.array([[1.0, 0.0, 0.0], [slope, 1.0, max(0.0, -slope * width)]], np.float32)
        room = height + int(np.ceil(abs(slope) * width))
        sheared = cv2.warpAffine(pooled, shear, (width, room), flags=cv2.INTER_NEAREST)
        found = _run_support(sheared, max(2, length // 2), horizontal=True)
        back = cv2.warpAffine(found, shear, (width, height), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP)
        tilted = cv2.bitwise_or(tilted, back)
    return cv2.bitwise_or(support, _enlarged(tilted, 2, mask))


def _line_bands(support: Image, mask: Image, height: float, ink: Image | None = None, *, photo: bool = False) -> Image:
    """Narrow each horizontal rule to its own thickness along its own course.

    ``support`` is where a long run lies; the ink in it is the rule plus whatever
    lies within its slack (the feet of digits standing on it, the dots of a
    dotted line). Columns where the rule is alone give its centre row and
    thickness; between them (where digits cross) the centre is interpolated.
    Only the pixels within half a thickness of that course are the rule. A run
    shorter than :data:`WOBBLY_LENGTH` digit heights (``height``) whose course is
    not straight is handwriting, not a rule, and stays. With the ``ink`` map, pieces of that course
    :data:`STROKE_OVER_RULE` times darker than the rule are strokes along or across it, and stay too
    (specks do not: see :func:`_stroke_pieces`). On a ``photo``, they must also hold that much more
    ink summed across the rule (see LINE_EDGE_REACH).
    """
    bands = np.zeros_like(mask)
    # Rules are few: label only the box around them, not the whole page.
    crop_x, crop_y, crop_w, crop_h = cv2.boundingRect(support)
    if crop_w == 0:
        return bands
    count, labels, stats = label_components(support[crop_y : crop_y + crop_h, crop_x : crop_x + crop_w])
    for index in range(1, count):
        x, y, w, h, _ = (int(v) for v in stats[index])
        own = labels[y : y + h, x : x + w] == index
        x, y = x + crop_x, y + crop_y
        on_rule = own & (mask[y : y + h, x : x + w] > 0)
        ys, xs = np.nonzero(on_rule)
        if xs.size == 0:
            continue
        per_column = np.bincount(xs, minlength=w)
        present = per_column > 0
        thickness = float(np.median(per_column[present]))
        alone = present & (per_column <= thickness + 1)
        if not alone.any():
            continue
        row_sums = np.bincount(xs, weights=ys, minlength=w)
        columns = np.flatnonzero(alone)
        centres = row_sums[columns] / per_column[columns]
        if w < WOBBLY_LENGTH * height and columns.size >= 3 and _straight_share(columns, centres) < RULE_STRAIGHT:
            # Not straight: the tops or feet of handwritten digits written in a row (a 7's bar,
            # the base of a 2, the joins of touching digits) that happen to line up.
            continue
        course = np.interp(np.arange(w), columns, centres)
        half = thickness / 2.0 + 0.6
        top = max(0, int(np.floor(y + course.min() - half)))
        bottom = min(mask.shape[0], int(np.ceil(y + course.max() + half)) + 1)
        rows = np.arange(top, bottom)[:, None]
        inside = np.abs(rows - (y + course[None, :])) <= half
        inked = inside & (mask[top:bottom, x : x + w] > 0)
        if ink is not None:
            # Each column's darkest pixel of the rule (see RULE_LEVEL_PERCENTILE).
            darkest = np.where(on_rule, ink[y : y + h, x : x + w], 0).max(axis=0)
            level = percentile(darkest[alone], RULE_LEVEL_PERCENTILE)
            course_ink = ink[top:bottom, x : x + w]
            darker = inked & (course_ink >= STROKE_OVER_RULE * level)
            if photo:
                # A thin line's darkest pixel is darker where it falls on one pixel row than where
                # it straddles two, and such stretches passed for strokes along it; the ink summed
                # across its course is the same wherever it falls, and a stroke on it darkens it all.
                across = np.where(inside, course_ink, 0).sum(axis=0, dtype=np.int64)
                heavier = across >= STROKE_OVER_RULE * percentile(across[alone], RULE_LEVEL_PERCENTILE)
                darker &= heavier[None, :]
            inked &= ~_stroke_pieces(darker, height, thickness)
        window = bands[top:bottom, x : x + w]
        window |= inked.astype(np.uint8) * 255
    return bands


def _stroke_pieces(darker: npt.NDArray[np.bool_], height: float, thickness: float) -> npt.NDArray[np.bool_]:
    """The pieces of ``darker`` (pixels on a rule's course darker than the rule) that are strokes:
    at least :data:`MIN_STROKE_ALONG` digit heights along the rule, or across its whole
    ``thickness`` (a stem crossing it, whose foot below the rule stays joined to it).

    On a rule one or two pixels thick a speck spans the thickness too and stays, as every darker
    pixel did before specks were told apart ("spanning more than the thickness": 3,195 errors over
    the four sets against 3,190); so does every piece where digits are under 8 px tall.
    """
    if not darker.any():
        return darker
    count, labels, stats = label_components(darker.astype(np.uint8))
    stroke = np.zeros(count, dtype=bool)
    stroke[1:] = (stats[1:, cv2.CC_STAT_WIDTH] >= MIN_STROKE_ALONG * height) | (
        stats[1:, cv2.CC_STAT_HEIGHT] >= thickness
    )
    return stroke[labels]


def _straight_share(columns: npt.NDArray[np.int64], centres: npt.NDArray[np.float64]) -> float:
    """The share of the centres within a pixel of one straight line, fitted to the centres near it."""
    x = columns.astype(np.float64)
    near = np.ones(len(x), dtype=bool)
    for _ in range(3):
        slope, intercept = _fit_line(x[near], centres[near])
        distance = np.abs(centres - (slope * x + intercept))
        within = distance <= 1.5 + FIT_TOLERANCE
        if within.sum() < 2 or np.array_equal(within, near):
            break
        near = within
    return float(np.mean(distance <= 1.0 + FIT_TOLERANCE))


def _fit_line(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> tuple[float, float]:
    """Least-squares slope and intercept of y against x (distinct x).

    ``np.polyfit(x, y, 1)`` up to rounding, in a tenth of the time.
    """
    x_mean, y_mean = float(x.mean()), float(y.mean())
    dx = x - x_mean
    slope = float(dx @ (y - y_mean)) / float(dx @ dx)
    return slope, y_mean - slope * x_mean


def strip_long_runs(mask: Image, length: int) -> Image:
    """``mask`` without horizontal or vertical runs longer than ``length``: rules, frames, page edges."""
    runs = cv2.bitwise_or(long_runs(mask, length, True), long_runs(mask, length, False))
    return cv2.bitwise_and(mask, cv2.bitwise_not(runs))


def _missed_box(frame: npt.NDArray[np.bool_], thresholded: Image, ink: Image, x: int, y: int) -> bool:
    """Whether a box found in the faint ink, its ``frame`` pixels at (x, y), is a printed box the
    mask's own search missed: ``thresholded``, the mask, holds some of it, and either at most
    MAX_FRAME_COVER (the threshold shredded it) or its line is printed lighter than the strokes
    inside it (see FAINT_FRAME_LEVEL). A box the mask holds none of has nothing to take out, and
    may lie off the paper, where the mask is empty and the faint ink is the desk's."""
    h, w = frame.shape
    held = thresholded[y : y + h, x : x + w] > 0
    cover = float(np.mean(held[frame]))
    if cover <= MAX_FRAME_COVER:
        return cover > 0.0
    # The strokes inside: the mask's pixels clear of the frame by a pixel (its soft edges).
    clear_of_frame = cv2.dilate(frame.astype(np.uint8), np.ones((3, 3), np.uint8)) == 0
    strokes = held & clear_of_frame
    if not strokes.any():
        return False
    box_ink = ink[y : y + h, x : x + w]
    line_level = percentile(box_ink[frame], 50.0)
    return line_level <= FAINT_FRAME_LEVEL * percentile(box_ink[strokes], FRAME_LEVEL_PERCENTILE)


def _overlaps(box: tuple[int, int, int, int], other: tuple[int, int, int, int]) -> bool:
    """Whether two boxes (x, y, w, h) share over half of the smaller one."""
    width = min(box[0] + box[2], other[0] + other[2]) - max(box[0], other[0])
    height = min(box[1] + box[3], other[1] + other[3]) - max(box[1], other[1])
    return width > 0 and height > 0 and width * height > 0.5 * min(box[2] * box[3], other[2] * other[3])


@dataclass(frozen=True)
class _Frames:
    horizontal: Image
    vertical: Image
    grids: list[tuple[int, int, int, int]]
    boxes: list[tuple[int, int, int, int]]


def _near_fullest_row(band: npt.NDArray[np.bool_], rows: range) -> npt.NDArray[np.bool_]:
    """The pixels of ``band`` within 2 rows of the fullest of ``rows``: a printed line, not strokes beside it."""
    centre = rows.start + int(np.argmax(band[rows.start : rows.stop].sum(axis=1)))
    low, high = max(0, centre - 2), min(band.shape[0], centre + 3)
    line = np.zeros_like(band)
    line[low:high] = band[low:high]
    return line


def _side_line(upright: npt.NDArray[np.bool_], columns: range) -> npt.NDArray[np.bool_] | None:
    """The vertical line in ``columns`` that covers at least 85% of the height, or None."""
    if len(columns) == 0:
        return None
    line = _near_fullest_row(upright.T, columns).T
    if line.any(axis=1).mean() < 0.85:
        return None
    return line


def _edge_line(band: npt.NDArray[np.bool_], stretch: int) -> npt.NDArray[np.bool_]:
    """The straight line in a frame's top or bottom band: per stretch of columns, the fullest row and 2 px around it.

    Taken stretch by stretch so that a frame photographed at a slight tilt is followed.
    """
    line = np.zeros_like(band)
    for start in range(0, band.shape[1], stretch):
        part = band[:, start : start + stretch]
        if part.any():
            line[:, start : start + stretch] = _near_fullest_row(part, range(part.shape[0]))
    return line


def _dividers(upright: npt.NDArray[np.bool_], height: int) -> npt.NDArray[np.bool_]:
    """Columns of a comb field's dividers: full-height verticals on the field's regular pitch.

    A 1 written from the top of its box to the bottom is a full-height vertical too, but it
    stands between two dividers, off the pitch they keep.

    In a photo a divider leans by a pixel or two over its height, and no one column of it is
    full-height. Such lines (see :func:`_leaning_lines`) count too when, with them, the field has
    DIVIDERS_FOUND of the dividers its pitch expects: digits that fill one long box (a cheque's
    boxed date) have strokes as straight and about a box's width apart, but they stop where the
    writing does, and a pitch they set finds no dividers in the empty rest of the box.
    """
    tall = upright.sum(axis=0) >= 0.8 * height
    if DIVIDER_SPREAD:
        leaning = _leaning_lines(upright, height)
        if (leaning & ~tall).any():
            found = _on_pitch(tall | leaning, tall, leaning_alone=True)
            if found is not None and found.dividers >= DIVIDERS_FOUND * (found.boxes - 1):
                return found.keep
    found = _on_pitch(tall, tall)
    return np.asarray(tall, dtype=bool) if found is None else found.keep


class _OnPitch(NamedTuple):
    """The columns to remove as a comb field's sides and dividers, how many boxes the field has and
    how many of the dividers between them were found."""

    keep: npt.NDArray[np.bool_]
    boxes: int
    dividers: int


def _on_pitch(
    covered: npt.NDArray[np.bool_], tall: npt.NDArray[np.bool_], *, leaning_alone: bool = False
) -> _OnPitch | None:
    """The verticals in ``covered`` on the field's regular pitch (see :func:`_dividers`), None when
    there is none inside the field. ``tall``: the columns full-height on their own, which say how
    wide a line is where it has any. ``leaning_alone``: whether ``covered`` holds lines without any
    (a stroke leaning beside a side is then no divider, however near the pitch puts it)."""
    width = len(covered)
    starts = np.flatnonzero(np.diff(np.concatenate([[0], covered.astype(np.int8)])) == 1)
    ends = np.flatnonzero(np.diff(np.concatenate([covered.astype(np.int8), [0]])) == -1) + 1
    centres = [(a + b) / 2.0 for a, b in zip(starts, ends, strict=True)]
    inner = [c for c in centres if 2 < c < width - 3]
    if not inner:
        return None
    # Gaps run from side to side through the full-height columns, the sides' centres at the ends
    # (a 2-px side's centre is 1 px in, as (start + end) / 2 counts it). Their 75th percentile
    # (a 1 standing in a box splits one gap in two) is made precise by averaging the gaps near
    # it, and says how many boxes the field spans; the pitch is the span over that many.
    # The pitch was the percentile alone, of gaps taken from the field's outermost pixels at its
    # ends: on a seed-47 form scanned at 150 dpi and read at half that, boxes 21.2 px wide measured
    # 22.0. Offsets drifted by 4% a box, and from the seventh divider of an 11-box field on,
    # over 0.2 off the pitch, the dividers stayed and read as 1s. Averaged, a field of 30 boxes
    # is counted right: the percentile alone miscounts one in three of 16 to 26 px boxes.
    reach = 2 + (DIVIDER_SPREAD if leaning_alone else 0)
    left = centres[0] if centres[0] <= reach else 1.0
    right = centres[-1] if centres[-1] >= width - 1 - reach else width - 1.0
    gaps = np.diff([left, *inner, right])
    rough_pitch = float(np.percentile(gaps, 75))
    if rough_pitch <= 0.0:
        # A field narrower than its sides' reach: one vertical is both of its sides.
        return None
    near = gaps[np.abs(gaps - rough_pitch) <= 0.25 * rough_pitch]
    if near.size:
        rough_pitch = float(near.mean())
    boxes = max(1, round((right - left) / rough_pitch))
    pitch = (right - left) / boxes
    keep = np.zeros(width, dtype=bool)
    dividers: set[int] = set()
    for (start, end), centre in zip(zip(starts, ends, strict=True), centres, strict=True):
        straight = np.flatnonzero(tall[start:end])
        if 2 < centre < width - 3:
            offset = (centre - left) / pitch
            index = round(offset)
            if abs(offset - index) > 0.2 or (leaning_alone and not straight.size and not 1 <= index < boxes):
                continue
            if 1 <= index < boxes:
                dividers.add(index)
        # The line and 2 px either side, as for the sides: a printed line is often 2-3 px thick
        # and only its fullest column passes as tall. A leaning line: the columns holding it.
        if straight.size:
            start, end = start + int(straight[0]), start + int(straight[-1]) + 1
        keep[max(0, start - 2) : end + 2] = True
    return _OnPitch(keep, boxes, len(dividers))


def _leaning_lines(upright: npt.NDArray[np.bool_], height: int) -> npt.NDArray[np.bool_]:
    """Columns where ``upright`` holds a vertical leaning across a few columns: LEANING_DIVIDER_HEIGHT
    of the ``height`` covered within DIVIDER_SPREAD columns either side."""
    spread = np.ones((1, 2 * DIVIDER_SPREAD + 1), np.uint8)
    covered = cv2.dilate(upright.astype(np.uint8), spread).sum(axis=0) >= LEANING_DIVIDER_HEIGHT * height
    return np.asarray(covered, dtype=bool)


def _frame_core(across: npt.NDArray[np.bool_], upright: npt.NDArray[np.bool_]) -> tuple[int, int, int, int]:
    """The box (x, y, w, h), within a frame candidate's own box, spanned by its top and bottom lines and its outer sides.

    ``across`` and ``upright`` are the candidate's pixels on horizontal and vertical runs.

    A digit written across a box's line joins the frame and sticks out of it; measured
    from the component's own bounds, the frame's top band would hold only the digit's
    tip and its sides would seem short. The top and bottom lines are the fullest rows
    of each half, the sides the outermost columns nearly as full as the fullest; each
    is widened to the neighbouring rows or columns its pixels still fill (a slight tilt).
    """
    h, w = across.shape
    rows = across.sum(axis=1)
    columns = upright.sum(axis=0)
    low, high = 0, h
    if h >= 4 and rows.any():
        low = _widen(rows, int(np.argmax(rows[: h // 2])), -1)
        high = _widen(rows, h // 2 + int(np.argmax(rows[h // 2 :])), 1) + 1
    start, stop = 0, w
    if w >= 4 and columns.any():
        # Outermost, not fullest: a comb field's dividers are as full as its sides.
        left_half, right_half = columns[: w // 2], columns[w // 2 :]
        if left_half.any():
            start = _widen(columns, int(np.argmax(left_half >= SIDE_SHARE * left_half.max())), -1)
        if right_half.any():
            stop = _widen(columns, w - 1 - int(np.argmax(right_half[::-1] >= SIDE_SHARE * right_half.max())), 1) + 1
    return start, low, stop - start, high - low


def _widen(profile: npt.NDArray[np.int64], peak: int, step: int) -> int:
    """From ``peak`` outwards (``step`` -1 or 1): one past the last index holding :data:`WIDEN_SHARE` of the peak's count."""
    floor = WIDEN_SHARE * profile[peak]
    index = peak
    while 0 <= index + step < len(profile) and profile[index + step] >= floor and profile[index + step] > 0:
        index += step
    # Plain ints: np.clip on one number costs more than the rest of the loop.
    return min(max(index + step, 0), len(profile) - 1)


def _frames(mask: Image, rules: Image, height: float, missed_in: tuple[Image, Image] | None = None) -> _Frames:
    """Printed boxes: straight strokes that close into a rectangle, with any dividers inside.

    ``missed_in``: when ``mask`` is the faint ink, the mask thresholded from it and the ink map;
    only printed boxes the mask's own search missed are taken (see :func:`_missed_box`).

    A box is a set of straight runs (at least 0.6 digit heights long) with a
    horizontal run along most of its top and bottom and a vertical run along most
    of its left and right side; "along" allows a few degrees of tilt, as photos
    have. Only those runs (and dividers spanning the box) go; a digit touching the
    frame gets its pixels back afterwards. A 1 or the bar of a 7 is straight too,
    but never closes a rectangle.
    """
    length = max(5, int(round(0.6 * height)))
    horizontal_runs = cv2.bitwise_or(long_runs(mask, length, horizontal=True), rules) > 0
    vertical_runs = long_runs(mask, length, horizontal=False) > 0
    segments = (horizontal_runs | vertical_runs).astype(np.uint8)
    count, labels, stats = label_components(segments)
    horizontal = np.zeros_like(mask)
    vertical = np.zeros_like(mask)
    grids: list[tuple[int, int, int, int]] = []
    boxes: list[tuple[int, int, int, int]] = []
    # The frame's core lies within the candidate's box, so a box already too small is skipped
    # (picked out at once: a photo's runs make thousands of pieces, and few are that large).
    large = np.minimum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]) >= MIN_BOX_SIDE * height
    large[0] = False
    for index in np.flatnonzero(large).tolist():
        x, y, w, h, _ = (int(v) for v in stats[index])
        whole = labels[y : y + h, x : x + w] == index
        whole_across = whole & horizontal_runs[y : y + h, x : x + w]
        whole_upright = whole & vertical_runs[y : y + h, x : x + w]
        dx, dy, w, h = _frame_core(whole_across, whole_upright)
        if min(w, h) < MIN_BOX_SIDE * height or h > 3.5 * height:
            continue
        x, y = x + dx, y + dy
        component = whole[dy : dy + h, dx : dx + w]
        across = whole_across[dy : dy + h, dx : dx + w]
        upright = whole_upright[dy : dy + h, dx : dx + w]
        edge_rows = max(2, int(round(0.25 * h)))
        edge_columns = max(2, int(round(min(0.25 * w, 0.6 * height))))
        top, bottom = across[:edge_rows], across[-edge_rows:]
        left = _side_line(upright, range(0, edge_columns))
        right = _side_line(upright, range(w - edge_columns, w))
        # Top and bottom along most of the width; each side one straight line along nearly all
        # the height (a digit's stem between two ruled lines is not that tall).
        if min(top.any(axis=0).mean(), bottom.any(axis=0).mean()) < 0.75:
            continue
        if left is None or right is None:
            continue
        # Printed boxes have square corners; a 0 or an O made of straightish strokes does not.
        corner = max(3, int(round(0.12 * min(w, h))))
        corners = (
            component[:corner, :corner],
            component[:corner, -corner:],
            component[-corner:, :corner],
            component[-corner:, -corner:],
        )
        if not all(patch.any() for patch in corners):
            continue
        # Only the printed line itself: a digit filling its box has flat strokes near the frame too.
        stretch = max(8, int(round(height)))
        frame_h = np.zeros_like(component)
        frame_h[:edge_rows] = _edge_line(top, stretch)
        frame_h[-edge_rows:] |= _edge_line(bottom, stretch)
        frame_v = left | right
        dividers = _dividers(upright, h)
        frame_v[:, dividers] |= upright[:, dividers]
        if missed_in is not None and not _missed_box(frame_h | frame_v, *missed_in, x, y):
            continue
        horizontal[y : y + h, x : x + w] |= frame_h.astype(np.uint8) * 255
        vertical[y : y + h, x : x + w] |= frame_v.astype(np.uint8) * 255
        inner = dividers[edge_columns:-edge_columns].astype(np.int8)
        cells = 1 + int(np.count_nonzero(np.diff(np.concatenate([[0], inner, [0]])) == 1))
        boxes.append((x, y, w, h))
        if cells >= 2:
            grids.append((x, y, w, h))
    return _Frames(horizontal, vertical, grids, boxes)


def _without_darker_strokes(frames: _Frames, ink: Image, level_percentile: float = FRAME_LEVEL_PERCENTILE) -> _Frames:
    """The frames less their pixels STROKE_OVER_RULE times darker than their frame (the
    ``level_percentile`` of its pixels): strokes along them."""
    framed = cv2.bitwise_or(frames.horizontal, frames.vertical)
    if not framed.any():
        return frames
    count, labels = cv2.connectedComponents(framed, connectivity=8, ltype=cv2.CV_32S)
    on_frame = framed > 0
    frame_of: npt.NDArray[np.int32] = np.asarray(labels, np.int32)[on_frame]
    values = ink[on_frame].astype(np.float64)
    (levels,) = percentiles_by_label(frame_of, values, count, (level_percentile,))
    strokes = np.zeros(framed.shape, np.uint8)
    strokes[on_frame] = values >= STROKE_OVER_RULE * levels[frame_of]
    if not strokes.any():
        return frames
    printed = cv2.bitwise_not(strokes * np.uint8(255))
    return replace(
        frames,
        horizontal=cv2.bitwise_and(frames.horizontal, printed),
        vertical=cv2.bitwise_and(frames.vertical, printed),
    )


def _with_faint_frames(
    frames: _Frames, mask: Image, ink: Image, lines: Image, height: float, *, photo: bool
) -> _Frames:
    """``frames`` and the boxes found in the faint ink that the mask holds only dashes of (see
    FAINT_FRAME_INK and FAINT_FRAME_LEVEL), less the strokes along them (see
    SCAN_FRAME_LEVEL_PERCENTILE), cut to the mask's pixels."""
    # The ink map is 8-bit (prepare.ink_map).
    faint_ink = cv2.bitwise_or(mask, cv2.threshold(ink, FAINT_FRAME_INK, 255, cv2.THRESH_BINARY)[1])
    # Strokes are told from the frame by the frame's own level, measured on its whole lines: the
    # mask holds mostly the strokes.
    level_percentile = FRAME_LEVEL_PERCENTILE if photo else SCAN_FRAME_LEVEL_PERCENTILE
    faint = _without_darker_strokes(_frames(faint_ink, lines, height, missed_in=(mask, ink)), ink, level_percentile)
    if not faint.grids and not faint.horizontal.any() and not faint.vertical.any():
        return frames
    # A field the mask's own search found in part is found again whole: its pixels are taken, but
    # it stays one field.
    new_grids = [grid for grid in faint.grids if not any(_overlaps(grid, known) for known in frames.grids)]
    new_boxes = [box for box in faint.boxes if not any(_overlaps(box, known) for known in frames.boxes)]
    return _Frames(
        cv2.bitwise_or(frames.horizontal, cv2.bitwise_and(faint.horizontal, mask)),
        cv2.bitwise_or(frames.vertical, cv2.bitwise_and(faint.vertical, mask)),
        frames.grids + new_grids,
        frames.boxes + new_boxes,
    )


def _without_line_edges(kept: Image, lines: Image, ink: Image) -> Image:
    """``kept`` less the ruled lines' own edges (see LINE_EDGE_REACH): its pieces lying wholly within
    LINE_EDGE_REACH px of ``lines`` and not STROKE_OVER_RULE times darker than the lines beside them."""
    x, y, w, h = cv2.boundingRect(lines)
    if w == 0:
        return kept
    # Only the box around the lines is looked at: the pieces lie within LINE_EDGE_REACH px of
    # it, the mask's pixels they touch one further, and the line pixels counted inside it.
    margin = LINE_EDGE_REACH + 1
    top, left = max(0, y - margin), max(0, x - margin)
    box = (slice(top, y + h + margin), slice(left, x + w + margin))
    ys, xs = _line_edge_pixels(kept[box], lines[box], ink[box])
    if ys.size == 0:
        return kept
    without = kept.copy()
    without[ys + top, xs + left] = 0
    return without


def _line_edge_pixels(kept: Image, lines: Image, ink: Image) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """Rows and columns of the pixels of :func:`_without_line_edges`'s pieces.

    Only the mask's pixels near the lines are labelled: a piece of them reaches farther exactly
    when it touches a pixel of the mask farther out.
    """
    none = np.zeros(0, np.int32)
    reach = 2 * LINE_EDGE_REACH + 1
    near_line = cv2.dilate(lines, np.ones((reach, reach), np.uint8))
    near = cv2.bitwise_and(kept, near_line)
    count, labels = cv2.connectedComponents(near, connectivity=8, ltype=cv2.CV_32S)
    if count <= 1:
        return none, none
    farther = cv2.bitwise_and(kept, cv2.bitwise_not(near_line))
    # cv2.findNonZero: a fifth of np.nonzero's time on a page-sized mask.
    points = cv2.findNonZero(near).reshape(-1, 2)
    xs, ys = points[:, 0], points[:, 1]
    piece = labels[ys, xs]
    reaching_out = np.zeros(count, dtype=bool)
    reaching_out[piece[cv2.dilate(farther, np.ones((3, 3), np.uint8))[ys, xs] > 0]] = True
    lying = ~reaching_out[piece]
    if not lying.any():
        return none, none
    ys, xs, piece = ys[lying], xs[lying], piece[lying]
    # The lines' level beside each pixel of those pieces: the mean ink of the line pixels within
    # LINE_EDGE_WINDOW px, from summed-area tables (a box sum is four lookups).
    half = LINE_EDGE_WINDOW // 2
    line_ink = cv2.integral(cv2.bitwise_and(ink, lines))
    line_count = cv2.integral((lines > 0).astype(np.uint8))
    top, bottom = np.maximum(ys - half, 0), np.minimum(ys + half + 1, kept.shape[0])
    left, right = np.maximum(xs - half, 0), np.minimum(xs + half + 1, kept.shape[1])

    def box_sums(table: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
        sums = table[bottom, right] - table[top, right] - table[bottom, left] + table[top, left]
        return np.asarray(sums, np.float64)

    level = box_sums(line_ink) / np.maximum(box_sums(line_count), 1.0)
    piece_ink = np.bincount(piece, weights=ink[ys, xs].astype(np.float64), minlength=count)
    line_level = np.bincount(piece, weights=level, minlength=count)
    # Sums over the same pixels: their ratio is that of the means.
    edge = (piece_ink < STROKE_OVER_RULE * line_level)[piece]
    return ys[edge], xs[edge]


def remove_rules(mask: Image, digit_height: float, ink: Image | None = None, photo: bool = False) -> RuleRemoval:
    """Strip ruled lines and box frames from ``mask``; ``digit_height`` is the typical digit height in px.

    ``ink``: the ink map ``mask`` was thresholded from; strokes darker than the rule they lie
    along or cross are kept, specks are not (see STROKE_OVER_RULE). Without it, every pixel of a
    rule's course goes.
    ``photo``: the mask is a photographed sheet's, whose rules are resampled (see LINE_EDGE_REACH):
    columns are also looked for leaning by COLUMN_TILTS. With ``ink``, strokes along a rule are
    also told by the ink summed across it, and the lines' own edges are taken out.
    With ``ink``, boxes are also looked for in the faint ink (FAINT_FRAME_INK, FAINT_FRAME_LEVEL):
    on photos, and on scans where the mask holds at least one box whole.
    """
    assert ink is None or ink.shape == mask.shape, "the ink map must lie pixel for pixel under the mask"
    height = max(8.0, digit_height)
    length = int(round(2.5 * height))
    ruled = _line_bands(_run_support(mask, length, horizontal=True), mask, height, ink, photo=photo)
    # Table columns and margins: the same, standing up.
    standing = np.ascontiguousarray(mask.T)
    # A view: only the pixels along rules are read from it.
    standing_ink = None if ink is None else ink.T
    standing_support = _tilted_run_support(standing, length, COLUMN_TILTS if photo else ())
    columns = np.ascontiguousarray(_line_bands(standing_support, standing, height, standing_ink, photo=photo).T)
    lines = cv2.bitwise_or(ruled, columns)
    frames = _frames(mask, lines, height)
    if ink is not None:
        frames = _without_darker_strokes(frames, ink)
        # A scan's light boxes leave some whole in the mask, found above (seed 163's form: 4 of 24),
        # and a scan whose mask holds none is not searched: that changed no reading over thirty-six
        # sets and the held-out two, and the sample pages' median went 87.1 -> 82.5 ms (read by
        # turns in one process, five rounds; 82.9 ms without the search on scans at all).
        if photo or frames.boxes:
            frames = _with_faint_frames(frames, mask, ink, lines, height, photo=photo)
    horizontal = cv2.bitwise_or(ruled, frames.horizontal)
    vertical = cv2.bitwise_or(columns, frames.vertical)
    rules = cv2.bitwise_or(horizontal, vertical)
    if not rules.any():
        return RuleRemoval(mask=mask, rules=rules, grids=[], boxes=[])
    kept = cv2.bitwise_and(mask, cv2.bitwise_not(rules))
    if ink is not None and photo:
        kept = _without_line_edges(kept, lines, ink)
    # Give back the rule pixels a stroke runs into: grow the strokes across the rules (up and down
    # into horizontal ones, sideways into vertical ones), never along them, by about a rule's
    # thickness. A digit sitting on a line keeps its foot, one written through a line stays whole,
    # and the line between the digits goes.
    reach = max(2, int(round(0.1 * height)) + 1)
    restored = np.zeros_like(mask)
    for rule, kernel in ((horizontal, np.ones((3, 1), np.uint8)), (vertical, np.ones((1, 3), np.uint8))):
        frontier = kept
        for _ in range(reach):
            frontier = cv2.bitwise_and(cv2.dilate(frontier, kernel), rule)
            restored = cv2.bitwise_or(restored, frontier)
    return RuleRemoval(mask=cv2.bitwise_or(kept, restored), rules=rules, grids=frames.grids, boxes=frames.boxes)
