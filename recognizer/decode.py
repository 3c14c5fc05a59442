"""Classify candidates, joining broken digits and splitting touching ones where the classifier says so.

Pass one classifies every atom of the image as a whole, in one batch. Most
atoms are plainly one digit and are done. The rest are *suspicious*: too
wide for one digit, too short (a piece of one), unsure, or "not a digit";
a narrow atom that is not a sure 1 brings its close neighbours in too (it may
be one arc of a broken 0). Each run of suspicious atoms (with their close neighbours; a run
also ends at a gap wider than RUN_GAP line heights) is cut into
slices (atoms, and wide atoms cut at the valleys of their ink profile), and
every way of grouping one to four consecutive slices into a digit is
classified, all runs of the image in one more batch. A Viterbi pass then
picks, per run, the reading with the best total score:

    log p(digit) + shape prior - DIGIT_COST     for each digit read
    log p(not a digit) - SKIP_COST              for each slice left out

A merged pair reads as "not a digit", so it is split; two halves of one digit
read poorly and are too short or too narrow, so they are joined.

Digits written into each other defeat the cuts: no path separates a 0 whose
loop runs into the 5 beside it. Nor do cuts mend a digit broken into pieces
that each read as something else. So every run is also read whole by the string
model (:mod:`recognizer.strings`), which sees the pieces in their context, unless
the cuts read every shape of it as a digit, surely on average (SURE_CUTS); its
reading replaces the cuts' where it is sure (STRING_MIN_MEAN) and finds as many
digits, or a few more where the cuts left shapes out, or is surer than the cuts
are of theirs; a run in which
the string model finds no digit at all, or under one in 3.3 line heights of its
width (STRING_MIN_DENSITY: a signature, a word written joined up, a bold printed title), is dropped,
and so is a long run that both readings are unsure of and in which the string
model finds under one digit in 1.4 line heights (a signature whose loops it reads as digits,
a bold printed name, for which a reading short of STRING_MIN_MEAN is unsure enough).
Last, digits among the rejected letters of a printed word (the o of "order") are
dropped, every shape of a run read as no number counting as a letter, and the
letters the cuts rejected counting even where the string model read
the run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from recognizer.classifier import NOT_A_DIGIT, Classifier
from recognizer.geometry import rotate_mask
from recognizer.normalize import normalize_digit
from recognizer.segment import Atom, Components, line_slope
from recognizer.strings import MAX_STRING_COLUMNS, NormalizedString, StringDigit, StringReader, normalize_string

__all__ = ["Candidate", "DecodedLine", "DecodedPage", "Slice", "decode_lines", "hypothesis_crops"]

# OpenCV images: uint8 in practice; typed loosely because cv2 returns untyped arrays.
Image = npt.NDArray[Any]
MAX_SLICES_PER_DIGIT = 3
MAX_CUTS = 24
# Cost of reading two digits that share a slice (written over each other).
OVERLAP_COST = 0.5
# Extra cost of a diagonal step in a cut path: cuts between handwritten digits are nearly upright.
DIAGONAL_COST = 0.3
DIGIT_COST = 0.6
SKIP_COST = 0.5
# A whole digit-sized atom between two sure digits, both close, is most likely a digit itself:
# an unclear 0 in the middle of a number is a 0, not a stray mark.
CONTEXT_BONUS = 0.5
CONTEXT_GAP = 0.6
# Widest gap (in line heights) inside one digit: the break in a broken digit.
MAX_INNER_GAP = 0.35
# A run also ends at a gap wider than this (line heights) between its ink and the next shape:
# wider than the gap that ends a number (group.NUMBER_GAP, 0.8), so no digit is joined across it,
# and the string model reads each side alone. Read whole, two fields far apart on one line (a
# ticket number and a lot number beside it, a cheque's amount and a shape of the print far to
# its left) were one run many line heights wide, in which the string model found too few digits
# for its width, and both were dropped as a signature would be. Errors over the eight sets, with
# STRING_MIN_DENSITY, which it needs: 3,500 -> 3,425. Measured with the gap taken from the last
# shape, not the run's ink: 3,421, and 3,424 at 2 line heights (the checks 1,350 and 1,359);
# without STRING_MIN_DENSITY, 3,450 (1.5), 3,453 (2), 3,459 (2.5), 3,463 (3), 3,482 (5).
# Tried at 0.8, 1.5 and 3 when the string model was new (2,937, 2,867 and 2,878 against about
# 2,869): then, read word by word, a bold title passed for numbers.
RUN_GAP = 1.5
# A full-height atom narrower than this (in line heights) may be one side of a broken digit
# (the two arcs of a 0 read alone as a 1 and a 2, sure of both), so its close neighbours join
# its run and the Viterbi pass weighs reading them together; unless it is a sure 1.
NARROW_SHARE = 0.6
SURE_ONE = 0.99
MAX_DIGIT_WIDTH = 1.3
# Digits of one line are of a size: a crop far taller than the line is the loop of a signature
# or a digit with a box side or a neighbour's stroke still attached, and reads as one only at a cost.
MAX_HEIGHT_RATIO = 1.4
# Printed words (a form's labels, a title) hold letters the model takes for digits: see
# _without_printed_words.
WORD_GAP = 0.5
WORD_LETTER_SHARE = 0.5
MIN_WORD_LENGTH = 3
# The string reading replaces the cut one when its digits are this sure on average (and see
# _read_strings): the cuts lose digits (one crop of two overlapping digits reads as "not a
# digit") and misread a broken digit's pieces, and what the string model reads unsurely is
# better left to the cuts.
STRING_MIN_MEAN = 0.85
# See _ink_near_digits: a stretch of a run's ink this many line heights from every digit named is no digit's.
NAMED_REACH = 0.5
# A run is also read with its ink scaled as if the line were STRING_SCALES of its height (its digits
# drawn larger), and each scale's reading in turn replaces the string model's reading when it is, on
# average, STRING_SCALE_MARGIN surer than the surest so far (the one at the line's height, or at an
# earlier scale). A line's height is measured on its shapes, and a shape of digits written fast and
# joined, each leaning and reaching into the next, stands taller than one digit: at the line's
# height, such digits were drawn smaller than the model learned them, and read as fewer (seed 53:
# 71381753 as `?5753`, 46267485073 as `6268073`). Errors over nineteen sets: 7,800 -> 7,533 (357
# pictures better by 548, 231 worse by 281; touching digits 1,001 -> 801). On the touching pictures
# alone, as first written (no margin, and a run judged a number on its surest reading): scaled by
# 0.85 always, 928 errors against 769. No margin: 7,545; 0.015: 7,535; scales 0.8, 0.85 and 0.9:
# 7,544; 0.75, 0.85 and 0.95: 7,646; runs of two digits or more only: 7,538; only runs whose reading
# at the line's height is sure enough to replace the cuts' (so that the cuts' reading stays wherever
# it stood): 7,666. A run is dropped as no number (STRING_MIN_DENSITY, _joined_up_writing) on its
# reading at the line's height: judged on the surest reading, a cheque's signature read surer at
# another scale and passed for a number (tiny cheques 329 -> 617, without the margin). A run read at
# 0.97 or surer on average is not read again: no reading can then be STRING_SCALE_MARGIN surer. The
# cost: the string model takes 5.3 -> 9.8 ms of CPU a sample photo, 4.0 -> 7.1 ms a page.
STRING_SCALES = (0.8, 0.9)
STRING_SCALE_MARGIN = 0.03
# Where the cuts are kept (the string model unsure on average) and both read as many digits, a digit
# the string model reads otherwise and this much surer takes its label: the cuts misread a digit
# whose crop a neighbour's stroke or a box's stub spoils, which the string model reads in context.
# Errors over the samples and three seed-7 sets: 2,897 -> 2,882 (16 pictures better, none worse;
# without a margin 2,881 but 10 worse, 0.1: 2,883 and 3 worse, 0.3: 2,890).
STRING_OVERRULES = 0.2
# Where the string model's reading replaces the cuts' (it is sure on average) and both read as many
# digits, a digit the cuts read otherwise and this much surer takes their label: the string model
# blurs a digit with its neighbour's strokes. It needs more than STRING_OVERRULES: this reading was
# chosen for being sure. Errors: 2,882 -> 2,872 (11 pictures better, none worse; 0.3: 2,868 but
# 4 worse, 0.5: 2,879).
CUTS_OVERRULE = 0.4
# A run the string model reads as fewer digits than this per line height of its width is no
# number (one digit in 3.3 line heights): a handwritten digit is about a line height wide or
# less. The string model read a cheque's signature that is a run of its own (more often so with
# runs ending at RUN_GAP) as "7" or "71" across 4.5 to 9.6 line heights, which passed 0.2 (one in
# five), and the cuts' reading of its arches (7777) stood. With RUN_GAP, errors over the eight
# sets 3,450 -> 3,421 (ten tiny cheques and a boxed photo better by 35, five pictures worse by 6);
# 0.35: 3,425, 0.4: 3,437. Without RUN_GAP, 0.3 read 3,506 against 3,500.
STRING_MIN_DENSITY = 0.3
# A run that both readings are unsure of (the string model's digits under JOINED_STRING_SURENESS on
# average, the cuts' under JOINED_CUTS_SURENESS), at least JOINED_MIN_WIDTH line heights wide and
# with fewer string digits than JOINED_MAX_DENSITY per line height of its width, is joined-up
# writing: a signature, a name, an amount in words. A handwritten digit is under a line height
# wide, so a number that long holds more digits than that, and a real one is read surely on
# average by at least one of the two. Errors on the samples and the three seed-7 sets: 3,190 ->
# 3,112 (cheques 292 -> 261; each set better). The string reading alone under 0.75 or 0.7: 3,162
# and 3,140 (numbers written fast, read as unsurely, went).
JOINED_STRING_SURENESS = 0.75
JOINED_CUTS_SURENESS = 0.9
JOINED_MIN_WIDTH = 4.0
JOINED_MAX_DENSITY = 0.7
# A run whose ink covers this share of its box or more has strokes far thicker than a pen's for
# its height (a handwritten digit covers 0.1-0.25): bold print, a bank's name over a cheque, a
# form's title, whose letters the cuts read as 1s and 8s. For such a run the joined-up test
# above takes a string reading under STRING_MIN_MEAN as unsure, instead of under
# JOINED_STRING_SURENESS. 3,112 -> 3,048 (seven pictures of the 4.14 set better, none worse; 0.2
# and 0.25 read the same).
BOLD_FILL = 0.3
# A run whose cuts left no shape out and read its digits this surely on average (that each is a
# digit, and which) is not read whole: the string model reads such runs no better, and costs
# about 0.5 ms for a run of one or two digits.
SURE_CUTS = 0.97
# A number written at an angle leans its digits with it; after the page's own skew is taken out,
# a line still running at TURN_FROM_DEGREES or more has its crops turned back by TURN_SHARE of its
# angle before they are classified (the model learned digits leaning up to 14 degrees). Not all of
# it: people often keep their digits more upright than the line they write along, which the
# generator never does (there the whole angle reads as well: 2,833). Errors over the samples and
# three seed-7 sets: 2,870 -> 2,835 (15 pictures better by 36, 1 worse by 1; numbers at an angle
# 181 -> 145; half the angle: 2,855; from 7 or 14 degrees: 2,837 / 2,836). Turning the run's image
# for the string model as well, and mapping its digits back, changed nothing in all. The angle is
# that of the whole line as chaining fits it (segment.line_slope): capped at 26.6 degrees (a slope
# of 0.5, as chaining caps it), none for a line of under three whole digits (a short number alone),
# and one angle for all the numbers of a line.
TURN_FROM_DEGREES = 10.0
TURN_SHARE = 0.75


@dataclass(frozen=True)
class Slice:
    """A piece of ink: a whole atom, or the part of one between two cut paths.

    ``mask`` covers the box (x0, y0)-(x1, y1) in working coordinates; ``x0`` and
    ``x1`` are the tight columns of the slice's own ink.
    """

    mask: npt.NDArray[np.bool_]
    x0: int
    x1: int
    y0: int
    y1: int
    # A whole atom, not a part of one between cut paths.
    whole: bool = True

    @classmethod
    def of_atom(cls, atom: Atom, components: Components) -> Slice:
        window = components.labels[atom.y : atom.bottom, atom.x : atom.right]
        mask = window == atom.ids[0] if len(atom.ids) == 1 else np.isin(window, atom.ids)
        return cls(mask, atom.x, atom.right, atom.y, atom.bottom)


@dataclass(frozen=True)
class Candidate:
    """A classified digit in working coordinates."""

    x: int
    y: int
    w: int
    h: int
    label: int
    confidence: float
    probabilities: npt.NDArray[np.float32]


@dataclass(frozen=True)
class DecodedLine:
    """The digits found in one text line, and how many of its shapes were not read as digits."""

    candidates: list[Candidate]
    rejected: int


@dataclass(frozen=True)
class DecodedPage:
    """The lines of a page as read (``lines``), and as read with each run's ink at one scale only
    (``plain``), which is what a page's orientation is judged by (see STRING_SCALES)."""

    lines: list[DecodedLine]
    plain: list[DecodedLine]


@dataclass
class _Crop:
    digit: npt.NDArray[np.float32]
    box: tuple[int, int, int, int]


def _union(slices: list[Slice]) -> tuple[npt.NDArray[np.bool_], int, int]:
    """The ink of some slices in one mask over their joint box, and the box's top-left corner."""
    left = min(piece.x0 for piece in slices)
    top = min(piece.y0 for piece in slices)
    right = max(piece.x1 for piece in slices)
    bottom = max(piece.y1 for piece in slices)
    ink = np.zeros((bottom - top, right - left), dtype=bool)
    for piece in slices:
        ink[piece.y0 - top : piece.y1 - top, piece.x0 - left : piece.x1 - left] |= piece.mask
    return ink, left, top


def _crop(slices: list[Slice], turn: float) -> _Crop | None:
    """The union of some slices' ink, tightly boxed and normalised; turned by ``turn`` degrees
    (counterclockwise) first, if any (see TURN_SHARE). The box is the ink's, unturned."""
    mask, left, top = _union(slices)
    # boundingRect takes 8-bit images; a bool array is one, seen as uint8 without a copy.
    x, y, w, h = cv2.boundingRect(mask.view(np.uint8))
    if w == 0:
        return None
    ink = mask[y : y + h, x : x + w]
    if turn:
        # Turned smoothly and thresholded halfway: nearest-neighbour turning breaks thin strokes
        # into steps and gaps (one photo of angled numbers: 21 errors against 6).
        turned, _ = rotate_mask(ink.view(np.uint8) * np.uint8(255), turn, cv2.INTER_LINEAR)
        upright = turned >= 128
        # normalize_digit boxes the ink itself; a crop too thin to survive the turn stays as it lay.
        ink = upright if upright.any() else ink
    return _Crop(digit=normalize_digit(ink), box=(left + x, top + y, w, h))


def _line_turn(line: list[Atom], height: float) -> float:
    """Degrees to turn a line's crops by so that its digits stand upright (see TURN_SHARE): 0 for a
    line running within TURN_FROM_DEGREES of level, or too short to say."""
    slope = line_slope(line, height)
    if slope is None:
        return 0.0
    # Rows grow downwards: a line rising to the right has a negative slope, and its digits,
    # leaning left, are turned back clockwise (a negative angle for OpenCV).
    degrees = math.degrees(math.atan(slope))
    return TURN_SHARE * degrees if abs(degrees) >= TURN_FROM_DEGREES else 0.0


def _candidate(crop: _Crop, probabilities: npt.NDArray[np.float32]) -> Candidate:
    label = int(np.argmax(probabilities[:NOT_A_DIGIT]))
    # Confidence in the label given that this is a digit: whether it is a digit at all is the
    # decoder's question (it weighs the not-a-digit class itself), so it must not make a sure 7
    # that the model finds a little blob-like print as "?".
    confidence = float(probabilities[label]) / (float(probabilities[:NOT_A_DIGIT].sum()) + 1e-9)
    return Candidate(*crop.box, label=label, confidence=confidence, probabilities=probabilities)


def _digit_probability(probabilities: npt.NDArray[np.float32]) -> float:
    return float(probabilities[:NOT_A_DIGIT].max())


def _suspicious(atom: Atom, probabilities: npt.NDArray[np.float32], line_height: float) -> bool:
    sure = _digit_probability(probabilities)
    if atom.h < 0.75 * line_height or sure < 0.85:
        return True  # a piece of a digit, or not plainly a digit
    # Wide: perhaps two digits touching, unless the model is quite sure it is one wide digit.
    return atom.w >= 1.5 * line_height or (atom.w >= 1.1 * line_height and sure < 0.97)


def _loose_arc(atom: Atom, first: tuple[_Crop, npt.NDArray[np.float32]] | None, line_height: float) -> bool:
    """Narrow and not a sure 1: perhaps one side of a broken digit (the arcs of a 0), whatever it read as."""
    if first is None or atom.w >= NARROW_SHARE * line_height:
        return False
    # At SURE_ONE (over a half) a 1 is also the label read.
    return float(first[1][1]) < SURE_ONE


def _fragmentary(atom: Atom, line_height: float) -> bool:
    """Short or narrow: perhaps a loose piece of its neighbour."""
    return atom.h < 0.75 * line_height or atom.w < 0.35 * line_height


def _cheapest_cuts(ink: npt.NDArray[np.bool_], line_height: float, limit: int) -> list[npt.NDArray[np.int64]]:
    """Top-to-bottom paths through an atom that cross the least ink: where touching digits meet.

    One pass of dynamic programming gives, for every bottom column, the cheapest
    path reaching it (ink costs 8, paper 1, a diagonal step a little more); the
    cheapest bottom columns, kept apart by a fifth of a digit height, end the cuts.
    Paths keep clear of the atom's own left and right edges, which cut nothing.
    """
    height, width = ink.shape
    margin = max(2, int(0.15 * line_height))
    if width <= 2 * margin + 1:
        return []
    cost = np.where(ink, 8.0, 1.0).astype(np.float32)
    cost[:, :margin] = np.inf
    cost[:, width - margin :] = np.inf
    total = cost[0].copy()
    moves = np.zeros((height, width), dtype=np.int8)
    wall = np.array([np.inf], dtype=np.float32)
    for row in range(1, height):
        left = np.concatenate([wall, total[:-1]]) + DIAGONAL_COST
        right = np.concatenate([total[1:], wall]) + DIAGONAL_COST
        choice = np.where(left < total, -1, 0)
        best = np.minimum(left, total)
        choice = np.where(right < best, 1, choice)
        total = np.minimum(best, right) + cost[row]
        moves[row] = choice
    separation = max(2, int(0.2 * line_height))
    chosen: list[int] = []
    for column in np.argsort(total):
        if not np.isfinite(total[column]) or len(chosen) >= limit:
            break
        if all(abs(int(column) - other) >= separation for other in chosen):
            chosen.append(int(column))
    paths = []
    for column in sorted(chosen):
        path = np.empty(height, dtype=np.int64)
        position = column
        for row in range(height - 1, -1, -1):
            path[row] = position
            position += int(moves[row, position])
        paths.append(path)
    return paths


def _cut_path(cost: npt.NDArray[np.float32], column: int, reach: int) -> npt.NDArray[np.int64]:
    """The cheapest top-to-bottom path near ``column``: through the gaps between touching digits.

    Each row moves at most one column; ink costs far more than paper, and
    straying from ``column`` costs a little, so the path crosses ink only
    where the digits really touch. Returns the path's column in every row.
    """
    height, width = cost.shape
    low, high = max(1, column - reach), min(width - 1, column + reach + 1)
    columns = np.arange(low, high)
    local = cost[:, low:high] + 0.05 * np.abs(columns - column)[None, :]
    span = high - low
    # total[1:-1] is the cheapest cost to reach each column of the current row; the ends are walls.
    total = np.full(span + 2, np.inf)
    total[1:-1] = local[0]
    moves = np.zeros((height, span), dtype=np.int8)
    for row in range(1, height):
        left, middle, right = total[:-2], total[1:-1], total[2:]
        choice = np.where(left < middle, -1, 0)
        best = np.minimum(left, middle)
        choice = np.where(right < best, 1, choice)
        updated = np.minimum(best, right) + local[row]
        total[1:-1] = updated
        moves[row] = choice
    path = np.empty(height, dtype=np.int64)
    position = int(np.argmin(total[1:-1]))
    for row in range(height - 1, -1, -1):
        path[row] = low + position
        position = min(max(position + int(moves[row, position]), 0), span - 1)
    return path


def _slices(atom: Atom, components: Components, line_height: float, cut: bool = True) -> list[Slice]:
    """An atom as one slice, or, when it may hold several digits, cut along likely joins."""
    whole = Slice.of_atom(atom, components)
    if not cut or atom.w < 0.9 * line_height:
        return [whole]
    ink = whole.mask
    expected = max(2, round(atom.w / (0.6 * line_height)))
    # Where digits barely touch, the cheapest paths find the join; where they overlap, the
    # cheapest paths run through loops instead, so cuts near an even spread are added too.
    paths = _cheapest_cuts(ink, line_height, min(MAX_CUTS, expected + 1))
    cost = np.where(ink, 8.0, 1.0).astype(np.float32)
    reach = max(2, int(0.15 * line_height))
    paths += [_cut_path(cost, round(atom.w * k / expected), reach) for k in range(1, expected)]
    paths.sort(key=lambda path: float(path.mean()))
    distinct: list[npt.NDArray[np.int64]] = []
    for path in paths:
        if not distinct or float(np.abs(path - distinct[-1]).mean()) >= 0.12 * line_height:
            distinct.append(path)
    for index in range(1, len(distinct)):
        distinct[index] = np.maximum(distinct[index], distinct[index - 1])
    paths = distinct
    columns = np.arange(atom.w)[None, :]
    bounds = [np.zeros(atom.h, dtype=np.int64), *paths, np.full(atom.h, atom.w, dtype=np.int64)]
    pieces: list[Slice] = []
    for left_path, right_path in zip(bounds, bounds[1:], strict=False):
        part = ink & (columns >= left_path[:, None]) & (columns < right_path[:, None])
        used = np.flatnonzero(part.any(axis=0))
        if used.size == 0:
            continue
        first, last = int(used[0]), int(used[-1]) + 1
        pieces.append(Slice(part[:, first:last], atom.x + first, atom.x + last, atom.y, atom.bottom, whole=False))
    return pieces


def _shape_prior(box: tuple[int, int, int, int], line_height: float) -> float:
    """Log-prior of a digit's box: about one line tall (not much shorter or taller), at most a little wider than tall."""
    _, _, width, height = box
    prior = 0.0
    ratio = height / line_height
    if ratio < 0.7:
        prior -= (0.7 - ratio) * 10.0
    if ratio > MAX_HEIGHT_RATIO:
        prior -= (ratio - MAX_HEIGHT_RATIO) * 10.0
    widthness = width / line_height
    if widthness > 1.15:
        prior -= (widthness - 1.15) * 10.0
    return prior


@dataclass
class _Run:
    line: int
    slices: list[Slice]
    line_height: float
    # Degrees its crops are turned by (see TURN_SHARE).
    turn: float
    # (first slice, last slice + 1) -> the crop of those slices and its class probabilities
    scored: dict[tuple[int, int], tuple[_Crop, npt.NDArray[np.float32]]] = field(default_factory=dict)
    # Whole atoms already classified in the first pass, by their slice's position.
    known: dict[int, tuple[_Crop, npt.NDArray[np.float32]]] = field(default_factory=dict)
    # Indices in the line of the atoms the run was made from.
    atoms: list[int] = field(default_factory=list)
    # Added to the score of reading the run as one digit (see CONTEXT_BONUS).
    context: float = 0.0


def _plan_run(run: _Run) -> list[tuple[tuple[int, int], _Crop]]:
    """Every grouping of consecutive slices that could be one digit, and its crop (unless known)."""
    slices = run.slices
    height = run.line_height
    wanted: list[tuple[tuple[int, int], _Crop]] = []
    for start in range(len(slices)):
        right = slices[start].x1
        for end in range(start + 1, min(len(slices), start + MAX_SLICES_PER_DIGIT) + 1):
            piece = slices[end - 1]
            if end - 1 > start:
                gap = piece.x0 - right
                if gap > MAX_INNER_GAP * height:
                    break
                right = max(right, piece.x1)
                if right - slices[start].x0 > MAX_DIGIT_WIDTH * height:
                    break
            elif start in run.known:
                run.scored[(start, end)] = run.known[start]
                continue
            crop = _crop(slices[start:end], run.turn)
            if crop is not None:
                wanted.append(((start, end), crop))
    return wanted


def _viterbi(run: _Run) -> tuple[list[Candidate], list[Slice]]:
    """The best reading of a run: digits and skipped slices.

    Two digits written over each other share the slice where they overlap: a digit
    may begin on the last slice of the digit before it (at a small cost), never on
    a skipped one.
    """
    count = len(run.slices)
    Entry = tuple[_Crop, npt.NDArray[np.float32]]
    # by_digit[b]: best reading of slices [0, b) whose last act is a digit; otherwise by_skip.
    by_digit = [-math.inf] * (count + 1)
    by_skip = [-math.inf] * (count + 1)
    by_skip[0] = 0.0
    # back pointers: (previous boundary, previous state was a digit, the digit read or None)
    digit_back: list[tuple[int, bool, Entry | None]] = [(-1, False, None)] * (count + 1)
    skip_back: list[tuple[int, bool, Entry | None]] = [(-1, False, None)] * (count + 1)

    def best(boundary: int) -> tuple[float, bool]:
        return (by_digit[boundary], True) if by_digit[boundary] >= by_skip[boundary] else (by_skip[boundary], False)

    for end in range(1, count + 1):
        single = run.scored.get((end - 1, end))
        not_digit = float(single[1][NOT_A_DIGIT]) if single is not None else 1.0
        previous, was_digit = best(end - 1)
        by_skip[end] = previous + math.log(not_digit + 0.02) - SKIP_COST
        skip_back[end] = (end - 1, was_digit, None)
        for start in range(max(0, end - MAX_SLICES_PER_DIGIT), end):
            entry = run.scored.get((start, end))
            if entry is None:
                continue
            crop, probabilities = entry
            score = (
                math.log(_digit_probability(probabilities) + 1e-6)
                + _shape_prior(crop.box, run.line_height)
                - DIGIT_COST
                + (run.context if (start, end) == (0, count) else 0.0)
            )
            previous, was_digit = best(start)
            if previous + score > by_digit[end]:
                by_digit[end] = previous + score
                digit_back[end] = (start, was_digit, entry)
            # Overlapping the digit before: it ended on slice `start`, which this one shares.
            if end - start >= 2 and by_digit[start + 1] - OVERLAP_COST + score > by_digit[end]:
                by_digit[end] = by_digit[start + 1] - OVERLAP_COST + score
                digit_back[end] = (start + 1, True, entry)
    digits: list[Candidate] = []
    skipped: list[Slice] = []
    position, in_digit = count, best(count)[1]
    while position > 0:
        previous, was_digit, entry = digit_back[position] if in_digit else skip_back[position]
        if entry is None:
            skipped.append(run.slices[position - 1])
        else:
            digits.append(_candidate(*entry))
        position, in_digit = previous, was_digit
    return digits[::-1], skipped


def _context(run: _Run, line: list[Atom], involved: list[bool]) -> float:
    """CONTEXT_BONUS when the run is one whole atom with a sure digit close on either side."""
    if len(run.atoms) != 1 or len(run.slices) != 1 or 0 not in run.known:
        return 0.0
    piece = run.slices[0]
    height = run.line_height
    if piece.y1 - piece.y0 < 0.75 * height:
        return 0.0
    index = run.atoms[0]
    if index == 0 or index == len(line) - 1:
        return 0.0
    left, right = line[index - 1], line[index + 1]
    close = (
        piece.x0 - left.right <= CONTEXT_GAP * height
        and right.x - piece.x1 <= CONTEXT_GAP * height
        and not involved[index - 1]
        and not involved[index + 1]
    )
    return CONTEXT_BONUS if close else 0.0


def hypothesis_crops(
    components: Components, lines: list[list[Atom]], line_heights: list[float]
) -> list[tuple[npt.NDArray[np.float32], tuple[int, int, int, int]]]:
    """Every crop the decoder could ask about: each atom, and each grouping of slices of a line.

    The trainer labels these against the truth to learn what the decoder will see.
    """
    crops: list[_Crop] = []
    for line, height in zip(lines, line_heights, strict=True):
        turn = _line_turn(line, height)
        slices = [piece for atom in line for piece in _slices(atom, components, height)]
        crops.extend(crop for _, crop in _plan_run(_Run(0, slices, height, turn)))
        for atom in line:
            crop = _crop([Slice.of_atom(atom, components)], turn)
            if crop is not None:
                crops.append(crop)
    return [(crop.digit, crop.box) for crop in crops]


def _batch(classifier: Classifier, crops: list[_Crop]) -> npt.NDArray[np.float32]:
    digits = np.stack([crop.digit for crop in crops]) if crops else np.zeros((0, 28, 28), dtype=np.float32)
    return classifier.classify(digits).probabilities


def decode_lines(
    components: Components,
    lines: list[list[Atom]],
    line_heights: list[float],
    classifier: Classifier,
    strings: StringReader | None = None,
) -> DecodedPage:
    """Classify the atoms of every line, joining and splitting where needed; digits per line.

    With ``strings``, runs of doubtful shapes are also read whole (see :func:`_read_strings`).
    """
    turns = [_line_turn(line, height) for line, height in zip(lines, line_heights, strict=True)]
    first_crops: list[_Crop] = []
    owners: list[tuple[int, int]] = []
    for line_index, line in enumerate(lines):
        for atom_index, atom in enumerate(line):
            crop = _crop([Slice.of_atom(atom, components)], turns[line_index])
            if crop is not None:
                first_crops.append(crop)
                owners.append((line_index, atom_index))
    first = _batch(classifier, first_crops)
    by_atom = {owner: (crop, probabilities) for owner, crop, probabilities in zip(owners, first_crops, first)}

    results: list[list[Candidate]] = [[] for _ in lines]
    rejected = [0] * len(lines)
    runs: list[_Run] = []
    for line_index, line in enumerate(lines):
        height = line_heights[line_index]
        suspicious = [
            (line_index, i) in by_atom and _suspicious(atom, by_atom[(line_index, i)][1], height)
            for i, atom in enumerate(line)
        ]
        # A suspicious piece may belong to its neighbour: bring close neighbours into its run.
        involved = list(suspicious)
        for i, flag in enumerate(suspicious):
            loose = (flag and _fragmentary(line[i], height)) or _loose_arc(
                line[i], by_atom.get((line_index, i)), height
            )
            if not loose:
                continue
            for j in (i - 1, i + 1):
                if 0 <= j < len(line):
                    gap = max(line[i].x, line[j].x) - min(line[i].right, line[j].right)
                    if gap <= MAX_INNER_GAP * height:
                        involved[j] = involved[i] = True
        line_runs: list[_Run] = []
        current = _Run(line_index, [], height, turns[line_index])
        for i, atom in enumerate(line):
            # Measured from the run's rightmost ink, not its last atom's: a wide stroke (a
            # signature's) reaches over the small pieces after it. (An atom not involved ends the
            # run below anyway.)
            if involved[i] and current.atoms and atom.x - max(line[j].right for j in current.atoms) > RUN_GAP * height:
                line_runs.append(current)
                current = _Run(line_index, [], height, turns[line_index])
            if involved[i] and (line_index, i) in by_atom:
                # Neighbours come in whole (to be joined with a piece); only suspicious atoms are cut.
                pieces = _slices(atom, components, height, cut=suspicious[i])
                if len(pieces) == 1:
                    current.known[len(current.slices)] = by_atom[(line_index, i)]
                current.slices.extend(pieces)
                current.atoms.append(i)
                continue
            if current.slices:
                line_runs.append(current)
                current = _Run(line_index, [], height, turns[line_index])
            if (line_index, i) in by_atom:
                # Not suspicious: one digit, read with confidence.
                results[line_index].append(_candidate(*by_atom[(line_index, i)]))
        if current.slices:
            line_runs.append(current)
        for run in line_runs:
            run.context = _context(run, line, involved)
        runs.extend(line_runs)
    wanted = [(run, key, crop) for run in runs for key, crop in _plan_run(run)]
    second = _batch(classifier, [crop for _, _, crop in wanted])
    for (run, key, crop), probabilities in zip(wanted, second):
        run.scored[key] = (crop, probabilities)
    cut_readings = [_viterbi(run) for run in runs]
    plain, rescaled = (cut_readings, cut_readings) if strings is None else _read_strings(strings, runs, cut_readings)
    plain_lines = _assembled(lines, line_heights, components, runs, plain, cut_readings, results, rejected)
    if rescaled is plain:
        return DecodedPage(plain_lines, plain_lines)
    return DecodedPage(
        _assembled(lines, line_heights, components, runs, rescaled, cut_readings, results, rejected), plain_lines
    )


def _assembled(
    lines: list[list[Atom]],
    line_heights: list[float],
    components: Components,
    runs: list[_Run],
    readings: list[tuple[list[Candidate], list[Slice]]],
    cut_readings: list[tuple[list[Candidate], list[Slice]]],
    sure: list[list[Candidate]],
    sure_rejected: list[int],
) -> list[DecodedLine]:
    """Each line's digits: the ``sure`` ones (read alone in the first pass) and each run's
    ``readings``, less the letters of printed words, left to right."""
    results = [list(found) for found in sure]
    rejected = list(sure_rejected)
    letters: list[list[Slice]] = [[] for _ in lines]
    for run, (digits, skipped), (cut, cut_skipped) in zip(runs, readings, cut_readings, strict=True):
        results[run.line].extend(digits)
        rejected[run.line] += len(skipped)
        if not digits:
            # No number at all: every shape of the run is a letter, the ones the cuts split too
            # (an R and a T of a bold printed name, touching). Else the O beside them stood in a
            # word too short to be one, and read as a 0. Errors on the four sets: 3,048 -> 3,013.
            unread = [Slice.of_atom(lines[run.line][i], components) for i in run.atoms]
        else:
            # Where the string model read the run (it left nothing unread), the shapes the cuts
            # found no digit in are still letters, unless it found more digits than the cuts: then
            # it read those shapes (a digit broken into pieces, two overlapping digits). Otherwise
            # the letters of a printed word that it took for a digit or two would hide the word.
            unread = skipped or ([] if len(digits) > len(cut) else cut_skipped)
        letters[run.line].extend(
            piece for piece in unread if piece.whole and piece.y1 - piece.y0 >= 0.5 * run.line_height
        )
    results = [
        _without_printed_words(found, shapes, height) for found, shapes, height in zip(results, letters, line_heights)
    ]
    for found in results:
        found.sort(key=lambda c: c.x)
    return [DecodedLine(candidates, count) for candidates, count in zip(results, rejected, strict=True)]


def _string_candidates(
    digits: list[StringDigit], ink: npt.NDArray[np.bool_], left: int, top: int, line_height: float
) -> list[Candidate]:
    """Boxes for a string reading: the run's ink near the digits read (see :func:`_ink_near_digits`),
    split between each two digits read.

    The model names each digit at about the same place inside it, not always its middle (often
    left of it). That offset is measured on the run itself: the first digit starts at the run's
    left edge and the last ends at its right, so the ink left of the first digit named and right of
    the last differ by twice the offset. The splits lie halfway between the digits named, moved
    by the offset. Now and then the model names a run's digits bunched towards one end (the first
    of eight over a third of the way in); one digit's share then falls in a gap in the ink, or
    between splits pushed together, and the digit was lost. Then the places named are stretched
    over the run's inked columns instead (see :func:`_stretched_splits`), if that leaves fewer
    digits without ink. Every digit read gets a box: one with still no ink between its splits
    spans them, as tall as the run's ink.
    """
    named = [(digit.left + digit.right) / 2.0 for digit in digits]
    ink, first_column = _ink_near_digits(named, ink, line_height)
    left += first_column
    named = [place - first_column for place in named]
    splits = _shifted_splits(named, ink.shape[1])
    without_ink = _parts_without_ink(ink, splits)
    if without_ink:
        stretched = _stretched_splits(named, np.flatnonzero(ink.any(axis=0)), ink.shape[1])
        if _parts_without_ink(ink, stretched) < without_ink:
            splits = stretched
    candidates: list[Candidate] = []
    for digit, start, end in zip(digits, splits[:-1], splits[1:], strict=True):
        x, y, w, h = cv2.boundingRect(ink[:, start:end].view(np.uint8)) if end > start else (0, 0, 0, 0)
        if w == 0:
            inked_rows = np.flatnonzero(ink.any(axis=1))
            x, w = 0, max(1, end - start)
            y, h = (
                (int(inked_rows[0]), int(inked_rows[-1] - inked_rows[0] + 1)) if len(inked_rows) else (0, ink.shape[0])
            )
        probabilities = _string_probabilities(digit)
        candidates.append(Candidate(left + start + x, top + y, w, h, digit.label, digit.confidence, probabilities))
    return candidates


def _ink_near_digits(
    named: list[float], ink: npt.NDArray[np.bool_], line_height: float
) -> tuple[npt.NDArray[np.bool_], int]:
    """The run's ink, and its first column, or, where the run is too wide for the digits named in it
    (over MAX_DIGIT_WIDTH line heights each; ``named``: the columns they were named at), the ink
    less the stretches of inked columns (between blank columns) at its ends that lie farther than
    NAMED_REACH line heights from every place a digit was named at, where they span more than a
    digit's width (MAX_DIGIT_WIDTH line heights).

    The offset of the places named is measured on the run's ends (see :func:`_string_candidates`),
    so ink at an end that the model read no digit in, a printed word in the run, throws it and every
    box off: a run of a form's label and `61` written after it was read 61, its 6 named 3 line
    heights from the run's left end, and the 6's box put on the label; the 1's box took in the 6,
    and the two were grouped as two numbers. Where the model names a run's digits bunched towards
    one end, the run is as wide as its digits, and its ink is all theirs.
    """
    if ink.shape[1] <= MAX_DIGIT_WIDTH * line_height * len(named):
        return ink, 0
    columns = np.flatnonzero(ink.any(axis=0))
    if not len(columns):
        return ink, 0
    # Stretches of inked columns: each starts after a blank column.
    starts = columns[np.flatnonzero(np.diff(columns, prepend=-2) > 1)]
    ends = np.append(columns[np.flatnonzero(np.diff(columns) > 1)], columns[-1]) + 1
    places = np.array(named)
    distance = np.maximum(np.maximum(starts[:, None] - places[None, :], places[None, :] - ends[:, None]), 0.0)
    near = np.flatnonzero(distance.min(axis=1) <= NAMED_REACH * line_height)
    if not len(near):
        return ink, 0
    # Only the ends are cut, and only where what lies beyond the digits named is wider than a digit:
    # a stretch between two digits named, or one digit wide at an end, is a digit the model did not
    # name, and its box keeps the number whole.
    first, last = int(starts[near[0]]), int(ends[near[-1]])
    widest = MAX_DIGIT_WIDTH * line_height
    first = first if first - int(starts[0]) > widest else 0
    last = last if int(ends[-1]) - last > widest else ink.shape[1]
    return ink[:, first:last], first


def _string_probabilities(digit: StringDigit) -> npt.NDArray[np.float32]:
    """Class probabilities for a digit of a string reading: its confidence, the rest not a digit."""
    probabilities = np.zeros(NOT_A_DIGIT + 1, dtype=np.float32)
    probabilities[digit.label] = digit.confidence
    probabilities[NOT_A_DIGIT] = 1.0 - digit.confidence
    return probabilities


def _shifted_splits(named: list[float], width: int) -> list[int]:
    """Column splits halfway between the places named, moved by the offset measured on the run."""
    offset = ((width - named[-1]) - named[0]) / 2.0
    splits = [0]
    for before, after in zip(named, named[1:]):
        split = int(round((before + after) / 2.0 + offset))
        splits.append(min(max(split, splits[-1]), width))
    splits.append(width)
    return splits


def _stretched_splits(named: list[float], inked_columns: npt.NDArray[np.int64], width: int) -> list[int]:
    """Column splits halfway between the places named, once these are spread linearly over the
    run's inked columns (gaps left out), the first half a digit's share of them from the first and
    the last as far from the last: each digit gets its share of the ink, wherever the gaps are."""
    count = len(inked_columns)
    if count == 0:
        return _shifted_splits(named, width)
    half = count / (2.0 * len(named))
    span = named[-1] - named[0]
    if span <= 0:
        places = [half + i * 2.0 * half for i in range(len(named))]
    else:
        places = [half + (place - named[0]) * (count - 2.0 * half) / span for place in named]
    splits = [0]
    for before, after in zip(places, places[1:]):
        # The inked column the split falls on, in the run's own columns.
        split = int(inked_columns[min(count - 1, max(0, int(round((before + after) / 2.0))))])
        splits.append(min(max(split, splits[-1]), width))
    splits.append(width)
    return splits


def _parts_without_ink(ink: npt.NDArray[np.bool_], splits: list[int]) -> int:
    """How many of the column ranges between ``splits`` hold no ink (or no column at all)."""
    return sum(not (end > start and bool(ink[:, start:end].any())) for start, end in zip(splits, splits[1:]))


def _read_strings(
    strings: StringReader,
    runs: list[_Run],
    readings: list[tuple[list[Candidate], list[Slice]]],
) -> tuple[list[tuple[list[Candidate], list[Slice]]], list[tuple[list[Candidate], list[Slice]]]]:
    """Read whole, as well, every run the cuts are not sure of, and choose for each between the two
    readings: once with the string model's reading at the line's height (the plain reading), and
    once with its reading at STRING_SCALES where that is STRING_SCALE_MARGIN surer (see there).

    The string reading replaces the cuts' when its digits are sure on average (STRING_MIN_MEAN)
    and it finds as many digits, or at most one more for each shape the cuts left out, or is
    surer of its digits than the cuts are of theirs. A run it finds no digit in, or fewer than
    STRING_MIN_DENSITY digits per line height of its width, is dropped, and so is joined-up writing that
    both readings are unsure of (see :func:`_joined_up_writing`): both judged on the reading at
    the line's height.
    """
    chosen: list[tuple[int, tuple[npt.NDArray[np.bool_], int, int]]] = []
    plain_strings: list[NormalizedString] = []
    for index, run in enumerate(runs):
        cut, skipped = readings[index]
        if not skipped and _sureness(cut) >= SURE_CUTS:
            continue  # the cuts read every shape as a digit, surely: the string model would add nothing
        placed = _union(run.slices)
        string = normalize_string(placed[0], run.line_height)
        if string.image.shape[1] <= MAX_STRING_COLUMNS:  # a wider run is left to the cuts
            chosen.append((index, placed))
            plain_strings.append(string)
    if not chosen:
        return readings, readings
    found = strings.read(plain_strings)
    plain = list(readings)
    # Runs whose reading at the line's height a reading at another scale could replace: read as a
    # number, and not so sure that no other reading could be STRING_SCALE_MARGIN surer.
    doubtful: list[int] = []
    for position, ((index, (ink, left, top)), digits) in enumerate(zip(chosen, found, strict=True)):
        width_in_heights = ink.shape[1] / runs[index].line_height
        cut, _ = readings[index]
        bold = float(ink.mean()) >= BOLD_FILL  # the share of the run's box that is ink
        if (
            not digits
            or len(digits) < STRING_MIN_DENSITY * width_in_heights
            or _joined_up_writing(_mean_confidence(digits), _sureness(cut), len(digits), width_in_heights, bold)
        ):
            # A signature, a word written joined up, a bold printed title, a logo: shapes the
            # string model learned are no number, so it finds no digit in them, or one or two
            # across a run many digits wide. The cuts read their arches as 1s and 7s; the whole
            # run is left out.
            plain[index] = ([], runs[index].slices)
            continue
        plain[index] = _chosen_reading(digits, readings[index], ink, left, top, runs[index].line_height)
        if _mean_confidence(digits) < 1.0 - STRING_SCALE_MARGIN:
            doubtful.append(position)
    # Each scale in turn must read the run STRING_SCALE_MARGIN surer than the surest reading so far.
    surest = {position: found[position] for position in doubtful}
    for share in STRING_SCALES:
        wanted = [
            (position, normalize_string(chosen[position][1][0], share * runs[chosen[position][0]].line_height))
            for position in doubtful
        ]
        wanted = [(position, string) for position, string in wanted if string.image.shape[1] <= MAX_STRING_COLUMNS]
        for (position, _), digits in zip(wanted, strings.read([string for _, string in wanted]), strict=True):
            if digits and _mean_confidence(digits) > _mean_confidence(surest[position]) + STRING_SCALE_MARGIN:
                surest[position] = digits
    replaced = [(position, digits) for position, digits in surest.items() if digits is not found[position]]
    if not replaced:
        return plain, plain
    rescaled = list(plain)
    for position, digits in replaced:
        index, (ink, left, top) = chosen[position]
        rescaled[index] = _chosen_reading(digits, readings[index], ink, left, top, runs[index].line_height)
    return plain, rescaled


def _mean_confidence(digits: list[StringDigit]) -> float:
    """How sure the string model is of a reading on average (``digits`` read, at least one)."""
    return sum(digit.confidence for digit in digits) / len(digits)


def _chosen_reading(
    digits: list[StringDigit],
    cut_reading: tuple[list[Candidate], list[Slice]],
    ink: npt.NDArray[np.bool_],
    left: int,
    top: int,
    line_height: float,
) -> tuple[list[Candidate], list[Slice]]:
    """The string model's reading of a run (``digits``, at least one) in place of the cuts', or the
    cuts' reading, checked digit by digit against it or left as it was (see :func:`_read_strings`)."""
    cut, skipped = cut_reading
    sureness = _mean_confidence(digits)
    if sureness < STRING_MIN_MEAN:
        if len(cut) == len(digits) and not skipped:
            return _cuts_checked_by_string(cut, digits), skipped
        return cut_reading
    # Another count of digits than the cuts' must be surer than theirs, unless the cuts left
    # shapes out and the string model finds at most as many more digits: two overlapping
    # digits, which no cut separates. Otherwise its extra digits split one digit the cuts read
    # whole, and surely (a 0 broken into two arcs, which it reads as 87).
    recovers = len(cut) < len(digits) <= len(cut) + len(skipped)
    if len(digits) != len(cut) and not recovers and sureness <= _sureness(cut):
        return cut_reading
    if len(cut) == len(digits):
        digits = _string_checked_by_cuts(digits, cut)
    return _string_candidates(digits, ink, left, top, line_height), []


def _agreed_confidence(first: float, second: float) -> float:
    """How sure a digit is that two readings of a run name alike, each with its own confidence.

    The cuts classify each digit's crop alone; the string model reads the run whole, from other
    pixels and with its neighbours. A digit both name alike is wrong only where both are: as if
    they erred independently, which overstates it (both learned from MNIST), but each reading alone
    understates it. A digit one read under --min-confidence and printed as ``?`` is then often
    printed as itself. Errors over the samples and three seed-7 sets: 2,952 -> 2,897 (55 pictures
    better, 1 worse by one: a sticky note's print, read as 1s either way).
    """
    return 1.0 - (1.0 - first) * (1.0 - second)


def _checked(
    label: int, confidence: float, other_label: int, other_confidence: float, overrule: float
) -> tuple[int, float]:
    """A digit one reading names ``label`` with ``confidence``, checked against the other reading's
    name for it: surer where both name it alike, the other's where that is ``overrule`` surer."""
    if other_label == label:
        return label, _agreed_confidence(confidence, other_confidence)
    if other_confidence >= confidence + overrule:
        return other_label, other_confidence
    return label, confidence


def _string_checked_by_cuts(digits: list[StringDigit], cut: list[Candidate]) -> list[StringDigit]:
    """The string reading (it replaces the cuts'), digit by digit against the cuts' (as many digits,
    each in the order read: the string model's left to right, the cuts' in the order of their
    slices): surer where the two read a digit alike, and the cuts' where they read it otherwise and
    CUTS_OVERRULE surer."""
    checked: list[StringDigit] = []
    for digit, candidate in zip(digits, cut, strict=True):
        label, confidence = _checked(
            digit.label, digit.confidence, candidate.label, candidate.confidence, CUTS_OVERRULE
        )
        checked.append(replace(digit, label=label, confidence=confidence))
    return checked


def _cuts_checked_by_string(cut: list[Candidate], digits: list[StringDigit]) -> list[Candidate]:
    """The cuts' reading (kept: the string model was too unsure on average to replace it), digit by
    digit against the string model's (as many digits, each in the order read): surer where the two
    read a digit alike, and the string model's where it reads it otherwise and STRING_OVERRULES
    surer. A digit made surer keeps the classifier's probabilities: only its confidence, which is
    what is printed and marked, changes."""
    checked: list[Candidate] = []
    for candidate, digit in zip(cut, digits, strict=True):
        label, confidence = _checked(
            candidate.label, candidate.confidence, digit.label, digit.confidence, STRING_OVERRULES
        )
        probabilities = candidate.probabilities if label == candidate.label else _string_probabilities(digit)
        checked.append(replace(candidate, label=label, confidence=confidence, probabilities=probabilities))
    return checked


def _joined_up_writing(
    string_sureness: float, cuts_sureness: float, digit_count: int, width_in_heights: float, bold: bool
) -> bool:
    """Whether a run ``width_in_heights`` line heights wide, in which the string model read
    ``digit_count`` digits, is joined-up writing or bold print rather than a number (see
    JOINED_STRING_SURENESS and BOLD_FILL).

    Both readings must be unsure on average, the run long, and the string model's digits sparse
    for its length (under JOINED_MAX_DENSITY per line height): it reads a signature's loops as
    a few 1s, 7s and 8s, unsurely, where a number written fast, as unsure, holds about a digit
    in each line height or more.
    """
    return (
        string_sureness < (STRING_MIN_MEAN if bold else JOINED_STRING_SURENESS)
        and cuts_sureness < JOINED_CUTS_SURENESS
        and width_in_heights >= JOINED_MIN_WIDTH
        and digit_count < JOINED_MAX_DENSITY * width_in_heights
    )


def _sureness(candidates: list[Candidate]) -> float:
    """How sure the cuts are of the digits they read, on average: the probability the model gives
    each digit read (that the crop is a digit, and this one)."""
    if not candidates:
        return 0.0
    return sum(float(c.probabilities[c.label]) for c in candidates) / len(candidates)


def _without_printed_words(candidates: list[Candidate], letters: list[Slice], line_height: float) -> list[Candidate]:
    """The digits of a line, less those that are letters of a printed word.

    ``letters`` are whole shapes (never pieces cut from a wider one) at least half a line
    tall that the decoder read as not digits, and every shape of a run read as no number.
    A run of at least :data:`MIN_WORD_LENGTH` shapes, each within :data:`WORD_GAP` line
    heights of the last, at least :data:`WORD_LETTER_SHARE` of them letters, is a printed
    word: its "digits" are letters the model took for digits (the o and d of "order" as 0s).
    Junk between touching handwritten digits that are read is a cut piece, so it never takes
    the real digits beside it along; a run of touching digits dropped whole as no number
    (rarely: see _joined_up_writing) does count, and may take a sure digit beside it.
    """
    if not letters or not candidates:
        return candidates
    # (left, right, index of the candidate or -1 for a letter), left to right.
    shapes = sorted(
        [(c.x, c.x + c.w, index) for index, c in enumerate(candidates)] + [(p.x0, p.x1, -1) for p in letters]
    )
    words: list[list[int]] = [[shapes[0][2]]]
    right = shapes[0][1]
    for left, end, index in shapes[1:]:
        if left - right <= WORD_GAP * line_height:
            words[-1].append(index)
        else:
            words.append([index])
        right = max(right, end)
    in_words = {
        index
        for word in words
        if len(word) >= MIN_WORD_LENGTH and word.count(-1) >= WORD_LETTER_SHARE * len(word)
        for index in word
        if index >= 0
    }
    return [candidate for index, candidate in enumerate(candidates) if index not in in_words]
