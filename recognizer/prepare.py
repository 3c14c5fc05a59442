"""Page preparation: from a photo or scan to a binary mask of the ink.

1. Working scale: very large scans are reduced so that the whole pipeline
   costs the same on a 300-dpi scan as on a 150-dpi one.
2. Ink map: each colour channel is divided by an estimate of the paper under
   it (a morphological closing at low resolution, which keeps the hard edge of
   a shadow but removes pen strokes). Ink is whatever is darker than its paper
   in *any* channel, so blue or pink ink on yellow paper is as visible as black
   ink on white, and uneven light, shadows and colour casts cancel out.
3. Paper: in a photo, the bright regions that stand out from the desk. Ink is
   only looked for on paper, so printed matter and texture on the desk around
   a sheet or sticky note are ignored. A coloured sticky note written on and
   lying on a sheet is read alone: the sheet is the background it lies on.
4. Threshold per stroke: above the image's own noise floor, each connected
   stroke keeps what is at least a share of its own darkest ink, so faint
   pencil beside bold print and marker on a patterned cheque both work.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import cv2
import numpy as np
import numpy.typing as npt

from recognizer.percentiles import percentile, percentiles_by_label
from recognizer.rules import strip_long_runs
from recognizer.segment import (
    MAX_STROKE_SHARE,
    Components,
    estimate_digit_height,
    estimate_digit_height_and_support,
    find_components,
    find_stripes,
    label_components,
    settled_height,
)
from recognizer.spots import find_dot_pattern, hidden_dots

__all__ = [
    "InkMask",
    "prepare",
    "ink_map",
    "find_paper",
    "find_paper_and_note",
    "warm_up",
    "measure_digit_height",
    "noise_floor",
    "threshold_ink",
    "without_clipped_shapes",
    "working_scale",
]

# OpenCV images: uint8 in practice; typed loosely because cv2 returns untyped arrays.
Image = npt.NDArray[Any]
# Longest side the pipeline works at; a 150-dpi A4 page (1754 px) is read at full size.
MAX_WORKING_SIDE = 2000
# Resolution of the background estimate: long side of the thumbnail.
BACKGROUND_SIDE = 320
# The closing that estimates the paper, in thumbnail pixels: 9 px is ~50 px on a 1754-px page,
# wider than any pen stroke there, narrower than the gap between a shadow's edge and the ink.
BACKGROUND_KERNEL = 9
# Strokes thicker than that kernel (a camera held close to the writing) are looked for with a
# closing this wide, and where found the kernel is made this many times their thickness;
# a stroke is at least MIN_STROKE_LENGTH times as long as it is thick, and at least
# 1/MAX_INK_PER_STROKE of the ink it is part of (not the rim of a shadow).
WIDEST_KERNEL = 41
KERNEL_PER_STROKE = 1.5
MIN_STROKE_LENGTH = 3.0
MAX_INK_PER_STROKE = 6.0
# ... and its median darkness at least this share of the thin ink's (99th percentile): a pen's
# shadow across a sheet, a band up to 46 thumbnail px wide, is as thick as a close-up digit's
# strokes (up to 34) but lighter than the writing, 0.60-0.81 of it, where a close-up's thick
# strokes measure 1.0 of its thin ones. Widened for it, the closing took the shadow for ink with
# every digit in it (seed 149 photo_000: 20 errors, 6 now). Over thirty-four sets 12,714 -> 12,665
# (19 pictures better by 76, 10 worse by 27). No photo of the samples and seeds 7, 11, 13, 29 and
# 43 keeps a widened closing now; with widening turned off altogether the sets read 12,663.
STROKE_DARKNESS = 0.85
# Ink levels (0-255, relative darkness against the paper): the lowest noise floor, the
# weakest stroke peak worth keeping, and the share of its peak a stroke pixel needs.
MIN_INK = 22.0
MIN_PEAK = 45.0
RELATIVE_INK = 0.3
# On a clean grey scan (no sensor grain, no desk) the noise floor alone tells ink from paper,
# and a faint pencil stroke's darkest grains set its peak far above the rest of it: at
# RELATIVE_INK its lighter stretches drop out, loops open and strokes break. The cut is lower
# there for strokes whose peak is under FAINT_PEAK; the blackest ink (print, a felt pen) keeps
# the usual cut, or its soft edges would join bold letters into shapes read as digits. Not in
# colour: a photo whose sheet the paper finder missed is colour, and a desk's pattern held on
# to by the lower cut turned two of them sideways.
CLEAN_RELATIVE_INK = 0.2
FAINT_PEAK = 210.0
# A faint stroke (its component's peak under LOCAL_CUT_BELOW: blurred ink, pencil) is also cut
# against the darkest ink in the LOCAL_CUT_SIDE-px square around each pixel (2 px each way), where
# that is under LOCAL_CUT_RATIO of its peak, rather than against the peak: a darker stretch
# elsewhere in it (a blot, where two strokes cross, a line it runs into that is darker but still
# faint) no longer leaves its lighter stretches as dashes. Within 2 px of ink that dark, the peak's
# cut still holds. What this cut adds must stretch LOCAL_MIN_EXTENT px or more on its own: the soft
# fringe it also adds between strokes joined a 7's foot to the 5 beside it (a 2), so gaps shorter
# than that between dashes stay. Not for darker strokes: the light print joined to a pen digit (the
# box it is written in, a cheque's security pattern) is shed by the digit's cut on purpose, and
# measured against itself stayed (boxed photos read at 2.5 times the errors with every stroke cut
# so); up to a peak of 150, a cheque's waves beside its grey print read as a `27`. Over fifteen
# sets: 6,336 -> 6,299 errors, 29 pictures better, 9 worse.
LOCAL_CUT_BELOW = 120.0
LOCAL_CUT_SIDE = 5
LOCAL_CUT_RATIO = 0.6
LOCAL_MIN_EXTENT = 6
# A long line of ink is cut along its course against the darkest ink within LINE_REACH px of each
# pixel, not against its one darkest point: its peak can lie far away from most of it. Seed 89's
# skewed scan: the sheet's edge, a 1-px line at a slant of 3.75 degrees, is darker where it runs
# along a pixel row than between two, and its darkest point (where it meets the scanner's border)
# set a cut that left only the darker stretches, 58-px dashes read as a column of 15 `1`s. Seed
# 17's desk photo: faint blue digits written on a ruled line and joined to it were cut against a
# blot on the line, and 2900146 was lost. A line is a component at least LINE_EXTENT px long and
# LINE_ASPECT times as long as it is wide: a cheque's frame or a grid of boxes is not, and around
# them the usual cut sheds the light print joined to a digit, as it should. Where the darkest ink
# nearby is under RELATIVE_INK of the line's peak, its peak's cut still holds: nothing there is
# dark enough to be a stroke of it. Over twenty-three sets: 9,024 -> 8,914 errors (skewed scans
# 228 -> 161, and no kind of picture worse by more than 2). Measured and dropped: every component
# 40 px long or more so cut, with a reach of 7 px (9,856: a box's walls far from its digit stay,
# and boxed photos read at half as many errors again) or 40 px (9,112); lines from 200, 300 or 500
# px long (8,995, 8,960, 8,971); three times as long as wide (8,945); any shape 400 px long (8,921:
# a cheque's rosette, joined to its frame, kept more rays and set the digits' height); a reach of
# 25 or 60 px (9,086, 8,935).
LINE_EXTENT = 400
LINE_ASPECT = 4.0
LINE_REACH = 40
# ... for digits up to this tall (working px). Taller ones (a camera close to the writing) have
# strokes wide enough to survive the usual cut, and soft edges the lower one would take in.
CLEAN_MAX_HEIGHT = 100
# At full resolution, a grainy picture's ink map is blurred when that lowers its noise floor by
# at least this share: grain set the floor (a dim pencil photo), not a fine pattern.
GRAIN_BLUR_GAIN = 0.1
# On a grainy picture the noise floor, not a stroke's own strength, cuts a faint pencil stroke:
# where the pencil was pressed lightly the stroke sinks under the floor and the digit breaks
# (a 6's top, a 9's stem). A stroke the floor cut (RELATIVE_INK of its peak is under the floor)
# regains the pixels next to it, out to GROWTH_STEPS pixels, that reach GROWTH_FLOOR of the
# floor: grain that far from a stroke stays out, and so do specks that never rose above the floor.
# Only where grain set the floor: on a clean scan nothing cuts a stroke's faint stretches, and a
# cheque's fine security print, which sets the floor there, would be taken in with them.
# Errors on both sets: 1,250 -> 1,209 (pencil in dim light 142 -> 98).
GROWTH_FLOOR = 0.7
GROWTH_STEPS = 12
# A shape touching the paper's rim along this share of its size (its height or width, whichever
# is larger) or more is clipped by the rim (see without_clipped_shapes). A digit written near the
# edge touches it at a point, if at all. Errors on both sets: 1,195 -> 1,177 (0.5: 1,186).
CLIPPED_SHARE = 0.3
# Paper detection on the thumbnail: colour-gradient level that counts as an edge in a well-lit
# picture, the smallest region worth calling paper, and how light it must be against the lightest part.
PAPER_EDGE = 40.0
PAPER_MIN_SHARE = 0.02
PAPER_MIN_LIGHTNESS = 0.45
# A ruled sheet in a hard shadow: its rules cut the shadowed part into strips, each too small to
# count (a sheet in the light stays whole round the rules' ends). Smooth regions of at least
# STRIP_MIN_SHARE of the picture that come within STRIP_GAP thumbnail px of one another, with
# lightness within STRIP_LIGHTNESS of each other's and colour within DESK_COLOUR, are one region.
# A striped cloth's light bands are further apart, and its dark bands are of another colour.
# Seed 71 photo_011: the numbers in a shadow across a ruled sheet were cut off (41 -> 35 errors;
# no other picture over eighteen sets changes by more than 1). Joined without the colour and
# lightness checks, striped cloths passed for paper: 7,490 -> 7,664 errors.
STRIP_MIN_SHARE = 0.003
STRIP_GAP = 2
STRIP_LIGHTNESS = 0.1
# A table's cells, parted by a grid printed thicker than rules: such pieces, each filling at least
# CELL_FILL of its bounding box, are joined across CELL_GAP px. The strips between lines of print
# or along a cloth's stripes, tilted, fill 0.01-0.10 of theirs; a sideways table's cells, written
# in and turned, 0.36-0.57, with 5.7 px of grid between them (seed 17 photo_039 and seed 151
# photo_072, whose paper was found in a corner of the table only: 50 -> 0 and 43 -> 7 errors).
# Over thirty-four sets 12,814 -> 12,714 (12 pictures better by 120, 9 worse by 20). Joined across
# 6 px whatever their shape: 12,806, as a sticky note's print and a form's margins joined too.
CELL_GAP = 6
CELL_FILL = 0.3
# PAPER_EDGE holds for a picture whose lightest part (98th percentile of the lightness: L, 0-255,
# or the grey level of a grey picture) is this light. In dim light every edge is weaker, roughly in
# proportion to the light falling on it (L is not linear in it), so the level is lowered with it:
# at 0.35 of that light, a desk's cloth 0.87 as light as the sheet no longer made an edge against
# it, passed for paper with it, and its stripes read as 1s. Errors over the samples and three
# seed-7 sets made with OpenCV 5.0, 5.1 and 4.14 (788 pictures): 3,818 -> 3,686, dim pencil
# 296 -> 160 (200: 3,754; 300: 3,791, as well-lit photos change too). No floor: at a tenth of the
# light the sheet on that cloth is still found, and a floor at a quarter lost it there.
WELL_LIT_PAPER = 250.0
# Above this many blobs, clearing them pixel by pixel through the label image is quicker than box by box.
MANY_BLOBS = 40
# A shape centred within CUT_DOT_NEAR dot diameters of a dot the sheet hides or cuts, at most
# CUT_DOT_SIZE diameters long and filling CUT_DOT_FILL of its box or more, is what shows of that dot
# (see _without_cut_dots). The diameter is the holes' in the thumbnail, which the blur of their
# edges widens (10.5 px for dots 13.6 px apart in seed 71 photo_059). Errors over eighteen sets:
# 7,405 -> 7,367 (angled -11, boxed photos -7; 24 pictures better by 43, 2 worse by 5). The cut
# dots filled 0.71-0.75 of their boxes; without CUT_DOT_FILL pieces of the first digits of a boxed
# photo's rows near the sheet's edge went too (seed 7 photo_130 5 -> 9; 7,377 in all).
CUT_DOT_NEAR = 0.6
CUT_DOT_SIZE = 1.3
CUT_DOT_FILL = 0.6
# On a photo, a shape whose thickest stroke is over BAND_STROKES times the median of the picture's
# shapes of BAND_MIN_AREA px or more (with at least BAND_MIN_SHAPES of them), with BAND_CORE of its
# pixels or more at least half that median deep (the centre line of a typical stroke is: a band's
# whole middle is), is a desk's band (see _desk_bands). Errors
# over eighteen sets: 7,485 -> 7,405 (boxed photos -38, touching -22, webcam -13; 15 pictures
# better by 102, 14 worse by 22). BAND_STROKES 2.2 or 3.0: 7,396 and 7,445; BAND_CORE 0.3 or 0.5:
# 7,413 and 7,400. Without BAND_CORE, a blot joined to a line of digits and its rule went with
# them (7,443); on scans, thin print sets the median and digits are far thicker (2.0: 11,624).
BAND_STROKES = 2.5
BAND_CORE = 0.4
BAND_MIN_AREA = 30
BAND_MIN_SHAPES = 5
# A region of more pixels than this is sampled for its noise floor: every k-th pixel, k = size // NOISE_SAMPLE.
NOISE_SAMPLE = 200_000
# Paper covering more of the picture than this is the whole picture: a scan. Unless a desk shows
# at the picture's edge (a region large enough to be paper but far too dark): a sheet photographed
# close up, filling 0.94 of the picture with a strip of dark wood beside it, was read as a scan and
# the wood's grain as ink (seed 103 `photo_005`, 11 -> 2 errors). Skewed scans fill 0.93-0.96 of
# theirs, and the scanner's lid around the sheet is white.
PAPER_MAX_SHARE = 0.93
# When light regions fill the picture, the sheet among them is at least this light against the lightest.
SHEET_LIGHTNESS = 0.75
# A desk that one region joins to the sheet is at most this light against it (a shadow is lighter).
MAX_DESK_LIGHTNESS = 0.5
# How much rougher than the smoothest light region another one may be and still be paper,
# and the least roughness that bar is taken from (a clean scan or a rendered sheet is almost
# perfectly smooth; a few times nothing would turn away paper with a faint pattern).
PAPER_MAX_ROUGHNESS = 4.0
PAPER_MIN_ROUGHNESS = 2.0
# What a sheet's convex hull adds to the light regions found on it is paper when it is at most
# this much rougher than the smoothest region kept as paper (a table's cells, a shadow; a striped
# cloth is 4x).
HULL_MAX_ROUGHNESS = 2.0
# Or when its smoothest quarter is that smooth and its median at most this many times rougher: paper
# with a few marks on it (a cheque's boxed fields, white and framed, with their digits, cut off from
# the cheque by their frames). Errors on both sets: 1,259 -> 1,217 at 3 (tiny cheques 109 -> 77:
# three whose date and amount were not read; 2.0: 1,234, 2.6: 1,215). Blocks of print under a sticky
# note measured 3.8x and more then; a note on a sheet is now read alone. Errors over sixteen sets, with
# the rest of the nineteenth revision: 6,641 at 3, 6,617 at 4, 6,611 at 5, 6,635 at 6 (a sideways
# photo took in the desk beside it, and sticky notes on print read worse). From 3 to 5, three
# photos read better, one of them by 14 errors (numbers at angles whose rows ran into each other
# while a strip of the sheet along the picture's top edge, its title printed in it, measured 3.4x),
# and one sticky note on print read worse (1 -> 3).
HULL_MARKED_ROUGHNESS = 5.0
# A region under this share of the sheet's lightness, of another colour (chromaticity, b+g+r = 1,
# summed distance above DESK_COLOUR) and reaching the picture's edge is desk, not the sheet in
# shadow: a shadow dims paper but keeps its colour. At 0.6, a striped wooden desk 0.61 as light as
# a sheet in dim light (and 0.15 off its colour) was kept as paper, its lightest stripes passed for
# the sheet's edge and the page was read sideways: 114 errors, 3 at 0.65 (0.7: 3 more errors
# elsewhere).
DESK_LIGHTNESS = 0.65
# A piece the sheet's hull adds that reaches the picture's edge is a notch in the sheet when at most
# this share of its border lies outside the hull, and taken in when it is at least NOTCH_MIN_SHARE
# of the picture, large enough to be paper on its own (see _with_notches). Errors over 25 sets:
# 9,847 -> 9,775 (11 pictures better by 94, 11 worse by 22). Taking in every notch, however small:
# 9,760, but 71 pictures worse by 205, two of them by 36 and 23: the small notches are digits and
# titles cut by the picture's edge, and they turned a sideways page the wrong way round. Only large
# notches whose smoothest quarter is as smooth as paper: 9,784.
NOTCH_OPEN = 0.05
NOTCH_MIN_SHARE = 0.02
# A piece the sheet's hull adds inside the picture is a bay in the sheet when the paper borders it
# along at least BAY_ENCLOSED of its border, and taken in when it is at least BAY_MIN_SHARE of the
# picture, no rougher than writing (its median at most BAY_ROUGHNESS times the hull's bar), at least
# BAY_LIGHTNESS of the lightest paper's light and of the sheet's colour (see _with_bays). A hard
# shadow across a sheet's edge joins the shaded paper to the shaded desk, and the numbers written
# there were left out with it (seed 53 photo_077: 4 of 21 numbers). Errors over twenty-seven sets:
# 10,434 -> 10,382, 5 pictures better by 52, none worse (0.4 of the light: the same). Alternatives:
#   - light as the hull asks (DESK_LIGHTNESS, 0.65), the bar 5 times and pieces at the edge too:
#     10,405, the shaded bays left out;
#   - the bar 5 times, as for writing that fills a box (HULL_MARKED_ROUGHNESS): 10,388. A block of
#     print between a sticky note and the print around it was taken in (4.8 times the bar, against
#     3.4-3.8 for a shadow's handwriting), and the note's digits were lost among it (+6);
#   - pieces at the picture's edge as well: 10,382 (two pictures better by 1, two worse by 1). They
#     are left to _with_notches: at the edge a small piece is as likely a number the edge cuts.
BAY_ENCLOSED = 0.75
BAY_MIN_SHARE = 0.003
BAY_LIGHTNESS = 0.5
BAY_ROUGHNESS = 4.0
DESK_COLOUR = 0.08
# A sticky note on a sheet (see _note_on_sheet): a light region inside the picture whose colour
# (chromaticity, as above) is at least this far from the sheet's. Yellow, pink, green and blue notes
# on white sheets measured 0.11-0.30; in the other photos of the samples and five generated sets
# (480), the regions inside the picture measured 0.04 at most, but for a cheque of its own colour
# on a desk (0.17), which lies on no sheet.
NOTE_COLOUR = 0.1
# A note lies on the sheet: at least this share of it inside the hull of the sheet's pieces, and it
# covers at most NOTE_MAX_SHARE of the paper.
NOTE_ON_SHEET = 0.25
NOTE_MAX_SHARE = 0.75
# A note may run off one side of the picture: a phone held close to it cuts it there. Held to the
# inside of the picture, a pink note on print cut by the picture's foot was not found, its print
# read as 91 errors of 1s (seed 151 photo_078). Over thirty-three sets, 12,348 -> 12,337: three
# sticky notes better by 11, none worse. A region reaching two sides is a sheet or the desk.
NOTE_EDGES = 1
# Such a region at least this many times rougher than the sheet is desk however light it is: wood
# grain is rougher than paper, and paper keeps its colour. Errors on both sets: 1,293 -> 1,259
# (a sheet of buff paper on mid-brown wood, 0.64 of its lightness and 2.5 times rougher; 1.5 and
# 2 read the same, 3 lets the wood back in; that wood now goes by DESK_LIGHTNESS as well).
DESK_ROUGHNESS = 2.0
# A dotted desk taken out of a light region leaves the sheet (see _without_dotted_desk): opened by
# this many dot spacings, in pieces of at least this share of the picture. Errors on both sets:
# 1,167 -> 1,135 (pencil in dim light 98 -> 74: a photo whose sheet was not found 33 -> 12;
# coloured ink 41 -> 36; sideways 70 -> 65: the sheet's broken edge no longer reads as 1s).
SHEET_OPENING = 1.5
SHEET_MIN_SHARE = 0.05
# Digits taller than this (working px) are read at half resolution: MNIST itself is 20 px
# tall, so nothing is lost, and every later step costs a quarter.
POOL_ABOVE_HEIGHT = 34
# On a photo of a sheet (the paper was found), digits from POOL_ABOVE_HEIGHT up to (not including)
# this are read at PHOTO_FINE_SCALE of the working resolution instead. A camera's grain, blur and
# JPEG blocks leave less room between strokes than a scan does, and at half resolution the
# darkest-of-four pooling closed it: touching digits ran together and small loops filled. Errors
# over the samples and three seed-7 sets (788 pictures): 2,835 -> 2,704 (boxed photos 263 -> 222,
# touching 422 -> 390, dim pencil 147 -> 117, desk photos 304 -> 285; 68 pictures better by 207,
# 36 worse by 76); on a fresh seed-11 set of 120 pictures that no setting was tried on, 768 -> 729.
# Full resolution read about as well (2,689, with two more changes it needed) at nearly twice the
# time of half. Over the 31 sample photos of 1280x720, read alternately with and without it, three
# quarters moved the median from 50.4 to 69.1 ms (the photos near the median are among those read
# at three quarters) and the mean from 75.9 to 84.0 ms. Up to 50 px: 2,694, with more photos
# slowed; 0.7 or 0.8 of the resolution: 2,824 / 2,706.
PHOTO_POOL_ABOVE_HEIGHT = 44
PHOTO_FINE_SCALE = 0.75


@dataclass(frozen=True)
class InkMask:
    """Binary ink (255) in working coordinates, with its components and typical digit height."""

    mask: Image
    # Working pixels per original pixel.
    scale: float
    digit_height: float
    paper: Image | None
    threshold_low: int
    threshold_high: int
    # The ink map the mask was thresholded from (same size): how much darker than its paper each
    # pixel is. It tells a pen stroke from the lighter printed rule it lies along (rules.remove_rules).
    ink: Image
    # Set when it is at half the working resolution (digits of POOL_ABOVE_HEIGHT or more): what
    # was found there, which prepare_at_full_resolution starts from.
    half: HalfResolution | None = None

    @property
    def pooled(self) -> bool:
        return self.half is not None


@dataclass(frozen=True, eq=False)
class HalfResolution:
    """What :func:`prepare` found at half resolution that a finer scale starts from: the working
    scale, the lightly blurred working image, the paper and the sticky note in it (and whether the
    note alone holds the writing), the paper closing's kernel, whether the ink is grainy, the
    share of its peak a faint stroke keeps, the digits' height at full working resolution and the
    dots the sheet cuts."""

    scale: float
    smoothed: Image
    paper: Image | None
    note: Image | None
    note_read: bool
    kernel: int
    grainy: bool
    faint_relative: float
    height: float
    cut_dots: CutDots | None


_table_builder: threading.Thread | None = None


@dataclass(frozen=True, eq=False)
class _SheetColour:
    """The sheet's colour in a thumbnail, to tell which pieces of it are of that colour: within
    DESK_COLOUR in chromaticity (a shadow dims paper but keeps its colour)."""

    thumb: Image
    colour: npt.NDArray[np.float64]

    def of_region(self, region: npt.NDArray[np.bool_]) -> bool:
        """Whether a region (a boolean mask over the thumbnail) is of the sheet's colour."""
        return float(np.abs(_chromaticity(self.thumb, region) - self.colour).sum()) <= DESK_COLOUR

    def of_labels(
        self, piece_of: npt.NDArray[np.int32], in_piece: npt.NDArray[np.bool_], count: int
    ) -> npt.NDArray[np.bool_]:
        """For each label 0..count-1, whether the thumbnail's pixels ``in_piece`` of that label
        (``piece_of``: their labels) are of the sheet's colour: what :meth:`of_region` says of each
        piece, from one pass over the pixels (a photo's hull adds dozens of pieces, and a pass per
        piece cost a millisecond a photo)."""
        chromaticity = _chromaticities(self.thumb[in_piece], piece_of, count)
        return np.asarray(np.abs(chromaticity - self.colour).sum(axis=1) <= DESK_COLOUR)


def _chromaticities(colours: npt.NDArray[Any], labels: npt.NDArray[np.int32], count: int) -> npt.NDArray[np.float64]:
    """For each label 0..count-1, what :func:`_chromaticity` says of the pixels of that label
    (``colours``: their BGR values, ``labels``: their labels), from one pass over the pixels."""
    pixels = np.bincount(labels, minlength=count).astype(np.float64)
    # Summed as cv2.mean sums (exactly: whole numbers) and scaled as it scales, by one over the
    # piece's pixel count.
    sums = np.stack([np.bincount(labels, weights=colours[:, channel], minlength=count) for channel in range(3)], axis=1)
    means = sums * np.where(pixels > 0, 1.0 / np.maximum(pixels, 1.0), 0.0)[:, None]
    return np.asarray(means / np.maximum(means.sum(axis=1), 1.0)[:, None], np.float64)


def warm_up() -> None:
    """Have OpenCV build its Lab colour tables now, in a thread, rather than at the first photo.

    The first Lab conversion of a process builds them: 0.1 s on this machine, a tenth of
    a cold ``digits read photo.jpg``. OpenCV releases the GIL meanwhile, so started before the
    model loads and the input is decoded, it costs that command almost nothing.
    :func:`find_paper` waits for it rather than build the same tables alongside.
    """
    global _table_builder
    if _table_builder is None:
        # Not a daemon: a daemon thread still inside OpenCV when the interpreter exits (a command
        # that fails at once) aborts the process; exit waits for it instead, 0.1 s at most.
        _table_builder = threading.Thread(
            target=cv2.cvtColor, args=(np.zeros((1, 1, 3), np.uint8), cv2.COLOR_BGR2LAB), name="lab-tables"
        )
        _table_builder.start()


def working_scale(height: int, width: int) -> float:
    return min(1.0, MAX_WORKING_SIDE / max(height, width))


def _thumbnail(image: Image) -> Image:
    """The picture at BACKGROUND_SIDE on its long side, where the paper is found and estimated."""
    height, width = image.shape[:2]
    factor = BACKGROUND_SIDE / max(height, width)
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def _closed(thumbnail: Image, kernel: int) -> Image:
    """Paper brightness on a thumbnail: a closing removes strokes thinner than the kernel.

    A kernel wider than the usual one (strokes seen from close up) closes a half-size copy with
    half the kernel: an ellipse's cost grows with its area (41 px: 3 ms a channel, against 0.15 ms
    for 9 px), and the paper it leaves is smooth at that scale anyway.
    """
    if kernel <= BACKGROUND_KERNEL:
        return cv2.morphologyEx(thumbnail, cv2.MORPH_CLOSE, _ellipse(kernel))
    rows, cols = thumbnail.shape[:2]
    half = cv2.resize(thumbnail, (max(1, cols // 2), max(1, rows // 2)), interpolation=cv2.INTER_AREA)
    closed = cv2.morphologyEx(half, cv2.MORPH_CLOSE, _ellipse(kernel // 2 | 1))
    return cv2.resize(closed, (cols, rows), interpolation=cv2.INTER_LINEAR)


def _ellipse(kernel: int) -> Image:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (kernel, kernel))


def _background(closed: Image, shape: tuple[int, ...]) -> Image:
    """The paper brightness under each pixel of a picture of ``shape``, from its closed thumbnail."""
    return cv2.resize(cv2.medianBlur(closed, 3), (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)


def _is_colourful(image: Image) -> bool:
    """Whether any part of the image has colour worth a channel of its own (coloured ink or paper)."""
    if image.ndim == 2:
        return False
    step = max(1, max(image.shape[:2]) // BACKGROUND_SIDE)
    sample = np.ascontiguousarray(image[::step, ::step])
    saturation = cv2.cvtColor(sample, cv2.COLOR_BGR2HSV)[:, :, 1]
    return percentile(saturation.ravel(), 99) > 40


def ink_map(image: Image) -> Image:
    """0 where the pixel is as bright as its paper, up to 255 where it is black on white paper."""
    return _ink_and_paper(image)[0]


def _ink_and_paper(
    image: Image,
    papers: list[Image] | None = None,
    kernel: int | None = None,
    paper: Image | None = None,
    thumbnail: Image | None = None,
) -> tuple[Image, list[Image], int]:
    """The ink map, the paper brightness of each channel it was measured against, and the
    closing's kernel (thumbnail pixels) that estimated it.

    ``papers`` from an earlier call on a lightly blurred copy of the same image can be
    reused: the paper is estimated far below the blur's scale, and it is most of the cost.
    Without a ``kernel``, it is chosen for the strokes found on ``paper`` (see _stroke_kernel).
    ``thumbnail``: the image's _thumbnail, when find_paper has made it already.
    """
    channels = [image] if image.ndim == 2 else cv2.split(image)
    if papers is None:
        whole = thumbnail if thumbnail is not None else _thumbnail(image)
        thumbnails = [whole] if whole.ndim == 2 else list(cv2.split(whole))
        closed = [_closed(thumbnail, kernel or BACKGROUND_KERNEL) for thumbnail in thumbnails]
        if kernel is None:
            # Strokes are looked for in the lightness alone: a yellow note on a white sheet
            # is a dark block in the blue channel, as thick as a close-up stroke.
            lightness, usual = thumbnails[0], closed[0]
            if len(channels) > 1:
                lightness = cv2.cvtColor(whole, cv2.COLOR_BGR2GRAY)
                usual = _closed(lightness, BACKGROUND_KERNEL)
            kernel = _stroke_kernel(lightness, usual, paper)
            if kernel > BACKGROUND_KERNEL:
                closed = [_closed(thumbnail, kernel) for thumbnail in thumbnails]
        papers = [_background(estimate, image.shape) for estimate in closed]
    strongest: Image | None = None
    for channel, background in zip(channels, papers, strict=True):
        # Contrast relative to the paper: the same ink on dim paper scores as on bright paper.
        relative = _relative_darkness(background, channel)
        strongest = relative if strongest is None else cv2.max(strongest, relative)
    assert strongest is not None
    return strongest, papers, kernel or BACKGROUND_KERNEL


def _relative_darkness(paper: Image, image: Image) -> Image:
    """How much darker than its paper each pixel is, as a share of the paper's brightness (0-255)."""
    return cv2.divide(cv2.subtract(paper, image), np.maximum(paper, 24), scale=255.0)


def _stroke_kernel(thumbnail: Image, closed: Image, paper: Image | None) -> int:
    """The paper closing's kernel (odd, thumbnail pixels): BACKGROUND_KERNEL, or wider when the
    paper holds strokes too thick for it.

    A camera held close to the writing (a digit a third of a 640x480 frame) makes strokes
    thicker than 9 thumbnail pixels; the usual closing (``closed``) keeps them as paper, and
    the digits come out as hollow outlines. Those strokes are what a far wider closing removes
    and the usual one keeps; the kernel is made half as wide again as the thickest of them.
    """
    rows, cols = thumbnail.shape[:2]
    # A square closing: a twentieth of the cost of an ellipse this wide, and only its reach matters here.
    wide = cv2.morphologyEx(thumbnail, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (WIDEST_KERNEL,) * 2))
    kept = _relative_darkness(wide, closed) > MIN_PEAK
    on_paper = None
    if paper is not None:
        # Only strokes on the paper: a desk's edges and texture are as wide, and no ink.
        on_paper = cv2.resize(paper, (cols, rows), interpolation=cv2.INTER_NEAREST) > 0
        kept &= on_paper
    if not kept.any():
        return BACKGROUND_KERNEL
    darkness = _relative_darkness(wide, thumbnail)
    ink = (darkness > MIN_PEAK).astype(np.uint8)
    depth = cv2.distanceTransform(ink, cv2.DIST_L2, 3)
    if not (depth[kept] >= BACKGROUND_KERNEL / 2).any():
        # Nothing kept is as thick as the kernel: the usual closing removes every stroke.
        return BACKGROUND_KERNEL
    count, labels, stats = label_components(kept.astype(np.uint8))
    _, ink_labels, ink_stats = label_components(ink)
    # Per kept piece: its stroke thickness (twice the deepest point of the ink under it) and
    # the area of the ink it is part of; one pass over its pixels, not one mask per piece.
    inside = labels[kept].astype(np.intp)
    deepest = np.zeros(count, np.float32)
    np.maximum.at(deepest, inside, depth[kept])
    whole = np.zeros(count, np.int64)
    whole[inside] = ink_stats[ink_labels[kept], cv2.CC_STAT_AREA]
    x, y, w, h, area = (stats[:, i] for i in range(5))
    stroke = 2.0 * deepest
    # Touching the edge: a scanner's dark border or the desk at a sheet's edge. Short for
    # its thickness, or a sliver of far more ink: a shadow or a thumb over the sheet is a blob, or
    # its rounded edge is a sliver of a large dark region, and the closing must not grow to take
    # either for ink; the thick strokes of a digit are long, and most of its ink.
    strokes = (
        (x > 0)
        & (y > 0)
        & (x + w < cols)
        & (y + h < rows)
        & (stroke >= BACKGROUND_KERNEL)
        & (np.maximum(w, h) >= MIN_STROKE_LENGTH * stroke)
        & (whole <= MAX_INK_PER_STROKE * area)
    )
    strokes[0] = False
    if strokes.any():
        strokes &= _as_dark_as_the_ink(strokes, labels, darkness, closed, thumbnail, kept, on_paper)
    thickness = float(stroke[strokes].max()) if strokes.any() else 0.0
    return min(WIDEST_KERNEL, max(BACKGROUND_KERNEL, math.ceil(KERNEL_PER_STROKE * thickness) | 1))


def _as_dark_as_the_ink(
    strokes: npt.NDArray[np.bool_],
    labels: npt.NDArray[np.int32],
    darkness: Image,
    closed: Image,
    thumbnail: Image,
    thick: npt.NDArray[np.bool_],
    on_paper: npt.NDArray[np.bool_] | None,
) -> npt.NDArray[np.bool_]:
    """Which of the thick pieces ``strokes`` (flags over ``labels``) are as dark as the thin ink
    beside them: at least STROKE_DARKNESS of its 99th percentile (``darkness``: against the wide
    closing; the thin ink's against the usual one, ``closed``), or anything when there is no thin
    ink. A pen writes its thick and thin strokes alike; a shadow is lighter than the writing."""
    usual = _relative_darkness(closed, thumbnail)
    thin = (usual > MIN_PEAK) & ~thick
    if on_paper is not None:
        thin &= on_paper
    if not thin.any():
        return strokes
    least = STROKE_DARKNESS * percentile(usual[thin], 99.0)
    # Each piece's median darkness from one pass over the flagged pieces' pixels, not a mask per piece.
    flagged = strokes[labels]
    (medians,) = percentiles_by_label(labels[flagged], darkness[flagged].astype(np.float64), len(strokes), (50.0,))
    dark: npt.NDArray[np.bool_] = strokes & (medians >= least)
    return dark


def _fine_texture(image: Image, size: tuple[int, int]) -> Image:
    """Mean absolute Laplacian of the lightness at twice the thumbnail's resolution, at thumbnail size."""
    fine = cv2.resize(image, (size[0] * 2, size[1] * 2), interpolation=cv2.INTER_AREA)
    gray = cv2.cvtColor(fine, cv2.COLOR_BGR2GRAY) if fine.ndim == 3 else fine
    laplacian = np.abs(cv2.Laplacian(gray.astype(np.float32), cv2.CV_32F, ksize=3))
    return cv2.resize(laplacian, size, interpolation=cv2.INTER_AREA)


def _lighter_part(region: npt.NDArray[np.bool_], lightness: Image, area: int) -> npt.NDArray[np.bool_]:
    """The region, or only its light part when it joins a sheet and a much darker desk.

    In a dim photo the light can fade from the sheet into the desk so gently that
    no edge parts them: the region then holds two clear levels of lightness, the
    sheet and a desk less than half as light. A shadow on a sheet is lighter than that.
    """
    values = lightness[region]
    if values.size < 2 * PAPER_MIN_SHARE * area:
        return region
    cut, _ = cv2.threshold(values.reshape(1, -1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    light = values > cut
    if min(int(light.sum()), int((~light).sum())) < PAPER_MIN_SHARE * area:
        return region
    if float(values[~light].mean()) >= MAX_DESK_LIGHTNESS * float(values[light].mean()):
        return region
    return region & (lightness > cut)


def _filled(regions: list[npt.NDArray[np.bool_]], shape: tuple[int, ...]) -> Image:
    """The regions as one paper mask, the thin cuts between them bridged and the holes filled.

    Ruled lines and writing cut the paper into strips; the ink leaves holes. (A convex hull
    would also take in the desk between a sheet and a light stripe or shadow touching it:
    :func:`_hulled` takes in only what is as smooth as paper and of its colour.)
    """
    paper: Image = np.zeros(shape[:2], np.uint8)
    for region in regions:
        paper[region] = 255
    paper = cv2.morphologyEx(paper, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9)))
    contours, _ = cv2.findContours(paper, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(paper, contours, -1, 255, thickness=cv2.FILLED)
    return paper


def _hulled(
    paper: Image, texture: Image, roughest: float, sheet_colour: _SheetColour | None, light: _Lightness
) -> Image:
    """The paper, with what its convex hull adds taken in wherever that is smooth enough to be paper
    and, in colour, of the sheet's colour (a shadow keeps it; a smooth desk does not).

    A sheet is convex (a quadrilateral in perspective), but the light regions found on it need
    not be: a table whose grid and writing cut its cells too small to count, or a hard shadow,
    can run out to the sheet's edge or the picture's, and the hole it leaves is then no hole
    to fill. What the hull adds there is as smooth as the paper (cells, mostly blank; a shadow).
    So are a cheque's boxed fields, which their frames cut off from the rest of the cheque: white
    and mostly smooth, with a few digits in them, and so is a strip of the sheet along the
    picture's edge with a printed title in it. What it adds between a sheet and a striped cloth or
    another sheet is rougher and stays out, and most of what it adds over the blocks of print a
    sticky note lies on (which matters less now that a note on a sheet is read alone). Notches at
    the picture's edge and bays inside it are taken in on their own terms (see :func:`_with_notches`
    and :func:`_with_bays`).
    """
    contours, _ = cv2.findContours(paper, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    hulled = paper.copy()
    for contour in contours:
        cv2.fillPoly(hulled, [cv2.convexHull(contour)], 255)
    filled = _with_smooth_pieces(paper, paper, hulled, texture, roughest, sheet_colour)
    filled = _with_notches(filled, hulled, light, sheet_colour)
    filled = _with_bays(filled, hulled, texture, roughest, light, sheet_colour)
    if len(contours) > 1:
        # A table's grid can cut a band of cells across the sheet too small to count, leaving
        # two parts whose own hulls do not reach across it (seed 17: 17 digits in the band went
        # unread). The hull of all the parts adds the band. Between two sheets, or a sheet and
        # anything else, it adds what lies between them, so only what neither part's own hull
        # added, judged on its own, and only what is as smooth as paper throughout (its median,
        # not just its smoothest quarter: a sticky note's shadow and the print beside it, 4,136 px
        # of median roughness 20 against a bar of 12, went in and lost the note's digits) and as
        # light as the sheet in shadow (DESK_LIGHTNESS): a plain grey or dark desk is smooth, and
        # in a grey picture there is no colour to tell it by. Errors over the samples and the
        # seed-7 to 29 sets: 3,519 -> 3,500, that one table the only picture changed; the
        # seed-31, 37 and 41 sets read the same.
        joint = hulled.copy()
        cv2.fillPoly(joint, [cv2.convexHull(np.concatenate(contours))], 255)
        filled = _with_smooth_pieces(hulled, filled, joint, texture, roughest, sheet_colour, light=light)
    return filled


@dataclass(frozen=True, eq=False)
class _Lightness:
    """The thumbnail's lightness, the lightest paper's mean lightness, and the share of it a piece's
    mean must reach to count as the sheet's."""

    lightness: Image
    lightest: float
    share: float = DESK_LIGHTNESS

    @property
    def least(self) -> float:
        return self.share * self.lightest


def _with_smooth_pieces(
    before: Image,
    paper: Image,
    hulled: Image,
    texture: Image,
    roughest: float,
    sheet_colour: _SheetColour | None,
    *,
    light: _Lightness | None = None,
) -> Image:
    """``paper`` with each piece that ``hulled`` adds to ``before`` taken in if of the sheet's
    colour and smooth enough: its median roughness at most ``roughest``, or, without ``light``, its
    smoothest quarter (cells written in; see HULL_MARKED_ROUGHNESS). With ``light``, a piece's mean
    lightness must also be at least ``light.least``."""
    added = cv2.subtract(hulled, before)
    count, labels = cv2.connectedComponents(added, connectivity=4, ltype=cv2.CV_32S)
    filled = paper.copy()
    if count <= 1:
        return filled
    # Each piece's texture quartile and median, for all pieces at once (a photo's hull adds dozens).
    in_piece = labels > 0
    piece_of: npt.NDArray[np.int32] = np.asarray(labels, np.int32)[in_piece]
    roughness = texture[in_piece].astype(np.float64)
    smoothest_quarters, medians = percentiles_by_label(piece_of, roughness, count, (25.0, 50.0))
    rough = medians > roughest
    if light is None:
        rough &= (smoothest_quarters > roughest) | (medians > HULL_MARKED_ROUGHNESS * roughest)
    taken = ~rough & _like_the_sheet(piece_of, in_piece, count, light, sheet_colour)
    filled[taken[labels]] = 255
    return filled


def _like_the_sheet(
    piece_of: npt.NDArray[np.int32],
    in_piece: npt.NDArray[np.bool_],
    count: int,
    light: _Lightness | None,
    sheet_colour: _SheetColour | None,
) -> npt.NDArray[np.bool_]:
    """For each label 0..count-1 (0: no piece), whether the pixels ``in_piece`` of that label
    (``piece_of``: their labels) are on average at least ``light.least`` light, when ``light`` is
    given, and of the sheet's colour, when it is known."""
    like = np.ones(count, dtype=bool)
    like[0] = False
    if light is not None:
        pixels = np.bincount(piece_of, minlength=count)
        summed = np.bincount(piece_of, weights=light.lightness[in_piece].astype(np.float64), minlength=count)
        like &= summed >= light.least * np.maximum(pixels, 1)
    if sheet_colour is not None:
        like &= sheet_colour.of_labels(piece_of, in_piece, count)
    return like


def _with_notches(paper: Image, hulled: Image, light: _Lightness, sheet_colour: _SheetColour | None) -> Image:
    """``paper`` with each notch that its hull adds taken in, if light enough and of the sheet's colour.

    A notch is a piece the hull adds that reaches the picture's edge and is bordered by the paper
    everywhere else (at most NOTCH_OPEN of its border lies outside the hull): the sheet runs off
    the picture on both sides of it, so what lies between is the sheet too. A table that runs off
    the picture, its cells cut too small to count by the grid and dense with writing, is one:
    rougher than :func:`_with_smooth_pieces` takes (median 5.4 times the paper's), it was left out
    with all its digits (seed 101 `photo_016`: 63 errors -> 2). What a hull adds between a sheet
    and a desk or a cloth is bordered by the desk along the hull. Only notches large enough to be
    paper (NOTCH_MIN_SHARE): a small one is a number or a title cut by the picture's edge.
    """
    added = cv2.subtract(hulled, paper)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(added, connectivity=4, ltype=cv2.CV_32S)
    height, width = added.shape
    outside = hulled == 0
    notch = np.zeros(count, dtype=bool)
    for index in range(1, count):
        x, y, w, h, size = (int(value) for value in stats[index])
        if size < NOTCH_MIN_SHARE * added.size or (x > 0 and y > 0 and x + w < width and y + h < height):
            continue
        along, border = _border_along(labels, stats, index, outside)
        notch[index] = 0 < border and along <= NOTCH_OPEN * border
    if not notch.any():
        return paper
    in_piece = labels > 0
    piece_of: npt.NDArray[np.int32] = np.asarray(labels, np.int32)[in_piece]
    notch &= _like_the_sheet(piece_of, in_piece, count, light, sheet_colour)
    filled = paper.copy()
    filled[notch[labels]] = 255
    return filled


def _border_along(labels: Image, stats: Image, index: int, mask: npt.NDArray[np.bool_]) -> tuple[int, int]:
    """How many pixels of the border of piece ``index`` (the pixels 4-connected to it, within the
    picture) lie where ``mask`` holds, and how many it has."""
    height, width = labels.shape
    x, y, w, h = (int(value) for value in stats[index, :4])
    # The piece's box and a pixel around it: its border is the ring its dilation adds.
    top, left = max(y - 1, 0), max(x - 1, 0)
    bottom, right = min(y + h + 1, height), min(x + w + 1, width)
    piece = (labels[top:bottom, left:right] == index).astype(np.uint8)
    ring = (cv2.dilate(piece, cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))) > 0) & (piece == 0)
    return int(np.count_nonzero(ring & mask[top:bottom, left:right])), int(np.count_nonzero(ring))


def _with_bays(
    paper: Image,
    hulled: Image,
    texture: Image,
    roughest: float,
    light: _Lightness,
    sheet_colour: _SheetColour | None,
) -> Image:
    """``paper`` with each bay that its hull adds taken in, if no rougher than writing, light enough
    (at least BAY_LIGHTNESS of the lightest paper's light) and of the sheet's colour.

    A bay is a piece the hull adds that lies inside the picture and is bordered by the paper along
    at least BAY_ENCLOSED of its border: paper on three sides of it and the hull on the fourth.
    Where a hard shadow falls across the sheet's edge, the shaded paper and the shaded desk beyond
    it are one smooth region, too dark to be paper, and numbers written there left a bay, rougher
    than :func:`_with_smooth_pieces` takes and darker than the hull's bar (DESK_LIGHTNESS): seed 53
    `photo_077` lost 4 of its 21 numbers. Between a sheet and a desk the hull adds a sliver whose long
    side is the desk. A block of print in a bay is rougher than writing (see BAY_ROUGHNESS).
    """
    added = cv2.subtract(hulled, paper)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(added, connectivity=4, ltype=cv2.CV_32S)
    height, width = added.shape
    on_paper = paper > 0
    bay = np.zeros(count, dtype=bool)
    for index in range(1, count):
        x, y, w, h, size = (int(value) for value in stats[index])
        if size < BAY_MIN_SHARE * added.size or x == 0 or y == 0 or x + w == width or y + h == height:
            continue
        along, border = _border_along(labels, stats, index, on_paper)
        bay[index] = 0 < border and along >= BAY_ENCLOSED * border
    if not bay.any():
        return paper
    in_piece = labels > 0
    piece_of: npt.NDArray[np.int32] = np.asarray(labels, np.int32)[in_piece]
    (medians,) = percentiles_by_label(piece_of, texture[in_piece].astype(np.float64), count, (50.0,))
    bay &= medians <= BAY_ROUGHNESS * roughest
    bay &= _like_the_sheet(piece_of, in_piece, count, replace(light, share=BAY_LIGHTNESS), sheet_colour)
    filled = paper.copy()
    filled[bay[labels]] = 255
    return filled


def _chromaticity(thumb: Image, region: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
    """The region's mean colour without its brightness (its channels scaled to sum to 1)."""
    colour = np.array(cv2.mean(thumb, region.astype(np.uint8))[:3])
    return colour / max(float(colour.sum()), 1.0)


def _sheet_colour(thumb: Image, kept: list[tuple[npt.NDArray[np.bool_], float]]) -> _SheetColour:
    """The sheet's colour: the lightest region's."""
    return _SheetColour(thumb, _chromaticity(thumb, max(kept, key=lambda item: item[1])[0]))


def _without_desk(
    kept: list[tuple[npt.NDArray[np.bool_], float, float]], sheet_colour: _SheetColour
) -> list[tuple[npt.NDArray[np.bool_], float]]:
    """The light regions (mask, roughness, lightness) less those far darker or far rougher than
    the lightest, of another colour and reaching the picture's edge, as a desk around the sheet does;
    the others as (mask, lightness).

    In dim light a brown or coloured desk can be light enough, and camera noise can make the
    sheet as rough, to pass for paper; taken in, its grain raises the noise floor over the
    faint writing on the sheet (or, lighter still, reads as lines of 1s). A coloured note or
    envelope lying on a white sheet or table is inside the picture, and kept.
    """
    _, sheet_roughness, lightest = max(kept, key=lambda item: item[2])
    rough = DESK_ROUGHNESS * max(sheet_roughness, PAPER_MIN_ROUGHNESS)
    return [
        (region, light)
        for region, roughness, light in kept
        if (light >= DESK_LIGHTNESS * lightest and roughness < rough)
        or not _reaches_edge(region)
        or sheet_colour.of_region(region)
    ]


def _without_dotted_desk(
    kept: list[tuple[npt.NDArray[np.bool_], float]], area: int
) -> tuple[list[tuple[npt.NDArray[np.bool_], float]], CutDots | None]:
    """The light regions with any dotted desk taken out of them (see :mod:`recognizer.spots`).

    A desk reaches the picture's edge. What its dots, grown by their spacing, leave of the
    region is the sheet, with the writing's holes filled and opened by SHEET_OPENING spacings
    (a strip of desk along the sheet that no whole dot lies in is too thin to stay), in pieces of
    at least SHEET_MIN_SHARE of the picture. The sheet then takes back the region's pixels that
    the grown dots took from its margin (without it the sheet lost a band as wide as the dots'
    spacing, and the digits written near its edge with it). A region that is all desk goes; if
    all do, nothing is changed (a sheet printed with dots all over is still paper).

    Also returns where the sheet hides or cuts the desk's dots (see
    :func:`recognizer.spots.hidden_dots`), or None when no dotted desk was found.
    """
    result: list[tuple[npt.NDArray[np.bool_], float]] = []
    cut_dots: CutDots | None = None
    for region, light in kept:
        pattern = find_dot_pattern(region, _filled([region], region.shape)) if _reaches_edge(region) else None
        if pattern is None:
            result.append((region, light))
            continue
        rest = _filled([region & ~pattern.cover], region.shape)
        size = max(3, int(round(SHEET_OPENING * pattern.spacing)) | 1)
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
        solid = cv2.morphologyEx(rest, cv2.MORPH_OPEN, kernel)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(solid, connectivity=4)
        large = np.flatnonzero(stats[1:count, cv2.CC_STAT_AREA] >= SHEET_MIN_SHARE * area) + 1
        if large.size:
            sheet = np.isin(labels, large)
            margin = cv2.dilate(sheet.astype(np.uint8), kernel)
            sheet |= (margin > 0) & region
            result.append((sheet, light))
            hidden = hidden_dots(pattern, sheet)
            if cut_dots is not None:
                hidden = np.concatenate([cut_dots.centres, hidden])
            diameter = pattern.diameter if cut_dots is None else max(cut_dots.diameter, pattern.diameter)
            cut_dots = CutDots(hidden, diameter, region.shape)
    return (result or kept), cut_dots


def _edges_reached(region: npt.NDArray[np.bool_]) -> int:
    """How many of the picture's four sides ``region`` touches."""
    return sum(bool(side.any()) for side in (region[0], region[-1], region[:, 0], region[:, -1]))


def _reaches_edge(region: npt.NDArray[np.bool_]) -> bool:
    return _edges_reached(region) > 0


def find_paper(image: Image, thumbnail: Image | None = None) -> Image | None:
    """Mask of the paper in a photo, or None when the paper fills the picture (a scan); see
    :func:`find_paper_and_note`."""
    return find_paper_and_note(image, thumbnail).paper


class PaperFound(NamedTuple):
    """The paper in a photo (None on a scan), the sticky notes lying on a sheet in it (one mask), if
    any, and the desk's dots that the sheet hides or cuts, if it lies on a dotted desk."""

    paper: Image | None
    note: Image | None
    cut_dots: CutDots | None = None


@dataclass(frozen=True, eq=False)
class CutDots:
    """The centres (x, y) of the dots a sheet hides or cuts and the dots' diameter, in the pixels of
    a picture of ``shape`` (the thumbnail the paper was found on)."""

    centres: npt.NDArray[np.float64]
    diameter: float
    shape: tuple[int, ...]


def find_paper_and_note(image: Image, thumbnail: Image | None = None) -> PaperFound:
    """The paper in a photo, or None when the paper fills the picture (a scan), and the sticky note
    on it (see :func:`_note_on_sheet`).

    Paper (a sheet, a sticky note) is a large, smooth, bright region: split a
    thumbnail at its colour edges (weaker ones in dim light) and keep the big regions that are at least
    half as light as the lightest part of the picture. Desk textures (wood
    grain, checks) break up into small regions; a dark desk is too dark; a
    shadow across the sheet leaves two large regions, both kept; a region where
    the light fades from the sheet into a far darker desk keeps its light part; a far darker
    region of another colour reaching the picture's edge is desk (a shadow keeps the sheet's
    colour). Thin cuts
    (rules, writing) are bridged and holes filled, so the ink is inside, and the sheet is filled
    out to its convex hull where what that adds is nearly as smooth as paper (a table or a shadow
    running off the sheet leaves no hole to fill). Light regions that
    fill the picture are a scan, unless one is far lighter than the others: a sheet on a desk
    just light enough to count.
    """
    thumb = cv2.GaussianBlur(thumbnail if thumbnail is not None else _thumbnail(image), (3, 3), 0)
    size = (thumb.shape[1], thumb.shape[0])
    if _table_builder is not None:
        _table_builder.join()
    channels = cv2.split(cv2.cvtColor(thumb, cv2.COLOR_BGR2LAB)) if thumb.ndim == 3 else [thumb]
    edges = np.zeros(thumb.shape[:2], dtype=np.float32)
    for channel in channels:
        values = channel.astype(np.float32)
        gradient = np.abs(cv2.Sobel(values, cv2.CV_32F, 1, 0, ksize=3)) + np.abs(
            cv2.Sobel(values, cv2.CV_32F, 0, 1, ksize=3)
        )
        edges = np.maximum(edges, gradient)
    lightness = channels[0]
    reference = float(np.percentile(lightness, 98))
    smooth = (edges < PAPER_EDGE * min(1.0, reference / WELL_LIT_PAPER)).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(smooth, connectivity=4)
    area = smooth.size
    candidates: list[tuple[npt.NDArray[np.bool_], float, float]] = []
    texture: Image | None = None
    # Only regions big enough to be paper; a textured desk splits into hundreds of small ones.
    large = np.flatnonzero(stats[1:count, cv2.CC_STAT_AREA] >= PAPER_MIN_SHARE * area) + 1
    least = PAPER_MIN_LIGHTNESS * reference
    regions = [labels == index for index in large.tolist()] + _ruled_strips(labels, stats, lightness, least, thumb)
    # A large region far too dark to be paper, at the picture's edge, is a desk: the picture is a photo.
    dark_desk = False
    for whole in regions:
        region = _lighter_part(whole, lightness, area)
        light = float(lightness[region].mean())
        if light < least:
            dark_desk = dark_desk or _reaches_edge(region)
            continue
        if texture is None:
            texture = _fine_texture(image, size)
        candidates.append((region, float(np.median(texture[region])), light))
    # A light desk (pale wood) can be as bright and, at thumbnail size, as smooth as the sheet,
    # but its grain is much rougher than paper at a finer scale. Camera noise, print and
    # security patterns roughen the sheet too, so the bar is relative to the smoothest region.
    # A desk lies around what is on it and reaches the picture's edge: a region inside the picture
    # is kept however rough. A grey cheque filling the picture inside a thin white margin, its
    # security print just over PAPER_MAX_ROUGHNESS times rougher than the margin (32.5 against 8),
    # was dropped: the margin alone was kept as the paper, and nothing was read.
    smoothest = min((roughness for _, roughness, _ in candidates), default=0.0)
    bar = PAPER_MAX_ROUGHNESS * max(smoothest, PAPER_MIN_ROUGHNESS)
    smooth_enough = [candidate for candidate in candidates if candidate[1] <= bar or not _reaches_edge(candidate[0])]
    kept = [(region, light) for region, _, light in smooth_enough]
    # Desk and hull alike are told from the sheet by its colour, where the picture has colour.
    sheet_colour = _sheet_colour(thumb, kept) if thumb.ndim == 3 and kept else None
    if sheet_colour is not None and len(kept) > 1:
        kept = _without_desk(smooth_enough, sheet_colour)
    kept, cut_dots = _without_dotted_desk(kept, area)
    paper = _filled([region for region, _ in kept], smooth.shape)
    share = float(np.count_nonzero(paper)) / area
    if share > PAPER_MAX_SHARE and len(kept) > 1:
        # Light regions that fill the picture are a scan, unless they are a sheet and a desk
        # only just light enough to count (noise can make both as rough): then the sheet is
        # the region far lighter than the rest.
        lightest = max(light for _, light in kept)
        kept = [(region, light) for region, light in kept if light >= SHEET_LIGHTNESS * lightest]
        paper = _filled([region for region, _ in kept], smooth.shape)
        share = float(np.count_nonzero(paper)) / area
    if share == 0.0 or (share > PAPER_MAX_SHARE and not dark_desk):
        return PaperFound(None, None, None)
    assert texture is not None  # there is paper, so there were light regions to measure
    lightest = max(light for _, light in kept)
    # What the hull adds is judged against the paper's own roughness, not a smoother desk's that
    # was dropped: on a dark wooden desk, a cheque's fields measured 3.1 and 3.7 times a bar taken
    # from the wood and were turned away with its numbers (2.3 and 2.8 times the cheque's own).
    paper_smoothest = min(_roughness(region, candidates, texture) for region, _ in kept)
    paper = _hulled(
        paper,
        texture,
        HULL_MAX_ROUGHNESS * max(paper_smoothest, PAPER_MIN_ROUGHNESS),
        sheet_colour,
        _Lightness(lightness, lightest),
    )
    note = _note_on_sheet(thumb, kept, paper)
    if note is not None:
        # A shadow across a note cuts it short, and is not of the sheet's colour for _hulled.
        paper = cv2.bitwise_or(paper, note)
    # The paper's own edge reads as ink against the desk: stay a little inside it.
    paper = cv2.erode(paper, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))
    note_mask = None if note is None else _resized_mask(note, image.shape)
    return PaperFound(_resized_mask(paper, image.shape), note_mask, cut_dots)


def _ruled_strips(
    labels: Image, stats: Image, lightness: Image, least: float, thumb: Image
) -> list[npt.NDArray[np.bool_]]:
    """Smooth regions too small to be paper alone, joined where they come within STRIP_GAP px of one
    another and share a lightness and colour, in groups large enough to be paper (see STRIP_MIN_SHARE).
    Only regions at least ``least`` light take part."""
    area = labels.size
    sizes = stats[:, cv2.CC_STAT_AREA]
    summed = np.bincount(labels.ravel(), weights=lightness.ravel().astype(np.float64), minlength=len(sizes))
    lights = summed / np.maximum(sizes, 1)
    pieces = np.flatnonzero((sizes >= STRIP_MIN_SHARE * area) & (sizes < PAPER_MIN_SHARE * area) & (lights >= least))
    pieces = pieces[pieces > 0].tolist()
    if len(pieces) < 2:
        return []
    # Every label's colour from one pass over the thumbnail (a pass per piece cost up to ~20 ms).
    if thumb.ndim == 3:
        colours = _chromaticities(thumb.reshape(-1, 3), labels.ravel(), len(sizes))
    else:
        colours = np.zeros((len(sizes), 3))
    group_of = {index: index for index in pieces}

    def root(index: int) -> int:
        while group_of[index] != index:
            index = group_of[index]
        return index

    reach = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * STRIP_GAP + 1, 2 * STRIP_GAP + 1))
    cell_reach = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * CELL_GAP + 1, 2 * CELL_GAP + 1))
    fill = sizes / np.maximum(stats[:, cv2.CC_STAT_WIDTH] * stats[:, cv2.CC_STAT_HEIGHT], 1)
    rows, cols = labels.shape
    for index in pieces:
        x, y, w, h = (int(value) for value in stats[index, :4])
        cell = fill[index] >= CELL_FILL
        gap = CELL_GAP if cell else STRIP_GAP
        top, left = max(0, y - gap), max(0, x - gap)
        window = labels[top : min(rows, y + h + gap), left : min(cols, x + w + gap)]
        piece = (window == index).astype(np.uint8)
        near = cv2.dilate(piece, reach) > 0
        neighbours = set(np.unique(window[near]).tolist())
        if cell:
            neighbours |= {
                other
                for other in np.unique(window[cv2.dilate(piece, cell_reach) > 0]).tolist()
                if fill[other] >= CELL_FILL
            }
        for other in neighbours:
            if other == index or other not in group_of:
                continue
            alike = abs(lights[index] - lights[other]) <= STRIP_LIGHTNESS * max(lights[index], lights[other])
            if alike and float(np.abs(colours[index] - colours[other]).sum()) <= DESK_COLOUR:
                group_of[root(other)] = root(index)
    groups: dict[int, list[int]] = {}
    for index in pieces:
        groups.setdefault(root(index), []).append(index)
    return [
        np.isin(labels, members)
        for members in groups.values()
        if len(members) > 1 and int(sizes[members].sum()) >= PAPER_MIN_SHARE * area
    ]


def _roughness(
    region: npt.NDArray[np.bool_], candidates: list[tuple[npt.NDArray[np.bool_], float, float]], texture: Image
) -> float:
    """A kept region's roughness: as measured among the ``candidates`` (region, roughness,
    lightness), or, for a region a dotted desk was taken out of, measured as they were, on its light
    pixels (not the writing's holes the sheet was filled in over)."""
    for candidate, roughness, _ in candidates:
        if candidate is region:
            return roughness
    light = np.logical_or.reduce([candidate for candidate, _, _ in candidates])
    return float(np.median(texture[region & light]))


def _note_on_sheet(thumb: Image, kept: list[tuple[npt.NDArray[np.bool_], float]], paper: Image) -> Image | None:
    """The sticky notes lying on a sheet (a thumbnail mask), or None when there are none.

    The sheet is the colour of the light regions (those within DESK_COLOUR of one another) that
    spread furthest, their convex hull the largest: the print and the notes cut it into pieces
    round the notes, and in dim light a note can be lighter and larger than any one piece. A note is
    a light region reaching at most NOTE_EDGES sides of the picture whose colour is at least
    NOTE_COLOUR from the sheet's, at least NOTE_ON_SHEET of it inside the convex hull of the sheet's
    pieces, and at most NOTE_MAX_SHARE of the paper. A card or note lying on the desk beside the
    sheet is outside the sheet's hull; one alone on the desk is the sheet itself. The note's shadow
    and the writing on it cut the region found, but a note is convex: each is its region's convex
    hull.
    """
    if thumb.ndim != 3 or len(kept) < 2:
        return None
    colours = [_chromaticity(thumb, region) for region, _ in kept]
    areas = [np.count_nonzero(region) for region, _ in kept]
    # Group the regions by colour, largest first: each joins the first group whose largest
    # region's colour it is within DESK_COLOUR of.
    groups: list[list[int]] = []
    for index in sorted(range(len(kept)), key=lambda index: -areas[index]):
        for group in groups:
            if float(np.abs(colours[index] - colours[group[0]]).sum()) <= DESK_COLOUR:
                group.append(index)
                break
        else:
            groups.append([index])
    unions = []
    for group in groups:
        union = np.zeros(thumb.shape[:2], bool)
        for index in group:
            union |= kept[index][0]
        unions.append((union, _hull(union)))
    # The sheet spreads round what lies on it: its pieces' hull is the largest.
    chosen = max(range(len(groups)), key=lambda number: np.count_nonzero(unions[number][1]))
    pieces, (sheet, sheet_hull) = groups[chosen], unions[chosen]
    sheet_colour = _chromaticity(thumb, sheet)
    paper_area = np.count_nonzero(paper)
    note: Image = np.zeros(thumb.shape[:2], np.uint8)
    for index, (region, _) in enumerate(kept):
        if index in pieces or _edges_reached(region) > NOTE_EDGES:
            continue
        if float(np.abs(colours[index] - sheet_colour).sum()) < NOTE_COLOUR:
            continue
        hull = _hull(region)
        hull_area = np.count_nonzero(hull)
        if hull_area > NOTE_MAX_SHARE * paper_area:
            continue
        if np.count_nonzero(cv2.bitwise_and(hull, sheet_hull)) >= NOTE_ON_SHEET * hull_area:
            note = cv2.bitwise_or(note, hull)
    return note if note.any() else None


def _hull(region: npt.NDArray[np.bool_]) -> Image:
    """The convex hull of all of ``region``'s pieces together, filled (255 inside)."""
    hull: Image = np.zeros(region.shape, np.uint8)
    contours, _ = cv2.findContours(region.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if contours:
        cv2.fillPoly(hull, [cv2.convexHull(np.concatenate(contours))], 255)
    return hull


def _median_and_spread(counts: npt.NDArray[np.int64]) -> tuple[float, float]:
    """Median and robust spread (1.4826 x median absolute deviation) of uint8 values, from their histogram.

    The same numbers as ``np.median`` twice: a sort of 200,000 values per call was a
    tenth of the time it takes to prepare a photo.
    """
    levels = np.arange(256, dtype=np.float64)
    median = _histogram_median(levels, counts)
    deviations = np.abs(levels - median)
    order = np.argsort(deviations, kind="stable")
    return median, _histogram_median(deviations[order], counts[order]) * 1.4826


def _histogram_median(values: npt.NDArray[np.float64], counts: npt.NDArray[np.int64]) -> float:
    """``np.median`` of ``values`` repeated ``counts`` times; ``values`` ascending."""
    total = int(counts.sum())
    cumulative = np.cumsum(counts)
    # The middle element(s) of the sorted sample, 0-based: one for an odd count, two for an even one.
    low = float(values[int(np.searchsorted(cumulative, (total - 1) // 2, side="right"))])
    high = float(values[int(np.searchsorted(cumulative, total // 2, side="right"))])
    return (low + high) / 2.0


def noise_floor(ink: Image, region: Image | None) -> float:
    """The ink level that noise stays under: median plus five robust spreads (inf for an empty region)."""
    size = cv2.countNonZero(region) if region is not None else ink.size
    if size == 0:
        return math.inf
    step = max(1, size // NOISE_SAMPLE)
    if ink.dtype == np.uint8 and step == 1:
        # Every pixel counts: OpenCV's histogram takes the region as its mask, without
        # gathering the region's pixels first (together half the time of that gathering).
        counts = cv2.calcHist([ink], [0], region, [256], [0, 256]).ravel().astype(np.int64)
    else:
        values = (ink[region > 0] if region is not None else ink.ravel())[::step]
        if ink.dtype != np.uint8:
            # Not an 8-bit ink map (a caller's own): no histogram of 256 levels, the medians themselves.
            values = values.astype(np.float64)
            median = float(np.median(values))
            return median + 5.0 * float(np.median(np.abs(values - median))) * 1.4826
        counts = np.bincount(values, minlength=256).astype(np.int64)
    median, spread = _median_and_spread(counts)
    return median + 5.0 * spread


def threshold_ink(
    ink: Image,
    region: Image | None,
    faint_relative: float = RELATIVE_INK,
    floor: float | None = None,
    grow: bool = False,
) -> tuple[Image, int, int]:
    """Threshold each stroke relative to its own strength.

    Pixels above the noise floor form connected components; each component keeps
    the pixels at least :data:`RELATIVE_INK` of its own darkest ink (``faint_relative``
    when that is under :data:`FAINT_PEAK`). A faint pencil digit is thresholded on its
    own terms next to bold print, and a dark digit drawn over a light security pattern
    sheds the pattern it touches.
    ``floor``: the ink map's noise floor, when the caller has measured it already.
    ``grow``: strokes the floor cut regain their faint stretches next to them (see GROWTH_FLOOR).
    Returns the mask and the noise floor and weakest kept peak, for diagnostics.
    """
    floor = max(MIN_INK, noise_floor(ink, region) if floor is None else floor)
    if floor == math.inf:
        return np.zeros_like(ink), 255, 255
    weak = ink > floor
    if region is not None:
        weak &= region > 0
    count, labels, stats, _ = cv2.connectedComponentsWithStats(weak.astype(np.uint8), connectivity=8, ltype=cv2.CV_32S)
    if count <= 1:
        return np.zeros_like(ink), int(floor), int(floor)
    component_of: npt.NDArray[np.int32] = np.asarray(labels, np.int32)
    inked = component_of[weak]
    peaks = np.zeros(count, dtype=np.float32)
    np.maximum.at(peaks, inked, ink[weak].astype(np.float32))
    weakest_peak = max(MIN_PEAK, 1.6 * floor)
    relative = np.where(peaks < FAINT_PEAK, faint_relative, RELATIVE_INK)
    cut = np.maximum(floor, relative * peaks)
    cut[peaks < weakest_peak] = 256.0  # components that never rise above the noise
    cut[0] = 256.0
    # Only pixels above the floor can be kept (the rest belong to component 0, cut at 256).
    values = ink[weak].astype(np.float32)
    kept: Image = np.zeros(ink.shape, dtype=np.uint8)
    kept[weak] = np.where(values >= cut[inked], 255, 0)
    _cut_along_lines(kept, ink, component_of, np.asarray(stats, np.int32), peaks, floor, relative, cut)
    # Only where the component's cut is above the floor can a lower one gain anything.
    faint = (peaks < LOCAL_CUT_BELOW) & (cut < 256.0) & (cut > floor)
    if faint.any():
        kept = cv2.bitwise_or(kept, _locally_kept(ink, weak, inked, values, faint, peaks, cut, relative, floor))
    if grow:
        cut_by_floor = (relative * peaks < floor) & (cut < 256.0)
        if cut_by_floor.any():
            kept = cv2.bitwise_or(kept, _regrown(ink, region, kept, weak, cut_by_floor[inked], floor))
    return kept, int(floor), int(weakest_peak)


def _cut_along_lines(
    kept: Image,
    ink: Image,
    component_of: npt.NDArray[np.int32],
    stats: npt.NDArray[np.int32],
    peaks: npt.NDArray[np.float32],
    floor: float,
    relative: npt.NDArray[np.float64],
    cut: npt.NDArray[np.float64],
) -> None:
    """Threshold the long lines among the components again, in ``kept``, each pixel against the
    darkest ink near it rather than the line's peak (see LINE_EXTENT)."""
    sides = stats[:, [cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT]]
    length, width = sides.max(axis=1), sides.min(axis=1)
    lines = (length >= LINE_EXTENT) & (length >= LINE_ASPECT * width) & (cut < 256.0)
    lines[0] = False
    if not lines.any():
        return
    rows, cols = ink.shape[:2]
    reach = np.ones((2 * LINE_REACH + 1,) * 2, np.uint8)
    for label in np.flatnonzero(lines):
        x, y, w, h = stats[label, :4]
        # The line's box and LINE_REACH around it: all the ink any of its pixels is measured against.
        window = (
            slice(max(0, y - LINE_REACH), min(rows, y + h + LINE_REACH)),
            slice(max(0, x - LINE_REACH), min(cols, x + w + LINE_REACH)),
        )
        on_line = component_of[window] == label
        nearby = cv2.dilate(ink[window], reach)[on_line].astype(np.float32)
        peak = peaks[label]
        darkest = np.where(nearby >= RELATIVE_INK * peak, np.minimum(nearby, peak), peak)
        line_cut = np.maximum(floor, relative[label] * darkest)
        kept[window][on_line] = np.where(ink[window][on_line] >= line_cut, 255, 0)


def _locally_kept(
    ink: Image,
    weak: npt.NDArray[np.bool_],
    inked: npt.NDArray[np.int32],
    values: npt.NDArray[np.float32],
    faint: npt.NDArray[np.bool_],
    peaks: npt.NDArray[np.float32],
    cut: npt.NDArray[np.float64],
    relative: npt.NDArray[np.float64],
    floor: float,
) -> Image:
    """The pixels of ``faint`` components that their component's ``cut`` drops and a cut against
    the ink around them keeps (see LOCAL_CUT_BELOW), in pieces LOCAL_MIN_EXTENT px long or more.
    ``inked`` and ``values``: the component and ink level of each ``weak`` pixel."""
    on_faint = faint[inked]
    components = inked[on_faint]
    faint_values = values[on_faint]
    own_peak = peaks[components]
    added: Image = np.zeros(ink.shape, dtype=np.uint8)
    dropped = faint_values < cut[components]
    if not dropped.any():
        return added
    nearby = cv2.dilate(ink, np.ones((LOCAL_CUT_SIDE, LOCAL_CUT_SIDE), np.uint8))[weak][on_faint].astype(np.float32)
    darkest = np.where(nearby < LOCAL_CUT_RATIO * own_peak, nearby, own_peak)
    local_cut = np.maximum(floor, relative[components] * darkest)
    kept_here = dropped & (faint_values >= local_cut)
    if not kept_here.any():
        return added
    gained = np.zeros(len(values), dtype=np.uint8)
    gained[on_faint] = np.where(kept_here, 255, 0)
    added[weak] = gained
    count, labels, stats, _ = cv2.connectedComponentsWithStats(added, connectivity=8)
    if count <= 1:
        return added
    short = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]) < LOCAL_MIN_EXTENT
    short[0] = True
    return np.where(short[labels], 0, added).astype(np.uint8)


def _regrown(ink: Image, region: Image | None, kept: Image, weak: Image, seeded: Image, floor: float) -> Image:
    """The faint pixels within GROWTH_STEPS of the kept pixels of strokes the floor cut (``seeded``, per weak pixel)."""
    grown = np.zeros_like(kept)
    grown[weak] = np.where(seeded, kept[weak], 0)
    faint = ink >= GROWTH_FLOOR * floor
    if region is not None:
        faint &= region > 0
    allowed = faint.astype(np.uint8) * 255
    step = np.ones((3, 3), np.uint8)
    for _ in range(GROWTH_STEPS):
        grown = cv2.bitwise_and(cv2.dilate(grown, step), allowed)
    return grown


def without_clipped_shapes(mask: Image, paper: Image | None) -> Image:
    """``mask`` without the shapes that run along the paper's rim for CLIPPED_SHARE of their size or more.

    Writing lies on the sheet, clear of its edge. What runs along the rim is something beyond
    it that the rim cuts off: a desk's dot half hidden by the sheet, the desk's grain where the
    region found for the paper took in a strip of desk. Cut straight, it reads as a 1.
    """
    if paper is None:
        return mask
    rim = cv2.bitwise_and(paper, cv2.bitwise_not(cv2.erode(paper, np.ones((3, 3), np.uint8))))
    contact = cv2.bitwise_and(mask, rim)
    if not contact.any():
        return mask
    components = find_components(mask)
    along_rim = np.bincount(components.labels[contact > 0], minlength=components.count)
    size = np.maximum(components.stats[:, cv2.CC_STAT_HEIGHT], components.stats[:, cv2.CC_STAT_WIDTH])
    clipped = along_rim >= CLIPPED_SHARE * size
    clipped[0] = False
    if not clipped.any():
        return mask
    kept: Image = mask.copy()
    _clear(kept, components, clipped)
    return kept


def _min_pool(image: Image) -> Image:
    """Halve the resolution keeping the darkest pixel of each 2x2 block, so thin strokes survive."""
    height, width = image.shape[0] // 2, image.shape[1] // 2
    eroded = cv2.erode(image, np.ones((2, 2), np.uint8), anchor=(0, 0))
    return cv2.resize(eroded, (width, height), interpolation=cv2.INTER_NEAREST)


@dataclass(frozen=True)
class _Unblobbed:
    """A mask with its blobs (and a striped cloth's stripes) removed, and the components it was
    judged on (those removed flagged in ``blob``)."""

    mask: Image
    # Found in the box around the ink (positions relative to it; sizes and strokes as on the page).
    components: Components
    blob: npt.NDArray[np.bool_]
    # That box's left and top in the mask.
    origin: tuple[int, int]


def _ink_box(mask: Image) -> tuple[int, int, int, int]:
    """The box (x, y, w, h) around the ink of ``mask``, with a pixel of paper on every side (the
    whole mask when it has no ink).

    On a photo the ink covers half the frame or less: components are looked for only in this box,
    and with the pixel of paper a stroke at the box's edge is measured against paper as it is on
    the page.
    """
    x, y, w, h = cv2.boundingRect(mask)
    if w == 0:
        return 0, 0, mask.shape[1], mask.shape[0]
    x, y = max(0, x - 1), max(0, y - 1)
    return x, y, min(mask.shape[1] - x, w + 2), min(mask.shape[0] - y, h + 2)


def _components_in_ink(mask: Image) -> Components:
    """The components of ``mask``, found in the box around its ink (see :func:`_ink_box`): the
    same sizes and strokes as on the whole mask, for the heights they tell."""
    x, y, w, h = _ink_box(mask)
    return find_components(mask[y : y + h, x : x + w])


def _drop_blobs(mask: Image, photo: bool = False) -> _Unblobbed:
    """Remove dots, blobs and thick bands: shapes far thicker than any pen stroke, for their size
    or, on a ``photo``, for the picture's writing (see :func:`_desk_bands`).

    A dotted tablecloth, a logo or a shadow edge would otherwise steer the skew
    estimate and the digit-height estimate, and be read as 0s and 1s.
    """
    x, y, w, h = _ink_box(mask)
    components = find_components(mask[y : y + h, x : x + w])
    blob = np.zeros(components.count, dtype=bool)
    if components.count <= 1:
        return _Unblobbed(mask, components, blob, (x, y))
    stats = components.stats
    size = np.maximum(stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_WIDTH]).astype(np.float32)
    blob = components.stroke_widths > MAX_STROKE_SHARE * size
    blob &= size >= 4  # leave the smallest specks to the segmenter
    if photo:
        blob |= _desk_bands(components)
    blob[0] = False
    unblobbed = _Unblobbed(mask, components, np.zeros_like(blob), (x, y))
    return _removed(unblobbed, blob) if blob.any() else unblobbed


def _desk_bands(components: Components) -> npt.NDArray[np.bool_]:
    """The shapes of a photo's mask that are mostly far thicker than its typical stroke.

    The bands of a striped cloth taken in with the paper, cut off where the paper ends, can be
    wider than they are long, and so thin for their size; but they are BAND_STROKES times thicker
    than the strokes of the picture's writing, and thick almost throughout. A blot on the writing
    is as thick, but the digits and the rule it joins are not: only a shape with BAND_CORE of its
    pixels at least half a typical stroke deep inside it is a band (the centre line of a stroke of
    the typical width is that deep; most of a band is).
    """
    stats = components.stats
    sizable = stats[:, cv2.CC_STAT_AREA] >= BAND_MIN_AREA
    sizable[0] = False
    bands = np.zeros(components.count, dtype=bool)
    if np.count_nonzero(sizable) < BAND_MIN_SHAPES:
        return bands
    widths = components.stroke_widths
    typical = max(float(np.median(widths[sizable])), 2.0)
    for index in np.flatnonzero(widths > BAND_STROKES * typical).tolist():
        if index == 0:
            continue
        x, y, w, h = (int(value) for value in stats[index, :4])
        shape = np.zeros((h + 2, w + 2), np.uint8)
        shape[1:-1, 1:-1] = components.labels[y : y + h, x : x + w] == index
        depth = cv2.distanceTransform(shape, cv2.DIST_L2, 3)
        bands[index] = np.count_nonzero(depth >= typical / 2.0) >= BAND_CORE * stats[index, cv2.CC_STAT_AREA]
    return bands


def _without_stripes(unblobbed: _Unblobbed) -> _Unblobbed:
    """The mask without the stripes of a striped cloth taken in with the paper (see
    :func:`recognizer.segment.find_stripes`): they would set the digits' height and read as 1s."""
    components = unblobbed.components
    stripes = find_stripes(components, unblobbed.mask.shape[0], ignore=unblobbed.blob)
    return _removed(unblobbed, stripes) if stripes.any() else unblobbed


def _without_cut_dots(unblobbed: _Unblobbed, cut_dots: CutDots) -> _Unblobbed:
    """The mask without the shapes that are what shows of a dotted desk's dots along the sheet's
    edge: centred within CUT_DOT_NEAR diameters of a dot the sheet hides or cuts (the visible part's
    centre is off the dot's), at most CUT_DOT_SIZE diameters long, and solid (filling CUT_DOT_FILL
    of their box or more, as a disc's segment does and a stroke seldom does). The paper found takes
    in a strip of desk along the sheet (see _without_dotted_desk), and there each cut dot read as a 1."""
    components = unblobbed.components
    stats = components.stats.astype(np.float64)
    x, y = unblobbed.origin
    rows, cols = unblobbed.mask.shape[:2]
    # In the thumbnail's pixels, where the dots were found.
    across = cut_dots.shape[1] / cols
    down = cut_dots.shape[0] / rows
    length = np.maximum(stats[:, cv2.CC_STAT_WIDTH] * across, stats[:, cv2.CC_STAT_HEIGHT] * down)
    solid = stats[:, cv2.CC_STAT_AREA] >= CUT_DOT_FILL * stats[:, cv2.CC_STAT_WIDTH] * stats[:, cv2.CC_STAT_HEIGHT]
    candidates = solid & (length <= CUT_DOT_SIZE * cut_dots.diameter) & ~unblobbed.blob
    candidates[0] = False
    shapes = np.flatnonzero(candidates)
    if not shapes.size:
        return unblobbed
    centre_x = (x + stats[shapes, cv2.CC_STAT_LEFT] + stats[shapes, cv2.CC_STAT_WIDTH] / 2.0) * across
    centre_y = (y + stats[shapes, cv2.CC_STAT_TOP] + stats[shapes, cv2.CC_STAT_HEIGHT] / 2.0) * down
    dots = cut_dots.centres
    nearest = np.hypot(centre_x[:, None] - dots[None, :, 0], centre_y[:, None] - dots[None, :, 1]).min(axis=1)
    flagged = np.zeros(components.count, dtype=bool)
    flagged[shapes[nearest < CUT_DOT_NEAR * cut_dots.diameter]] = True
    return _removed(unblobbed, flagged) if flagged.any() else unblobbed


def _removed(unblobbed: _Unblobbed, flagged: npt.NDArray[np.bool_]) -> _Unblobbed:
    """``unblobbed`` with the components ``flagged`` cleared from its mask and flagged as removed."""
    cleared: Image = unblobbed.mask.copy()
    x, y = unblobbed.origin
    height, width = unblobbed.components.labels.shape
    _clear(cleared[y : y + height, x : x + width], unblobbed.components, flagged)
    return _Unblobbed(cleared, unblobbed.components, unblobbed.blob | flagged, unblobbed.origin)


def _clear(window: Image, components: Components, dropped: npt.NDArray[np.bool_]) -> None:
    """Clear, in place, the pixels of ``window`` (the image ``components`` were found in) flagged in ``dropped``.

    Usually a handful: each is cleared within its own box, which costs far less than
    looking up the flag of every pixel of the page (a desk of dots has hundreds).
    """
    indices = np.flatnonzero(dropped)
    if len(indices) > MANY_BLOBS:
        window[dropped[components.labels]] = 0
        return
    for index in indices:
        x, y, w, h = (int(v) for v in components.stats[index, :4])
        box = window[y : y + h, x : x + w]
        box[components.labels[y : y + h, x : x + w] == index] = 0


def measure_digit_height(mask: Image, unblobbed: _Unblobbed | None = None) -> float:
    """The typical height of the handwritten digits in ``mask`` (0 when there are none).

    Digits that touch a ruled line or a box merge with it into one large component,
    so the estimate is taken again once runs longer than 2.5 first estimates are
    removed. When every digit touches a rule or a box, the first estimate finds
    nothing; then runs of decreasing length (page-long rules, then box sides) are
    removed in turn and the tallest cluster of digit-sized pieces found is kept.
    """
    if unblobbed is not None:
        # The components blob removal already found: the same as finding them again in its
        # result, without the blobs (components never touch, so removing some changes no other).
        first = estimate_digit_height_and_support(unblobbed.components, mask.shape[0], ignore=unblobbed.blob)
    else:
        first = estimate_digit_height_and_support(_components_in_ink(mask), mask.shape[0])
    if first.height > 0:
        stripped = strip_long_runs(mask, max(16, int(2.5 * first.height)))
        if np.array_equal(stripped, mask):
            # No rule or frame to strip: the same components again would give the same height.
            return first.height
        # A line stripped can free the humps of a signature standing on it (see settled_height).
        return settled_height(first, estimate_digit_height_and_support(_components_in_ink(stripped), mask.shape[0]))
    longest = max(mask.shape)
    estimates = [
        estimate_digit_height(_components_in_ink(strip_long_runs(mask, max(16, longest // share))), mask.shape[0])
        for share in (6, 12, 20)
    ]
    return max(estimates)


def prepare(image: Image) -> InkMask:
    """Scale, find the paper, map the ink and threshold it at a resolution that suits the digits.

    Everything is first done at half resolution, which is all that digits taller than
    :data:`POOL_ABOVE_HEIGHT` need (:data:`PHOTO_POOL_ABOVE_HEIGHT` on a photo of a sheet, whose
    digits from the one to the other are thresholded again at :data:`PHOTO_FINE_SCALE` of the
    resolution); smaller digits are thresholded again at full resolution.
    """
    scale = working_scale(image.shape[0], image.shape[1])
    if scale < 1.0:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    if image.ndim == 3 and not _is_colourful(image):
        # A grey scan: one channel carries all the ink and costs a third.
        image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    # A light blur first: sensor noise would otherwise survive as ragged edges and specks.
    smoothed = cv2.GaussianBlur(image, (3, 3), 0)
    pooled = _min_pool(smoothed)
    # One thumbnail for both: finding the paper and estimating its brightness.
    thumbnail = _thumbnail(pooled)
    pooled_paper, pooled_note, cut_dots = find_paper_and_note(pooled, thumbnail)
    pooled_ink, papers, kernel = _ink_and_paper(pooled, paper=pooled_paper, thumbnail=thumbnail)
    grainy = noise_floor(pooled_ink, pooled_paper) > MIN_INK
    if not grainy and pooled_paper is None:
        # A clean scan: no sensor noise for the blur to remove, only stroke edges to soften
        # (the darkest-of-four pooling then thickens them, and small loops close).
        smoothed = image
        pooled = _min_pool(smoothed)
        pooled_ink, _, _ = _ink_and_paper(pooled, papers)
    if grainy:
        # The darkest of each 2x2 block keeps thin strokes but also every dark grain of a pencil
        # stroke or of sensor noise; a light blur joins the grains back into a stroke before
        # thresholding. On a clean scan there is no grain, and the blur would only thicken the
        # strokes, closing the loops and gaps of digits 17-25 px tall.
        pooled_ink = cv2.GaussianBlur(pooled_ink, (3, 3), 0)
    faint_relative = CLEAN_RELATIVE_INK if not grainy and pooled_paper is None and image.ndim == 2 else RELATIVE_INK
    pooled_mask, pooled_height, low, high, note_read = _digit_mask(
        pooled_ink, pooled_paper, faint_relative, grow=grainy, note=pooled_note, cut_dots=cut_dots
    )
    if faint_relative < RELATIVE_INK and pooled_height * 2.0 > CLEAN_MAX_HEIGHT:
        faint_relative = RELATIVE_INK
        pooled_mask, pooled_height, low, high, note_read = _digit_mask(
            pooled_ink, pooled_paper, faint_relative, grow=grainy, note=pooled_note, cut_dots=cut_dots
        )
    half = HalfResolution(
        scale,
        smoothed,
        pooled_paper,
        pooled_note,
        note_read,
        kernel,
        grainy,
        faint_relative,
        pooled_height * 2.0,
        cut_dots,
    )
    if half.height >= (PHOTO_POOL_ABOVE_HEIGHT if pooled_paper is not None else POOL_ABOVE_HEIGHT):
        return InkMask(pooled_mask, scale / 2.0, pooled_height, pooled_paper, low, high, pooled_ink, half)
    # A photo's digits of POOL_ABOVE_HEIGHT to PHOTO_POOL_ABOVE_HEIGHT are read at PHOTO_FINE_SCALE,
    # with the height found at half resolution: measured again at full resolution, a comb field's
    # boxes counted with their digits (61 px for digits of 37), and the fields went unread.
    return _finer(half, PHOTO_FINE_SCALE if half.height >= POOL_ABOVE_HEIGHT else 1.0)


def prepare_at_full_resolution(inked: InkMask) -> InkMask:
    """``inked``, prepared at half resolution, thresholded again at full resolution whatever height
    was measured there (the caller measured the digits smaller, once the rules that joined them
    were gone). The half-resolution stage (paper, ink map, kernel) is not done again."""
    if inked.half is None:
        raise ValueError("the ink mask is not at half resolution")
    return _finer(inked.half, 1.0)


def _finer(half: HalfResolution, step: float) -> InkMask:
    """The picture thresholded at ``step`` of the working resolution, from what was found at half."""
    smoothed = half.smoothed
    if step < 1.0:
        smoothed = cv2.resize(smoothed, None, fx=step, fy=step, interpolation=cv2.INTER_AREA)
    paper = None if half.paper is None else _resized_mask(half.paper, smoothed.shape)
    # A note found to hold handwriting is read alone at this scale too, whatever is measured on it here.
    note = _resized_mask(half.note, smoothed.shape) if half.note is not None and half.note_read else None
    # The same closing as at half resolution: the kernel is in thumbnail pixels, the same share of the picture.
    ink = _ink_and_paper(smoothed, kernel=half.kernel)[0]
    floor = noise_floor(ink, paper)
    grain = False
    if half.grainy:
        # Digits under POOL_ABOVE_HEIGHT (and a photo's at PHOTO_FINE_SCALE) lose too much to the
        # blur when the floor is set by a fine pattern (a cheque's security print) rather than
        # grain; only grain gives way to it. (At half resolution a grainy map is always blurred.)
        blurred = cv2.GaussianBlur(ink, (3, 3), 0)
        blurred_floor = noise_floor(blurred, paper)
        grain = blurred_floor <= (1.0 - GRAIN_BLUR_GAIN) * floor
        if grain:
            ink, floor = blurred, blurred_floor
    known = half.height * step if step < 1.0 else None
    mask, height, low, high, _ = _digit_mask(
        ink,
        paper,
        half.faint_relative,
        floor,
        grow=grain,
        height=known,
        note=note,
        note_decided=True,
        cut_dots=half.cut_dots,
    )
    return InkMask(mask, half.scale * step, height or half.height * step, paper, low, high, ink)


def _resized_mask(mask: Image, shape: tuple[int, ...]) -> Image:
    return cv2.resize(mask, (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST)


class _DigitMask(NamedTuple):
    """A thresholded ink map: see :func:`_digit_mask`."""

    mask: Image
    height: float
    low: int
    high: int
    # Whether only a sticky note's ink was kept (see _note_alone).
    note_read: bool


def _digit_mask(
    ink: Image,
    paper: Image | None,
    faint_relative: float,
    floor: float | None = None,
    grow: bool = False,
    height: float | None = None,
    note: Image | None = None,
    note_decided: bool = False,
    cut_dots: CutDots | None = None,
) -> _DigitMask:
    """The ink thresholded (see :func:`threshold_ink`), without what the paper's rim cuts off or
    blobs, and the digits' height in it (0 when there are none), noise floor and weakest kept peak.

    ``height``: the digits' height when it is known already (measured at another scale).
    ``note``: a sticky note lying on a sheet, read alone if it holds handwriting (see
    :func:`_note_alone`), or in any case when ``note_decided``.
    ``cut_dots``: where the sheet hides or cuts a dotted desk's dots (see :func:`_without_cut_dots`).
    """
    mask, low, high = threshold_ink(ink, paper, faint_relative, floor, grow)
    unblobbed = _drop_blobs(without_clipped_shapes(mask, paper), photo=paper is not None)
    if paper is not None:
        # Only a photo's paper can have taken in a striped cloth; at every scale a photo is
        # thresholded at, its stripes are ink again.
        unblobbed = _without_stripes(unblobbed)
    if cut_dots is not None and len(cut_dots.centres):
        unblobbed = _without_cut_dots(unblobbed, cut_dots)
    if note is not None:
        alone = _note_alone(unblobbed, note, decided=note_decided, height=height)
        if alone is not None:
            note_mask, note_height = alone
            return _DigitMask(note_mask.mask, note_height, low, high, True)
    measured = height if height is not None else measure_digit_height(unblobbed.mask, unblobbed)
    return _DigitMask(unblobbed.mask, measured, low, high, False)


def _note_alone(
    unblobbed: _Unblobbed, note: Image, *, decided: bool, height: float | None = None
) -> tuple[_Unblobbed, float] | None:
    """The mask with only the ink on a sticky note lying on a sheet and the digits' height measured
    on it (rules stripped, as on a whole page: a lined note), or None when nothing on the note
    looks like a digit (unless ``decided``: it was found to hold some at another scale).
    ``height``: the digits' height when it is known already (measured at another scale).

    A note is written on with a few digits, often one to three, and the sheet under it can hold
    thousands of letters: measured on the whole picture, the digits' height was the print's (16 px
    for a note's digits of 36), and the print read as lines of 1s. The sheet is taken for what it
    is in such a photo, the background the note lies on, as the desk is, and the digits' height is
    then measured on the note alone. (Clearing only the shapes off the note too small to be its
    digits was tried first: a photo tried sideways still held printed words that tall.)
    """
    components = unblobbed.components
    stats = components.stats
    x, y = unblobbed.origin
    rows, cols = components.labels.shape
    # Most of a shape's ink on the note: its edge, a line of shadow that print touching it joins
    # into a comb as long as a side, is not (a box around the note or its centre would hold it).
    inside = components.labels[note[y : y + rows, x : x + cols] > 0]
    on_note = 2 * np.bincount(inside, minlength=components.count) > stats[:, cv2.CC_STAT_AREA]
    on_note[0] = False
    off_note = ~on_note & ~unblobbed.blob
    off_note[0] = False
    alone = _removed(unblobbed, off_note) if off_note.any() else unblobbed
    if height is None:
        height = measure_digit_height(alone.mask, alone)
    if not height and not decided:
        return None
    return alone, height
