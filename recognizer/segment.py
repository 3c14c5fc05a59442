"""Segmentation: from an ink mask to digit candidates arranged in text lines.

Connected components are the atoms. Specks, long strokes and blobs are
dropped; the pieces of a broken digit (a 5 whose top bar came loose, a 4 drawn
in two strokes) are joined when they stack within one digit's width; atoms
are chained into text lines left to right, tolerating skewed or slanted
numbers (a number written at a steep angle is a line of its own, gathered into its
row by :func:`recognizer.group.rows`). Touching digits are split later, by :mod:`recognizer.decode`, where
the classifier can judge each cut.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

__all__ = [
    "Atom",
    "Components",
    "HeightEstimate",
    "build_atoms",
    "chain_lines",
    "estimate_digit_height",
    "estimate_digit_height_and_support",
    "find_components",
    "find_stripes",
    "ink_share_of_tall",
    "label_components",
    "line_slope",
    "lone_stroke_height",
    "settled_height",
]

# OpenCV images: uint8 in practice; typed loosely because cv2 returns untyped arrays.
Image = npt.NDArray[Any]
MIN_DIGIT_HEIGHT = 7
MIN_RELATIVE_HEIGHT = 0.5
# Atoms at least this tall (in digit heights) are whole digits: their centres mark a line's course.
ANCHOR_HEIGHT = 0.75
CLUSTER_SUPPORT = 3
# A cluster of heights: those from this share of a height to this many times it.
CLUSTER_LOW = 0.75
CLUSTER_HIGH = 1.33
# A digit at most this many digit heights right of a line's last digit is that number's next digit.
NEXT_DIGIT_GAP = 0.3
# ... and its centre may lie this many digit heights above or below the last digit's (a line's
# next atom, 0.5 of its course). A number on a note lying 25 degrees from the page the skew was
# measured on steps more than half a height from one digit to the next. Errors on both sets:
# 1,135 -> 1,127 (sticky notes 52 -> 46, nothing worse; 0.65: 1,126, one angled photo +1; 0.7: 1,140).
NEXT_DIGIT_STEP = 0.6
# A line whose course, fitted through its last whole digits, runs steeper than this (19 degrees,
# once the page's skew is taken out) is one number written at its own angle, not a line's course:
# it takes no atom past a gap of NEXT_NUMBER_GAP digit heights from its rightmost ink (numbers
# stand a height or more apart, group.NUMBER_GAP, which counts a 1 as half a height wide; a spaced
# 1 of the same number was seen half a height off, box to box). Followed on, a number running
# downhill led its line into the row below, to that row's next number; numbers side by
# side, each at its own angle, are gathered into rows afterwards (group.rows). Over the eight
# sets, with the close digit first (see _chain): 3,425 -> 3,368 errors (numbers at an angle 259 ->
# 204). At 0.3, 3,373: a page whose skew went unmeasured (a hard shadow across it outweighed its
# rows, which run at 0.33) had its rows broken up. NEXT_NUMBER_GAP at 0.6 or 1.2 reads the same.
STEEP_COURSE = 0.35
NEXT_NUMBER_GAP = 0.8
# Steps the height estimate may take from the tallest cluster towards the bulk of the digits.
SETTLE_STEPS = 6
# A pen stroke (or an inked-in loop) is at most this share of the digit height; a dot is all of it.
MAX_STROKE_SHARE = 0.6
# A shape whose stroke is thicker than that (for its own height, or half a digit's) is kept only
# as a piece of a broken digit (joined by _join_broken), never alone. It used to be dropped
# before the pieces were joined, and a digit written with a broad or smudged pen and broken in two
# lost its thicker piece: the bottom of a pencil 2, 18 x 13 px with a stroke of 8 px where the pen
# was 6.6 and the digits 25 tall, went, its top was too small to stand alone, and "7742" read
# "774". Of the numbers read with one digit missing, that digit was the first in 451 of 1,141;
# many of those first digits were faint or broken. Errors over the twenty-one sets: 8,389 ->
# 8,161 (208 pictures better by 247, 17 worse by 19; every kind better but tiny cheques, +1).
# Kept alone as well, as long as their stroke was at most 2 pens thick: 8,168, but tiny cheques
# 361 -> 400 (a bank's blurred bold "USD" read as 450); held to 1.6 or 3 pens as pieces: 8,244 /
# 8,162.
# Ink covering more of its box than this is a blob; a heavily inked 8 or 0 with filled loops still covers less.
MAX_FILL = 0.85
# A digit's ink per row is at least about a stroke, a twentieth of its height; a hairline's far less.
MIN_INK_PER_ROW = 0.05
# A shape taller than this share of the picture is a sheet's outline, a shadow or the desk, unless
# it is under TALL_SHARE of it and covers at least TALL_MIN_FILL of its box: a number held close
# to a camera (a digit covers a sixth of its box or more; a sheet's outline a fifteenth).
MAX_DIGIT_SHARE = 0.4
TALL_SHARE = 0.9
TALL_MIN_FILL = 0.12
# Nor does a shape that encloses almost nothing: a table's grid, slanted on a photo, falls apart at
# the writing into corners, tees and crosses, taller than the digits and 6-9% of their box. Digits
# cover 15% of theirs or more (the sets read the same with every shape under 18% left out; a thin
# pen's 7 can come near a tenth).
MIN_FILL = 0.1
# A piece of a broken digit lies at most this many digit heights to the side of the rest of it.
BESIDE_GAP = 0.3
# Printed words (see _printed_words): letters under WORD_LETTER_HEIGHT digit heights (or under
# WORD_TALL_LETTER, below), at most WORD_LETTER_GAP apart (overlapping by up to WORD_OVERLAP:
# italic or kerned print), at least WORD_MIN_LETTERS in a row, under half of them within
# RULE_REACH px of a removed rule.
WORD_LETTER_HEIGHT = 0.6
# Capitals, ascenders and descenders stand taller than a word's other letters: in a word of which
# at least half the letters are under WORD_LETTER_HEIGHT, letters up to WORD_TALL_LETTER count too.
# Before, each such letter ended the word, and a title whose capitals and ascenders stood 0.75 of
# a digit tall split into runs too short to be words, read as digits (Sample register as 38111113
# 13813131). Errors over the samples and three seed-7 sets (788 pictures): 3,686 -> 3,598 (1.0:
# 3,644; a word's median height under WORD_LETTER_HEIGHT instead: 3,600). The price: a shape up to
# WORD_TALL_LETTER tall close beside a word (a small digit written right after a label) may be taken
# into it. Six pictures of the four sets lost 1-3 characters each (11 in all; 99 gained elsewhere).
WORD_TALL_LETTER = 0.8
WORD_LETTER_GAP = 0.15
WORD_OVERLAP = 0.05
WORD_MIN_LETTERS = 3
RULE_REACH = 2
# An upright line whose thickest point is under this share of the page's pen was printed, not
# written: the sides and dividers of form boxes in a light ink whose top and bottom lines did not
# survive the threshold (so no frame closes), read as 1s. Handwritten 1s measure half the pen or more.
HAIRLINE_SHARE = 0.42
# ... or whose ink per row is under this share of the pen (a written 1 holds about 0.6 of it).
HAIRLINE_INK_SHARE = 0.3
# Stripes (see find_stripes): at least MIN_STRIPES straight bands, each BAND_ELONGATION times as
# long as it is wide and filling BAND_FILL of that length times width, within STRIPE_ANGLE degrees
# of one direction, their median height BAND_TALLER times the digits' measured without them.
# Four striped-cloth photos of the seed-11 and seed-13 sets: 117 -> 1, 23 -> 0, 20 -> 2 and 18 -> 16
# errors; no other picture of the samples and the seed-7, 11 and 13 sets changed. BAND_TALLER 1.75
# to 2.0 read the same; 1.5 took a printed page's ascenders for stripes (a sticky note on a page of
# print: 7 -> 14 errors), 2.5 lost two of the photos. MIN_STRIPES 4 read the same, 10 lost three.
MIN_STRIPES = 6
STRIPE_ANGLE = 6.0
BAND_ELONGATION = 4.0
BAND_FILL = 0.8
BAND_TALLER = 1.75
# Of such a set, the bands taller than this many digit heights are cleared (the digits' cluster
# reaches 1.33: see estimate_digit_height). 1.0 read the same, 1.75 lost 2 characters.
STRIPE_ABOVE_DIGITS = 1.33


@dataclass(frozen=True)
class Components:
    labels: npt.NDArray[np.int32]
    stats: npt.NDArray[np.int32]
    count: int

    @cached_property
    def stroke_widths(self) -> npt.NDArray[np.float32]:
        """The thickest stroke of each component (twice its largest distance to the background).

        Cached: several stages ask for it, and the distance transform is a pass over the whole page.
        """
        inked = self.labels > 0
        distance = cv2.distanceTransform(inked.astype(np.uint8), cv2.DIST_L2, 3)
        widths = np.zeros(self.count, dtype=np.float32)
        np.maximum.at(widths, self.labels[inked], distance[inked])
        return 2.0 * widths


@dataclass(frozen=True)
class Atom:
    """One or more connected components that together look like one or more digits."""

    ids: tuple[int, ...]
    x: int
    y: int
    w: int
    h: int
    area: int

    @property
    def centre_y(self) -> float:
        return self.y + self.h / 2.0

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    def merged(self, other: Atom) -> Atom:
        left, top = min(self.x, other.x), min(self.y, other.y)
        right, bottom = max(self.right, other.right), max(self.bottom, other.bottom)
        return Atom(self.ids + other.ids, left, top, right - left, bottom - top, self.area + other.area)


def label_components(mask: Image) -> tuple[int, npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """The 8-connected components of ``mask``: their count, label image and statistics.

    Grana's block-based algorithm (BBDT) gives exactly the labels of OpenCV's default one and
    measured here takes 0.75 ms instead of 1.7 ms for the statistics of a 640x360 mask on one
    thread (each of the service's reader processes runs one), and the same time on two.
    """
    count, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(mask, 8, cv2.CV_32S, cv2.CCL_BBDT)
    return int(count), np.asarray(labels, np.int32), np.asarray(stats, np.int32)


def find_components(mask: Image) -> Components:
    count, labels, stats = label_components(mask)
    return Components(labels=labels, stats=stats, count=count)


def _sizes(components: Components) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Each component's height, width and area (the background left out)."""
    stats = components.stats[1:].astype(np.float64)
    return stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_AREA]


def ink_share_of_tall(components: Components, height: float) -> float:
    """The share of the ink (every component's pixels) in components at least ``height`` tall."""
    heights, _, areas = _sizes(components)
    total = float(areas.sum())
    return float(areas[heights >= height].sum()) / total if total else 0.0


def estimate_digit_height(
    components: Components,
    image_height: int,
    ignore: npt.NDArray[np.bool_] | None = None,
    edge: Image | None = None,
) -> float:
    """The height of the handwriting: the tallest cluster of at least three digit-like components.

    Print near the numbers (labels, a page under a sticky note) often outnumbers
    the digits a hundred to one, so a median would measure the print. Handwritten
    digits are the largest repeated shapes on the page: start from the tallest height
    shared (within a factor 1.33) by three or more components, then settle on the
    middle of the heights around it. Returns 0 when
    nothing looks like a digit. Components flagged in ``ignore`` do not count. ``edge``: where
    the picture's edge runs inside a turned mask (geometry.picture_edge), if it was turned.
    """
    return estimate_digit_height_and_support(components, image_height, ignore, edge).height


@dataclass(frozen=True)
class HeightEstimate:
    """The handwriting's height (0 when nothing looks like a digit) and its support: how many
    digit-like components are within its cluster (CLUSTER_LOW to CLUSTER_HIGH times it). Where no
    three components cluster, the height is their median and the support may be under three."""

    height: float
    support: int


def estimate_digit_height_and_support(
    components: Components,
    image_height: int,
    ignore: npt.NDArray[np.bool_] | None = None,
    edge: Image | None = None,
) -> HeightEstimate:
    """:func:`estimate_digit_height`, with how many components bear it out."""
    if len(components.stats) <= 1:
        return HeightEstimate(0.0, 0)
    plausible = _plausible(components, image_height, ignore)
    all_heights = _sizes(components)[0]
    # A shape the picture's edge cuts through is no measure of anything (see _cut_by_edge): the
    # shapes inside are measured alone when CLUSTER_SUPPORT of them bear out a height.
    inside = plausible & ~_cut_by_edge(components, edge)
    if np.count_nonzero(inside) < np.count_nonzero(plausible):
        inside_estimate = _cluster_estimate(all_heights[inside])
        if inside_estimate.support >= CLUSTER_SUPPORT:
            return inside_estimate
    return _cluster_estimate(all_heights[plausible])


def _cluster_estimate(heights: npt.NDArray[np.float64]) -> HeightEstimate:
    """The tallest cluster's height among ``heights`` (see _cluster_height) and how many bear it out."""
    height = _cluster_height(heights)
    return HeightEstimate(height, _cluster_members(heights, height).size if height else 0)


def _cut_by_edge(components: Components, edge: Image | None = None) -> npt.NDArray[np.bool_]:
    """Which components (the background left out) touch the edge of the image they were found in,
    or ``edge``, the picture's edge inside a turned mask.

    Components are found in the box around the ink with a pixel to spare (or in a mask cropped
    with a margin), so only a shape the picture's own edge cuts through touches it: a half digit,
    which the reading drops, or the desk beyond a sheet that runs off the picture. Two stripes of
    a cloth cut so, with one bold digit, were the tallest three shapes of like height on a form
    (seed 29): the digits were measured at 37 px for 16, and eight numbers read as one `6`. They
    count towards the height only when the shapes inside bear out no height of their own (fewer
    than CLUSTER_SUPPORT of like height: a picture cropped tight around a field's digits). A small
    picture that is paper to its edges is set in a margin first, and never has such shapes.
    Errors over the samples and the seed-7 to 29 sets: 3,551 -> 3,519 (two photos changed, both
    better); the seed-31, 37 and 41 sets, made after the choice, read the same but for one photo 4
    better.

    Once a picture is straightened its edge is a slanted line inside the turned mask (``edge``),
    which the shapes it cuts touch instead. Until that was told, four stripes of a cloth cut by the
    top of a photo turned by 11 degrees measured the layout's digits at 65 px for 28, and the
    photo's 49 digits read as nothing (seed 47).
    """
    stats = components.stats[1:]
    rows, columns = components.labels.shape
    x, y = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    right, bottom = x + stats[:, cv2.CC_STAT_WIDTH], y + stats[:, cv2.CC_STAT_HEIGHT]
    cut = np.asarray((x == 0) | (y == 0) | (right == columns) | (bottom == rows))
    if edge is not None:
        touching = np.zeros(components.count, np.bool_)
        touching[components.labels[edge > 0]] = True
        cut |= touching[1:]
    return cut


def _cluster_members(heights: npt.NDArray[np.float64], centre: float) -> npt.NDArray[np.float64]:
    """The ``heights`` in the cluster around ``centre``: CLUSTER_LOW to CLUSTER_HIGH times it."""
    return heights[(heights >= CLUSTER_LOW * centre) & (heights <= CLUSTER_HIGH * centre)]


def settled_height(first: HeightEstimate, again: HeightEstimate) -> float:
    """The digits' height, from ``first`` and from ``again``, measured once long runs are stripped:
    ``again`` (digits joined to a rule or a box are one shape with it, and stand alone once it is
    gone), but ``first`` if nothing was found again, or if ``again`` is another, taller cluster
    (beyond CLUSTER_HIGH times ``first``) that no more shapes bear out than bore out ``first``.

    Stripping a line frees the humps of a scribble standing on it (a cheque's signature, its payee's
    name): a few shapes twice as tall as the date's and the amount's digits. Digits freed from a
    form's rules and boxes outnumber the print the first height was measured on: on the seven sets,
    of 126 heights measured over 1.3 times taller the second time, the 79 nearer the truth's were
    all borne out by more shapes than the first; of the 47 farther, 37 by fewer (taking a second
    height borne out by as many as well, measured before the window: 3,130 errors against 3,124). A form whose print outnumbers the digits freed
    from its rules is measured on its print: none of those sets has one.
    """
    if not again.height:
        return first.height
    if again.height > CLUSTER_HIGH * first.height and again.support <= first.support:
        return first.height
    return again.height


def _cluster_height(heights: npt.NDArray[np.float64]) -> float:
    """The tallest cluster's height among ``heights`` (see estimate_digit_height), 0 if none."""
    chosen = np.sort(heights)[::-1]
    if chosen.size == 0:
        return 0.0
    for height in np.unique(chosen)[::-1]:
        members = _cluster_members(chosen, height)
        if members.size >= CLUSTER_SUPPORT:
            return _settle(chosen, float(np.median(members)))
    return float(np.median(chosen))


def _plausible(
    components: Components, image_height: int, ignore: npt.NDArray[np.bool_] | None
) -> npt.NDArray[np.bool_]:
    """Which components (the background left out) could be digits whose height says how tall digits are."""
    heights, widths, areas = _sizes(components)
    plausible = (
        (heights >= MIN_DIGIT_HEIGHT)
        & (
            (heights <= MAX_DIGIT_SHARE * image_height)
            | ((heights <= TALL_SHARE * image_height) & (areas >= TALL_MIN_FILL * heights * widths))
        )
        & (heights >= 0.6 * widths)
        # Thin upright shapes are 1s, rules or texture (wood grain): they do not say how tall digits are.
        & (heights <= 3.5 * widths)
        # Filled blobs (stamps, shadows, logos) are not handwriting, nor are a grid's hollow corners.
        & (areas <= 0.75 * heights * widths)
        & (areas >= MIN_FILL * heights * widths)
        # Nor are bands far thicker than a pen stroke (a striped desk, a bar code).
        & (components.stroke_widths[1:] <= MAX_STROKE_SHARE * heights)
        # Nor long hairlines: a ruled line cut into pieces, slanted on a photo taken at an angle.
        & (areas >= MIN_INK_PER_ROW * heights * heights)
    )
    if ignore is not None:
        plausible &= ~ignore[1:]
    return plausible


def find_stripes(
    components: Components, image_height: int, ignore: npt.NDArray[np.bool_] | None = None
) -> npt.NDArray[np.bool_]:
    """Which components (index 0, the background, never) are the stripes of a striped cloth the
    paper was taken to hold: at least MIN_STRIPES straight bands within STRIPE_ANGLE of one
    direction, BAND_TALLER times as tall as the digits measured without them, or more.

    Where the cloth between its stripes is as light and smooth as the sheet, the paper found can
    take it in, and its stripes are thresholded as ink: pen-wide, parallel and taller than the
    digits, they are the largest repeated shapes, and the digits' height was measured on them (113
    px at half resolution on a photo whose digits measure 26). A printed page's ascenders (l, d, b)
    are straight and parallel too, but not so much taller than its other letters.
    """
    stripes = np.zeros(components.count, dtype=bool)
    if components.count <= MIN_STRIPES:
        return stripes
    plausible = _plausible(components, image_height, ignore)
    bands = _parallel_bands(components, plausible)
    if not bands.any():
        return stripes
    heights = _sizes(components)[0]
    without = _cluster_height(heights[plausible & ~bands])
    if without > 0.0 and float(np.median(heights[bands])) >= BAND_TALLER * without:
        # Only the bands taller than the digits: a slanted 1 lying along the stripes stays.
        stripes[1:] = bands & (heights > STRIPE_ABOVE_DIGITS * without)
    return stripes


def _parallel_bands(components: Components, among: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """The largest set of straight bands ``among`` the components (background left out) within
    STRIPE_ANGLE of one direction, if it holds MIN_STRIPES or more; none otherwise.

    A band's length, width and direction come from its second moments: a straight band of length
    L and width W has variances L^2/12 along it and W^2/12 across.
    """
    bands = np.zeros(among.shape, dtype=bool)
    directions = np.zeros(among.shape, dtype=np.float64)
    for index in np.flatnonzero(among):
        x, y, w, h, area = (int(v) for v in components.stats[index + 1])
        moments = cv2.moments((components.labels[y : y + h, x : x + w] == index + 1).astype(np.uint8), True)
        mu20, mu02, mu11 = moments["mu20"] / area, moments["mu02"] / area, moments["mu11"] / area
        spread = math.hypot((mu20 - mu02) / 2.0, mu11)
        length = math.sqrt(12.0 * ((mu20 + mu02) / 2.0 + spread))
        width = math.sqrt(12.0 * max((mu20 + mu02) / 2.0 - spread, 1e-6))
        bands[index] = length >= BAND_ELONGATION * width and area >= BAND_FILL * length * width
        directions[index] = math.degrees(0.5 * math.atan2(2.0 * mu11, mu20 - mu02)) % 180.0
    found = np.flatnonzero(bands)
    best = np.zeros(among.shape, dtype=bool)
    for index in found:
        apart = np.abs(directions[found] - directions[index]) % 180.0
        near = found[np.minimum(apart, 180.0 - apart) <= STRIPE_ANGLE]
        if near.size > np.count_nonzero(best):
            best[:] = False
            best[near] = True
    return best if np.count_nonzero(best) >= MIN_STRIPES else np.zeros(among.shape, dtype=bool)


def lone_stroke_height(components: Components, above: float = 0.0) -> float:
    """The height of the tallest upright pen stroke (a 1) taller than ``above``; 0 if none.

    For a picture whose digits' height says nothing of it (estimate_digit_height leaves thin
    upright shapes out): hairlines and bands still do not count.
    """
    if len(components.stats) <= 1:
        return 0.0
    heights, widths, areas = _sizes(components)
    # The size tests first: the stroke widths are a distance transform over the whole mask.
    sized = (heights >= MIN_DIGIT_HEIGHT) & (heights > above) & (heights > 3.5 * widths)
    sized &= areas >= MIN_INK_PER_ROW * heights * heights
    if not sized.any():
        return 0.0
    strokes = sized & (components.stroke_widths[1:] <= MAX_STROKE_SHARE * heights)
    return float(heights[strokes].max()) if strokes.any() else 0.0


def _settle(heights: npt.NDArray[np.float64], start: float) -> float:
    """Move from the tallest cluster's median to the middle of the handwriting's heights.

    Found from the top, the cluster's median leans to the tallest digits (a 7 with a
    long stem, a digit joined to a box's stub); a few steps of the median within the
    same window settle on the bulk of the digits, and stop short of smaller print.
    """
    centre = start
    for _ in range(SETTLE_STEPS):
        members = _cluster_members(heights, centre)
        moved = float(np.median(members))
        if abs(moved - centre) < 0.5:
            return moved
        centre = moved
    return centre


def build_atoms(components: Components, digit_height: float, rules: Image | None = None) -> list[Atom]:
    """Drop what cannot be a digit and join the pieces of broken digits.

    ``rules``: the pixels of the rules and boxes removed from the mask, if any (see :func:`_printed_words`).
    """
    height = max(float(MIN_DIGIT_HEIGHT), digit_height)
    strokes = components.stroke_widths
    pen = _pen_width(components, height)
    # Judged in arrays over all components at once: a page has hundreds, most of them specks.
    stats = components.stats.astype(np.int64)
    w, h, area = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_AREA]
    dropped = (
        # a printed hairline: the side of a faint form box, a table rule
        _hairlines(w, h, area, strokes.astype(np.float64), pen, height)
        # larger than any digit here, or a speck
        | (h > 3.0 * height)
        | ((h < 0.25 * height) & (w < 0.25 * height))
        # a flat stroke: an underline or the stub of a rule
        | ((h < 0.3 * height) & (w > 1.5 * height))
        # a thin upright stroke twice a digit's height: the edge of a sheet, a margin line
        | ((w < 0.35 * h) & (h > 1.8 * height))
        # a filled blob: a logo, a stamp, a shadow
        | ((area > MAX_FILL * w * h) & (h > 0.5 * height) & (w > 0.5 * height))
    )
    # A dot, a band or a blob: a stroke far thicker than a pen's for the shape's height (compared in
    # float32, the stroke widths' own precision, as each width used to be compared alone). Alone it
    # is no digit, but it may be a piece of one (see MAX_STROKE_SHARE).
    thick = (strokes > (MAX_STROKE_SHARE * np.maximum(h, 0.5 * height)).astype(np.float32)) & (h > 0.3 * height)
    dropped[0] = True  # the background
    atoms = [Atom((index,), *(int(v) for v in stats[index, :5])) for index in np.flatnonzero(~dropped).tolist()]
    words = _printed_words(atoms, height, rules)
    joined = _join_broken([atom for index, atom in enumerate(atoms) if index not in words], height)
    joined = [atom for atom in joined if len(atom.ids) > 1 or not thick[atom.ids[0]]]
    # Digits are written at about one size; what stays under half of it once broken pieces
    # are joined is print, punctuation or a stray mark, unless it sits right beside a digit-sized
    # atom: then it may be a loose piece of that digit, and the decoder decides.
    full = [atom for atom in joined if atom.h >= MIN_RELATIVE_HEIGHT * height]
    beside = _Beside(full, height)
    pieces = [atom for atom in joined if atom.h < MIN_RELATIVE_HEIGHT * height and beside.any(atom)]
    return sorted(full + pieces, key=lambda a: a.x)


def _printed_words(atoms: list[Atom], height: float, rules: Image | None) -> set[int]:
    """Indices of the atoms that are letters of printed words: a form's labels, a note's printed heading.

    Letters are small (under WORD_LETTER_HEIGHT digit heights, or under WORD_TALL_LETTER when at
    least half the word's letters are that small) and stand side by side, each under
    WORD_LETTER_GAP after the last; WORD_MIN_LETTERS of them in a row are a word. Left in, a label
    just over a field joins the digit under it as its loose top, and small print beside digits
    reads as digits. The tops of digits written over a box's top edge stand in a row like letters
    once the edge is removed, but each touches where it was: a row of which half or more touch
    ``rules`` is no word (a line of print may start at a rule: the edge of a printed page).
    """
    letter_sized = sorted(
        (i for i, atom in enumerate(atoms) if atom.h < WORD_TALL_LETTER * height), key=lambda i: atoms[i].x
    )
    lefts = [atoms[i].x for i in letter_sized]
    taken: set[int] = set()
    words: set[int] = set()
    for start in letter_sized:
        if start in taken:
            continue
        word = [start]
        taken.add(start)
        while True:
            last = atoms[word[-1]]
            first = bisect.bisect_left(lefts, last.right - WORD_OVERLAP * height)
            end = bisect.bisect_right(lefts, last.right + WORD_LETTER_GAP * height)
            following = next(
                (
                    letter_sized[k]
                    for k in range(first, end)
                    if letter_sized[k] not in taken and _side_by_side(atoms[letter_sized[k]], last)
                ),
                None,
            )
            if following is None:
                break
            word.append(following)
            taken.add(following)
        short = sum(atoms[i].h < WORD_LETTER_HEIGHT * height for i in word)
        touching = sum(_touches(atoms[i], rules) for i in word)
        if len(word) >= WORD_MIN_LETTERS and 2 * short >= len(word) and 2 * touching < len(word):
            words.update(word)
    return words


def _side_by_side(letter: Atom, other: Atom) -> bool:
    """Whether two small shapes share at least half the height of the shorter: letters on one line."""
    return min(letter.bottom, other.bottom) - max(letter.y, other.y) >= 0.5 * min(letter.h, other.h)


def _touches(atom: Atom, rules: Image | None) -> bool:
    if rules is None:
        return False
    top, left = max(0, atom.y - RULE_REACH), max(0, atom.x - RULE_REACH)
    return bool(rules[top : atom.bottom + RULE_REACH, left : atom.right + RULE_REACH].any())


def _hairlines(
    w: npt.NDArray[np.int64],
    h: npt.NDArray[np.int64],
    area: npt.NDArray[np.int64],
    stroke: npt.NDArray[np.float64],
    pen: float,
    height: float,
) -> npt.NDArray[np.bool_]:
    """Upright single lines (one stroke's ink per row, no loop or bend) far thinner than the pen."""
    upright_line = (w <= 0.4 * h) & (area <= stroke * h)
    # Thin at its thickest point, or thin on average: on a photo, grain and blur leave a printed
    # hairline a few pixels wide here and there, while it holds a pixel or two of ink per row.
    thin = (stroke < HAIRLINE_SHARE * pen) | (area < HAIRLINE_INK_SHARE * pen * h)
    # A box's side is a digit tall or more; a shorter thin stroke may be a piece of a faint broken digit.
    return upright_line & (h >= ANCHOR_HEIGHT * height) & thin


def _pen_width(components: Components, height: float) -> float:
    """The thickest stroke of a typical digit here (median over digit-sized, not thin, components); 0 if none."""
    stats = components.stats[1:]
    heights = stats[:, cv2.CC_STAT_HEIGHT]
    widths = stats[:, cv2.CC_STAT_WIDTH]
    # Thin upright shapes are left out: they are 1s or the very hairlines this is measured against.
    digit_sized = (heights >= ANCHOR_HEIGHT * height) & (heights <= 1.5 * height) & (widths >= 0.4 * heights)
    if not digit_sized.any():
        return 0.0
    return float(np.median(components.stroke_widths[1:][digit_sized]))


def _beside(piece: Atom, atom: Atom, height: float) -> bool:
    horizontal_gap = max(piece.x, atom.x) - min(piece.right, atom.right)
    vertical_overlap = min(piece.bottom, atom.bottom) - max(piece.y, atom.y)
    return horizontal_gap <= BESIDE_GAP * height and vertical_overlap > -0.2 * height


class _Beside:
    """The atoms a piece sits beside (:func:`_beside`), looked up by position.

    A page has hundreds of atoms and pieces; testing each piece against every atom
    was a few milliseconds per photo. Atoms are sorted by their left edge, so only
    those starting within reach of the piece (the widest atom's width, plus the gap) are tested.
    """

    def __init__(self, atoms: list[Atom], height: float) -> None:
        self.atoms = sorted(atoms, key=lambda atom: atom.x)
        self.lefts = [atom.x for atom in self.atoms]
        self.widest = max((atom.w for atom in atoms), default=0)
        self.height = height

    def all(self, piece: Atom) -> list[Atom]:
        reach = BESIDE_GAP * self.height
        first = bisect.bisect_left(self.lefts, piece.x - reach - self.widest)
        last = bisect.bisect_right(self.lefts, piece.right + reach)
        return [atom for atom in self.atoms[first:last] if _beside(piece, atom, self.height)]

    def any(self, piece: Atom) -> bool:
        return bool(self.all(piece))


def _join_broken(atoms: list[Atom], height: float) -> list[Atom]:
    """Merge atoms stacked within one digit: overlapping columns, a small vertical gap, one digit tall."""
    atoms = sorted(atoms, key=lambda a: a.x)
    parent = list(range(len(atoms)))
    groups = list(atoms)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, first in enumerate(atoms):
        for j in range(i + 1, len(atoms)):
            second = atoms[j]
            if second.x > first.right:
                break
            if not _pieces_of_one_digit(first, second, height):
                continue
            a, b = root(i), root(j)
            if a == b:
                continue
            merged = groups[a].merged(groups[b])
            if merged.h <= 1.5 * height and merged.w <= 1.2 * height:
                parent[b] = a
                groups[a] = merged
    return sorted((groups[i] for i in range(len(atoms)) if root(i) == i), key=lambda a: a.x)


def _pieces_of_one_digit(first: Atom, second: Atom, height: float) -> bool:
    overlap = min(first.right, second.right) - max(first.x, second.x)
    narrower = min(first.w, second.w)
    gap = max(first.y, second.y) - min(first.bottom, second.bottom)
    if overlap < 0.5 * narrower or gap >= 0.35 * height:
        return False
    # Two full-size digits side by side overlap little; a loose stroke is small or mostly covered.
    small = min(first.h, second.h) < 0.6 * height or min(first.area, second.area) < 0.3 * max(first.area, second.area)
    return small or overlap >= 0.8 * narrower


class _LineBuilder:
    """A text line being chained, with a cached fit of the centres of its recent whole digits."""

    def __init__(self, atom: Atom, height: float) -> None:
        self.atoms = [atom]
        self.height = height
        # Only whole digits say where the line runs: the centre of a broken digit's lower half
        # (or of a 1's stub) sits well off it, and a slope fitted through it points the line away.
        self._anchors = [atom] if atom.h >= ANCHOR_HEIGHT * height else []
        self._fit: tuple[float, float, float] | None = None
        # The rightmost column the line reaches: its last atom may lie inside a wide one before it.
        self.right = atom.right

    def append(self, atom: Atom) -> None:
        self.atoms.append(atom)
        self.right = max(self.right, atom.right)
        if atom.h < ANCHOR_HEIGHT * self.height:
            return
        self._anchors.append(atom)
        self._fit = _fit_centres(self._anchors[-8:], self.height)

    @property
    def steep(self) -> bool:
        """Whether the line runs as one number written at its own angle does (see STEEP_COURSE)."""
        return self._fit is not None and abs(self._fit[0]) >= STEEP_COURSE

    def predicted_centre_y(self, x: float) -> float:
        if self._fit is None:
            return (self._anchors or self.atoms)[-1].centre_y
        slope, x_mean, y_mean = self._fit
        return y_mean + slope * (x - x_mean)


def _fit_centres(anchors: list[Atom], height: float) -> tuple[float, float, float] | None:
    """The straight line through the centres of whole digits: (slope, mean x, mean y), the slope
    capped at 0.5 either way; None for fewer than three digits or a span under two digit heights.

    The slope is only trusted over a span of two digit heights: two neighbouring digits of
    different sizes would otherwise tilt the line by tens of degrees.
    """
    xs = np.array([a.x + a.w / 2.0 for a in anchors])
    if len(anchors) < 3 or xs.max() - xs.min() < 2.0 * height:
        return None
    ys = np.array([a.centre_y for a in anchors])
    x_mean, y_mean = float(xs.mean()), float(ys.mean())
    slope = float(((xs - x_mean) * (ys - y_mean)).sum() / ((xs - x_mean) ** 2).sum())
    return float(np.clip(slope, -0.5, 0.5)), x_mean, y_mean


def line_slope(line: list[Atom], height: float) -> float | None:
    """How steeply a chained line runs (rows per column, down to the right), fitted through the
    centres of its whole digits as chaining fits them (see :func:`_fit_centres`: capped at 0.5,
    None for under three whole digits or a span under two digit heights)."""
    fit = _fit_centres([atom for atom in line if atom.h >= ANCHOR_HEIGHT * height], height)
    return None if fit is None else fit[0]


def chain_lines(atoms: list[Atom], digit_height: float) -> list[list[Atom]]:
    """Chain atoms left to right into text lines; a line follows its own slope, unless that is
    one number's, written at a steep angle (see STEEP_COURSE).

    Digit-sized atoms are chained first: a loose piece of a broken digit sits off
    the line's centre and would tilt its fit, or start a line of its own that then
    takes the next digits. Each piece then joins the line of the digit it sits beside.
    """
    height = max(float(MIN_DIGIT_HEIGHT), digit_height)
    full = [atom for atom in atoms if atom.h >= MIN_RELATIVE_HEIGHT * height]
    pieces = [atom for atom in atoms if atom.h < MIN_RELATIVE_HEIGHT * height]
    lines = _chain(full, height)
    beside = _Beside(full, height)
    line_of = {atom: line for line in lines for atom in line.atoms}
    loose: list[Atom] = []
    for piece in pieces:
        neighbours = beside.all(piece)
        if not neighbours:
            loose.append(piece)
            continue
        nearest = min(neighbours, key=lambda atom: abs(atom.centre_y - piece.centre_y))
        # Added to the line's atoms only: a piece never steers the line's course.
        line_of[nearest].atoms.append(piece)
    lines += _chain(loose, height)
    return [sorted(line.atoms, key=lambda a: a.x) for line in lines]


def _chain(atoms: list[Atom], height: float) -> list[_LineBuilder]:
    lines: list[_LineBuilder] = []
    for atom in sorted(atoms, key=lambda a: a.x):
        best_line: _LineBuilder | None = None
        best_cost = (True, float("inf"))
        for line in lines:
            last = line.atoms[-1]
            if atom.x < last.x:
                continue
            if line.steep and atom.x - line.right >= NEXT_NUMBER_GAP * height:
                continue
            gap = atom.x - last.right
            tolerance = 0.5 * max(height, min(last.h, atom.h))
            vertical = abs(atom.centre_y - line.predicted_centre_y(atom.x + atom.w / 2.0))
            if gap < NEXT_DIGIT_GAP * height and last.h >= ANCHOR_HEIGHT * height:
                # The next digit of the same number (close beside the last digit, or overlapping it):
                # a number written at its own angle follows its last digit more closely than the
                # line's course, fitted through the numbers before; and it may step further from
                # it (a sticky note lying at another angle than the page the skew was measured on).
                follow = abs(atom.centre_y - last.centre_y)
                if follow <= vertical:
                    vertical = follow
                    tolerance = NEXT_DIGIT_STEP * max(height, min(last.h, atom.h))
            if vertical > tolerance:
                continue
            # An atom close beside a line's last atom (whatever its size) goes to that line before
            # any it would join across a gap: a number's next digit is surer than a line level with
            # it from further left, which took the middle of a number running downhill from its
            # first digits (to the number before it in the row). Over the eight sets, alone: 3,425
            # -> 3,407 errors.
            cost = (gap >= NEXT_DIGIT_GAP * height, vertical + 0.05 * max(0, gap))
            if cost < best_cost:
                best_line, best_cost = line, cost
        if best_line is None:
            lines.append(_LineBuilder(atom, height))
        else:
            best_line.append(atom)
    return lines
