"""The recognizer: one frame or page in, one :class:`Reading` out.

prepare (ink mask) -> orientation and skew -> cropped to the ink -> rules removed -> components ->
atoms -> text lines -> classify and split (batched) -> numbers and lines.
Only the classifier is stateful; everything else is pure functions over arrays.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import cv2
import numpy as np
import numpy.typing as npt

from recognizer.classifier import Classifier
from recognizer.decode import Candidate, DecodedLine, decode_lines
from recognizer.geometry import (
    MIN_SKEW_DEGREES,
    Transform,
    crop_like,
    crop_to_ink,
    estimate_skew,
    is_small,
    light_on_dark,
    paper_to_the_edges,
    picture_edge,
    rotate_mask,
    rotate_quarter,
    surround,
)
from recognizer.group import Span, group_line, rows
from recognizer.motion import MotionBlur, find_motion_blur, without_motion_blur
from recognizer.prepare import (
    MAX_WORKING_SIDE,
    PHOTO_POOL_ABOVE_HEIGHT,
    POOL_ABOVE_HEIGHT,
    InkMask,
    measure_digit_height,
    prepare,
    prepare_at_full_resolution,
)
from recognizer.reading import DEFAULT_MIN_CONFIDENCE, Box, Frame, Line, Reading
from recognizer.rules import MIN_BOX_SIDE, RuleRemoval, remove_rules
from recognizer.segment import (
    Atom,
    Components,
    build_atoms,
    chain_lines,
    estimate_digit_height,
    find_components,
    ink_share_of_tall,
    lone_stroke_height,
)
from recognizer.strings import StringReader, load_string_reader

__all__ = ["Layout", "Oriented", "Recognizer", "RecognizerOptions", "lay_out_lines", "orient", "orientation_score"]

# A page counts as turned by 90 degrees, without reading it upright, when its digits chain into
# lines this much better sideways than upright. At 1.5, a table photographed upright, its column of
# printed names turned into a "line" of sure 1s, chained 4.3 against 2.8 (1.54 times) and was read
# sideways (25 errors). Sideways pages of the four sets chain 1.3 to 11 times better; below 2 they
# are also read upright, which costs a decoding of their upright layout (a sideways sample photo:
# 0.35 -> 0.5 s). With no bound, every such page read upright too, the readings are the same and
# a clearly sideways one (2.8 times) takes 0.2 -> 0.34 s.
SIDEWAYS_EVIDENCE = 2.0
# A page whose lines leave it in doubt is turned only when its score sideways (see
# orientation_score) beats its score upright by this much: that table scores 0.466 sideways, 0.383
# upright (0.419 before digits both readings name alike were made surer), and every page of the
# four sets that is turned wins by 0.25 or more; the margin lies between. Errors over the samples and
# three seed-7 sets: 2,976 -> 2,952 with a margin of 0.1 then, only that photo changed.
SIDEWAYS_MARGIN = 0.15
# Which way round a page reads (see orientation_score): the share of its shapes read with this
# confidence or more, and the weight of the mean confidence that breaks ties between equal shares.
# The same score keeps a page upright or turns it when its lines leave that in doubt (SIDEWAYS_HINT):
# a blurred upright page with no shape read that surely would lose to a few sure shapes sideways.
# No page of the four sets changed that way. Errors over the samples and three seed-7 sets:
# 3,580 -> 3,525, only two sideways photos read upside down before (the mean of the squared
# confidences instead: the same).
SURE_READ = 0.9
TIE_BREAK = 1e-3
# Between this and SIDEWAYS_EVIDENCE times better, the lines do not settle it (a sideways page
# also turned 15-20 degrees, past what the skew search reaches, chains poorly both ways): it is
# read upright and sideways, and the way that reads more like digits is kept (upright, unless
# sideways reads SIDEWAYS_MARGIN better). A sideways table of one- and two-digit numbers chains
# little better sideways than upright (seed 137 photo_094: runs of 2.11 against 1.87, 56 errors
# upright, none at 1.1; at 1.0 a webcam photo read worse). At 1.1 no more pages of four sets were
# prepared again sideways than at 1.2 (36 of 571).
SIDEWAYS_HINT = 1.1
# Pages whose digits already run in lines of this many are not looked at sideways (saves time:
# the sample photos' median is within the noise of the bound of 3.0 before, 51 ms).
# Turned 15-20 degrees, a sideways page's digits still chain upright into runs of 2.5-3; a sideways
# form whose rules stand upright chained into runs of 3.3 once the rules kept more of the strokes
# crossing them (it was read as 1s, 70 errors). From UPRIGHT_LIKELY on, lines that read better
# sideways do not settle it alone: the page is also read upright, and turned only if it reads better
# sideways (a blurred photo smeared upright into sideways "lines" of 5.4 and was turned by them: 8
# more errors with the bound of 3.5 alone).
UPRIGHT_ENOUGH = 3.5
UPRIGHT_LIKELY = 3.0
# Digits that chain into runs no longer than this on average are no lines (a table of one- and
# two-digit numbers chains into runs of 1.4-1.9 whichever way it lies). A page whose digits chain
# into no lines either way round (upright under this, sideways at most this, with enough shapes
# to tell) is read both ways, and turned only if it reads SIDEWAYS_MARGIN better sideways; one that
# chains into lines upright and not sideways is upright.
LINELESS = 2.0
NUMBER_GAP_FOR_STRUCTURE = 0.8
# Shapes whose median is this many times taller than wide are not digits but columns of them: the
# numbers of a page lying sideways, each joined into one shape by the line it was written on (a
# dotted leader, an underline). Measured on those columns, the digit height is two or three digits
# long, every gap looks small beside it, and the columns chain into long "lines": the page seemed
# upright (line structure 8.8) and read as 1s, 69 errors. Such a page is read both ways and the
# judge decides. Upright pictures of the four sets: medians up to 1.8 (two sticky notes whose print
# read as 1s, 2.5 and 3.5: read both ways, they read fewer false 1s). Errors: 3,375 -> 3,289 (2.0 to
# 3.0 the same). A sideways sheet's digits written close, each column of a number touching, and
# its numbers on ruled lines as far apart as a digit is long, lay out as shapes of median 2.1 chained
# across the rules (line structure 4.7): it read upright, 63 errors (seed 109 photo_050). At 2.0 it
# reads at 6; over twenty-seven sets no other picture changed (nor at 1.8).
TALL_SHAPES = 2.0
# In a small picture, an upright stroke more than this many times the measured digit height is
# a lone 1 the height was not measured from (see _prepare_turned).
LONE_STROKE_SHARE = 2.0
# Fewer shapes than this do not tell which way is up (the default, as on a drawing pad); turned
# sideways, the pieces of one digit (the arcs of a 3) can pass for a column of digits.
MIN_SHAPES_TO_TURN = 3
# A page that lays out fewer shapes than MIN_SHAPES_TO_TURN upright is still looked at sideways,
# unstraightened, when that lays out at least this many. A ruled sheet lying sideways and a few
# degrees further round has no rows for the skew search to find upright: the search can turn it
# the wrong way (16 degrees on a photo 8 degrees off sideways), its rules then run diagonally,
# are not taken out and join its digits into one shape, and nothing is read. Turned a quarter
# before the skew search, its digits lay out in lines (59 shapes, in runs of 6.5). A lone digit
# turned sideways can lay out as its pieces (the arcs of a 3), not eight.
MIN_SHAPES_SIDEWAYS_ALONE = 8
# A page whose lines leave it in doubt is not turned when, prepared again sideways, it lays out
# more than this many times the shapes it did upright (see _took_in_more). The pages of the seven
# sets that were judged in doubt with enough shapes upright laid out 1.07 and 1.1 times as many
# sideways; a page of print with a few numbers, 22 times. Not when its shapes upright are columns of
# digits, each joined by its rule: turned, every digit is a shape. A ruled sheet lying sideways and
# turned a further 25 degrees has no rows for the skew search upright, so its rules stay and join
# its digits into 9 shapes; prepared again sideways it lays out 66 (7.3 times) and was read upright
# at 4 (seed 113 photo_072: 68 errors, 13 at 10; no other picture of twenty-nine sets changed).
SIDEWAYS_MAX_GROWTH = 10.0
# A page that lays out fewer than MIN_SHAPES_SIDEWAYS_ALONE shapes upright, in runs long enough to
# be upright (UPRIGHT_ENOUGH), is still looked at sideways, unstraightened, when its digits turned
# measure at most this share of its shapes' height upright: those shapes are not digits but digits
# joined, a column at a time, by the rules of a sheet lying sideways and turned 20 degrees further
# (seed 89 photo_050: its digits measure 58 px upright, where rules join them into 3 shapes, and
# 13 px sideways; read upright, 46 errors, 4 turned). Such a page lays out far more shapes sideways
# (42 against 3) without being a page of print, so _took_in_more does not judge it. Turned, the
# digits of the sticky notes that lay out so few shapes upright measured 0.46 of their upright
# height or more, and were read sideways at a half (31 photo_012: 4 -> 25 errors). Over thirty-one
# sets only one other photo changed (a note whose paper was not found: 5 -> 4 errors, still unread
# either way round).
JOINED_SHARE = 1 / 3

# OpenCV images: uint8 in practice; typed loosely because cv2 returns untyped arrays.
Image = npt.NDArray[Any]


# Ink is cropped with this many digit heights of blank space around it.
CROP_MARGIN = 2.0
# Smallest width or height that can hold a digit, in pixels.
MIN_FRAME_SIDE = 8
# A line whose tallest shape is under this share of the page's digit height is print: a form's
# title or labels, their letters read as digits. Handwriting on one page varies less than that
# (a line written at 0.7 of the others' height is still read; tests/test_recognizer.py).
SMALL_LINE_SHARE = 0.65

# Rules are removed again when the digits, measured without them, come out under this share of
# the height they were removed with, on a form with fields of boxes (see lay_out_lines). On a cheque or
# under a sticky note, the "rules" are a security pattern or the print around, and the first height stands.
# Also when they come out over 1/REMEASURED_SHARE of it and some box found (a lone one or one of
# a field) is too small for digits of that height. Errors over the samples and three seed-7 sets:
# 3,598 -> 3,580 (redone whenever the height rose that much: 3,584, as boxed photos whose boxes
# were right lost them); measured then on fields of boxes only, and with lone boxes too, in the
# seventeenth revision, the same over fourteen sets.
REMEASURED_SHARE = 0.85
# The height measured again without the rules is kept only if it is not a small print's beside far
# larger writing: under SMALL_PRINT_SHARE of the height given, while the shapes at least
# SMALL_PRINT_SHARE of that height tall hold WRITING_INK_SHARE of the ink or more. The digits of
# numbers written fast are joined into one wide shape per number, which does not pass for a digit
# (segment._plausible wants a digit's shape), so the labels' letters beside them (Fax, Anna) were
# the only digit-like shapes left: the height came out at 9 px for digits of 25, every number was
# dropped as too large, and a photo of five phone numbers read as `626` (seed 73, 47 errors -> 1).
# Where the height given was wrong (measured on shapes that a rule joined, or on a sideways page),
# the shapes it calls tall held 22-27% of the ink. Errors over nineteen sets (seed 73 among them):
# 7,849 -> 7,800 (3 pictures better, none worse); at 0.8 of the ink 7,803, at 0.75 of the height
# (and half the ink) 7,813.
SMALL_PRINT_SHARE = 0.6
WRITING_INK_SHARE = 0.5

# A picture fewer digit heights than this tall or wide is a crop made around its writing.
TIGHT_CROP_HEIGHTS = 3.0


@dataclass(frozen=True)
class RecognizerOptions:
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    # Try pages turned by 90 degrees when the ink looks sideways.
    detect_rotation: bool = True
    correct_skew: bool = True
    # A shape the picture's edge cuts through is a half digit, or the desk, a sheet's edge or a
    # shadow running out of the picture; read as a digit (most often a 1) it is worse than none,
    # and the rest of its number is not the number either: the number goes whole.
    drop_edge_digits: bool = True
    # A still picture may be a crop made around its writing (a field cut out of a form, a digit
    # drawn on an app's canvas): a small one that is paper to its edges is read set in a margin, and
    # a tight crop keeps the digits touching its edges (see _is_tight_crop). A camera frame is a
    # view of a scene, never a crop.
    may_be_crop: bool = True
    # A photo smeared by the camera's motion is sharpened before it is read (see recognizer.motion).
    undo_motion_blur: bool = True
    # ... by the line found and, if that reads unsurely, by lines around it (up to four more
    # readings of the photo): worth it for a still picture, not for a camera frame (the next one
    # comes in a few tens of milliseconds).
    search_blur_line: bool = True


# A frame read less surely than BLUR_TRY_BELOW (orientation_score) is looked at for motion blur; if
# it has some, it is read again sharpened (recognizer.motion), and that reading kept when it is
# BLUR_MARGIN surer and the first at least BLUR_MIN_SURENESS. Sharpened by a blur found where there
# was none (the rows of a page of print, a cheque's pattern), a picture reads worse, most often far
# less surely. Kept unjudged (as first written, with a blur's length taken from the best fit), the
# 180 pictures of the thirty-eight sets in which a blur was found went from 1,484 errors to 3,113,
# one skewed page 0 -> 214. Judged, 1,169 (42 pictures better by 317, 2 worse by 2). Margin 0.1:
# 1,225; 0.05 with a first reading surer than 0.5: 1,410. A cheque's pattern reads unsurely either
# way (a first reading under 0.3), and is not searched.
BLUR_TRY_BELOW = 0.99
BLUR_MARGIN = 0.05
BLUR_MIN_SURENESS = 0.3
# The line is found to within 5-15 degrees and a pixel or two (recognizer.motion), and a line a little
# off sharpens a little less, or rings. So the photo is also read sharpened by lines turned by these
# angles (degrees) and, along the surest direction, stretched by these factors, until a reading is
# BLUR_TRY_BELOW sure; the surest is kept. Over the 176 photos of the thirty-eight sets in which a blur is
# found: 1,162 -> 1,020 errors (29 photos better, 9 worse; 2.5 readings more on average). All 25
# lines of 0, 5 and 10 degrees either way and 0.8 to 1.25 times the length: 1,011 (24 more
# readings); turns of 5 and 10 degrees, then lengths 0.8, 0.9, 1.1, 1.25: 1,009; turns of 5 and
# lengths of 0.9 and 1.1: 1,048. Trying every line against the truth would read 791.
BLUR_ANGLE_TRIES = (-10.0, 10.0)
BLUR_LENGTH_TRIES = (0.8, 1.25)


@dataclass(frozen=True)
class _Decoded:
    lines: list[DecodedLine]
    # The lines as read with runs at the line's height only: what orientation is judged by.
    plain: list[DecodedLine]
    components: Components
    rules: RuleRemoval
    digit_height: float


def orientation_score(lines: list[DecodedLine]) -> float:
    """How digit-like a decoding reads, to pick between orientations: the share of every shape it
    found that is read as a digit with SURE_READ confidence or more (the mean confidence, every
    shape not read as a digit counting 0, breaks ties).

    Both ways round hold the same ink; upside down, digits are read less surely and more shapes
    are not digits at all. A sum (less half a point per shape not read as a digit) grew with how
    many shapes passed for digits upside down and read one sideways photo in 17 upside down; a
    mean over the digits alone would favour a way round that keeps only a few sure shapes (0, 1
    and 8 look the same upside down). The mean over every shape picked 40 of the 42 sideways photos
    of four sets that come to this choice: upside down, two pages with tables or printed labels
    read slightly more surely on average (0.738 against 0.723), but far fewer of their shapes surely
    (0.59 against 0.72). The share of sure shapes picks all 42, none by less than 0.05 (the mean's
    narrowest right pick: 0.006).
    """
    confidences = [c.confidence for line in lines for c in line.candidates]
    shapes = len(confidences) + sum(line.rejected for line in lines)
    if not shapes:
        return 0.0
    sure = sum(confidence >= SURE_READ for confidence in confidences)
    return (sure + TIE_BREAK * float(sum(confidences))) / shapes


def _digits_in(atom: Atom, height: float) -> int:
    return max(1, round(atom.w / (0.7 * height)))


def _line_structure(layout: Layout) -> float:
    """How many digits sit close together along each line (weighted mean): high for upright numbers.

    Upright numbers chain left to right into runs of several digits; on a page
    turned by 90 degrees the same digits stack in columns. Runs, not whole lines,
    are counted: a sideways page has columns of numbers whose digits also line up
    across the page, far apart.
    """
    height = layout.digit_height
    if layout.shape_count < MIN_SHAPES_TO_TURN:
        return 0.0
    sizes: list[int] = []
    for line in layout.lines:
        # A wide atom is a string of touching digits (or a boxed field): count its digits.
        run = _digits_in(line[0], height)
        for previous, atom in zip(line, line[1:]):
            if atom.x - previous.right <= NUMBER_GAP_FOR_STRUCTURE * height:
                run += _digits_in(atom, height)
            else:
                sizes.append(run)
                run = _digits_in(atom, height)
        sizes.append(run)
    return sum(size * size for size in sizes) / sum(sizes)


@dataclass(frozen=True)
class Oriented:
    """A frame's ink, turned upright and deskewed, and laid out in lines."""

    mask: Image
    transform: Transform
    layout: Layout
    rotation: int
    skew: float
    # Whether paper was found in it: a photo of a sheet, not a scan.
    photo: bool


@dataclass(frozen=True)
class Layout:
    """Everything found before classification: rules, components, atoms chained into lines."""

    rules: RuleRemoval
    components: Components
    lines: list[list[Atom]]
    line_heights: list[float]
    digit_height: float

    @property
    def shape_count(self) -> int:
        return sum(len(line) for line in self.lines)


def lay_out_lines(
    mask: Image, digit_height: float, ink: Image | None = None, *, photo: bool = False, edge: Image | None = None
) -> Layout:
    """Remove rules, find atoms and chain them into text lines (leaving out lines of small print).

    ``ink``: the ink map under ``mask``, which tells strokes from the rules they lie along.
    ``photo``: the mask is a photographed sheet's, whose rules are resampled (see
    rules.remove_rules). ``edge``: where the picture's edge runs in a straightened mask.
    """
    rules, components, height = _without_rules(mask, digit_height, ink, photo=photo, edge=edge)
    if _boxes_found_with_wrong_height(rules, digit_height, height):
        rules, components, height = _without_rules(mask, height, ink, photo=photo, edge=edge)
    atoms = build_atoms(components, height, rules.rules)
    lines = chain_lines(atoms, height)
    lines = [line for line in lines if max(a.h for a in line) >= SMALL_LINE_SHARE * height]
    line_heights = [_line_height([a.h for a in line], height) for line in lines]
    return Layout(rules, components, lines, line_heights, height)


def _boxes_found_with_wrong_height(rules: RuleRemoval, used: float, measured: float) -> bool:
    """Whether the boxes found with the digit height ``used`` (the fields of boxes, or for a height
    measured too small, every box) should be looked for again with ``measured``, the height the
    digits have once the rules are gone."""
    if rules.grids and measured < REMEASURED_SHARE * used:
        # On a form, digits joined to their boxes were measured with the boxes: too tall. A box
        # sized for one digit is narrower than that height, so it passed for a digit's loop and
        # stayed, its digit unread. Measured without the boxes, the height finds it.
        return True
    # Measured too small before the rules went (on the letters of a label, say), the height let
    # a label's closed letters pass for a field of boxes (an o, 14 px tall beside digits of 34).
    # Their removal cut the label, whose other letters then made no word and read as digits. A
    # letter's loop passes for a lone box as well as for a field of them (an o is one box, unless
    # its right side passed for a divider), so every box found counts here.
    return measured * REMEASURED_SHARE > used and any(min(w, h) < MIN_BOX_SIDE * measured for _, _, w, h in rules.boxes)


def _without_rules(
    mask: Image, digit_height: float, ink: Image | None, *, photo: bool, edge: Image | None
) -> tuple[RuleRemoval, Components, float]:
    """Rules removed with ``digit_height``, the components left, and the digits' height measured on
    them (with the rules gone, digits stand alone), ``digit_height`` if nothing looks like a digit."""
    rules = remove_rules(mask, digit_height, ink, photo=photo)
    components = find_components(rules.mask)
    # Not judged as measure_digit_height judges a taller height (segment.settled_height): measured
    # once rules are removed (not stripped), a taller cluster borne out by fewer shapes is more
    # often the digits. Judged so here too, a sticky note's four digits lost to its print (31
    # shapes), 4 -> 17 errors, and a cheque read 5 -> 10 (one other note 7 -> 4). So a signature
    # whose line rule removal takes out can still set the height here, as before.
    measured = estimate_digit_height(components, mask.shape[0], edge=edge)
    small = measured < SMALL_PRINT_SHARE * digit_height
    if small and ink_share_of_tall(components, SMALL_PRINT_SHARE * digit_height) >= WRITING_INK_SHARE:
        return rules, components, digit_height  # measured on small print (see SMALL_PRINT_SHARE)
    return rules, components, measured or digit_height


Judge = Callable[[Layout], float]


def orient(
    frame: Frame,
    options: RecognizerOptions,
    rotation: int | None = None,
    judge: Judge | None = None,
    *,
    half_resolution: InkMask | None = None,
) -> Oriented | None:
    """The ink upright and deskewed, laid out in lines, with the map back to the frame.

    None for a frame with no ink. ``rotation`` (clockwise degrees, a multiple of
    90) forces the orientation; otherwise a page whose digits stack in columns is
    turned, and ``judge`` (how well a layout reads) picks 90 or 270 degrees.
    ``half_resolution``: the frame turned by ``rotation``, prepared at half resolution, to prepare
    again at full resolution whatever its digits measure (see prepare.prepare_at_full_resolution).
    """
    prepared = _prepare_turned(frame, (rotation or 0) // 90, options, half_resolution=half_resolution)
    if prepared is None:
        return None
    inked, transform, digit_height = prepared
    mask, ink, photo = inked.mask, inked.ink, prepared.photo
    # Kept for a page whose straightening leaves too few shapes to tell which way is up.
    unstraightened, unstraightened_ink = mask, ink
    mask, ink, transform, skew, edge = _straighten(mask, ink, transform, digit_height, options)
    layout = lay_out_lines(mask, digit_height, ink, photo=photo, edge=edge)
    if rotation is None and options.detect_rotation and judge is not None:
        upright: float | None = None if _stacked_in_columns(layout) else _line_structure(layout)
        turned = None
        too_few = layout.shape_count < MIN_SHAPES_TO_TURN
        # Few shapes in long runs: a ruled sheet lying sideways and turned further round than the
        # skew search reaches, whose rules stay and join its digits a column at a time into a few
        # tall shapes (see JOINED_SHARE).
        joined = (
            not too_few
            and upright is not None
            and upright >= UPRIGHT_ENOUGH
            and layout.shape_count < MIN_SHAPES_SIDEWAYS_ALONE
        )
        if too_few or joined:
            turned = _turn_sideways(
                frame,
                options,
                unstraightened,
                unstraightened_ink,
                layout,
                None,
                judge,
                MIN_SHAPES_SIDEWAYS_ALONE,
                photo=photo,
                joined_height=layout.digit_height if joined else None,
            )
        elif upright is None or upright < UPRIGHT_ENOUGH:
            turned = _turn_sideways(frame, options, mask, ink, layout, upright, judge, photo=photo, edge=edge)
        if turned is not None:
            return turned
    if inked.pooled and layout.digit_height * 2.0 < (PHOTO_POOL_ABOVE_HEIGHT if photo else POOL_ABOVE_HEIGHT):
        # Measured at half resolution with the rules that joined them (a cheque's box lines, a boxed
        # field's frames), the digits were tall enough for it; without the rules they are not, and
        # half resolution loses their thin strokes (seed 107's cheque photo_019: 39 px with its
        # boxes, 32 without; 11 errors, none at full resolution). Over thirty-one sets: 11,786 ->
        # 11,670 errors, 31 pictures better by 136 (boxed photos 1,320 -> 1,254, tiny cheques 546 ->
        # 496) and 7 worse by 20. Prepared again at the resolution the height then calls for
        # (three quarters for a photo's digits of 34-44 px): 11,682.
        return orient(frame, options, rotation or 0, judge, half_resolution=inked)
    return Oriented(mask, transform, layout, rotation or 0, skew, photo)


def _stacked_in_columns(layout: Layout) -> bool:
    """Whether the shapes laid out are mostly columns of digits rather than digits (see TALL_SHAPES)."""
    shapes = [atom.h / max(1, atom.w) for line in layout.lines for atom in line]
    return bool(shapes) and float(np.median(shapes)) >= TALL_SHAPES


class _Prepared(NamedTuple):
    """A frame's ink, prepared (see :func:`_prepare_turned`)."""

    # What prepare returned: the mask, its ink map, whether paper was found in it and whether it is
    # at half resolution (prepare.POOL_ABOVE_HEIGHT).
    inked: InkMask
    transform: Transform
    digit_height: float

    @property
    def photo(self) -> bool:
        """Whether paper was found in it: a photo of a sheet, not a scan."""
        return self.inked.paper is not None


def _prepare_turned(
    frame: Frame, turns: int, options: RecognizerOptions, *, half_resolution: InkMask | None = None
) -> _Prepared | None:
    """The frame's ink mask and ink map, prepared after turning the image ``turns`` quarter turns
    clockwise, with the map back to the frame, the digits' height and whether paper was found in
    it (a photo of a sheet, not a scan). ``half_resolution``: this turned frame as prepared at half
    resolution, to prepare again at full resolution from what was found there.

    The image is turned before it is prepared, not the mask after: preparation measures
    the digits' height to choose its resolution and its filters, and on a page lying
    sideways that height is the digits' width.
    """
    image = frame.image
    transform = Transform.identity(frame.width, frame.height)
    if turns % 4:
        image, back = rotate_quarter(image, turns)
        transform = transform.then(back)
    margin_back = None
    # Only a small picture that is paper to its edges (a crop, a drawing pad) is read set in a
    # margin: a small photo (a webcam's snapshot, a photo sent downsized) has the desk at its
    # border, and set in a margin of the desk's colour it read at over twice the CER.
    if options.may_be_crop and is_small(image):
        if light_on_dark(image):
            # A dark-mode drawing pad (or an MNIST image itself): the pipeline reads dark ink on paper.
            image = np.asarray(cv2.bitwise_not(image), np.uint8)
        if paper_to_the_edges(image):
            image, margin_back = surround(image, MAX_WORKING_SIDE)
            transform = transform.then(margin_back)
    inked = prepare(image) if half_resolution is None else prepare_at_full_resolution(half_resolution)
    height = inked.digit_height
    if margin_back is not None:
        # A drawing pad or a crop holding a lone 1: thin upright strokes do not say how tall digits
        # are (rules, grain and 1s), so nothing did, or specks did, or pieces of the 1 taken for
        # a rule. On a small picture such a stroke is writing; on a photo of a desk it would as
        # likely be grain. An upright stroke over twice the digits' height is no 1 beside them.
        height = max(height, lone_stroke_height(find_components(inked.mask), above=LONE_STROKE_SHARE * height))
    if height == 0.0:
        return None
    transform = transform.then(Transform.scaling_step(inked.scale))
    return _Prepared(inked, transform, height)


def _straighten(
    mask: Image, ink: Image, transform: Transform, digit_height: float, options: RecognizerOptions
) -> tuple[Image, Image, Transform, float, Image | None]:
    """Deskew (when asked) and crop to the ink; the mask, the ink map turned and cropped alike,
    their map back, the skew corrected and, when the mask was turned, where the picture's edge
    runs in it (geometry.picture_edge)."""
    skew = 0.0
    edge = None
    if options.correct_skew:
        skew = estimate_skew(mask, digit_height)
        if abs(skew) >= MIN_SKEW_DEGREES:
            unturned_shape = mask.shape
            mask, back = rotate_mask(mask, skew)
            ink, _ = rotate_mask(ink, skew)
            transform = transform.then(back)
            edge = picture_edge(unturned_shape, back, mask.shape)
    # Cropped after the skew is measured and corrected, so that both see the whole frame.
    mask, back = crop_to_ink(mask, _margin(digit_height))
    if edge is not None:
        edge = crop_like(edge, back, mask.shape)
    return mask, crop_like(ink, back, mask.shape), transform.then(back), skew, edge


def _turn_sideways(
    frame: Frame,
    options: RecognizerOptions,
    mask: Image,
    ink: Image,
    upright_layout: Layout,
    upright: float | None,
    judge: Judge,
    min_shapes: int = 0,
    *,
    photo: bool,
    edge: Image | None = None,
    joined_height: float | None = None,
) -> Oriented | None:
    """The page turned by 90 or 270 degrees, if it reads as lying sideways; None if it is upright.
    ``upright`` is ``upright_layout``'s line structure, None when its shapes are columns of digits
    or too few to tell (its lines then tell nothing, and the judge also reads it upright).
    ``ink``: ``mask``'s ink map; ``photo``: whether it is a photo's (see :func:`lay_out_lines`);
    ``edge``: where the picture's edge runs in ``mask``, if it was straightened.
    ``joined_height``: the height of the upright shapes when they may be digits joined by rules;
    the page is then looked at only if, turned, its digits measure JOINED_SHARE of it or less, and
    however many more shapes it lays out sideways (see _took_in_more).
    The page is taken to lie sideways only if ``mask`` turned lays out at least ``min_shapes``
    shapes.

    Whether it lies sideways is told cheaply, from the upright ``mask`` turned; only a page
    that may is prepared again from the turned image, straightened and read both ways round;
    when its lines leave it in doubt, or it has lines neither way round (LINELESS), it is read
    upright too, and kept upright unless the better of those reads SIDEWAYS_MARGIN better.
    """
    quarter, _ = rotate_quarter(mask, 1)
    height = measure_digit_height(quarter)
    if height == 0.0 or (joined_height is not None and height > JOINED_SHARE * joined_height):
        return None
    # Lines run the same way at 90 and 270 degrees: one layout tells whether the page is sideways.
    quarter_edge = None if edge is None else rotate_quarter(edge, 1)[0]
    quarter_layout = lay_out_lines(quarter, height, rotate_quarter(ink, 1)[0], photo=photo, edge=quarter_edge)
    if quarter_layout.shape_count < min_shapes:
        return None
    sideways = _line_structure(quarter_layout)
    lineless = (
        upright is not None
        and quarter_layout.shape_count >= MIN_SHAPES_TO_TURN
        and upright < LINELESS
        and sideways <= LINELESS
    )
    if not lineless and (sideways < LINELESS or (upright is not None and sideways <= SIDEWAYS_HINT * upright)):
        return None
    # Upright, columns of digits (see TALL_SHAPES); sideways, lines as long as an upright page's that
    # is not looked at sideways: the page lies sideways, and is not read upright as well. Read
    # upright too, its columns left one sure 1 and outscored ten lines read sideways (seed 127
    # photo_050: 71 errors, 13 turned).
    columns_lined_up = upright is None and sideways >= UPRIGHT_ENOUGH and _stacked_in_columns(upright_layout)
    in_doubt = not columns_lined_up and (
        lineless or upright is None or upright >= UPRIGHT_LIKELY or sideways < SIDEWAYS_EVIDENCE * upright
    )
    prepared = _prepare_turned(frame, 1, options)
    if prepared is None:
        return None
    turned, ink = prepared.inked.mask, prepared.inked.ink
    transform, height, photo = prepared.transform, prepared.digit_height, prepared.photo
    # Skew is measured again: on the page as it lay, rows ran across its lines of digits.
    turned, ink, transform, skew, edge = _straighten(turned, ink, transform, height, options)
    candidates = [
        Oriented(turned, transform, lay_out_lines(turned, height, ink, photo=photo, edge=edge), 90, skew, photo)
    ]
    # 270 degrees is the straightened 90-degree page turned upside down.
    upside_down, back = rotate_quarter(turned, 2)
    ink_upside_down, _ = rotate_quarter(ink, 2)
    edge_upside_down = None if edge is None else rotate_quarter(edge, 2)[0]
    candidates.append(
        Oriented(
            upside_down,
            transform.then(back),
            lay_out_lines(upside_down, height, ink_upside_down, photo=photo, edge=edge_upside_down),
            270,
            skew,
            photo,
        )
    )
    # 90 or 270: digits upside down read poorly, so keep the way round that reads better.
    score, best = max(((judge(oriented.layout), oriented) for oriented in candidates), key=lambda pair: pair[0])
    # Shapes joined by rules upright are no compact digits: the page's growth sideways says nothing.
    if in_doubt and joined_height is None and _took_in_more(upright_layout, best.layout):
        return None
    if in_doubt and score < judge(upright_layout) + SIDEWAYS_MARGIN:
        return None
    return best


def _took_in_more(upright: Layout, sideways: Layout) -> bool:
    """Whether the page prepared again sideways lays out far more shapes than upright
    (SIDEWAYS_MAX_GROWTH), when upright laid out enough to judge by (MIN_SHAPES_TO_TURN).

    Both ways round hold the same ink, and a sideways page's digits lie in its upright layout too,
    as compact shapes. Prepared again sideways, a page of print with a few handwritten numbers
    takes in what upright was left out as too small: its words, turned, are as tall as the digits
    and as thin as 1s. Read as hundreds of sure 1s, they outscored the numbers, and the page was
    turned (a printed sheet with `2045` written on it: 246 shapes sideways against 11 upright).

    An upright layout whose shapes are columns of digits (see TALL_SHAPES) holds them not as
    compact shapes but joined a column at a time, by the rule each column was written along: it
    lays out few shapes however many digits it holds, and turned, every digit is a shape again.
    """
    return (
        upright.shape_count >= MIN_SHAPES_TO_TURN
        and not _stacked_in_columns(upright)
        and sideways.shape_count > SIDEWAYS_MAX_GROWTH * upright.shape_count
    )


class Recognizer:
    """Reads digits from frames with a classifier loaded once."""

    def __init__(
        self, classifier: Classifier, options: RecognizerOptions | None = None, strings: StringReader | None = None
    ) -> None:
        """``strings`` defaults to the string model shipped beside the classifier's model, if any."""
        self.classifier = classifier
        self.options = options or RecognizerOptions()
        self.strings = strings if strings is not None else load_string_reader(classifier.info)

    def _decode(self, layout: Layout) -> _Decoded:
        decoded = decode_lines(layout.components, layout.lines, layout.line_heights, self.classifier, self.strings)
        return _Decoded(
            lines=decoded.lines,
            plain=decoded.plain,
            components=layout.components,
            rules=layout.rules,
            digit_height=layout.digit_height,
        )

    def read(self, frame: Frame) -> Reading:
        """Read every number in ``frame``."""
        started = time.perf_counter()
        if min(frame.width, frame.height) < MIN_FRAME_SIDE:
            # A tracking pixel or a thin strip holds no digit (and would trip OpenCV's kernels).
            return self._reading(frame, [], started, 0, 0.0)
        reading, sureness, photo = self._read(frame, started)
        # A scan is never smeared by a camera's motion; a photo read surely needs no sharpening, and
        # one read very unsurely would not be trusted sharpened (BLUR_MIN_SURENESS).
        if self.options.undo_motion_blur and photo and BLUR_MIN_SURENESS <= sureness < BLUR_TRY_BELOW:
            blur = find_motion_blur(frame.image)
            if blur is not None:
                sharpened, sharpened_sureness = self._read_sharpened(frame, blur, started)
                if sharpened_sureness >= sureness + BLUR_MARGIN:
                    reading = sharpened
                # Either reading took the search's time too.
                return replace(reading, elapsed_ms=(time.perf_counter() - started) * 1000.0)
        return reading

    def _read_sharpened(self, frame: Frame, blur: MotionBlur, started: float) -> tuple[Reading, float]:
        """``frame`` sharpened by the line of ``blur`` and read, with how surely; with
        ``search_blur_line``, also by lines turned and stretched from it (BLUR_ANGLE_TRIES,
        BLUR_LENGTH_TRIES): the surest reading."""

        def read_with(line: MotionBlur) -> tuple[Reading, float]:
            reading, sureness, _ = self._read(replace(frame, image=without_motion_blur(frame.image, line)), started)
            return reading, sureness

        def surest(
            lines: list[MotionBlur], best_line: MotionBlur, best: tuple[Reading, float]
        ) -> tuple[MotionBlur, tuple[Reading, float]]:
            """The surest of ``best`` and the readings by ``lines``, and its line; a reading sure
            enough to have needed no sharpening ends the search."""
            for line in lines:
                if best[1] >= BLUR_TRY_BELOW:
                    break
                tried = read_with(line)
                if tried[1] > best[1]:
                    best_line, best = line, tried
            return best_line, best

        best = read_with(blur)
        if not self.options.search_blur_line:
            return best
        # The direction first, then the length along the surest direction.
        best_line, best = surest(
            [replace(blur, angle=(blur.angle + turn) % 180.0) for turn in BLUR_ANGLE_TRIES], blur, best
        )
        _, best = surest(
            [replace(best_line, length=best_line.length * factor) for factor in BLUR_LENGTH_TRIES], best_line, best
        )
        return best

    def _read(self, frame: Frame, started: float) -> tuple[Reading, float, bool]:
        """``frame`` read, how surely (orientation_score), and whether it is a photo of a sheet."""
        # A page looked at sideways is decoded both ways round to judge which reads better;
        # the winner's decoding is kept rather than done again.
        judged: list[tuple[Layout, _Decoded]] = []

        def judge(layout: Layout) -> float:
            decoded = self._decode(layout)
            judged.append((layout, decoded))
            # Judged on the runs as read at their line's height: upside down, a run's digits drawn
            # larger (decode.STRING_SCALES) can read surer than the right way round. Judged on the
            # surest readings, two sideways photos were read upside down (1 -> 28 and 6 -> 26
            # errors; 7,592 over the nineteen sets against 7,545, both measured without the margin).
            return orientation_score(decoded.plain)

        oriented = orient(frame, self.options, judge=judge)
        if oriented is None:
            return self._reading(frame, [], started, 0, 0.0), 1.0, False
        decoded = next((d for layout, d in judged if layout is oriented.layout), None) or self._decode(oriented.layout)
        lines = self._lines(decoded, oriented.transform)
        reading = self._reading(frame, lines, started, oriented.rotation, oriented.skew)
        return reading, orientation_score(decoded.plain), oriented.photo

    def _lines(self, decoded: _Decoded, transform: Transform) -> list[Line]:
        kept = [line.candidates for line in decoded.lines if line.candidates]
        if not self.options.drop_edge_digits:
            return [line for line, _ in self._grouped(kept, decoded, transform)]
        # Each candidate's box in the picture, mapped once for the tests below.
        boxes = {id(c): transform.box(c.x, c.y, c.w, c.h) for line in kept for c in line}
        if self.options.may_be_crop and _is_tight_crop(list(boxes.values()), transform):
            return [line for line, _ in self._grouped(kept, decoded, transform)]
        cut = {key for key, box in boxes.items() if _touches_edge(box, transform)}
        if cut:
            # A shape the edge cuts is half a digit (half a 4 reads as a 1), or the desk, a sheet's
            # edge or a shadow running out of the picture: it goes. At the end of a number, the rest
            # is not the number either: a camera drifting over a sheet saw "11900" as "1900" while
            # its first 1 was half out of view (the number is read whole once it is in view), and
            # shapes of the desk beside a cut one read as numbers of their own. Leaving out only the
            # cut digit read the bundled video's frames at 83.0% number precision and 8.0% CER, this
            # 84.2% and 7.2%. A cut shape inside a number (the top edge through a tall 7 between two
            # numbers, which joined them) takes only itself. So: grouped with the cut shapes, to see
            # which numbers they end; then grouped again without those numbers and the cut shapes.
            doomed = set(cut)
            for line, candidates in self._grouped(kept, decoded, transform):
                start = 0
                for number in line.numbers:
                    members = candidates[start : start + len(number.digits)]
                    start += len(number.digits)
                    if id(members[0]) in cut or id(members[-1]) in cut:
                        doomed.update(id(c) for c in members)
            kept = [kept_line for kept_line in ([c for c in line if id(c) not in doomed] for line in kept) if kept_line]
        return [line for line, _ in self._grouped(kept, decoded, transform)]

    def _grouped(
        self, kept: list[list[Candidate]], decoded: _Decoded, transform: Transform
    ) -> list[tuple[Line, list[Candidate]]]:
        """Lines of candidates grouped into rows and numbers; each with its candidates in digit order."""
        spans = [Span.of_boxes([(c.x, c.y, c.w, c.h) for c in line]) for line in kept]
        lines: list[tuple[Line, list[Candidate]]] = []
        for row in rows(spans, decoded.digit_height):
            # The row's lines do not overlap side to side, so their digits in x order keep each line's order.
            candidates = sorted((c for index in row for c in kept[index]), key=lambda c: c.x)
            fields = [decoded.rules.field_of(c.x + c.w / 2, c.y + c.h / 2) for c in candidates]
            line = group_line(
                candidates,
                fields,
                lambda c: transform.box(c.x, c.y, c.w, c.h),
                self.options.min_confidence,
            )
            if line is not None:
                lines.append((line, candidates))
        return lines

    def _reading(self, frame: Frame, lines: list[Line], started: float, rotation: int, skew: float) -> Reading:
        return Reading(
            source=frame.source,
            page=frame.index,
            width=frame.width,
            height=frame.height,
            lines=tuple(lines),
            elapsed_ms=(time.perf_counter() - started) * 1000.0,
            rotation=rotation,
            skew_degrees=skew,
        )


def _margin(digit_height: float) -> int:
    """Blank space kept around the ink: a few digit heights, so that size checks made against
    the mask's height (segment.MAX_DIGIT_SHARE) still hold for one line of digits."""
    return int(round(CROP_MARGIN * digit_height))


def _is_tight_crop(boxes: list[Box], transform: Transform) -> bool:
    """Whether the picture is cropped close around its writing (a field, one number, one digit),
    judged by its digits' ``boxes`` in its own pixels.

    Its digits may touch its edges without being cut: the crop was made around them. A picture
    less than TIGHT_CROP_HEIGHTS digit heights tall or wide is taken for one.
    """
    # The longer side: on a page read sideways, a digit's height lies across the picture.
    heights = [max(box.w, box.h) for box in boxes]
    if not heights:
        return True
    return min(transform.width, transform.height) < TIGHT_CROP_HEIGHTS * float(np.median(heights))


def _touches_edge(box: Box, transform: Transform) -> bool:
    return box.x <= 1 or box.y <= 1 or box.right >= transform.width - 1 or box.bottom >= transform.height - 1


def _line_height(heights: list[int], fallback: float) -> float:
    tall = [h for h in heights if h >= 0.5 * fallback]
    return float(np.median(tall)) if tall else fallback
