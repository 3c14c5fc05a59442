#!/usr/bin/env python3
"""Make digitstream's realistic test samples from MNIST *test* digits.

Writes scanned pages (PNG, JPEG, BMP, WebP, multi-page TIFF and PDF), camera photos (JPEG, some
stored sideways with an EXIF orientation tag) and a short hand-held video, each with a truth file
giving the box of every handwritten digit as a viewer shows the image.  Only x_test/y_test are read
so the samples never overlap the digits a model was trained on.

    python samples/make_samples.py                        # regenerate the committed set
    python samples/make_samples.py --seed 7 --pages 72 --photos 144 --out /tmp/bigset
    python samples/make_samples.py --check-only           # re-verify the files on disk
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import cv2
import numpy as np
import pypdfium2 as pdfium
from numpy.typing import NDArray
from PIL import Image, ImageOps

FloatImage = NDArray[np.float32]
Mask = NDArray[np.uint8]
Points = NDArray[np.float32]
Matrix = NDArray[np.float64]
Rng = np.random.Generator
Rgb = tuple[float, float, float]
T = TypeVar("T")

SAMPLES_DIR = Path(__file__).resolve().parent
DEFAULT_MNIST = Path(__file__).resolve().parents[2] / "shared/data/mnist.npz"

PAGE_CATEGORIES: tuple[str, ...] = (
    "ruled_form", "boxed_fields", "skewed", "noisy_scan", "low_contrast", "broken_digits",
    "printed_labels",
)
PHOTO_CATEGORIES: tuple[str, ...] = (
    "desk_photo", "sticky_note", "coloured_ink", "pencil_dim", "angled", "sideways_exif",
    "sideways_no_exif", "webcam", "tiny_cheque", "boxed_photo", "touching",
)
GENERATED_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".pdf", ".json",
                      ".jsonl", ".mp4", ".avi"}

MM_PER_INCH = 25.4
A4_MM = (210.0, 297.0)
# MNIST pixels brighter than this count as ink when cropping a digit to its bounding box.
MNIST_INK_LEVEL = 40
# Level of the upscaled MNIST intensity that becomes the pen edge (alpha 0.5).
PEN_EDGE_LEVEL = 0.45
# A digit counts as ink where its alpha exceeds this; truth boxes enclose exactly these pixels.
INK_ALPHA = 0.5

# Everything printed is letters only: the truth covers handwritten digits, so a printed digit would
# be an unlabelled digit that a correct reader is then punished for finding.
LABEL_WORDS = ("Invoice", "Amount", "Date:", "Ref.", "Total", "Account", "Customer", "Order", "Qty",
               "Code", "Phone", "Branch", "Balance", "Weight", "Item", "Postcode", "Receipt",
               "Batch", "Serial", "Room", "Meter", "Reading", "Price", "Units", "Lot", "Member",
               "Ticket", "Route", "Seat", "Pallet", "Order no.", "Due:", "Net", "Tax", "Paid")
FORM_TITLES = ("Stock count", "Meter readings", "Delivery note", "ORDER FORM", "Daily log",
               "Inventory sheet", "Expense claim", "Parts list", "Sample register", "Goods in",
               "Shift report", "Field survey")
DOC_TITLES = ("INVOICE", "Delivery note", "RECEIPT", "Purchase order", "Credit note", "Statement")
ITEM_WORDS = ("Bolts", "Washers", "Hinges", "Paper", "Toner", "Cables", "Gloves", "Tape",
              "Screws", "Labels", "Filters", "Valves", "Brackets", "Nuts", "Springs", "Rivets")
NUMERIC_HEADERS = ("Qty", "Price", "Total", "Code", "Count", "Weight", "Units", "Batch", "Ref.")
NAME_WORDS = ("Anna", "Office", "Mobile", "Home", "Fax", "Reception", "Dr Patel", "Garage",
              "School", "Plumber", "Mum", "Tom K.", "Sales", "Support", "Hotel", "Taxi")
FILLER_WORDS = ("the", "of", "and", "delivery", "terms", "payment", "within", "days", "goods",
                "remain", "property", "until", "paid", "in", "full", "please", "quote", "our",
                "reference", "on", "all", "correspondence", "returns", "accepted", "with",
                "receipt", "only", "thank", "you", "for", "your", "order", "service", "notes",
                "customer", "account", "office", "warehouse", "dispatch", "signed", "by")
COMPANY_WORDS = ("Northfield Supplies", "Harbour Road Depot", "Alder and Finch Ltd",
                 "Kestrel Logistics", "Brightwater Stores", "Oakline Trading")
BANK_NAMES = ("NORTHBRIDGE SAVINGS BANK", "MERIDIAN TRUST", "FIRST HARBOUR BANK",
              "ALPINE CREDIT UNION")
FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX,
         cv2.FONT_HERSHEY_TRIPLEX)

INK_COLOURS: dict[str, Rgb] = {
    "black": (0.10, 0.10, 0.12), "blue": (0.11, 0.19, 0.52), "royal_blue": (0.14, 0.26, 0.78),
    "red": (0.78, 0.12, 0.16), "pink": (0.88, 0.28, 0.58), "green": (0.08, 0.46, 0.24),
    "pencil": (0.36, 0.36, 0.39),
}
PRINT_BLACK: Rgb = (0.11, 0.11, 0.12)
WHITE_PAPERS: tuple[Rgb, ...] = ((0.97, 0.97, 0.96), (0.96, 0.96, 0.94), (0.95, 0.955, 0.965))
COLOURED_PAPERS: dict[str, Rgb] = {
    "yellow": (0.98, 0.94, 0.70), "blue": (0.80, 0.89, 0.97), "green": (0.83, 0.95, 0.80),
    "pink": (0.98, 0.85, 0.89), "buff": (0.93, 0.86, 0.72),
}
WOOD_TONES: tuple[Rgb, ...] = ((0.45, 0.30, 0.18), (0.60, 0.44, 0.28), (0.32, 0.21, 0.13), (0.70, 0.55, 0.38))
STICKY_COLOURS: dict[str, Rgb] = {
    "yellow": (0.99, 0.92, 0.42), "pink": (0.99, 0.60, 0.76), "green": (0.68, 0.93, 0.52),
    "blue": (0.55, 0.82, 0.97),
}
# Relative frequency of number lengths: forms hold more 3-6 digit values than 1 or 10 digit ones.
LENGTH_WEIGHTS = {1: 5, 2: 9, 3: 11, 4: 12, 5: 11, 6: 10, 7: 8, 8: 7, 9: 5, 10: 4, 11: 2}
PAPERS_MM: dict[str, tuple[float, float]] = {
    "A4": A4_MM, "A5": (148.0, 210.0), "A6": (105.0, 148.0), "card": (76.0, 127.0),
    "letter": (216.0, 279.0), "notebook": (165.0, 210.0),
}


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------

def pick(rng: Rng, items: Sequence[T]) -> T:
    """Uniform choice that keeps the element's Python type (rng.choice returns numpy scalars)."""
    return items[int(rng.integers(len(items)))]


def smooth_noise(shape: tuple[int, int], cell: float, rng: Rng) -> FloatImage:
    """Unit-variance noise whose blobs are about `cell` px wide (paper mottle, light, wood)."""
    h, w = shape
    grid = rng.standard_normal((max(2, int(h / cell) + 2), max(2, int(w / cell) + 2)))
    big = cv2.resize(grid.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    std = float(big.std())
    return (big / std if std > 1e-6 else big).astype(np.float32)


def add_unique(tags: list[str], *new: str) -> None:
    """Append condition tags once each, keeping their order (sets would make output unstable)."""
    for tag in new:
        if tag not in tags:
            tags.append(tag)


def to_uint8(image: FloatImage) -> NDArray[np.uint8]:
    return np.clip(image * 255.0 + 0.5, 0, 255).astype(np.uint8)


def as_homogeneous(affine: NDArray[np.float64]) -> Matrix:
    return np.vstack([affine, [0.0, 0.0, 1.0]])


def transform_points(points: Points, matrix: Matrix) -> Points:
    projected = cv2.perspectiveTransform(points.reshape(-1, 1, 2).astype(np.float64), matrix)
    return projected.reshape(-1, 2).astype(np.float32)


def blend(image: FloatImage, alpha: FloatImage, x: int, y: int, colour: Rgb) -> None:
    """Lay ink of `colour` with opacity `alpha` onto `image` at (x, y), clipped to the image.

    out = paper * (1 - a) + ink * a, done in place on the overlapping window only.
    """
    h, w = alpha.shape
    height, width = image.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(width, x + w), min(height, y + h)
    if x0 >= x1 or y0 >= y1:
        return
    a = alpha[y0 - y:y1 - y, x0 - x:x1 - x, None]
    region = image[y0:y1, x0:x1]
    region -= a * (region - np.asarray(colour, dtype=np.float32))


# --------------------------------------------------------------------------------------------
# MNIST test digits
# --------------------------------------------------------------------------------------------

class DigitBank:
    """MNIST test digits by label, each handed out once before any is reused."""

    def __init__(self, images: NDArray[np.uint8], labels: NDArray[np.uint8], rng: Rng) -> None:
        self._images = images
        self._rng = rng
        self._pools = [np.flatnonzero(labels == d) for d in range(10)]
        self._order = [rng.permutation(pool) for pool in self._pools]
        self._cursor = [0] * 10
        self.used: set[int] = set()
        self.taken = 0

    @classmethod
    def load(cls, path: Path, rng: Rng, split: str = "test") -> DigitBank:
        # Samples read only the test split: training digits must never reach a sample.
        # The trainer asks for the train split to make scenes it learns from.
        with np.load(path) as data:
            images = np.asarray(data[f"x_{split}"], dtype=np.uint8)
            labels = np.asarray(data[f"y_{split}"], dtype=np.uint8)
        if images.shape[1:] != (28, 28) or len(images) != len(labels):
            raise ValueError(f"{path}: x_{split}/y_{split} are not MNIST shaped")
        return cls(images, labels, rng)

    def take(self, label: int) -> NDArray[np.uint8]:
        if self._cursor[label] >= len(self._order[label]):
            # A big benchmark set can need more of one label than the test set has.
            self._order[label] = self._rng.permutation(self._pools[label])
            self._cursor[label] = 0
        index = int(self._order[label][self._cursor[label]])
        self._cursor[label] += 1
        self.used.add(index)
        self.taken += 1
        return self._images[index]


def random_digits(rng: Rng, low: int, high: int) -> str:
    """A digit string of length in [low, high], mostly without a leading zero."""
    lengths = [n for n in LENGTH_WEIGHTS if low <= n <= high]
    weights = np.array([LENGTH_WEIGHTS[n] for n in lengths], dtype=np.float64)
    length = lengths[int(rng.choice(len(lengths), p=weights / weights.sum()))]
    digits = [str(int(d)) for d in rng.integers(0, 10, length)]
    if length > 1 and digits[0] == "0" and rng.random() < 0.8:
        digits[0] = str(int(rng.integers(1, 10)))
    return "".join(digits)


def phone_digits(rng: Rng) -> str:
    length = int(rng.integers(8, 12))
    head = "0" if rng.random() < 0.6 else str(int(rng.integers(1, 10)))
    return head + "".join(str(int(d)) for d in rng.integers(0, 10, length - 1))


def date_digits(rng: Rng) -> str:
    day, month, year = int(rng.integers(1, 29)), int(rng.integers(1, 13)), int(rng.integers(2019, 2028))
    return f"{day:02d}{month:02d}{year % 100 if rng.random() < 0.5 else year:02d}"


# --------------------------------------------------------------------------------------------
# Pens and glyphs: an MNIST digit redrawn as a pen stroke of a chosen height and width
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Pen:
    kind: str          # ballpoint | gel | felt | pencil
    colour: Rgb
    stroke_mm: float   # line width on paper
    strength: float    # opacity of a fully inked pixel
    slant: float       # writer's forward lean, as a shear factor


def pick_pen(rng: Rng, kind: str | None = None, colour: str | None = None) -> Pen:
    kind = kind or pick(rng, ("ballpoint", "ballpoint", "gel", "felt"))
    if kind == "pencil":
        colour = "pencil"
    colour = colour or pick(rng, ("black", "blue", "blue", "black", "royal_blue"))
    width, strength = {
        "ballpoint": ((0.40, 0.60), (0.82, 0.94)), "gel": ((0.55, 0.80), (0.90, 0.97)),
        "felt": ((0.80, 1.20), (0.92, 0.98)), "pencil": ((0.35, 0.55), (0.62, 0.80)),
    }[kind]
    tint = np.clip(np.array(INK_COLOURS[colour]) + rng.uniform(-0.03, 0.03, 3), 0, 1)
    return Pen(kind=kind, colour=(float(tint[0]), float(tint[1]), float(tint[2])),
               stroke_mm=float(rng.uniform(*width)), strength=float(rng.uniform(*strength)),
               slant=float(rng.uniform(-0.10, 0.25)))


@dataclass(frozen=True)
class Glyph:
    label: int
    alpha: FloatImage  # pen coverage in [0, 1], tightly cropped with a small margin


def ink_box(alpha: FloatImage) -> tuple[int, int, int, int]:
    """Bounding box (x, y, w, h) of the pixels that count as ink."""
    mask = alpha > INK_ALPHA
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not len(rows):
        return 0, 0, 0, 0
    return int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)


def outline_points(alpha: FloatImage) -> Points:
    """Outer contour of the ink: enough to bound the ink after any projective transform."""
    mask = (alpha > INK_ALPHA).astype(np.uint8)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return np.concatenate([c.reshape(-1, 2) for c in contours]).astype(np.float32)


def mnist_field(digit: NDArray[np.uint8], height: float) -> tuple[FloatImage, float]:
    """Crop a digit to its ink, pad it and upscale it cubically so the ink is `height` px tall."""
    ink = digit > MNIST_INK_LEVEL
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    crop = digit[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1].astype(np.float32) / 255.0
    scale = height / crop.shape[0]
    # The zero border lets the cubic kernel fade strokes out instead of cutting them at the crop.
    padded = np.pad(crop, 2)
    size = (max(3, round(padded.shape[1] * scale)), max(3, round(padded.shape[0] * scale)))
    return cv2.resize(padded, size, interpolation=cv2.INTER_CUBIC), scale


def stroke_width(field: FloatImage) -> float:
    """Mean stroke width of the ink as 2 * area / perimeter (exact for a long uniform stroke)."""
    mask = (field > PEN_EDGE_LEVEL).astype(np.uint8)
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(c, True) for c in contours)
    return 2.0 * float(mask.sum()) / perimeter if perimeter > 0 else 1.0


def edge_gradient(field: FloatImage, level: float) -> float:
    """How fast the intensity climbs across a stroke edge, per pixel."""
    gx = cv2.Sobel(field, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(field, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    near = np.abs(field - level) < 0.12
    return float(np.median(np.hypot(gx, gy)[near])) if near.any() else 0.2


def set_pen_width(field: FloatImage, target_px: float) -> tuple[FloatImage, float]:
    """Thin or thicken MNIST's marker-like strokes to the pen's width.

    Whole pixels come from grey-level erosion or dilation (keeps the field smooth); the rest
    from moving the threshold along the edge gradient.  Returns the field and its threshold.
    """
    per_side = (target_px - stroke_width(field)) / 2.0
    radius = int(np.clip(round(per_side), -3, 3))
    if radius:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(radius) + 1,) * 2)
        field = (cv2.dilate if radius > 0 else cv2.erode)(field, kernel)
    rest = per_side - radius
    threshold = float(np.clip(PEN_EDGE_LEVEL - rest * edge_gradient(field, PEN_EDGE_LEVEL), 0.25, 0.7))
    return field, threshold


def rotate_field(field: FloatImage, angle_deg: float, slant: float) -> FloatImage:
    """Rotate (counter-clockwise) and slant the intensity field onto a canvas that fits it."""
    h, w = field.shape
    a = math.radians(angle_deg)
    rotation = np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]])
    # x shifts right as y goes up: a forward-leaning hand.
    shear = np.array([[1.0, -slant], [0.0, 1.0]])
    linear = rotation @ shear
    corners = (np.array([[0, 0], [w, 0], [0, h], [w, h]], dtype=np.float64) - [w / 2, h / 2]) @ linear.T
    lo, hi = corners.min(axis=0), corners.max(axis=0)
    size = (int(math.ceil(hi[0] - lo[0])) + 4, int(math.ceil(hi[1] - lo[1])) + 4)
    offset = np.array([size[0] / 2, size[1] / 2]) - linear @ np.array([w / 2, h / 2])
    matrix = np.hstack([linear, offset[:, None]])
    return cv2.warpAffine(field, matrix, size, flags=cv2.INTER_LINEAR, borderValue=0.0)


def pen_alpha(field: FloatImage, threshold: float) -> FloatImage:
    """Smooth threshold: a sharp pen edge about one pixel wide instead of a blurry blob."""
    slope = 4.0 / max(edge_gradient(field, threshold), 0.07)
    alpha = 1.0 / (1.0 + np.exp(-slope * (field - threshold)))
    alpha[alpha < 0.01] = 0.0
    rows, cols = np.flatnonzero(alpha.any(axis=1)), np.flatnonzero(alpha.any(axis=0))
    y0, y1 = max(0, rows[0] - 1), min(alpha.shape[0], rows[-1] + 2)
    x0, x1 = max(0, cols[0] - 1), min(alpha.shape[1], cols[-1] + 2)
    return np.ascontiguousarray(alpha[y0:y1, x0:x1], dtype=np.float32)


def pen_field(digit: NDArray[np.uint8], height: float, stroke_px: float) -> tuple[FloatImage, FloatImage, float]:
    """Upscaled field (raw and pen-width adjusted) whose adjusted ink is `height` px tall.

    Thinning a thick MNIST stroke to a ballpoint also eats into the top and bottom of the digit,
    so the first attempt is measured and the digit redrawn at the size that comes out right.
    """
    target = height
    for _ in range(2):
        field, _ = mnist_field(digit, target)
        thinned, threshold = set_pen_width(field, stroke_px)
        rows = np.flatnonzero((thinned > threshold).any(axis=1))
        ink_height = rows[-1] - rows[0] + 1 if len(rows) else height
        if abs(ink_height - height) <= max(1.0, 0.03 * height):
            break
        target *= height / ink_height
    return field, thinned, threshold


def render_glyph(digit: NDArray[np.uint8], label: int, height: float, stroke_px: float,
                 angle_deg: float, slant: float) -> Glyph:
    field, thinned, threshold = pen_field(digit, height, stroke_px)
    alpha = pen_alpha(rotate_field(thinned, angle_deg, slant), threshold)
    if (alpha > INK_ALPHA).sum() < 12:
        # A faint MNIST digit can vanish when thinned; keep it at its own width instead.
        alpha = pen_alpha(rotate_field(field, angle_deg, slant), PEN_EDGE_LEVEL)
    return Glyph(label, alpha)


def significant_pieces(alpha: FloatImage, min_area: float) -> tuple[int, float]:
    """Number of ink components of at least `min_area` px, and the area of the smaller scraps."""
    count, _, stats, _ = cv2.connectedComponentsWithStats((alpha > INK_ALPHA).astype(np.uint8), 8)
    areas = stats[1:count, cv2.CC_STAT_AREA]
    return int((areas >= min_area).sum()), float(areas[areas < min_area].sum())


def break_glyph(glyph: Glyph, rng: Rng) -> Glyph | None:
    """Erase a short band across a stroke so the digit falls into exactly one more piece.

    That is what a skipping pen or a light stroke does: a 5 whose top bar floats free, a 4 open
    at the top.  Random cuts are tried until one splits the digit into two real pieces.
    """
    area = float((glyph.alpha > INK_ALPHA).sum())
    before, _ = significant_pieces(glyph.alpha, 0.1 * area)
    ys, xs = np.nonzero(glyph.alpha > INK_ALPHA)
    height = ink_box(glyph.alpha)[3]
    for _ in range(40):
        i = int(rng.integers(len(xs)))
        angle = rng.uniform(0, math.pi)
        reach = 0.22 * height
        dx, dy = reach * math.cos(angle), reach * math.sin(angle)
        eraser = np.zeros(glyph.alpha.shape, np.uint8)
        thickness = max(2, round(rng.uniform(0.06, 0.11) * height))
        cv2.line(eraser, (round(xs[i] - dx), round(ys[i] - dy)), (round(xs[i] + dx), round(ys[i] + dy)),
                 255, thickness, cv2.LINE_AA)
        alpha = glyph.alpha * (1.0 - eraser.astype(np.float32) / 255.0)
        pieces, scraps = significant_pieces(alpha, 0.1 * area)
        if pieces == before + 1 and scraps < 0.03 * area:
            return Glyph(glyph.label, alpha.astype(np.float32))
    return None


# --------------------------------------------------------------------------------------------
# Numbers: glyphs laid side by side, kept as one alpha patch plus each digit's outline
# --------------------------------------------------------------------------------------------

@dataclass
class NumberPatch:
    text: str
    alpha: FloatImage
    digit_points: list[Points]  # outline of each digit's ink, patch coordinates
    baseline_y: float = 0.0     # where the writing line crosses the patch

    @property
    def width(self) -> int:
        return int(self.alpha.shape[1])

    @property
    def height(self) -> int:
        return int(self.alpha.shape[0])


def assemble(placements: Sequence[tuple[Glyph, int, int]], text: str) -> tuple[NumberPatch, int, int]:
    """Merge glyphs placed at integer (x, y) into one patch; returns it and its origin."""
    x0 = min(x for _, x, _ in placements)
    y0 = min(y for _, _, y in placements)
    x1 = max(x + g.alpha.shape[1] for g, x, _ in placements)
    y1 = max(y + g.alpha.shape[0] for g, _, y in placements)
    clear = np.ones((y1 - y0, x1 - x0), np.float32)
    points = []
    for glyph, x, y in placements:
        h, w = glyph.alpha.shape
        # Overlapping strokes of touching digits darken like real ink laid twice.
        clear[y - y0:y - y0 + h, x - x0:x - x0 + w] *= 1.0 - glyph.alpha
        points.append(outline_points(glyph.alpha) + np.float32([x - x0, y - y0]))
    return NumberPatch(text, 1.0 - clear, points), x0, y0


def rotate_patch(patch: NumberPatch, angle_deg: float) -> NumberPatch:
    """Turn a whole written number (counter-clockwise for positive angles)."""
    h, w = patch.alpha.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle_deg, 1.0)
    corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], dtype=np.float64) @ matrix.T
    matrix[:, 2] -= corners.min(axis=0)
    size = np.ceil(corners.max(axis=0) - corners.min(axis=0)).astype(int) + 1
    alpha = cv2.warpAffine(patch.alpha, matrix, (int(size[0]), int(size[1])), flags=cv2.INTER_LINEAR)
    full = as_homogeneous(matrix)
    points = [transform_points(p, full) for p in patch.digit_points]
    baseline = transform_points(np.float32([[w / 2, patch.baseline_y]]), full)[0, 1]
    return NumberPatch(patch.text, alpha, points, float(baseline))


def touches(a: Glyph, ax: int, ay: int, b: Glyph, bx: int, by: int) -> bool:
    """Do the two placed glyphs' inks meet (within a pixel)?"""
    x0, y0 = max(ax, bx), max(ay, by)
    x1 = min(ax + a.alpha.shape[1], bx + b.alpha.shape[1])
    y1 = min(ay + a.alpha.shape[0], by + b.alpha.shape[0])
    if x0 >= x1 or y0 >= y1:
        return False
    wa = cv2.dilate((a.alpha > 0.4).astype(np.uint8), np.ones((3, 3), np.uint8))
    sa = wa[y0 - ay:y1 - ay, x0 - ax:x1 - ax]
    sb = b.alpha[y0 - by:y1 - by, x0 - bx:x1 - bx] > 0.4
    return bool((sa.astype(bool) & sb).any())


@dataclass
class Hand:
    """One writer on one document: pen, digit size, and habits (broken or touching digits)."""

    bank: DigitBank
    pen: Pen
    height: float       # nominal digit height in px of the document being written
    stroke_px: float
    rng: Rng
    broken_rate: float = 0.0
    touching: bool = False
    stats: Counter[str] = field(default_factory=Counter)

    def glyph(self, label: int, height: float | None = None) -> Glyph:
        size = height if height is not None else self.height * self.rng.uniform(0.9, 1.1)
        glyph = render_glyph(self.bank.take(label), label, size, self.stroke_px,
                             self.rng.uniform(-8, 8), self.pen.slant)
        if self.broken_rate and self.rng.random() < self.broken_rate:
            broken = break_glyph(glyph, self.rng)
            if broken is not None:
                self.stats["broken"] += 1
                return broken
        return glyph

    def number(self, text: str, angle_deg: float = 0.0) -> NumberPatch:
        """Write `text` on a baseline: gaps of 0.05-0.4 H, or 0-20 % overlap when touching."""
        h = self.height
        placements: list[tuple[Glyph, int, int]] = []
        right = 0.0
        for char in text:
            glyph = self.glyph(int(char))
            bx, by, bw, bh = ink_box(glyph.alpha)
            y = round(self.rng.uniform(-0.05, 0.05) * h - (by + bh))
            if not placements:
                left = 0.0
            elif self.touching:
                left = self._touching_left(placements[-1], glyph, y)
            else:
                left = right + self.rng.uniform(0.05, 0.4) * h
            x = round(left - bx)
            placements.append((glyph, x, y))
            right = x + bx + bw
        patch, _, y0 = assemble(placements, text)
        patch.baseline_y = float(-y0)
        return rotate_patch(patch, angle_deg) if angle_deg else patch

    def _touching_left(self, previous: tuple[Glyph, int, int], glyph: Glyph, y: int) -> float:
        """Slide the next digit left until its ink meets the previous one (at most 20 % overlap)."""
        pg, px, py = previous
        pbx, _, pbw, _ = ink_box(pg.alpha)
        bx, _, bw, _ = ink_box(glyph.alpha)
        prev_right = px + pbx + pbw
        cap = max(1, round(0.2 * max(pbw, bw)))
        for overlap in range(0, cap + 1):
            if touches(pg, px, py, glyph, round(prev_right - overlap - bx), y):
                self.stats["touching_pairs"] += 1
                extra = int(self.rng.integers(0, max(1, round(0.05 * bw)) + 1))
                return float(prev_right - min(cap, overlap + extra))
        self.stats["near_pairs"] += 1
        return float(prev_right - cap)

    def text(self, low: int = 1, high: int = 10) -> str:
        return random_digits(self.rng, low, high)


def fit_number(hand: Hand, room: float, low: int = 1, high: int = 10,
               text_fn: Callable[[], str] | None = None, angle_deg: float = 0.0) -> NumberPatch | None:
    """A number that fits in `room` px, shortening it when the first try is too long."""
    per_digit = 0.85 * hand.height
    high = min(high, int(room / per_digit))
    for _ in range(3):
        if high < low:
            return None
        text = text_fn() if text_fn is not None else hand.text(low, high)
        patch = hand.number(text, angle_deg)
        if patch.width <= room:
            return patch
        high = len(text) - 1
    return None


# --------------------------------------------------------------------------------------------
# Documents: paper, printed marks and handwriting, with each digit's outline tracked
# --------------------------------------------------------------------------------------------

@dataclass
class DigitInk:
    label: int
    points: Points  # ink outline in the current image's pixel coordinates


@dataclass
class NumberInk:
    text: str
    digits: list[DigitInk]


Lines = list[list[NumberInk]]


@dataclass
class Document:
    image: FloatImage        # (h, w, 3) RGB in [0, 1]
    px_per_mm: float
    lines: Lines = field(default_factory=list)

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


def transform_lines(lines: Lines, matrix: Matrix) -> Lines:
    return [[NumberInk(n.text, [DigitInk(d.label, transform_points(d.points, matrix)) for d in n.digits])
             for n in line] for line in lines]


def make_paper(shape: tuple[int, int], tone: Rgb, rng: Rng, mottle: float = 0.005,
               grain: float = 0.006) -> FloatImage:
    """Paper: a tone with faint large-scale unevenness, fibre streaks and grain, never flat."""
    h, w = shape
    size = min(h, w)
    light = 1.0 + mottle * smooth_noise(shape, size / 4, rng)
    # Fibres lie mostly one way: noise stretched along x.
    streaks = rng.standard_normal((h, max(2, w // 6))).astype(np.float32)
    fibres = cv2.resize(streaks, (w, h), interpolation=cv2.INTER_LINEAR)
    light += 0.4 * grain * fibres + 0.6 * grain * rng.standard_normal(shape, dtype=np.float32)
    return light[..., None] * np.asarray(tone, dtype=np.float32)


def ink_texture(pen: Pen, shape: tuple[int, int], rng: Rng) -> FloatImage:
    """Opacity variation along the strokes: ballpoints skip a little, pencils follow paper tooth."""
    if pen.kind == "pencil":
        tooth = cv2.GaussianBlur(rng.random(shape, dtype=np.float32), (0, 0), 0.7)
        tooth = (tooth - tooth.mean()) / max(float(tooth.std()), 1e-6)
        pressure = 0.85 + 0.15 * smooth_noise(shape, max(4.0, shape[0] / 3), rng)
        return np.clip((0.8 + 0.22 * tooth) * pressure, 0.1, 1.0)
    amount = {"ballpoint": 0.10, "gel": 0.04, "felt": 0.03}[pen.kind]
    return np.clip(1.0 - amount * np.abs(smooth_noise(shape, max(4.0, shape[0] / 4), rng)), 0.5, 1.0)


def ink_number(doc: Document, patch: NumberPatch, x: int, y: int, pen: Pen, rng: Rng) -> NumberInk:
    alpha = patch.alpha * pen.strength * ink_texture(pen, patch.alpha.shape, rng)
    blend(doc.image, alpha.astype(np.float32), x, y, pen.colour)
    offset = np.float32([x, y])
    return NumberInk(patch.text, [DigitInk(int(c), pts + offset) for c, pts in zip(patch.text, patch.digit_points)])


def font_cap_height(font: int) -> float:
    return float(cv2.getTextSize("H", font, 1.0, 1)[0][1])


def text_width(text: str, font: int, cap_px: float) -> float:
    scale = cap_px / font_cap_height(font)
    thickness = max(1, round(cap_px * 0.075))
    return float(cv2.getTextSize(text, font, scale, thickness)[0][0])


def put_text(mask: Mask, text: str, x: float, baseline: float, cap_px: float, font: int,
             weight: float = 1.0) -> float:
    """Print letters with their baseline at `baseline`; returns the printed width."""
    if any(ch.isdigit() for ch in text):
        raise ValueError(f"printed text must not contain digits: {text!r}")
    scale = cap_px / font_cap_height(font)
    thickness = max(1, round(cap_px * 0.075 * weight))
    cv2.putText(mask, text, (round(x), round(baseline)), font, scale, 255, thickness, cv2.LINE_AA)
    return float(cv2.getTextSize(text, font, scale, thickness)[0][0])


class Layout:
    """Collects a document's printed marks and handwritten numbers, then inks them in the order a
    real form gets them: the printer first, the writer on top."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self._print: dict[Rgb, Mask] = {}
        self._scribbles: Mask | None = None
        self._rows: list[list[tuple[NumberPatch, int, int]]] = []

    def printer(self, colour: Rgb) -> Mask:
        """The mask to draw printed marks of `colour` on."""
        if colour not in self._print:
            self._print[colour] = np.zeros((self.doc.height, self.doc.width), np.uint8)
        return self._print[colour]

    def scribbles(self) -> Mask:
        """Handwriting that is not digits (signatures): inked with the pen, never in the truth."""
        if self._scribbles is None:
            self._scribbles = np.zeros((self.doc.height, self.doc.width), np.uint8)
        return self._scribbles

    def new_line(self) -> None:
        if not self._rows or self._rows[-1]:
            self._rows.append([])

    def add(self, patch: NumberPatch, x: float, y: float) -> None:
        if not self._rows:
            self._rows.append([])
        self._rows[-1].append((patch, round(x), round(y)))

    @property
    def number_count(self) -> int:
        return sum(len(row) for row in self._rows)

    def finish(self, pen: Pen, rng: Rng, print_strength: float = 0.93) -> None:
        image = self.doc.image
        for colour, mask in self._print.items():
            blend(image, mask.astype(np.float32) * (print_strength / 255.0), 0, 0, colour)
        if self._scribbles is not None:
            blend(image, self._scribbles.astype(np.float32) * (pen.strength / 255.0), 0, 0, pen.colour)
        for row in self._rows:
            if row:
                self.doc.lines.append([ink_number(self.doc, p, x, y, pen, rng) for p, x, y in row])


# --------------------------------------------------------------------------------------------
# Layouts: where a form puts its printed marks and where the writer puts numbers
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Area:
    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top


def content_area(doc: Document, h: float) -> Area:
    mx = float(np.clip(0.08 * doc.width, 0.8 * h, 3.0 * h))
    my = float(np.clip(0.06 * doc.height, 0.8 * h, 3.0 * h))
    return Area(mx, my, doc.width - mx, doc.height - my)


def print_title(lay: Layout, area: Area, h: float, rng: Rng, titles: Sequence[str] = FORM_TITLES) -> float:
    """Print a heading if there is room; returns where the body starts."""
    if area.height < 9 * h:
        return area.top
    cap = rng.uniform(0.45, 0.75) * h
    font = pick(rng, FONTS)
    mask = lay.printer(PRINT_BLACK)
    width = put_text(mask, pick(rng, titles), area.left, area.top + cap, cap, font, weight=1.4)
    if rng.random() < 0.5:
        y = round(area.top + cap * 1.35)
        cv2.line(mask, (round(area.left), y), (round(area.left + width), y), 255, max(1, round(cap / 12)))
    return area.top + cap + rng.uniform(0.9, 1.5) * h


def line_px(doc: Document, rng: Rng, low: float = 1.0, high: float = 3.0) -> int:
    """A printed rule 1-3 px thick at 150 dpi, scaled to the document's resolution."""
    return max(1, round(rng.uniform(low, high) * doc.px_per_mm / (150 / MM_PER_INCH)))


def place_row(lay: Layout, hand: Hand, rng: Rng, x: float, right: float, baseline: Callable[[], float],
              count: int, low: int = 1, high: int = 10) -> None:
    """Write up to `count` numbers left to right, at least 1.3 H apart."""
    for _ in range(count):
        patch = fit_number(hand, right - x, low, high)
        if patch is None:
            return
        lay.add(patch, x, baseline() - patch.baseline_y)
        x += patch.width + rng.uniform(1.3, 4.0) * hand.height


def layout_ruled(lay: Layout, hand: Hand, rng: Rng, labels: bool) -> list[str]:
    """Ruled form: numbers written on printed rules, their feet touching or crossing the rule."""
    doc, h = lay.doc, hand.height
    area = content_area(doc, h)
    top = print_title(lay, area, h, rng)
    rule_colour: Rgb = pick(rng, ((0.55, 0.68, 0.88), (0.45, 0.55, 0.80), (0.55, 0.55, 0.55), (0.35, 0.35, 0.35)))
    rules = lay.printer(rule_colour)
    thickness = line_px(doc, rng)
    pitch = rng.uniform(2.45, 2.9) * h
    ys = np.arange(top + 1.35 * h, area.bottom, pitch)
    for y in ys:
        cv2.line(rules, (round(area.left - 0.3 * h), round(y)), (round(area.right), round(y)), 255, thickness)
    font = pick(rng, FONTS)
    cap = rng.uniform(0.38, 0.5) * h
    label_room = max(text_width(w, font, cap) for w in LABEL_WORDS) + 0.5 * h if labels else 0.0
    tags = ["ruled_lines"]
    if not labels and rng.random() < 0.5:
        # Exercise-book margin rule.
        x = round(area.left - 0.15 * h)
        cv2.line(lay.printer((0.85, 0.35, 0.38)), (x, 0), (x, doc.height), 255, thickness)
    for y in ys:
        if rng.random() < 0.12:
            continue
        lay.new_line()
        x = area.left
        if labels and rng.random() < 0.85:
            put_text(lay.printer(PRINT_BLACK), pick(rng, LABEL_WORDS), x, y - 0.18 * h, cap, font)
            x += label_room
            add_unique(tags, "printed_labels")
        foot = float(y)
        place_row(lay, hand, rng, x + rng.uniform(0.3, 1.2) * h, area.right,
                  lambda: foot + rng.uniform(-0.02, 0.12) * h, int(rng.integers(1, 4)))
    return tags


def layout_free(lay: Layout, hand: Hand, rng: Rng, *, labels: float = 0.3, max_numbers: int | None = None,
                angle: tuple[float, float] | None = None, low: int = 1, high: int = 10,
                per_line: tuple[int, int] = (1, 4), area: Area | None = None, title: bool = True) -> list[str]:
    """Numbers jotted on blank paper in lines, each line at least 0.8 H below the one above."""
    doc, h = lay.doc, hand.height
    area = area or content_area(doc, h)
    top = print_title(lay, area, h, rng) if title else area.top
    font = pick(rng, FONTS)
    cap = rng.uniform(0.38, 0.5) * h
    tags: list[str] = []
    y = top
    total = 0
    while max_numbers is None or total < max_numbers:
        x = area.left + rng.uniform(0, 2.5) * h
        label = pick(rng, LABEL_WORDS) if rng.random() < labels else None
        if label:
            x += text_width(label, font, cap) + 0.6 * h
        row: list[tuple[NumberPatch, float]] = []
        for _ in range(int(rng.integers(per_line[0], per_line[1] + 1))):
            if max_numbers is not None and total + len(row) >= max_numbers:
                break
            tilt = rng.choice([-1, 1]) * rng.uniform(*angle) if angle else 0.0
            patch = fit_number(hand, area.right - x, low, high, angle_deg=float(tilt))
            if patch is None:
                break
            row.append((patch, x))
            x += patch.width + rng.uniform(1.3, 3.5) * h
        if not row:
            if y + 2 * h > area.bottom or x >= area.right:
                break
            y += h
            continue
        above = max(p.baseline_y for p, _ in row)
        below = max(p.height - p.baseline_y for p, _ in row)
        baseline = y + above
        if baseline + below > area.bottom:
            break
        lay.new_line()
        if label:
            put_text(lay.printer(PRINT_BLACK), label, row[0][1] - text_width(label, font, cap) - 0.6 * h,
                     baseline - 0.1 * h, cap, font)
            add_unique(tags, "printed_labels")
        for patch, px in row:
            lay.add(patch, px, baseline - patch.baseline_y)
        total += len(row)
        y = baseline + below + rng.uniform(0.8, 1.8) * h
    return tags


def layout_table(lay: Layout, hand: Hand, rng: Rng) -> list[str]:
    """A printed grid: item names in the first column, handwritten quantities right-aligned."""
    doc, h = lay.doc, hand.height
    area = content_area(doc, h)
    top = print_title(lay, area, h, rng)
    font = pick(rng, FONTS)
    cap = rng.uniform(0.38, 0.48) * h
    mask = lay.printer(PRINT_BLACK)
    item_w = max(text_width(w, font, cap) for w in ITEM_WORDS) + 1.0 * h
    columns = int(rng.integers(2, 4))
    longest = [int(rng.integers(2, 8)) for _ in range(columns)]
    while item_w + sum(n * 0.85 * h + 2 * h for n in longest) > area.width and max(longest) > 1:
        longest[int(np.argmax(longest))] -= 1
    if item_w + sum(n * 0.85 * h + 2 * h for n in longest) > area.width:
        item_w = 0.0
    widths = [item_w] + [n * 0.85 * h + 2.0 * h for n in longest]
    edges = np.cumsum([area.left] + widths)
    header_h, row_h = 1.5 * h, rng.uniform(2.4, 2.75) * h
    numeric = [str(name) for name in rng.choice(NUMERIC_HEADERS, columns, replace=False)]
    headers = [pick(rng, ("Item", "Part", "Product"))] + numeric
    for c, name in enumerate(headers):
        if widths[c] > 0:
            put_text(mask, name, edges[c] + 0.35 * h, top + header_h - 0.45 * h, cap, font, weight=1.3)
    rows = min(int((area.bottom - top - header_h) / row_h), int(rng.integers(6, 22)))
    for r in range(rows):
        bottom = top + header_h + (r + 1) * row_h
        if item_w:
            put_text(mask, pick(rng, ITEM_WORDS), edges[0] + 0.35 * h, bottom - 0.55 * h, cap, font)
        lay.new_line()
        last_right = -math.inf
        for c in range(columns):
            if rng.random() > 0.85:
                continue
            patch = fit_number(hand, widths[c + 1] - 1.4 * h, 1, longest[c])
            if patch is None:
                continue
            x = max(edges[c + 2] - 0.7 * h - patch.width + rng.uniform(-0.1, 0.1) * h, last_right + 1.3 * h)
            foot = bottom - rng.uniform(0.3, 0.45) * h
            lay.add(patch, x, foot - patch.baseline_y)
            last_right = x + patch.width
    thickness = line_px(doc, rng, 1, 2)
    table_bottom = round(top + header_h + rows * row_h)
    table_left = round(edges[0] if item_w else edges[1])
    for y in [top, top + header_h] + [top + header_h + (r + 1) * row_h for r in range(rows)]:
        cv2.line(mask, (table_left, round(y)), (round(edges[-1]), round(y)), 255, thickness)
    for x in edges[0 if item_w else 1:]:
        cv2.line(mask, (round(x), round(top)), (round(x), table_bottom), 255, thickness)
    return ["table_grid", "printed_labels"]


def layout_fields(lay: Layout, hand: Hand, rng: Rng, max_numbers: int | None = None) -> list[str]:
    """An invoice-like form: printed labels ("Invoice", "Date:", "Ref.") each followed by a number."""
    doc, h = lay.doc, hand.height
    area = content_area(doc, h)
    mask = lay.printer(PRINT_BLACK)
    top = area.top
    if area.height > 10 * h:
        big = rng.uniform(0.7, 1.0) * h
        put_text(mask, pick(rng, DOC_TITLES), area.left, top + big, big, pick(rng, FONTS), weight=1.6)
        small = 0.3 * h
        company = pick(rng, COMPANY_WORDS)
        cx = area.right - text_width(company, cv2.FONT_HERSHEY_SIMPLEX, small)
        if cx > area.left + 8 * h:
            put_text(mask, company, cx, top + small, small, cv2.FONT_HERSHEY_SIMPLEX)
        top += big + rng.uniform(1.0, 1.8) * h
    font = pick(rng, FONTS)
    cap = rng.uniform(0.38, 0.5) * h
    columns = [area.left, area.left + area.width / 2] if area.width > 18 * h else [area.left]
    pitch = rng.uniform(2.5, 3.1) * h
    dotted = rng.random() < 0.5
    y = top + 1.3 * h
    total = 0
    while y < area.bottom and (max_numbers is None or total < max_numbers):
        lay.new_line()
        for c, left in enumerate(columns):
            if (c and rng.random() > 0.75) or (max_numbers is not None and total >= max_numbers):
                continue
            right = columns[c + 1] - 1.5 * h if c + 1 < len(columns) else area.right
            label = pick(rng, LABEL_WORDS)
            x = left + put_text(mask, label, left, y - 0.1 * h, cap, font) + rng.uniform(0.4, 0.9) * h
            underline_y = round(y + 0.12 * h)
            if dotted:
                for dx in range(round(x), round(right), max(3, round(0.18 * h))):
                    cv2.circle(mask, (dx, underline_y), max(1, round(0.03 * h)), 255, -1, cv2.LINE_AA)
            else:
                cv2.line(mask, (round(x), underline_y), (round(right), underline_y), 255, line_px(doc, rng, 1, 2))
            patch = fit_number(hand, right - x - 0.3 * h)
            if patch is not None:
                lay.add(patch, x + rng.uniform(0, 0.3) * h, y + rng.uniform(-0.04, 0.12) * h - patch.baseline_y)
                total += 1
        y += pitch
    return ["printed_labels"]


def comb_field(lay: Layout, hand: Hand, rng: Rng, text: str, x: float, top: float, box_w: float,
               box_h: float, spare: int, frame: Rgb, thickness: int, crossing: float) -> float:
    """Print a comb of boxes (neighbours share sides) and write one digit per box.

    With probability `crossing` a digit is written big or off-centre so its ink runs over the
    box frame, as people do.  Returns the comb's right edge.
    """
    boxes = len(text) + spare
    mask = lay.printer(frame)
    right = x + boxes * box_w
    cv2.rectangle(mask, (round(x), round(top)), (round(right), round(top + box_h)), 255, thickness)
    for i in range(1, boxes):
        bx = round(x + i * box_w)
        cv2.line(mask, (bx, round(top)), (bx, round(top + box_h)), 255, thickness)
    placements: list[tuple[Glyph, int, int]] = []
    for i, char in enumerate(text):
        cross = rng.random() < crossing
        size = box_h * (rng.uniform(0.88, 1.02) if cross else rng.uniform(0.66, 0.86))
        glyph = hand.glyph(int(char), size)
        gx, gy, gw, gh = ink_box(glyph.alpha)
        cx = x + (i + 0.5) * box_w + rng.uniform(-0.08, 0.08) * box_w
        cy = top + 0.5 * box_h + rng.uniform(-0.06, 0.06) * box_h
        if cross:
            hand.stats["crossing_digits"] += 1
            cy += pick(rng, (-1, 1)) * rng.uniform(0.08, 0.16) * box_h
            cx += rng.uniform(-0.1, 0.1) * box_w
        placements.append((glyph, round(cx - gx - gw / 2), round(cy - gy - gh / 2)))
    patch, x0, y0 = assemble(placements, text)
    patch.baseline_y = top + box_h - y0
    lay.add(patch, x0, y0)
    return right


def layout_comb(lay: Layout, hand: Hand, rng: Rng, crossing: float = 0.3, max_numbers: int | None = None) -> list[str]:
    """Boxed fields: a printed label above each comb of boxes, one field = one number."""
    doc, h = lay.doc, hand.height
    area = content_area(doc, h)
    top = print_title(lay, area, h, rng)
    frame: Rgb = pick(rng, ((0.1, 0.1, 0.1), (0.35, 0.35, 0.35), (0.5, 0.5, 0.52)))
    thickness = line_px(doc, rng, 1, 2)
    box_w, box_h = rng.uniform(0.95, 1.15) * h, rng.uniform(1.2, 1.35) * h
    font = pick(rng, FONTS)
    cap = rng.uniform(0.32, 0.42) * h
    labels = lay.printer(PRINT_BLACK)
    y = top + cap + 0.4 * h
    total = 0
    while y + box_h < area.bottom and (max_numbers is None or total < max_numbers):
        lay.new_line()
        x = area.left
        for _ in range(int(rng.integers(1, 4))):
            if max_numbers is not None and total >= max_numbers:
                break
            spare = int(rng.integers(1, 3)) if rng.random() < 0.2 else 0
            longest = int((area.right - x) / box_w) - spare
            if longest < 1:
                break
            text = hand.text(1, min(10, longest))
            put_text(labels, pick(rng, LABEL_WORDS), x, y - 0.3 * h, cap, font)
            x = comb_field(lay, hand, rng, text, x, y, box_w, box_h, spare, frame, thickness, crossing)
            x += rng.uniform(2.0, 4.5) * h
            total += 1
        y += box_h + cap + rng.uniform(1.3, 2.0) * h
    return ["comb_boxes", "printed_labels"]


def layout_phone_list(lay: Layout, hand: Hand, rng: Rng, max_numbers: int | None = None) -> list[str]:
    """Names printed down the left, phone numbers written fast beside them with digits touching."""
    doc, h = lay.doc, hand.height
    area = content_area(doc, h)
    top = print_title(lay, area, h, rng, ("Phone list", "Call back", "Contacts", "Emergency numbers"))
    font = pick(rng, FONTS)
    cap = rng.uniform(0.38, 0.5) * h
    name_room = max(text_width(n, font, cap) for n in NAME_WORDS) + 0.8 * h
    y = top + 1.3 * h
    total = 0
    while y + 0.4 * h < area.bottom and (max_numbers is None or total < max_numbers):
        put_text(lay.printer(PRINT_BLACK), pick(rng, NAME_WORDS), area.left, y, cap, font)
        patch = fit_number(hand, area.right - area.left - name_room, 8, 11, text_fn=lambda: phone_digits(rng))
        if patch is not None:
            lay.new_line()
            lay.add(patch, area.left + name_room, y + rng.uniform(-0.05, 0.05) * h - patch.baseline_y)
            total += 1
        y += rng.uniform(2.4, 3.0) * h
    return ["touching", "printed_labels"]


# --------------------------------------------------------------------------------------------
# Scanned pages
# --------------------------------------------------------------------------------------------

@dataclass
class RenderedPage:
    image: NDArray[np.uint8]  # (h, w, 3) RGB
    lines: Lines
    conditions: list[str]
    dpi: int


def a4_pixels(dpi: int) -> tuple[int, int]:
    return round(A4_MM[0] / MM_PER_INCH * dpi), round(A4_MM[1] / MM_PER_INCH * dpi)


def pdf_exact_pixels(px: int, dpi: int) -> int:
    """Nearest size whose PDF page renders to exactly that many pixels at `dpi`.

    Pillow writes the page size in points and PDFium reads it as float32 and rounds the
    rendered size up, so 1240 px at 150 dpi comes back as 1241; a neighbouring size does not.
    """
    for delta in sorted(range(-6, 7), key=abs):
        points = float(np.float32((px + delta) * 72.0 / dpi))
        rendered = points * dpi / 72.0
        if px + delta - 0.01 < rendered <= px + delta:
            return px + delta
    return px


def scan_finish(image: FloatImage, rng: Rng, dpi: int, white_point: float, noise: float) -> FloatImage:
    """Scanner optics and levels: a little blur, white paper clipped to white, faint sensor noise."""
    sigma = rng.uniform(0.35, 0.7) * dpi / 150
    out = cv2.GaussianBlur(image, (0, 0), sigma)
    black_point = 0.03
    out = (out - black_point) / (white_point - black_point)
    if noise:
        out += noise * rng.standard_normal(out.shape[:2], dtype=np.float32)[..., None]
    return np.clip(out, 0.0, 1.0)


def skew_document(doc: Document, angle_deg: float, rng: Rng) -> Document:
    """Paper laid crooked on the glass: rotated page, its corners cut off, the lid showing."""
    h, w = doc.height, doc.width
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle_deg, 1.0)
    paper = cv2.warpAffine(doc.image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
    cover = cv2.warpAffine(np.ones((h, w), np.float32), matrix, (w, h), flags=cv2.INTER_LINEAR)
    lid = np.float32(rng.uniform(0.9, 0.97))
    # The paper's edge throws a thin grey shadow on the lid.
    edge = cv2.GaussianBlur(cover, (0, 0), 1.5 * doc.px_per_mm / 5.9) - cover
    image = paper + (1.0 - cover)[..., None] * lid
    image *= (1.0 - 1.5 * np.clip(edge, 0, 1))[..., None]
    return Document(image.astype(np.float32), doc.px_per_mm, transform_lines(doc.lines, as_homogeneous(matrix)))


def add_scan_dirt(image: FloatImage, rng: Rng, dpi: int) -> None:
    """Salt-and-pepper, dust specks and hairs, and the dark strip of an open scanner edge."""
    h, w = image.shape[:2]
    scale = dpi / 150
    count = int(rng.uniform(0.0008, 0.0025) * h * w)
    ys, xs = rng.integers(0, h, count), rng.integers(0, w, count)
    image[ys, xs] = np.where(rng.random(count) < 0.7, 0.08, 1.0)[:, None]
    dust = np.zeros((h, w), np.uint8)
    for _ in range(int(rng.integers(25, 90))):
        x, y = int(rng.integers(w)), int(rng.integers(h))
        if rng.random() < 0.8:
            axes = (max(1, round(rng.uniform(0.5, 3) * scale)), max(1, round(rng.uniform(0.5, 2.5) * scale)))
            cv2.ellipse(dust, (x, y), axes, rng.uniform(0, 180), 0, 360, int(rng.integers(120, 255)), -1, cv2.LINE_AA)
        else:
            hair = np.cumsum(rng.normal(0, 3 * scale, (12, 2)), axis=0) + [x, y]
            cv2.polylines(dust, [hair.astype(np.int32)], False, int(rng.integers(90, 200)), 1, cv2.LINE_AA)
    image *= (1.0 - 0.85 * dust.astype(np.float32) / 255.0)[..., None]
    side = int(rng.integers(4))
    width = max(4, round(rng.uniform(12, 45) * scale))
    ramp = np.linspace(0.92, 0.0, width, dtype=np.float32) ** 1.5
    strip = ramp * (0.9 + 0.1 * rng.random(width, dtype=np.float32))
    if side == 0:
        image[:, :width] *= (1.0 - strip)[None, :, None]
    elif side == 1:
        image[:, w - width:] *= (1.0 - strip[::-1])[None, :, None]
    elif side == 2:
        image[:width] *= (1.0 - strip)[:, None, None]
    else:
        image[h - width:] *= (1.0 - strip[::-1])[:, None, None]


def page_paper(rng: Rng, kind: str) -> tuple[Rgb, float]:
    """Paper tone and the scanner white point that goes with it."""
    if kind == "grey":
        g = rng.uniform(0.74, 0.86)
        return (g + 0.01, g, g - 0.02), 1.0
    if kind == "off_white":
        return (rng.uniform(0.94, 0.97), rng.uniform(0.92, 0.95), rng.uniform(0.84, 0.89)), rng.uniform(0.99, 1.02)
    return pick(rng, WHITE_PAPERS), rng.uniform(0.90, 0.94)


def render_page(category: str, rng: Rng, bank: DigitBank, dpi: int) -> RenderedPage:
    """One A4 page of `category`, scanned at `dpi`."""
    width, height = a4_pixels(dpi)
    ppm = dpi / MM_PER_INCH
    h = rng.uniform(35, 70) * dpi / 150
    tags: list[str] = []
    paper_kind = {"noisy_scan": "grey", "low_contrast": "off_white"}.get(
        category, "grey" if rng.random() < 0.2 else "white")
    tone, white_point = page_paper(rng, paper_kind)
    add_unique(tags, f"{paper_kind}_paper")
    pen = pick_pen(rng, "pencil" if category == "low_contrast" else None)
    hand = Hand(bank, pen, h, max(1.6, pen.stroke_mm * ppm), rng,
                broken_rate=0.45 if category == "broken_digits" else 0.0)
    # Scanners flatten paper texture: keep the grain faint (it is also what makes PNGs big).
    doc = Document(make_paper((height, width), tone, rng, grain=0.0015), ppm)
    lay = Layout(doc)
    add_unique(tags, *run_page_layout(category, lay, hand, rng))
    lay.finish(pen, rng)
    if pen.kind == "pencil":
        add_unique(tags, "pencil", "low_contrast")
    elif pen.colour[2] > pen.colour[0] + 0.2:
        add_unique(tags, "blue_ink")
    if hand.stats["broken"]:
        add_unique(tags, "broken")
    if hand.stats["crossing_digits"]:
        add_unique(tags, "digits_cross_lines")
    if category == "skewed":
        angle = pick(rng, (-1, 1)) * rng.uniform(1, 7)
        doc = skew_document(doc, angle, rng)
        add_unique(tags, "skew")
    noise = rng.uniform(0.02, 0.035) if category == "noisy_scan" else 0.0
    image = scan_finish(doc.image, rng, dpi, white_point, noise)
    if category == "noisy_scan":
        add_scan_dirt(image, rng, dpi)
        add_unique(tags, "noise", "salt_pepper", "dust", "scanner_edge", "jpeg_artifacts")
    return RenderedPage(to_uint8(image), doc.lines, tags, dpi)


def run_page_layout(category: str, lay: Layout, hand: Hand, rng: Rng) -> list[str]:
    if category == "ruled_form":
        return layout_ruled(lay, hand, rng, labels=rng.random() < 0.6)
    if category == "boxed_fields":
        return layout_comb(lay, hand, rng, crossing=0.3)
    if category == "printed_labels":
        return layout_fields(lay, hand, rng)
    if category == "low_contrast":
        return pick(rng, (lambda: layout_free(lay, hand, rng), lambda: layout_ruled(lay, hand, rng, labels=False)))()
    choices: tuple[Callable[[], list[str]], ...] = (
        lambda: layout_ruled(lay, hand, rng, labels=rng.random() < 0.5),
        lambda: layout_ruled(lay, hand, rng, labels=rng.random() < 0.5),
        lambda: layout_table(lay, hand, rng),
        lambda: layout_fields(lay, hand, rng),
        lambda: layout_free(lay, hand, rng),
    )
    return pick(rng, choices)()


# --------------------------------------------------------------------------------------------
# Photos: a sheet placed in a scene, then lit, blurred, noised and compressed like a camera
# --------------------------------------------------------------------------------------------

def wood_texture(shape: tuple[int, int], rng: Rng) -> FloatImage:
    """Planks: long fibres and wavy growth rings along a random direction."""
    h, w = shape
    vertical = rng.random() < 0.5
    gh, gw = (w, h) if vertical else (h, w)
    tone = np.array(pick(rng, WOOD_TONES), np.float32)
    streaks = rng.standard_normal((gh, max(2, gw // 60))).astype(np.float32)
    fibres = cv2.resize(streaks, (gw, gh), interpolation=cv2.INTER_CUBIC)
    yy = np.arange(gh, dtype=np.float32)[:, None]
    # Growth rings drift slowly along the grain and vary faster across it.
    warp_grid = rng.standard_normal((max(2, gh // 90), max(2, gw // 500))).astype(np.float32)
    warp = cv2.resize(warp_grid, (gw, gh), interpolation=cv2.INTER_CUBIC) * rng.uniform(6, 16)
    rings = np.sin((yy + warp) * 2 * np.pi / rng.uniform(14, 40))
    value = 0.8 + 0.08 * rings + 0.06 * fibres + 0.06 * smooth_noise((gh, gw), gh / 4, rng)
    plank = rng.uniform(120, 320)
    value *= np.where((yy % plank) < 2, 0.7, 1.0).astype(np.float32)
    out = value[..., None] * tone
    return np.ascontiguousarray(out.transpose(1, 0, 2) if vertical else out)


def cloth_texture(shape: tuple[int, int], rng: Rng) -> FloatImage:
    """Patterned tablecloth: gingham checks or dots on a woven ground, at a random angle."""
    h, w = shape
    a = rng.uniform(0, np.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    u, v = xx * math.cos(a) + yy * math.sin(a), -xx * math.sin(a) + yy * math.cos(a)
    period = rng.uniform(25, 70)
    colour = np.array(pick(rng, ((0.75, 0.15, 0.18), (0.15, 0.3, 0.65), (0.2, 0.5, 0.3), (0.85, 0.6, 0.2))), np.float32)
    ground = np.array((0.93, 0.92, 0.88), np.float32)
    pattern = rng.random()
    if pattern < 0.5:
        amount = 0.5 * (((u // period) % 2) + ((v // period) % 2))
    elif pattern < 0.7:
        amount = ((u // (period / 2)) % 3 == 0).astype(np.float32)
    else:
        du, dv = (u % period) - period / 2, (v % period) - period / 2
        amount = (np.hypot(du, dv) < period * 0.22).astype(np.float32)
    amount = cv2.GaussianBlur(amount.astype(np.float32), (0, 0), 1.0)
    weave = 1.0 + 0.04 * np.sin(u * 1.7) * np.sin(v * 1.7) + 0.03 * rng.standard_normal((h, w), dtype=np.float32)
    out = ground + amount[..., None] * (colour - ground)
    return (out * weave[..., None]).astype(np.float32)


def plain_desk(shape: tuple[int, int], rng: Rng) -> FloatImage:
    """Dark or grey desk top with soft unevenness, fine grain and a few scratches."""
    h, w = shape
    base = rng.uniform(0.07, 0.4)
    tint = np.array([1.0, rng.uniform(0.97, 1.02), rng.uniform(0.95, 1.08)], np.float32)
    value = base * (1 + 0.15 * smooth_noise(shape, min(h, w) / 3, rng))
    value += 0.012 * rng.standard_normal(shape, dtype=np.float32)
    out = value[..., None] * tint * np.ones(3, np.float32)
    scratches = np.zeros(shape, np.uint8)
    for _ in range(int(rng.integers(0, 12))):
        p = rng.integers([0, 0], [w, h])
        q = p + rng.normal(0, 80, 2)
        cv2.line(scratches, (int(p[0]), int(p[1])), (int(q[0]), int(q[1])), 255, 1, cv2.LINE_AA)
    out += (0.06 * scratches.astype(np.float32) / 255.0)[..., None]
    return out.astype(np.float32)


def desk_texture(shape: tuple[int, int], rng: Rng, style: str | None = None) -> tuple[FloatImage, str]:
    style = style or pick(rng, ("wood", "wood", "wood", "cloth", "cloth", "plain", "plain"))
    maker = {"wood": wood_texture, "cloth": cloth_texture, "plain": plain_desk}[style]
    return maker(shape, rng), f"{style}_desk"


def sheet_quad(size: tuple[float, float], centre: tuple[float, float], angle_deg: float,
               perspective: float, rng: Rng) -> NDArray[np.float32]:
    """Corners (TL, TR, BR, BL) of a sheet seen by a camera: keystone plus corner jitter.

    The keystone narrows the far edge and the jitter moves each corner; together they stay
    within `perspective` (a fraction of the sheet size, at most 0.1).
    """
    w, h = size
    corners = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]], np.float64)
    keystone = rng.uniform(0, 0.6 * perspective)
    side = int(rng.integers(4))
    pairs = ((0, 1), (2, 3), (1, 2), (3, 0))[side]
    axis = 0 if side < 2 else 1
    extent = w if axis == 0 else h
    corners[pairs[0], axis] += (1 if corners[pairs[0], axis] < 0 else -1) * keystone * extent / 2
    corners[pairs[1], axis] += (1 if corners[pairs[1], axis] < 0 else -1) * keystone * extent / 2
    corners += rng.uniform(-1, 1, (4, 2)) * 0.35 * perspective * np.array([w, h])
    a = math.radians(angle_deg)
    rotation = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return (corners @ rotation.T + np.array(centre)).astype(np.float32)


def place_sheet(scene: Document, sheet: Document, quad: NDArray[np.float32], rng: Rng,
                shadow: float = 0.35) -> None:
    """Warp `sheet` onto `scene` at `quad` with a soft drop shadow; its numbers join the scene's."""
    h, w = scene.height, scene.width
    src = np.float32([[0, 0], [sheet.width, 0], [sheet.width, sheet.height], [0, sheet.height]])
    matrix = cv2.getPerspectiveTransform(src, quad).astype(np.float64)
    warped = cv2.warpPerspective(sheet.image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
    ones = np.ones((sheet.height, sheet.width), np.float32)
    cover = cv2.warpPerspective(ones, matrix, (w, h), flags=cv2.INTER_LINEAR)
    if shadow:
        offset = rng.uniform(2, 8, 2)
        moved = cv2.warpAffine(cover, np.float32([[1, 0, offset[0]], [0, 1, offset[1]]]), (w, h))
        soft = cv2.GaussianBlur(moved, (0, 0), rng.uniform(3, 9))
        scene.image *= (1.0 - shadow * soft)[..., None]
    scene.image *= (1.0 - cover)[..., None]
    scene.image += warped * cover[..., None]
    scene.lines.extend(transform_lines(sheet.lines, matrix))


@dataclass
class Camera:
    """What the camera and its processing do to the scene."""

    exposure: float = 1.0
    gradient: float = 0.35      # brightness change across the frame from the lamp side
    vignette: float = 0.25
    light: Rgb = (1.0, 1.0, 1.0)
    shadow: float = 0.0         # darkness of a hand or phone shadow, 0 for none
    blur: float = 0.7
    motion: int = 0             # motion blur length in px
    fog: float = 0.0            # veiling glare that lifts blacks (low contrast)
    cast: Rgb = (1.0, 1.0, 1.0)
    noise: float = 0.015
    downsample: float = 1.0     # cheap optics: detail lost to a smaller sensor
    quality: int = 85

    def tags(self) -> list[str]:
        tags = ["uneven_light"] if self.gradient > 0.2 or self.vignette > 0.3 else []
        if self.shadow:
            tags.append("shadow")
        tags.append("motion_blur" if self.motion else "blur" if self.blur > 0.9 or self.downsample < 1 else "")
        if self.noise > 0.03:
            tags.append("strong_noise")
        if self.exposure < 0.5:
            tags.append("dim")
        if max(self.cast) - min(self.cast) > 0.15:
            tags.append("colour_cast")
        return [t for t in tags if t]


def lighting(shape: tuple[int, int], rng: Rng, gradient: float, vignette: float) -> FloatImage:
    """A lamp to one side (linear gradient) times lens vignetting times soft unevenness."""
    h, w = shape
    yy, xx = np.ogrid[0:h, 0:w]
    half_diag = 0.5 * math.hypot(w, h)
    a = rng.uniform(0, 2 * math.pi)
    ramp = ((xx - w / 2) * math.cos(a) + (yy - h / 2) * math.sin(a)) / half_diag
    cx, cy = w / 2 + rng.uniform(-0.15, 0.15) * w, h / 2 + rng.uniform(-0.15, 0.15) * h
    r2 = ((xx - cx) ** 2 + (yy - cy) ** 2) / half_diag ** 2
    field = (1.0 + gradient * ramp) * (1.0 - vignette * r2)
    field = field * (1.0 + 0.04 * smooth_noise(shape, min(h, w) / 2, rng))
    return np.clip(field, 0.05, 2.0).astype(np.float32)


def hard_shadow(shape: tuple[int, int], rng: Rng) -> FloatImage:
    """A phone or hand between lamp and paper: a rounded slab reaching in from one frame edge."""
    h, w = shape
    mask = np.zeros(shape, np.uint8)
    side = int(rng.integers(4))
    t = rng.uniform(0.2, 0.8)
    start = [(t * w, -0.05 * h), (t * w, 1.05 * h), (-0.05 * w, t * h), (1.05 * w, t * h)][side]
    inward = [(0, 1), (0, -1), (1, 0), (-1, 0)][side]
    a = math.atan2(inward[1], inward[0]) + rng.uniform(-0.5, 0.5)
    reach = rng.uniform(0.25, 0.55) * (h if side < 2 else w)
    half = rng.uniform(0.06, 0.14) * min(h, w)
    end = (start[0] + reach * math.cos(a), start[1] + reach * math.sin(a))
    nx, ny = -math.sin(a) * half, math.cos(a) * half
    slab = np.array([[start[0] + nx, start[1] + ny], [end[0] + nx, end[1] + ny],
                     [end[0] - nx, end[1] - ny], [start[0] - nx, start[1] - ny]], np.int32)
    cv2.fillPoly(mask, [slab], 255, cv2.LINE_AA)
    tip = (round(end[0]), round(end[1]))
    cv2.ellipse(mask, tip, (round(half), round(half * 1.2)), math.degrees(a), 0, 360, 255, -1, cv2.LINE_AA)
    return cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (0, 0), rng.uniform(3, 12))


def motion_kernel(length: int, angle_deg: float) -> NDArray[np.float32]:
    kernel = np.zeros((length, length), np.float32)
    c = (length - 1) / 2
    dx, dy = c * math.cos(math.radians(angle_deg)), c * math.sin(math.radians(angle_deg))
    cv2.line(kernel, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, 1, cv2.LINE_AA)
    return kernel / kernel.sum()


def develop(scene: FloatImage, cam: Camera, rng: Rng) -> NDArray[np.uint8]:
    """Light, shade, blur, noise and colour-cast the scene as a camera would record it."""
    h, w = scene.shape[:2]
    image = scene * lighting((h, w), rng, cam.gradient, cam.vignette)[..., None]
    image *= np.asarray(cam.light, np.float32) * np.float32(cam.exposure)
    if cam.shadow:
        shade = hard_shadow((h, w), rng)
        # Shadows are lit by the bluish room light only.
        image *= 1.0 - cam.shadow * shade[..., None] * np.float32([1.0, 0.97, 0.9])
    if cam.downsample < 1:
        small = cv2.resize(image, (round(w * cam.downsample), round(h * cam.downsample)), interpolation=cv2.INTER_AREA)
        image = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    if cam.motion:
        image = cv2.filter2D(image, -1, motion_kernel(cam.motion, rng.uniform(0, 180)))
    if cam.blur:
        image = cv2.GaussianBlur(image, (0, 0), cam.blur)
    image = cam.fog + (1.0 - cam.fog) * image
    image *= np.asarray(cam.cast, np.float32)
    # Shot noise grows with brightness; a shared luma part makes it look like a real sensor.
    sigma = cam.noise * np.sqrt(0.3 + np.clip(image, 0, 1))
    luma = rng.standard_normal((h, w, 1), dtype=np.float32)
    chroma = rng.standard_normal((h, w, 3), dtype=np.float32)
    image += sigma * (0.7 * luma + 0.5 * chroma)
    return to_uint8(np.clip(image, 0, 1) ** np.float32(0.95))


def fit_paper(frame: tuple[int, int], digit_px: float, hand_mm: float, rng: Rng,
              papers: Sequence[str]) -> tuple[tuple[float, float], float]:
    """Choose the paper (and orientation) that fills a plausible part of the frame.

    The writing size and the digit height in the photo fix the frame's px per mm; the paper is
    the one whose size at that scale is closest to a random fill of 0.6-1.15 frames, so close-ups
    show a card or part of a sheet and distant shots a whole page.
    """
    ppm = digit_px / hand_mm
    fill = rng.uniform(0.6, 1.15)
    best: tuple[float, tuple[float, float]] | None = None
    for name in papers:
        pw, ph = PAPERS_MM[name]
        for size in ((pw, ph), (ph, pw)):
            extent = max(size[0] * ppm / frame[0], size[1] * ppm / frame[1])
            score = abs(math.log(extent / fill))
            if best is None or score < best[0]:
                best = (score, size)
    assert best is not None
    return best[1], ppm


@dataclass
class PhotoSheet:
    doc: Document
    scale: float          # frame px per sheet px
    tags: list[str]


def make_sheet(rng: Rng, bank: DigitBank, frame: tuple[int, int], digit_px: float, pen: Pen,
               tone: Rgb, layout: Callable[[Layout, Hand], list[str]],
               papers: Sequence[str] = ("A4", "A5", "A6", "card", "notebook"),
               touching: bool = False, hand_mm: float | None = None) -> PhotoSheet:
    """A sheet of paper written on, rendered a bit finer than it will appear in the photo."""
    hand_mm = hand_mm or rng.uniform(6, 10)
    size_mm, frame_ppm = fit_paper(frame, digit_px, hand_mm, rng, papers)
    oversample = float(np.clip(max(1.25, 28 / digit_px), 1.25, 2.2))
    ppm = frame_ppm * oversample
    shape = (round(size_mm[1] * ppm), round(size_mm[0] * ppm))
    paper = make_paper(shape, tone, rng, mottle=0.008, grain=0.01)
    # Paper lying on a desk is never flat: a gentle bend shades one side.
    bend = 1.0 - rng.uniform(0.0, 0.06) * np.linspace(-1, 1, shape[1], dtype=np.float32) ** 2
    paper *= bend[None, :, None]
    doc = Document(paper, ppm)
    hand = Hand(bank, pen, hand_mm * ppm, max(1.5, pen.stroke_mm * ppm), rng, touching=touching)
    lay = Layout(doc)
    # A card is too narrow for a table or combs of boxes: people just jot numbers on it.
    tags = layout(lay, hand) if doc.width >= 15 * hand.height else layout_free(lay, hand, rng, labels=0.2)
    if lay.number_count == 0:
        tags += layout_free(lay, hand, rng, labels=0.0, title=False)
    lay.finish(pen, rng)
    if hand.stats["crossing_digits"]:
        add_unique(tags, "digits_cross_lines")
    return PhotoSheet(doc, 1.0 / oversample, tags)


def count_visible(lines: Lines, width: int, height: int) -> int:
    return sum(len(line["numbers"]) for line in truth_lines(lines, width, height))


def photograph(sheet: PhotoSheet, frame: tuple[int, int], rng: Rng, desk: FloatImage,
               perspective: float, max_angle: float) -> Document:
    """Put the sheet on the desk in view of the camera, keeping at least two numbers in frame."""
    w, h = frame
    size = (sheet.doc.width * sheet.scale, sheet.doc.height * sheet.scale)
    total = sum(len(line) for line in sheet.doc.lines)
    for attempt in range(8):
        shrink = 0.92 ** attempt
        centre = (w / 2 + rng.uniform(-0.12, 0.12) * w * shrink, h / 2 + rng.uniform(-0.12, 0.12) * h * shrink)
        quad = sheet_quad(size, centre, rng.uniform(-max_angle, max_angle), perspective, rng)
        quad = ((quad - np.float32(centre)) * np.float32(shrink) + np.float32(centre)).astype(np.float32)
        scene = Document(desk.copy(), 0.0)
        place_sheet(scene, sheet.doc, quad, rng)
        if count_visible(scene.lines, w, h) >= min(2, total):
            return scene
    return scene


# --------------------------------------------------------------------------------------------
# Photo categories
# --------------------------------------------------------------------------------------------

@dataclass
class RenderedPhoto:
    image: NDArray[np.uint8]      # upright RGB
    lines: Lines
    conditions: list[str]
    quality: int
    kind: str = "photo"
    dpi: int | None = None        # set for scanned (kind "page") items


def photo_frame(index: int, category: str) -> tuple[int, int]:
    """Mostly 1280x720 webcam/phone video frames, some 1920x1080 and 1600x1200 phone photos."""
    if category == "webcam":
        return 1280, 720
    return {4: (1920, 1080), 5: (1600, 1200)}.get(index % 6, (1280, 720))


def sheet_layout(rng: Rng, kinds: Sequence[str]) -> Callable[[Layout, Hand], list[str]]:
    kind = pick(rng, kinds)
    return {
        "ruled": lambda lay, hand: layout_ruled(lay, hand, rng, labels=rng.random() < 0.5),
        "free": lambda lay, hand: layout_free(lay, hand, rng),
        "fields": lambda lay, hand: layout_fields(lay, hand, rng),
        "table": lambda lay, hand: layout_table(lay, hand, rng),
    }[kind]


def everyday_camera(rng: Rng) -> Camera:
    return Camera(exposure=rng.uniform(0.85, 1.05), gradient=rng.uniform(0.15, 0.4), vignette=rng.uniform(0.1, 0.3),
                  light=pick(rng, ((1.0, 0.97, 0.9), (0.97, 0.99, 1.0), (1.0, 1.0, 1.0))),
                  blur=rng.uniform(0.5, 0.9), noise=rng.uniform(0.008, 0.018), quality=int(rng.integers(75, 91)))


def paper_photo(rng: Rng, bank: DigitBank, frame: tuple[int, int], digit_range: tuple[float, float],
                pen: Pen, cam: Camera, *, tone: Rgb | None = None,
                layout_kinds: Sequence[str] = ("ruled", "free", "fields", "table"),
                layout: Callable[[Layout, Hand], list[str]] | None = None, perspective: float = 0.08,
                max_angle: float = 12.0, desk_style: str | None = None, touching: bool = False,
                papers: Sequence[str] = ("A4", "A5", "A6", "card", "notebook")) -> RenderedPhoto:
    """The common photo: one written sheet on a desk, developed by `cam`."""
    w, h = frame
    digit_px = rng.uniform(*digit_range)
    sheet = make_sheet(rng, bank, frame, digit_px, pen, tone or pick(rng, WHITE_PAPERS),
                       layout or sheet_layout(rng, layout_kinds), papers, touching)
    desk, desk_tag = desk_texture((h, w), rng, desk_style)
    scene = photograph(sheet, frame, rng, desk, perspective, max_angle)
    tags = sheet.tags + [desk_tag, "perspective"] + cam.tags()
    if pen.kind == "pencil":
        tags.append("pencil")
    return RenderedPhoto(develop(scene.image, cam, rng), scene.lines, list(dict.fromkeys(tags)), cam.quality)


def photo_desk(rng: Rng, bank: DigitBank, frame: tuple[int, int]) -> RenderedPhoto:
    cam = Camera(exposure=rng.uniform(0.8, 1.05), gradient=rng.uniform(0.3, 0.6), vignette=rng.uniform(0.2, 0.45),
                 light=pick(rng, ((1.0, 0.95, 0.85), (0.95, 0.98, 1.0))), shadow=rng.uniform(0.35, 0.6),
                 blur=rng.uniform(0.6, 1.3), motion=int(rng.integers(5, 11)) if rng.random() < 0.4 else 0,
                 noise=rng.uniform(0.012, 0.025), quality=int(rng.integers(60, 91)))
    photo = paper_photo(rng, bank, frame, (20, 50), pick_pen(rng), cam, perspective=0.1)
    photo.conditions.append("sensor_noise")
    return photo


def photo_coloured_ink(rng: Rng, bank: DigitBank, frame: tuple[int, int]) -> RenderedPhoto:
    colour = pick(rng, ("blue", "royal_blue", "pink", "red", "green"))
    paper_name = pick(rng, ("white", "white") + tuple(COLOURED_PAPERS))
    tone = pick(rng, WHITE_PAPERS) if paper_name == "white" else COLOURED_PAPERS[paper_name]
    pen = pick_pen(rng, pick(rng, ("ballpoint", "gel", "felt")), colour)
    photo = paper_photo(rng, bank, frame, (22, 55), pen, everyday_camera(rng), tone=tone,
                        layout_kinds=("free", "fields", "ruled"))
    photo.conditions += [f"{colour}_ink", f"{paper_name}_paper"]
    return photo


def photo_pencil_dim(rng: Rng, bank: DigitBank, frame: tuple[int, int]) -> RenderedPhoto:
    cam = Camera(exposure=rng.uniform(0.28, 0.42), gradient=rng.uniform(0.3, 0.55), vignette=rng.uniform(0.3, 0.5),
                 light=(1.0, 0.9, 0.75), blur=rng.uniform(0.6, 1.0), fog=rng.uniform(0.02, 0.05),
                 noise=rng.uniform(0.035, 0.05), quality=int(rng.integers(60, 81)))
    # A soft pencil pressed fairly hard: faint in the dark, but a person can still read it.
    pen = replace(pick_pen(rng, "pencil"), stroke_mm=rng.uniform(0.55, 0.75), strength=rng.uniform(0.85, 0.95))
    photo = paper_photo(rng, bank, frame, (28, 58), pen, cam, layout_kinds=("free", "ruled", "fields"))
    photo.conditions += ["low_contrast"]
    return photo


def photo_angled(rng: Rng, bank: DigitBank, frame: tuple[int, int]) -> RenderedPhoto:
    def layout(lay: Layout, hand: Hand) -> list[str]:
        tags = layout_free(lay, hand, rng, labels=0.0, angle=(10, 25), low=2, high=7, per_line=(1, 3))
        return tags + ["angled_numbers"]
    return paper_photo(rng, bank, frame, (22, 50), pick_pen(rng), everyday_camera(rng), layout=layout)


def photo_webcam(rng: Rng, bank: DigitBank, frame: tuple[int, int]) -> RenderedPhoto:
    cast = pick(rng, ((0.78, 0.92, 1.22), (1.22, 0.98, 0.72)))
    cam = Camera(exposure=rng.uniform(0.75, 1.0), gradient=rng.uniform(0.2, 0.45), vignette=rng.uniform(0.3, 0.5),
                 blur=rng.uniform(1.0, 1.6), downsample=rng.uniform(0.45, 0.65), cast=cast, fog=rng.uniform(0.0, 0.06),
                 noise=rng.uniform(0.035, 0.06), quality=int(rng.integers(50, 71)))
    photo = paper_photo(rng, bank, frame, (30, 58), pick_pen(rng), cam)
    photo.conditions += ["blue_cast" if cast[2] > 1 else "orange_cast", "webcam_optics"]
    return photo


def photo_boxed(rng: Rng, bank: DigitBank, frame: tuple[int, int]) -> RenderedPhoto:
    def layout(lay: Layout, hand: Hand) -> list[str]:
        return layout_comb(lay, hand, rng, crossing=0.45)
    return paper_photo(rng, bank, frame, (25, 50), pick_pen(rng), everyday_camera(rng), layout=layout,
                       papers=("A4", "A5", "A6"))


def photo_touching(rng: Rng, bank: DigitBank, frame: tuple[int, int]) -> RenderedPhoto:
    def layout(lay: Layout, hand: Hand) -> list[str]:
        return layout_phone_list(lay, hand, rng)
    pen = replace(pick_pen(rng), slant=rng.uniform(0.12, 0.3))  # written fast, leaning forward
    return paper_photo(rng, bank, frame, (25, 50), pen, everyday_camera(rng), layout=layout, touching=True,
                       papers=("A4", "A5", "letter"))


def photo_sideways(rng: Rng, bank: DigitBank, frame: tuple[int, int]) -> RenderedPhoto:
    """An upright portrait photo of a page; the caller stores it turned on its side."""
    upright = (min(frame), max(frame))
    return paper_photo(rng, bank, upright, (20, 45), pick_pen(rng), everyday_camera(rng), papers=("A4", "A5", "letter"))


def printed_page(ppm: float, rng: Rng) -> Document:
    """A printed letter (text in Hershey fonts and a round logo) for the sticky note to sit on."""
    shape = (round(A4_MM[1] * ppm), round(A4_MM[0] * ppm))
    doc = Document(make_paper(shape, pick(rng, WHITE_PAPERS), rng, mottle=0.008, grain=0.01), ppm)
    lay = Layout(doc)
    mask = lay.printer(PRINT_BLACK)
    margin = 20 * ppm
    logo_colour: Rgb = pick(rng, ((0.85, 0.2, 0.15), (0.1, 0.35, 0.75), (0.95, 0.6, 0.1), (0.15, 0.6, 0.35)))
    r = round(9 * ppm)
    centre = (round(margin + r), round(margin + r))
    cv2.circle(lay.printer(logo_colour), centre, r, 255, -1, cv2.LINE_AA)
    white = lay.printer((0.97, 0.97, 0.97))
    cv2.circle(white, centre, round(r * 0.7), 255, max(1, round(r * 0.12)), cv2.LINE_AA)
    initials = pick(rng, ("AF", "KL", "NS", "MT"))
    put_text(white, initials, centre[0] - r * 0.5, centre[1] + r * 0.25, r * 0.5, cv2.FONT_HERSHEY_DUPLEX, 1.5)
    put_text(mask, pick(rng, COMPANY_WORDS), margin + 2.4 * r, margin + r * 1.2, 5 * ppm, cv2.FONT_HERSHEY_DUPLEX, 1.3)
    cap = 2.2 * ppm
    y = margin + 3 * r
    font = pick(rng, (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_COMPLEX))
    while y < doc.height - margin:
        if rng.random() < 0.12:
            heading = " ".join(pick(rng, FILLER_WORDS) for _ in range(3)).capitalize()
            put_text(mask, heading, margin, y, cap * 1.3, font, 1.6)
            y += cap * 3.2
            continue
        words, x = [], margin
        while True:
            word = pick(rng, FILLER_WORDS)
            step = text_width(word + " ", font, cap)
            if x + step > doc.width - margin:
                break
            words.append(word)
            x += step
        put_text(mask, " ".join(words), margin, y, cap, font)
        y += cap * 2.1
    lay.finish(pick_pen(rng), rng, print_strength=0.9)
    return doc


def sticky_note(rng: Rng, bank: DigitBank, ppm: float, colour: Rgb, pen: Pen, hand_mm: float) -> Document:
    """A 76 mm square note with 1-3 numbers and the light/dark bands of its curling free edge."""
    side = round(76 * ppm)
    paper = make_paper((side, side), colour, rng, mottle=0.008, grain=0.008)
    curl = 1.0 - rng.uniform(0.05, 0.15) * np.linspace(0, 1, side, dtype=np.float32) ** 3
    paper *= curl[:, None, None]
    doc = Document(paper, ppm)
    hand = Hand(bank, pen, hand_mm * ppm, max(1.5, pen.stroke_mm * ppm), rng)
    lay = Layout(doc)
    area = Area(0.1 * side, 0.18 * side, 0.92 * side, 0.92 * side)
    layout_free(lay, hand, rng, labels=0.0, max_numbers=int(rng.integers(1, 4)), low=1, high=7, per_line=(1, 2),
                area=area, title=False)
    lay.finish(pen, rng)
    return doc


def photo_sticky(rng: Rng, bank: DigitBank, frame: tuple[int, int]) -> RenderedPhoto:
    w, h = frame
    digit_px = rng.uniform(30, 58)
    hand_mm = rng.uniform(7, 10)
    frame_ppm = digit_px / hand_mm
    oversample = 1.3
    desk, desk_tag = desk_texture((h, w), rng)
    scene = Document(desk, 0.0)
    letter = printed_page(frame_ppm, rng)
    centre = (w * rng.uniform(0.25, 0.75), h * rng.uniform(0.3, 0.7))
    place_sheet(scene, letter, sheet_quad((letter.width, letter.height), centre, rng.uniform(-25, 25), 0.04, rng), rng)
    colour_name = pick(rng, tuple(STICKY_COLOURS))
    pen = pick_pen(rng, pick(rng, ("felt", "ballpoint", "gel")))
    note = sticky_note(rng, bank, frame_ppm * oversample, STICKY_COLOURS[colour_name], pen, hand_mm)
    size = (note.width / oversample, note.height / oversample)
    for _ in range(8):
        trial = Document(scene.image.copy(), 0.0)
        note_centre = (w * rng.uniform(0.35, 0.65), h * rng.uniform(0.35, 0.65))
        place_sheet(trial, note, sheet_quad(size, note_centre, rng.uniform(-12, 12), 0.04, rng), rng, shadow=0.5)
        if count_visible(trial.lines, w, h) == sum(len(line) for line in note.lines):
            break
    cam = everyday_camera(rng)
    cam.shadow = rng.uniform(0.3, 0.5) if rng.random() < 0.4 else 0.0
    tags = [f"{colour_name}_note", "printed_text", "logo", desk_tag, "perspective"] + cam.tags()
    return RenderedPhoto(develop(trial.image, cam, rng), trial.lines, tags, cam.quality)


# --------------------------------------------------------------------------------------------
# Cheques: tiny digits in a box over a guilloche security pattern
# --------------------------------------------------------------------------------------------

def guilloche(mask: Mask, rng: Rng, step: float) -> None:
    """Interlaced sine waves and a rosette, the fine-line pattern printed on cheques."""
    h, w = mask.shape
    xs = np.arange(0, w, 2, dtype=np.float64)
    wavelength, phase_step = rng.uniform(0.15, 0.3) * w, rng.uniform(0.15, 0.4)
    for k in range(int(h / step) + 4):
        y0 = (k - 2) * step
        ys = y0 + 0.8 * step * np.sin(2 * np.pi * xs / wavelength + k * phase_step) \
            + 0.5 * step * np.sin(2 * np.pi * xs / (wavelength * 0.37) - k * phase_step * 0.6)
        cv2.polylines(mask, [np.stack([xs, ys], axis=1).astype(np.int32)], False, 255, 1, cv2.LINE_AA)
    # Spirograph rosette (hypotrochoid): a non-integer radius ratio fills a ring with petals.
    turns = 17
    t = np.linspace(0, 2 * np.pi * turns, 400 * turns)
    outer = rng.uniform(0.16, 0.2) * h
    inner = outer * rng.uniform(0.3, 0.37)
    arm = inner * rng.uniform(0.8, 1.3)
    cx, cy = 0.17 * w, 0.62 * h
    px = cx + (outer - inner) * np.cos(t) + arm * np.cos((outer - inner) / inner * t)
    py = cy + (outer - inner) * np.sin(t) - arm * np.sin((outer - inner) / inner * t)
    cv2.polylines(mask, [np.stack([px, py], axis=1).astype(np.int32)], False, 255, 1, cv2.LINE_AA)


def cursive(mask: Mask, rng: Rng, x: float, y: float, width: float, height: float, thickness: int) -> None:
    """Joined-up writing (a name or a signature): handwriting that is not digits.

    A prolate cycloid draws a row of loops like a fast "lele"; each loop gets its own height
    (small letters, the odd ascender) and the whole line leans forward.
    """
    loops = max(3, int(width / (0.5 * height)))
    t = np.linspace(0, 2 * np.pi * loops, loops * 48)
    step = width / (2 * np.pi * loops)
    tall = rng.random(loops + 2) < 0.25
    heights = np.where(tall, rng.uniform(0.8, 1.0, loops + 2), rng.uniform(0.35, 0.55, loops + 2))
    h = np.interp(t / (2 * np.pi), np.arange(loops + 2) - 0.5, heights) * height
    loopiness = rng.uniform(1.2, 2.0)
    ys = y - h * (1 - np.cos(t)) / 2
    xs = x + step * t - loopiness * step * np.sin(t) + rng.uniform(0.15, 0.35) * (y - ys)
    curve = np.stack([xs, ys], axis=1)
    cv2.polylines(mask, [np.round(curve).astype(np.int32)], False, 255, thickness, cv2.LINE_AA)


def draw_box(mask: Mask, box: tuple[float, float, float, float], thickness: int) -> None:
    cv2.rectangle(mask, (round(box[0]), round(box[1])), (round(box[2]), round(box[3])), 255, thickness)


def cheque(rng: Rng, bank: DigitBank, ppm: float, box_px: float, digit_px: float, pen: Pen) -> Document:
    """A 152 x 70 mm cheque: date box top right, amount box ~`box_px` tall with tiny digits."""
    w, h = round(152 * ppm), round(70 * ppm)
    tint: Rgb = pick(rng, ((0.9, 0.96, 0.9), (0.9, 0.94, 0.98), (0.97, 0.95, 0.88)))
    doc = Document(make_paper((h, w), tint, rng, mottle=0.005, grain=0.006), ppm)
    lay = Layout(doc)
    pattern: Rgb = pick(rng, ((0.6, 0.82, 0.65), (0.62, 0.74, 0.92), (0.8, 0.7, 0.86)))
    guilloche(lay.printer(pattern), rng, step=rng.uniform(1.2, 2.0) * ppm)
    ink = lay.printer(PRINT_BLACK)
    font = cv2.FONT_HERSHEY_SIMPLEX
    cap = 2.2 * ppm
    thin = max(1, round(0.2 * ppm))
    cv2.rectangle(ink, (round(2 * ppm), round(2 * ppm)), (w - round(2 * ppm), h - round(2 * ppm)), 255, thin)
    put_text(ink, pick(rng, BANK_NAMES), 6 * ppm, 9 * ppm, cap * 1.2, cv2.FONT_HERSHEY_DUPLEX, 1.3)
    for label, y in (("Pay", 24 * ppm), ("the sum of", 33 * ppm)):
        x = 6 * ppm + put_text(ink, label, 6 * ppm, y, cap, font) + 2 * ppm
        cv2.line(ink, (round(x), round(y + 0.5 * ppm)), (round(0.6 * w), round(y + 0.5 * ppm)), 255, thin)
    cv2.line(ink, (round(6 * ppm), round(42 * ppm)), (round(0.6 * w), round(42 * ppm)), 255, thin)
    sig_x = 0.62 * w
    cv2.line(ink, (round(sig_x), round(58 * ppm)), (w - round(6 * ppm), round(58 * ppm)), 255, thin)
    put_text(ink, "Signature", sig_x, 62 * ppm, cap * 0.8, font)
    hand = Hand(bank, pen, digit_px, max(1.4, pen.stroke_mm * ppm), rng)
    scribbles = lay.scribbles()
    stroke = max(1, round(0.8 * pen.stroke_mm * ppm))
    cursive(scribbles, rng, 16 * ppm, 23.5 * ppm, rng.uniform(0.25, 0.4) * w, 4.5 * ppm, stroke)
    cursive(scribbles, rng, sig_x + 4 * ppm, 57 * ppm, rng.uniform(0.15, 0.25) * w, 7 * ppm, stroke)
    # Date box top right.
    date_box = (0.68 * w, 8 * ppm, w - 6 * ppm, 8 * ppm + box_px)
    put_text(ink, "Date", date_box[0] - text_width("Date", font, cap) - 1.5 * ppm, date_box[3] - 1.5 * ppm, cap, font)
    draw_box(ink, date_box, thin)
    # Amount box right of the amount-in-words lines.
    amount_box = (0.64 * w, 28 * ppm, w - 6 * ppm, 28 * ppm + box_px)
    draw_box(ink, amount_box, thin)
    currency = pick(rng, ("EUR", "GBP", "CHF", "USD"))
    cur_w = put_text(ink, currency, amount_box[0] + 1.2 * ppm, (amount_box[1] + amount_box[3]) / 2 + cap / 2, cap, font)
    for box, text_fn, start in ((date_box, lambda: date_digits(rng), date_box[0] + 1.5 * ppm),
                                (amount_box, lambda: random_digits(rng, 2, 7), amount_box[0] + cur_w + 3 * ppm)):
        patch = fit_number(hand, box[2] - start - 1.5 * ppm, 1, 10, text_fn=text_fn)
        if patch is None:
            patch = hand.number(random_digits(rng, 1, 3))
        lay.new_line()
        foot = box[3] - (box_px - digit_px) * rng.uniform(0.3, 0.6)
        lay.add(patch, start, foot - patch.baseline_y)
    lay.finish(pen, rng, print_strength=0.9)
    return doc


def photo_cheque(rng: Rng, bank: DigitBank, frame: tuple[int, int], scanned: bool) -> RenderedPhoto:
    pen = pick_pen(rng, "ballpoint", pick(rng, ("black", "blue")))
    box_final = rng.uniform(36, 44)
    digit_final = rng.uniform(22, 30)
    if scanned:
        dpi = 200
        ppm = dpi / MM_PER_INCH
        doc = cheque(rng, bank, ppm, box_final * 0.999, digit_final, pen)
        border = round(rng.uniform(8, 20) * ppm / 5)
        lid = np.full((doc.height + 2 * border, doc.width + 2 * border, 3), rng.uniform(0.88, 0.95), np.float32)
        lid[border:border + doc.height, border:border + doc.width] = doc.image
        shift = as_homogeneous(np.float64([[1, 0, border], [0, 1, border]]))
        shifted = Document(lid, ppm, transform_lines(doc.lines, shift))
        skewed = skew_document(shifted, rng.uniform(-1.2, 1.2), rng)
        image = scan_finish(skewed.image, rng, dpi, rng.uniform(0.95, 1.0), 0.006)
        return RenderedPhoto(to_uint8(image), skewed.lines, ["security_pattern", "small_digits", "scanned", "skew"],
                             int(rng.integers(80, 93)), kind="page", dpi=dpi)
    oversample = 1.3
    box_mm = rng.uniform(5.5, 7.0)
    frame_ppm = box_final / box_mm
    doc = cheque(rng, bank, frame_ppm * oversample, box_final * oversample, digit_final * oversample, pen)
    w, h = frame
    desk, desk_tag = desk_texture((h, w), rng)
    sheet = PhotoSheet(doc, 1 / oversample, [])
    scene = photograph(sheet, frame, rng, desk, 0.06, 8.0)
    cam = everyday_camera(rng)
    tags = ["security_pattern", "small_digits", desk_tag, "perspective"] + cam.tags()
    return RenderedPhoto(develop(scene.image, cam, rng), scene.lines, tags, cam.quality)


def render_photo(category: str, index: int, rng: Rng, bank: DigitBank) -> RenderedPhoto:
    frame = photo_frame(index, category)
    makers: dict[str, Callable[[], RenderedPhoto]] = {
        "desk_photo": lambda: photo_desk(rng, bank, frame),
        "sticky_note": lambda: photo_sticky(rng, bank, frame),
        "coloured_ink": lambda: photo_coloured_ink(rng, bank, frame),
        "pencil_dim": lambda: photo_pencil_dim(rng, bank, frame),
        "angled": lambda: photo_angled(rng, bank, frame),
        "sideways_exif": lambda: photo_sideways(rng, bank, frame),
        "sideways_no_exif": lambda: photo_sideways(rng, bank, frame),
        "webcam": lambda: photo_webcam(rng, bank, frame),
        "tiny_cheque": lambda: photo_cheque(rng, bank, frame, scanned=index // len(PHOTO_CATEGORIES) % 2 == 1),
        "boxed_photo": lambda: photo_boxed(rng, bank, frame),
        "touching": lambda: photo_touching(rng, bank, frame),
    }
    return makers[category]()


# --------------------------------------------------------------------------------------------
# Truth
# --------------------------------------------------------------------------------------------

def box_of(points: Points) -> list[int]:
    """Pixel box [x, y, w, h] covering ink whose pixel centres are `points`."""
    lo = np.floor(points.min(axis=0) + 0.5)
    hi = np.floor(points.max(axis=0) + 0.5) + 1
    return [int(lo[0]), int(lo[1]), int(hi[0] - lo[0]), int(hi[1] - lo[1])]


def inside(box: Sequence[int], width: int, height: int) -> bool:
    x, y, w, h = box
    return x >= 0 and y >= 0 and x + w <= width and y + h <= height and w > 0 and h > 0


def union(boxes: Sequence[Sequence[int]]) -> list[int]:
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return [x0, y0, x1 - x0, y1 - y0]


def truth_lines(lines: Lines, width: int, height: int) -> list[dict[str, Any]]:
    """Lines → truth, keeping only numbers whose every digit lies fully inside the image."""
    out = []
    for line in lines:
        numbers = []
        for number in line:
            boxes = [box_of(d.points) for d in number.digits]
            if all(inside(b, width, height) for b in boxes):
                numbers.append({"text": number.text, "box": union(boxes),
                                "digits": [{"label": d.label, "box": b} for d, b in zip(number.digits, boxes)]})
        if numbers:
            out.append({"numbers": numbers})
    return out


def page_entry(index: int, width: int, height: int, lines: Lines, dpi: int | None = None,
               rotation: int | None = None, truth_size: tuple[int, int] | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"page": index, "width": width, "height": height}
    if dpi is not None:
        entry["dpi"] = dpi
    if rotation is not None:
        entry["rotation"] = rotation
    entry["lines"] = truth_lines(lines, width, height)
    return entry


def dump_json(obj: Any) -> str:
    """Indented JSON with boxes and digits kept on one line each, so truth files stay readable."""
    text = json.dumps(obj, indent=1)
    text = re.sub(r"\[\s*(-?\d+),\s*(-?\d+),\s*(-?\d+),\s*(-?\d+)\s*\]", r"[\1, \2, \3, \4]", text)
    text = re.sub(r"\{\s*(\"label\": \d+),\s*(\"box\": \[[^\]]*\])\s*\}", r"{\1, \2}", text)
    return text + "\n"


def rotated_upright(image: NDArray[np.uint8], lines: Lines, quarter_turns: int) -> tuple[NDArray[np.uint8], Lines]:
    """np.rot90 the image and move the truth points with it (pixel-centre coordinates)."""
    h, w = image.shape[:2]
    if quarter_turns % 4 == 1:      # counter-clockwise: (x, y) -> (y, w - 1 - x)
        matrix = np.array([[0, 1, 0], [-1, 0, w - 1], [0, 0, 1]], np.float64)
    else:                           # clockwise: (x, y) -> (h - 1 - y, x)
        matrix = np.array([[0, -1, h - 1], [1, 0, 0], [0, 0, 1]], np.float64)
    return np.ascontiguousarray(np.rot90(image, quarter_turns)), transform_lines(lines, matrix)


# --------------------------------------------------------------------------------------------
# Writing files
# --------------------------------------------------------------------------------------------

PDF_DATE = time.strptime("2026-01-01 00:00:00", "%Y-%m-%d %H:%M:%S")


def page_formats(categories: Sequence[str], rng: Rng) -> list[str]:
    """File formats per page: noisy scans are JPEG; every set gets TIFF, PDF, JPEG, WebP and BMP."""
    n = len(categories)
    formats = ["jpeg" if c == "noisy_scan" else "png" for c in categories]
    free = [i for i, c in enumerate(categories) if c != "noisy_scan"]
    order = [free[int(i)] for i in rng.permutation(len(free))]
    quotas = (("tiff", max(1, n // 12)), ("pdf", max(1, n // 12)), ("jpeg", max(1, n // 12)),
              ("webp", max(1, n // 12)), ("bmp", max(1, n // 24)))
    cursor = 0
    for fmt, count in quotas:
        for _ in range(count):
            if cursor < len(order):
                formats[order[cursor]] = fmt
                cursor += 1
    return formats


def page_dpis(formats: Sequence[str], rng: Rng) -> list[int]:
    """Mostly 150 dpi; a few at 200 and 300 (never BMP or TIFF at 300: they are uncompressed or large)."""
    n = len(formats)
    dpis = [150] * n
    high = [i for i in rng.permutation(n) if formats[i] in ("png", "pdf", "jpeg")]
    mid = [i for i in rng.permutation(n) if formats[i] in ("png", "pdf", "jpeg", "tiff", "webp")]
    for i in high[:max(1, n // 16)]:
        dpis[int(i)] = 300
    for i in [j for j in mid if dpis[int(j)] == 150][:max(1, n // 10)]:
        dpis[int(i)] = 200
    return dpis


def page_image(page: RenderedPage, grey: bool) -> Image.Image:
    image = Image.fromarray(page.image)
    return image.convert("L") if grey else image


def save_page_document(path: Path, pages: Sequence[RenderedPage], fmt: str, grey: bool, rng: Rng) -> None:
    images = [page_image(p, grey) for p in pages]
    dpi = pages[0].dpi
    if fmt == "tiff":
        images[0].save(path, save_all=True, append_images=images[1:], compression="tiff_deflate", dpi=(dpi, dpi))
    elif fmt == "pdf":
        images[0].save(path, "PDF", save_all=True, append_images=images[1:], resolution=float(dpi), quality=88,
                       title=path.stem, creationDate=PDF_DATE, modDate=PDF_DATE)
    elif fmt == "jpeg":
        noisy = "jpeg_artifacts" in pages[0].conditions
        quality = int(rng.integers(30, 50)) if noisy else int(rng.integers(80, 93))
        images[0].save(path, quality=quality, dpi=(dpi, dpi))
    elif fmt == "webp":
        images[0].save(path, quality=int(rng.integers(80, 91)), method=4)
    elif fmt == "bmp":
        images[0].save(path, dpi=(dpi, dpi))
    else:
        images[0].save(path, dpi=(dpi, dpi), compress_level=9)


EXTENSIONS = {"png": ".png", "jpeg": ".jpg", "bmp": ".bmp", "webp": ".webp", "tiff": ".tif", "pdf": ".pdf"}


@dataclass
class Summary:
    files: Counter[str] = field(default_factory=Counter)
    pages: Counter[str] = field(default_factory=Counter)
    numbers: Counter[str] = field(default_factory=Counter)
    digits: Counter[str] = field(default_factory=Counter)

    def count(self, category: str, truth: dict[str, Any]) -> None:
        self.files[category] += 1
        for page in truth["pages"]:
            self.pages[category] += 1
            for line in page["lines"]:
                self.numbers[category] += len(line["numbers"])
                self.digits[category] += sum(len(n["digits"]) for n in line["numbers"])


def write_truth(path: Path, truth: dict[str, Any]) -> None:
    path.write_text(dump_json(truth), encoding="utf-8")


def make_pages(out: Path, count: int, seed: int, bank: DigitBank, summary: Summary) -> None:
    folder = out / "pages"
    plan_rng = np.random.default_rng([seed, 1])
    categories = [PAGE_CATEGORIES[i % len(PAGE_CATEGORIES)] for i in range(count)]
    formats = page_formats(categories, plan_rng)
    dpis = page_dpis(formats, plan_rng)
    for index, (category, fmt, dpi) in enumerate(zip(categories, formats, dpis)):
        rng = np.random.default_rng([seed, 2, index])
        page_count = 3 if fmt == "tiff" else int(rng.integers(2, 4)) if fmt == "pdf" else 1
        pages = [render_page(category, rng, bank, dpi) for _ in range(page_count)]
        # Archival formats, high resolutions and grey paper are usually scanned in greyscale
        # (which also keeps the files small).
        grey_paper = any("grey_paper" in p.conditions for p in pages)
        grey = fmt in ("bmp", "tiff") or dpi > 150 or rng.random() < (0.75 if grey_paper else 0.4)
        path = folder / f"page_{index:03d}_{category}{EXTENSIONS[fmt]}"
        if fmt == "pdf":
            pages = [crop_for_pdf(p) for p in pages]
        save_page_document(path, pages, fmt, grey, rng)
        tags: list[str] = []
        for p in pages:
            add_unique(tags, *p.conditions)
        add_unique(tags, "greyscale" if grey else "colour", f"dpi{dpi}", fmt)
        if page_count > 1:
            add_unique(tags, "multi_page")
        entries = [page_entry(i, p.image.shape[1], p.image.shape[0], p.lines, dpi=dpi) for i, p in enumerate(pages)]
        truth = {"source": path.name, "kind": "page", "category": category, "conditions": tags, "seed": seed,
                 "pages": entries}
        write_truth(path.with_name(f"{path.stem}.truth.json"), truth)
        summary.count(category, truth)
        print(f"  {path.name}: {page_count} page(s), {number_count(entries)} numbers", flush=True)


def crop_for_pdf(page: RenderedPage) -> RenderedPage:
    """Trim or pad a page by a pixel or two so its PDF renders at exactly its pixel size."""
    h, w = page.image.shape[:2]
    tw, th = pdf_exact_pixels(w, page.dpi), pdf_exact_pixels(h, page.dpi)
    canvas = np.full((th, tw, 3), 255, np.uint8)
    canvas[:min(h, th), :min(w, tw)] = page.image[:min(h, th), :min(w, tw)]
    return RenderedPage(canvas, page.lines, page.conditions, page.dpi)


def number_count(entries: Sequence[dict[str, Any]]) -> int:
    return sum(len(line["numbers"]) for entry in entries for line in entry["lines"])


def save_photo(path: Path, photo: RenderedPhoto, category: str, rng: Rng) -> dict[str, Any]:
    """Write the JPEG the way the device would store it; returns its truth (minus provenance).

    sideways_exif: a phone keeps the sensor's landscape pixels and records in EXIF how to turn
    them, so truth is in the upright (EXIF-applied) frame.  sideways_no_exif: the page itself
    lay turned on the desk, so truth is in stored pixels plus the turn that makes them upright.
    """
    image, lines, tags = photo.image, photo.lines, list(photo.conditions)
    extra: dict[str, Any] = {}
    rotation: int | None = None
    if category == "sideways_exif":
        orientation = pick(rng, (6, 8))
        exif = Image.Exif()
        exif[0x0112] = orientation
        stored = np.ascontiguousarray(np.rot90(image, 1 if orientation == 6 else -1))
        Image.fromarray(stored).save(path, quality=photo.quality, exif=exif)
        add_unique(tags, f"exif_orientation_{orientation}")
        extra["exif_orientation"] = orientation
    elif category == "sideways_no_exif":
        turns = pick(rng, (1, -1))
        image, lines = rotated_upright(image, lines, turns)
        rotation = 90 if turns == 1 else 270
        Image.fromarray(image).save(path, quality=photo.quality)
        add_unique(tags, "rotated_90", "no_exif")
    elif photo.dpi:
        Image.fromarray(image).save(path, quality=photo.quality, dpi=(photo.dpi, photo.dpi))
    else:
        Image.fromarray(image).save(path, quality=photo.quality)
    height, width = image.shape[:2]
    add_unique(tags, f"{width}x{height}", f"jpeg_q{photo.quality}")
    entry = page_entry(0, width, height, lines, dpi=photo.dpi, rotation=rotation)
    return {"source": path.name, "kind": photo.kind, "category": category, "conditions": tags, **extra,
            "pages": [entry]}


def make_photos(out: Path, count: int, seed: int, bank: DigitBank, summary: Summary,
                categories: Sequence[str] = PHOTO_CATEGORIES) -> None:
    folder = out / "photos"
    for index in range(count):
        category = categories[index % len(categories)]
        rng = np.random.default_rng([seed, 3, index])
        photo = render_photo(category, index, rng, bank)
        path = folder / f"photo_{index:03d}_{category}.jpg"
        truth = save_photo(path, photo, category, rng)
        truth["seed"] = seed
        write_truth(path.with_name(f"{path.stem}.truth.json"), truth)
        summary.count(category, truth)
        print(f"  {path.name}: {number_count(truth['pages'])} numbers", flush=True)


# --------------------------------------------------------------------------------------------
# Video: a hand-held camera drifting over a sheet
# --------------------------------------------------------------------------------------------

VIDEO_SIZE = (1280, 720)
VIDEO_FPS = 30
VIDEO_SECONDS = 10
# OpenCV's mp4v writer encodes at a fixed high quality (qmin 3, no bitrate control), so the file
# size follows the detail in the frames: a hand-held camera's softness keeps it under 5 MB.
VIDEO_BLUR = 1.0
VIDEO_NOISE = 0.006
VIDEO_MAX_BYTES = 4_900_000


def smooth_path(rng: Rng, n: int, fps: float, amplitude: float, low: float = 0.04,
                high: float = 0.18) -> NDArray[np.float64]:
    """A slow wandering signal: a few incommensurate sines of random phase, peak about `amplitude`."""
    t = np.arange(n) / fps
    signal = np.zeros(n)
    for _ in range(3):
        signal += rng.uniform(0.5, 1.0) * np.sin(2 * np.pi * rng.uniform(low, high) * t + rng.uniform(0, 2 * np.pi))
    peak = float(np.abs(signal).max()) or 1.0
    return amplitude * signal / peak


def camera_matrix(centre: tuple[float, float], zoom: float, angle_deg: float, tilt: tuple[float, float],
                  frame: tuple[int, int]) -> Matrix:
    """World → frame: centre the view, zoom, roll, then a slight projective tilt."""
    w, h = frame
    a = math.radians(angle_deg)
    to_origin = np.array([[1, 0, -centre[0]], [0, 1, -centre[1]], [0, 0, 1]], np.float64)
    cos_z, sin_z = zoom * math.cos(a), zoom * math.sin(a)
    roll = np.array([[cos_z, -sin_z, 0], [sin_z, cos_z, 0], [0, 0, 1]], np.float64)
    tilt_m = np.array([[1, 0, 0], [0, 1, 0], [tilt[0], tilt[1], 1]], np.float64)
    to_frame = np.array([[1, 0, w / 2], [0, 1, h / 2], [0, 0, 1]], np.float64)
    return to_frame @ tilt_m @ roll @ to_origin


def open_video_writer(folder: Path) -> tuple[cv2.VideoWriter, Path, str]:
    """mp4v MP4 if this OpenCV can write it, else avc1, else MJPG in AVI."""
    for fourcc, name in (("mp4v", "desk.mp4"), ("avc1", "desk.mp4"), ("MJPG", "desk.avi")):
        path = folder / name
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), VIDEO_FPS, VIDEO_SIZE)
        if writer.isOpened():
            return writer, path, fourcc
        writer.release()
    raise RuntimeError("no video codec available to cv2.VideoWriter")


@dataclass
class VideoWorld:
    desk: Document       # the desk plane the camera films, with the sheet's numbers on it
    sheet: Document      # the sheet alone, numbers in its own pixel frame
    oversample: float    # world px per frame px at the nominal zoom


def video_world(rng: Rng, bank: DigitBank, digit_px: float) -> VideoWorld:
    """The desk with one A5 sheet of 6-10 numbers, drawn 1.3x finer than the frames need."""
    oversample = 1.3
    hand_mm = rng.uniform(7, 9)
    ppm = digit_px / hand_mm * oversample
    shape = (round(148 * ppm), round(210 * ppm))
    doc = Document(make_paper(shape, pick(rng, WHITE_PAPERS), rng, mottle=0.008, grain=0.01), ppm)
    pen = pick_pen(rng)
    hand = Hand(bank, pen, hand_mm * ppm, max(1.5, pen.stroke_mm * ppm), rng)
    lay = Layout(doc)
    layout_fields(lay, hand, rng, max_numbers=int(rng.integers(6, 11)))
    lay.finish(pen, rng)
    margin = round(0.35 * max(shape))
    world_shape = (shape[0] + 2 * margin, shape[1] + 2 * margin)
    desk, _ = desk_texture(world_shape, rng, "wood")
    world = Document(desk, ppm)
    centre = (world_shape[1] / 2, world_shape[0] / 2)
    place_sheet(world, doc, sheet_quad((doc.width, doc.height), centre, rng.uniform(-6, 6), 0.0, rng), rng)
    return VideoWorld(world, doc, oversample)


@dataclass
class CameraPath:
    """Per frame: world → frame homography, exposure and the direction the light comes from."""

    matrices: list[Matrix]
    exposure: NDArray[np.float64]
    light_angle: NDArray[np.float64]


def hand_held_path(rng: Rng, world: Document, oversample: float, frames: int) -> CameraPath:
    """Slow drift over the sheet with a little zoom, roll, tilt and hand tremor."""
    centre = (world.width / 2, world.height / 2)
    tremor_x = 2.0 * smooth_path(rng, frames, VIDEO_FPS, 1.0, 2.0, 4.0)
    tremor_y = 2.0 * smooth_path(rng, frames, VIDEO_FPS, 1.0, 2.0, 4.0)
    dx = smooth_path(rng, frames, VIDEO_FPS, 0.2 * world.width / 1.7) + tremor_x
    dy = smooth_path(rng, frames, VIDEO_FPS, 0.2 * world.height / 1.7) + tremor_y
    zoom = (1 / oversample) * (1 + smooth_path(rng, frames, VIDEO_FPS, 0.12))
    roll = smooth_path(rng, frames, VIDEO_FPS, 5.0)
    tilt_x, tilt_y = smooth_path(rng, frames, VIDEO_FPS, 8e-5), smooth_path(rng, frames, VIDEO_FPS, 8e-5)
    matrices = [camera_matrix((centre[0] + dx[i], centre[1] + dy[i]), float(zoom[i]), float(roll[i]),
                              (float(tilt_x[i]), float(tilt_y[i])), VIDEO_SIZE) for i in range(frames)]
    exposure = 0.95 + smooth_path(rng, frames, VIDEO_FPS, 0.07, 0.05, 0.3)
    light_angle = rng.uniform(0, 2 * math.pi) + np.linspace(0, rng.uniform(-1.5, 1.5), frames)
    return CameraPath(matrices, exposure, light_angle)


def encode_video(folder: Path, world: NDArray[np.uint8], path: CameraPath, blur: float,
                 noise_rng: Rng) -> tuple[Path, str]:
    """Film the world along the path: warp, light, soften, add sensor noise, encode."""
    writer, video_path, fourcc = open_video_writer(folder)
    w, h = VIDEO_SIZE
    yy, xx = np.ogrid[0:h, 0:w]
    half_diag = 0.5 * math.hypot(w, h)
    vignette = (1.0 - 0.25 * ((xx - w / 2) ** 2 + (yy - h / 2) ** 2) / half_diag ** 2).astype(np.float32)
    for matrix, exposure, angle in zip(path.matrices, path.exposure, path.light_angle):
        frame = cv2.warpPerspective(world, matrix, VIDEO_SIZE, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        image = frame.astype(np.float32) / 255.0
        ramp = ((xx - w / 2) * math.cos(angle) + (yy - h / 2) * math.sin(angle)) / half_diag
        image *= (exposure * (1 + 0.2 * ramp) * vignette)[..., None]
        image = cv2.GaussianBlur(image, (0, 0), blur)
        image += VIDEO_NOISE * noise_rng.standard_normal((h, w, 1), dtype=np.float32)
        writer.write(cv2.cvtColor(to_uint8(image), cv2.COLOR_RGB2BGR))
    writer.release()
    if not video_path.exists() or video_path.stat().st_size == 0:
        raise RuntimeError(f"cv2.VideoWriter({fourcc}) wrote nothing to {video_path}")
    return video_path, fourcc


def make_video(out: Path, seed: int, bank: DigitBank) -> dict[str, Any]:
    folder = out / "video"
    rng = np.random.default_rng([seed, 4])
    scene = video_world(rng, bank, rng.uniform(38, 46))
    world, sheet = scene.desk, scene.sheet
    frames = VIDEO_FPS * VIDEO_SECONDS
    path = hand_held_path(rng, world, scene.oversample, frames)
    world_u8 = to_uint8(world.image)
    blur = VIDEO_BLUR
    while True:
        video_path, fourcc = encode_video(folder, world_u8, path, blur, np.random.default_rng([seed, 5]))
        if video_path.stat().st_size <= VIDEO_MAX_BYTES or blur >= 2.0:
            break
        # Too much detail for the size budget: the same shot, a little softer.
        blur += 0.3
        print(f"  {video_path.name} is {video_path.stat().st_size / 1e6:.1f} MB; re-encoding with blur {blur:.1f}")
    w, h = VIDEO_SIZE
    per_frame = [truth_lines(transform_lines(world.lines, m), w, h) for m in path.matrices]
    with (folder / "desk.truth.jsonl").open("w", encoding="utf-8") as fh:
        for i, lines in enumerate(per_frame):
            fh.write(json.dumps({"frame": i, "lines": lines}, separators=(",", ":")) + "\n")
    sheet_truth = {"source": video_path.name, "kind": "video", "category": "video_desk",
                   "conditions": ["hand_held", "perspective", "lighting_change", "sensor_noise", "wood_desk"],
                   "seed": seed, "fourcc": fourcc, "fps": VIDEO_FPS, "frames": frames, "frame_width": w,
                   "frame_height": h,
                   # The sheet as if scanned flat: its own pixel frame at this resolution.
                   "pages": [page_entry(0, sheet.width, sheet.height, sheet.lines,
                                        dpi=round(sheet.px_per_mm * MM_PER_INCH))]}
    write_truth(folder / "desk.sheet.truth.json", sheet_truth)
    visible = [sum(len(line["numbers"]) for line in lines) for lines in per_frame]
    on_sheet = sum(len(line["numbers"]) for line in sheet_truth["pages"][0]["lines"])
    print(f"  {video_path.name}: {frames} frames ({fourcc}), {min(visible)}-{max(visible)} numbers in view, "
          f"{on_sheet} on the sheet", flush=True)
    return sheet_truth


# --------------------------------------------------------------------------------------------
# Checking what was written
# --------------------------------------------------------------------------------------------

def rendered_sizes(path: Path, pages: Sequence[dict[str, Any]]) -> list[tuple[int, int]]:
    """Page sizes as a reader sees them: EXIF applied, every TIFF frame, PDF rendered at its dpi."""
    if path.suffix == ".pdf":
        pdf = pdfium.PdfDocument(str(path))
        try:
            sizes = []
            for i in range(len(pdf)):
                dpi = pages[i]["dpi"] if i < len(pages) else 72
                sizes.append(pdf[i].render(scale=dpi / 72).to_pil().size)
            return sizes
        finally:
            pdf.close()
    with Image.open(path) as image:
        sizes = []
        for i in range(getattr(image, "n_frames", 1)):
            image.seek(i)
            image.load()
            sizes.append(ImageOps.exif_transpose(image).size if i == 0 else image.size)
        return sizes


def check_lines(lines: Sequence[dict[str, Any]], width: int, height: int, where: str) -> list[str]:
    problems = []
    for line in lines:
        for number in line["numbers"]:
            boxes = [d["box"] for d in number["digits"]]
            if number["text"] != "".join(str(d["label"]) for d in number["digits"]):
                problems.append(f"{where}: text {number['text']} does not match its digits")
            if not 1 <= len(number["text"]) <= 11:
                problems.append(f"{where}: number {number['text']} has a bad length")
            if not all(inside(b, width, height) for b in boxes):
                problems.append(f"{where}: a digit of {number['text']} lies outside {width}x{height}")
            if number["box"] != union(boxes):
                problems.append(f"{where}: box of {number['text']} is not the union of its digits")
    return problems


def check_outputs(out: Path) -> list[str]:
    """Re-read every written file and check its truth against it."""
    problems: list[str] = []
    for truth_path in sorted(list((out / "pages").glob("*.truth.json")) + list((out / "photos").glob("*.truth.json"))):
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        source = truth_path.parent / truth["source"]
        if not source.exists():
            problems.append(f"{truth_path.name}: missing {source.name}")
            continue
        sizes = rendered_sizes(source, truth["pages"])
        if len(sizes) != len(truth["pages"]):
            problems.append(f"{source.name}: {len(sizes)} pages on disk, {len(truth['pages'])} in truth")
        for page, size in zip(truth["pages"], sizes):
            if (page["width"], page["height"]) != size:
                problems.append(f"{source.name} page {page['page']}: {size[0]}x{size[1]} on disk, "
                                f"truth says {page['width']}x{page['height']}")
            problems += check_lines(page["lines"], page["width"], page["height"], f"{source.name} page {page['page']}")
    video_truth = out / "video" / "desk.truth.jsonl"
    if video_truth.exists():
        sheet = json.loads((out / "video" / "desk.sheet.truth.json").read_text(encoding="utf-8"))
        capture = cv2.VideoCapture(str(out / "video" / sheet["source"]))
        frames = 0
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            if frame.shape[1::-1] != VIDEO_SIZE:
                problems.append(f"video frame {frames} is {frame.shape[1::-1]}")
            frames += 1
        capture.release()
        records = [json.loads(line) for line in video_truth.read_text(encoding="utf-8").splitlines()]
        if frames != len(records) or frames != sheet["frames"]:
            problems.append(f"video: {frames} frames decoded, {len(records)} truth lines, {sheet['frames']} declared")
        for record in records:
            problems += check_lines(record["lines"], *VIDEO_SIZE, f"video frame {record['frame']}")
        page = sheet["pages"][0]
        problems += check_lines(page["lines"], page["width"], page["height"], "video sheet")
    return problems


# --------------------------------------------------------------------------------------------
# Previews (for eyeballing truth against pixels)
# --------------------------------------------------------------------------------------------

def write_previews(out: Path, preview_dir: Path, max_side: int = 1100) -> None:
    """Downscaled PNGs of every page with the truth boxes drawn: digits green, numbers red."""
    preview_dir.mkdir(parents=True, exist_ok=True)
    for truth_path in sorted(list((out / "pages").glob("*.truth.json")) + list((out / "photos").glob("*.truth.json"))):
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        source = truth_path.parent / truth["source"]
        for page, image in zip(truth["pages"], load_pages(source, truth["pages"])):
            canvas = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])
            for line in page["lines"]:
                for number in line["numbers"]:
                    x, y, w, h = number["box"]
                    cv2.rectangle(canvas, (x - 2, y - 2), (x + w + 1, y + h + 1), (0, 0, 255), 1)
                    for digit in number["digits"]:
                        x, y, w, h = digit["box"]
                        cv2.rectangle(canvas, (x, y), (x + w - 1, y + h - 1), (0, 200, 0), 1)
            scale = min(1.0, max_side / max(canvas.shape[:2]))
            small = cv2.resize(canvas, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            cv2.imwrite(str(preview_dir / f"{source.stem}_p{page['page']}.png"), small)


def load_pages(path: Path, pages: Sequence[dict[str, Any]]) -> list[Image.Image]:
    if path.suffix == ".pdf":
        pdf = pdfium.PdfDocument(str(path))
        try:
            return [pdf[i].render(scale=pages[i]["dpi"] / 72).to_pil() for i in range(len(pdf))]
        finally:
            pdf.close()
    with Image.open(path) as image:
        frames = []
        for i in range(getattr(image, "n_frames", 1)):
            image.seek(i)
            frames.append(ImageOps.exif_transpose(image.copy()) if i == 0 else image.copy())
        return frames


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------

def clear_generated(out: Path) -> None:
    """Remove earlier outputs from the three folders this script owns (and nothing else)."""
    for name in ("pages", "photos", "video"):
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        for path in folder.iterdir():
            if path.is_file() and path.suffix.lower() in GENERATED_SUFFIXES:
                path.unlink()


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def print_summary(out: Path, summary: Summary, bank: DigitBank) -> None:
    print("\ncategory              files  pages  numbers  digits")
    for category in list(PAGE_CATEGORIES) + list(PHOTO_CATEGORIES) + ["video_desk"]:
        if summary.files[category]:
            print(f"  {category:<19} {summary.files[category]:>5} {summary.pages[category]:>6} "
                  f"{summary.numbers[category]:>8} {summary.digits[category]:>7}")
    print(f"  {'total':<19} {sum(summary.files.values()):>5} {sum(summary.pages.values()):>6} "
          f"{sum(summary.numbers.values()):>8} {sum(summary.digits.values()):>7}")
    print(f"MNIST test digits drawn: {bank.taken} ({len(bank.used)} distinct)")
    for name in ("pages", "photos", "video"):
        if (out / name).exists():
            print(f"  {name + '/':<8} {folder_size(out / name) / 1e6:7.2f} MB")
    total = sum(folder_size(out / n) for n in ("pages", "photos", "video") if (out / n).exists())
    print(f"  total    {total / 1e6:7.2f} MB")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mnist", type=Path, default=DEFAULT_MNIST,
                        help="Keras mnist.npz (only x_test/y_test are read)")
    parser.add_argument("--out", type=Path, default=SAMPLES_DIR, help="output folder (gets pages/, photos/, video/)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--pages", type=int, default=24, help="number of page files (multi-page TIFF/PDF count once)")
    parser.add_argument("--photos", type=int, default=48)
    parser.add_argument("--video", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--check-only", action="store_true", help="only verify the files already in --out")
    parser.add_argument("--preview", type=Path, help="also write downscaled previews with truth boxes here")
    parser.add_argument("--photo-categories", nargs="+", choices=PHOTO_CATEGORIES, metavar="CATEGORY",
                        help="draw only these kinds of photo, in turn (default: every kind)")
    parser.add_argument(
        "--split",
        choices=("test", "train"),
        default="test",
        help="MNIST split to draw from: test for samples and benchmarks (the default); train only for "
        "scenes the trainer learns from (trainer/harvest.py)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out: Path = args.out.resolve()
    if not args.check_only:
        started = time.monotonic()
        bank = DigitBank.load(args.mnist, np.random.default_rng([args.seed, 0]), args.split)
        clear_generated(out)
        summary = Summary()
        print(f"pages -> {out / 'pages'}")
        make_pages(out, args.pages, args.seed, bank, summary)
        print(f"photos -> {out / 'photos'}")
        make_photos(out, args.photos, args.seed, bank, summary, args.photo_categories or PHOTO_CATEGORIES)
        if args.video:
            print(f"video -> {out / 'video'}")
            summary.count("video_desk", make_video(out, args.seed, bank))
        print_summary(out, summary, bank)
        print(f"generated in {time.monotonic() - started:.0f} s")
    problems = check_outputs(out)
    if args.preview:
        write_previews(out, args.preview)
    for problem in problems:
        print(f"CHECK FAILED: {problem}", file=sys.stderr)
    verdict = f"{len(problems)} problems" if problems else "all truth boxes inside their pages, sizes match"
    print(f"check: {verdict}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
