"""Writing styles MNIST barely has, and things that are not digits.

MNIST was written by American writers. Elsewhere people write a 7 with a cross
bar, a 1 with a long flag and a base, a 4 open at the top and a 9 with a long
straight tail. These are made two ways: by stroke-level edits of real MNIST
digits (a bar drawn across a 7's stem, a flag and a base added to a 1) and by
drawing the strokes with hand-like jitter. Both then go through the usual
augmentation.

The eleventh class, :data:`NOT_A_DIGIT`, teaches the model to reject what the
segmenter finds that is not a digit: two digits touching (so the recognizer
knows to split them), letters of printed text, specks, ruled-line stubs,
scribbles and blobs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from trainer.augment import PEN_MARGIN, PEN_SIZE, Mask, mnist_to_pen, stroke_width

__all__ = [
    "Mask",
    "NOT_A_DIGIT",
    "STYLE_DIGITS",
    "STYLE_NAMES",
    "crossbar_seven",
    "flagged_one",
    "draw_style",
    "draw_not_a_digit",
]

NOT_A_DIGIT = 10
STYLE_NAMES = ("crossed_7", "flagged_1", "open_4", "straight_tail_9")
STYLE_DIGITS = {"crossed_7": 7, "flagged_1": 1, "open_4": 4, "straight_tail_9": 9}

CANVAS = PEN_SIZE + 2 * PEN_MARGIN
Point = tuple[float, float]


def _blank() -> Mask:
    return np.zeros((CANVAS, CANVAS), dtype=np.uint8)


def _to_canvas(point: Point, box: tuple[float, float, float, float]) -> tuple[float, float]:
    left, top, width, height = box
    return left + point[0] * width, top + point[1] * height


def _hand_stroke(
    mask: Mask,
    points: list[Point],
    thickness: int,
    rng: np.random.Generator,
    box: tuple[float, float, float, float],
) -> None:
    """Draw a polyline through unit-box points with a slow wobble, like a hand."""
    dense: list[tuple[float, float]] = []
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        steps = 12
        for step in range(steps):
            t = step / steps
            dense.append((x0 + (x1 - x0) * t, y0 + (y1 - y0) * t))
    dense.append(points[-1])
    wobble: npt.NDArray[Any] = rng.normal(0.0, 0.012, size=(len(dense), 2))
    wobble = cv2.GaussianBlur(wobble, (1, 9), 0).reshape(-1, 2) if len(dense) >= 9 else wobble
    canvas_points = np.array(
        [_to_canvas((x + dx, y + dy), box) for (x, y), (dx, dy) in zip(dense, wobble)], dtype=np.float64
    )
    # Sub-pixel coordinates (shift=4) keep the anti-aliased line smooth.
    fixed = np.round(canvas_points * 16).astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(mask, [fixed], False, 255, thickness, cv2.LINE_AA, shift=4)


def _digit_box(rng: np.random.Generator, aspect: tuple[float, float]) -> tuple[float, float, float, float]:
    height = PEN_SIZE * rng.uniform(0.62, 0.72)
    width = height * rng.uniform(*aspect)
    return (CANVAS - width) / 2.0, (CANVAS - height) / 2.0, width, height


def _pen_thickness(rng: np.random.Generator) -> int:
    return int(rng.integers(6, 15))


def _draw_crossed_seven(rng: np.random.Generator) -> Mask:
    mask = _blank()
    box = _digit_box(rng, (0.55, 0.85))
    thickness = _pen_thickness(rng)
    top_left = (rng.uniform(0.0, 0.15), rng.uniform(0.0, 0.08))
    top_right = (rng.uniform(0.85, 1.0), rng.uniform(0.0, 0.08))
    foot = (rng.uniform(0.25, 0.55), 1.0)
    _hand_stroke(mask, [top_left, top_right, foot], thickness, rng, box)
    bar_y = rng.uniform(0.45, 0.62)
    along = (bar_y - top_right[1]) / (foot[1] - top_right[1])
    stem_x = top_right[0] + (foot[0] - top_right[0]) * along
    half = rng.uniform(0.18, 0.32)
    tilt = rng.uniform(-0.05, 0.03)
    _hand_stroke(mask, [(stem_x - half, bar_y - tilt), (stem_x + half, bar_y + tilt)], thickness, rng, box)
    return mask


def _draw_flagged_one(rng: np.random.Generator) -> Mask:
    mask = _blank()
    box = _digit_box(rng, (0.4, 0.7))
    thickness = _pen_thickness(rng)
    slant = rng.uniform(-0.15, 0.1)
    top = (0.6, 0.0)
    foot = (0.6 + slant, 1.0)
    length = rng.uniform(0.3, 0.6)
    angle = math.radians(rng.uniform(20.0, 60.0))
    flag_end = (top[0] - length * math.cos(angle), length * math.sin(angle))
    _hand_stroke(mask, [flag_end, top, foot], thickness, rng, box)
    if rng.random() < 0.8:
        base = rng.uniform(0.25, 0.45)
        _hand_stroke(mask, [(foot[0] - base, 1.0), (foot[0] + base, 1.0)], thickness, rng, box)
    return mask


def _draw_open_four(rng: np.random.Generator) -> Mask:
    mask = _blank()
    box = _digit_box(rng, (0.6, 0.9))
    thickness = _pen_thickness(rng)
    start = (rng.uniform(0.0, 0.3), rng.uniform(0.0, 0.12))
    corner = (start[0] + rng.uniform(-0.12, 0.08), rng.uniform(0.5, 0.65))
    bar_end = (rng.uniform(0.9, 1.0), corner[1] + rng.uniform(-0.06, 0.03))
    _hand_stroke(mask, [start, corner, bar_end], thickness, rng, box)
    stem_x = rng.uniform(0.58, 0.8)
    stem_top = (stem_x + rng.uniform(-0.05, 0.05), rng.uniform(0.0, 0.2))
    stem_foot = (stem_x + rng.uniform(-0.12, 0.05), 1.0)
    _hand_stroke(mask, [stem_top, stem_foot], thickness, rng, box)
    return mask


def _draw_straight_tail_nine(rng: np.random.Generator) -> Mask:
    mask = _blank()
    box = _digit_box(rng, (0.5, 0.75))
    thickness = _pen_thickness(rng)
    radius_x = rng.uniform(0.35, 0.5)
    radius_y = rng.uniform(0.17, 0.25)
    centre = (0.5, radius_y)
    # The loop, drawn as a closed stroke from its right side, then the tail straight down.
    angles = np.linspace(0.0, 2.0 * math.pi, 24)
    start_angle = rng.uniform(-0.3, 0.3)
    loop = [
        (centre[0] + radius_x * math.cos(a + start_angle), centre[1] - radius_y * math.sin(a + start_angle))
        for a in angles
    ]
    tail_top = loop[0]
    tail_foot = (tail_top[0] + rng.uniform(-0.25, 0.05), 1.0)
    _hand_stroke(mask, loop + [tail_foot], thickness, rng, box)
    return mask


_STYLE_DRAWERS: dict[str, Callable[[np.random.Generator], Mask]] = {
    "crossed_7": _draw_crossed_seven,
    "flagged_1": _draw_flagged_one,
    "open_4": _draw_open_four,
    "straight_tail_9": _draw_straight_tail_nine,
}


def draw_style(style: str, rng: np.random.Generator) -> Mask:
    """Draw one digit of a named style as a pen mask (see :data:`STYLE_NAMES`)."""
    if style not in _STYLE_DRAWERS:
        raise ValueError(f"unknown style {style!r}; expected one of {STYLE_NAMES}")
    return _STYLE_DRAWERS[style](rng)


def _ink_bounds(mask: Mask) -> tuple[int, int, int, int] | None:
    rows = np.flatnonzero(mask.max(axis=1))
    cols = np.flatnonzero(mask.max(axis=0))
    if rows.size == 0:
        return None
    return int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])


def crossbar_seven(image: npt.NDArray[np.uint8], rng: np.random.Generator) -> Mask:
    """Edit a real MNIST 7: draw a bar across its stem at mid height."""
    mask = mnist_to_pen(image)
    bounds = _ink_bounds(mask)
    if bounds is None:
        return mask
    top, bottom, left, right = bounds
    height = bottom - top + 1
    bar_y = int(top + height * rng.uniform(0.45, 0.6))
    runs = np.flatnonzero(mask[bar_y] > 0)
    stem_x = float(runs.mean()) if runs.size else (left + right) / 2.0
    half = height * rng.uniform(0.16, 0.26)
    tilt = height * rng.uniform(-0.04, 0.02)
    thickness = max(4, round(stroke_width(mask) * rng.uniform(0.7, 1.0)))
    start = (round((stem_x - half) * 16), round((bar_y - tilt) * 16))
    end = (round((stem_x + half) * 16), round((bar_y + tilt) * 16))
    cv2.line(mask, start, end, 255, thickness, cv2.LINE_AA, shift=4)
    return mask


def flagged_one(image: npt.NDArray[np.uint8], rng: np.random.Generator) -> Mask:
    """Edit a real MNIST 1: give it a long flag at the top and, mostly, a base."""
    mask = mnist_to_pen(image)
    bounds = _ink_bounds(mask)
    if bounds is None:
        return mask
    top, bottom, _, _ = bounds
    height = bottom - top + 1
    top_x = float(np.flatnonzero(mask[top] > 0).mean())
    bottom_x = float(np.flatnonzero(mask[bottom] > 0).mean())
    thickness = max(4, round(stroke_width(mask) * rng.uniform(0.7, 1.0)))
    length = height * rng.uniform(0.25, 0.5)
    angle = math.radians(rng.uniform(20.0, 60.0))
    flag_end = (top_x - length * math.cos(angle), top + length * math.sin(angle))
    cv2.line(
        mask,
        (round(top_x * 16), round(top * 16)),
        (round(flag_end[0] * 16), round(flag_end[1] * 16)),
        255,
        thickness,
        cv2.LINE_AA,
        shift=4,
    )
    if rng.random() < 0.8:
        half = height * rng.uniform(0.2, 0.35)
        cv2.line(
            mask,
            (round((bottom_x - half) * 16), round(bottom * 16)),
            (round((bottom_x + half) * 16), round(bottom * 16)),
            255,
            thickness,
            cv2.LINE_AA,
            shift=4,
        )
    return mask


# Letters that no handwritten digit resembles; printed text near the numbers is made of them.
_LETTERS = "EFHKMNRWXefkmnpwx#%@+="
_HERSHEY_FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
    cv2.FONT_HERSHEY_SCRIPT_COMPLEX,
)


def _touching_pair(images: npt.NDArray[np.uint8], labels: npt.NDArray[np.uint8], rng: np.random.Generator) -> Mask:
    del labels
    first, second = (mnist_to_pen(images[i]) for i in rng.integers(0, len(images), size=2))
    bounds_first, bounds_second = _ink_bounds(first), _ink_bounds(second)
    if bounds_first is None or bounds_second is None:
        return first
    glyph_a = first[bounds_first[0] : bounds_first[1] + 1, bounds_first[2] : bounds_first[3] + 1]
    glyph_b = second[bounds_second[0] : bounds_second[1] + 1, bounds_second[2] : bounds_second[3] + 1]
    height = max(glyph_a.shape[0], glyph_b.shape[0])
    overlap = int(min(glyph_a.shape[1], glyph_b.shape[1]) * rng.uniform(0.0, 0.3))
    width = glyph_a.shape[1] + glyph_b.shape[1] - overlap
    canvas = np.zeros((height + 8, width + 8), dtype=np.uint8)
    offset_a = int(rng.integers(0, height - glyph_a.shape[0] + 1))
    offset_b = int(rng.integers(0, height - glyph_b.shape[0] + 1))
    canvas[4 + offset_a : 4 + offset_a + glyph_a.shape[0], 4 : 4 + glyph_a.shape[1]] |= glyph_a
    start_b = 4 + glyph_a.shape[1] - overlap
    canvas[4 + offset_b : 4 + offset_b + glyph_b.shape[0], start_b : start_b + glyph_b.shape[1]] |= glyph_b
    return canvas


def _printed_letters(rng: np.random.Generator) -> Mask:
    count = int(rng.choice([1, 1, 2, 3]))
    text = "".join(rng.choice(list(_LETTERS), size=count))
    font = int(rng.choice(_HERSHEY_FONTS))
    thickness = int(rng.integers(2, 7))
    mask = np.zeros((CANVAS, CANVAS * 2), dtype=np.uint8)
    cv2.putText(mask, text, (10, int(CANVAS * 0.7)), font, 2.2, 255, thickness, cv2.LINE_AA)
    return mask


def _scribble(rng: np.random.Generator) -> Mask:
    mask = _blank()
    box = _digit_box(rng, (0.6, 1.4))
    points = [(float(x), float(y)) for x, y in rng.uniform(0.0, 1.0, size=(int(rng.integers(7, 14)), 2))]
    _hand_stroke(mask, points, _pen_thickness(rng), rng, box)
    return mask


def _blob(rng: np.random.Generator) -> Mask:
    mask = _blank()
    centre = (CANVAS // 2, CANVAS // 2)
    axes = (int(rng.integers(15, 45)), int(rng.integers(15, 45)))
    cv2.ellipse(mask, centre, axes, float(rng.uniform(0, 180)), 0, 360, 255, -1, cv2.LINE_AA)
    return mask


def _rule_fragment(rng: np.random.Generator) -> Mask:
    """Stubs of ruled lines and form boxes: a flat line, an L corner, a cross or a grid."""
    mask = _blank()
    box = _digit_box(rng, (0.8, 1.4))
    thickness = _pen_thickness(rng)
    kind = rng.integers(0, 4)
    tilt = rng.uniform(-0.15, 0.15)
    if kind == 0:
        _hand_stroke(mask, [(0.0, 0.5 - tilt), (1.0, 0.5 + tilt)], thickness, rng, box)
    elif kind == 1:
        _hand_stroke(mask, [(0.1, 0.0), (0.1, 1.0), (1.0, 1.0 + tilt)], thickness, rng, box)
    elif kind == 2:
        _hand_stroke(mask, [(0.0, 0.5), (1.0, 0.5 + tilt)], thickness, rng, box)
        _hand_stroke(mask, [(0.5, 0.0), (0.5 + tilt, 1.0)], thickness, rng, box)
    else:
        for offset in (0.3, 0.7):
            _hand_stroke(mask, [(0.0, offset), (1.0, offset + tilt)], thickness, rng, box)
            _hand_stroke(mask, [(offset, 0.0), (offset + tilt, 1.0)], thickness, rng, box)
    return mask


def _specks(rng: np.random.Generator) -> Mask:
    mask = _blank()
    for _ in range(int(rng.integers(2, 7))):
        centre = (int(rng.integers(20, CANVAS - 20)), int(rng.integers(20, CANVAS - 20)))
        cv2.circle(mask, centre, int(rng.integers(3, 9)), 255, -1, cv2.LINE_AA)
    return mask


def draw_not_a_digit(images: npt.NDArray[np.uint8], labels: npt.NDArray[np.uint8], rng: np.random.Generator) -> Mask:
    """One pen mask of something the segmenter may find that is not a single digit."""
    kind = rng.random()
    # No half digits: half a 0 is a curved 1, and calling it "not a digit" made the model
    # doubt real 1s (the decoder's shape prior and the harvested crops judge cuts instead).
    if kind < 0.5:
        return _touching_pair(images, labels, rng)
    if kind < 0.7:
        return _printed_letters(rng)
    if kind < 0.8:
        return _scribble(rng)
    if kind < 0.85:
        return _blob(rng)
    if kind < 0.95:
        return _rule_fragment(rng)
    return _specks(rng)
