"""Harvest training crops from rendered scenes: exactly what the recognizer's segmentation feeds the model.

Scenes are pages and photos drawn by ``samples/make_samples.py --split train``
from MNIST *training* digits, with truth boxes. Each scene goes through the
recognizer's own page preparation and segmentation (no classifier involved),
and every crop the decoder could ask about (each atom; each grouping of
slices) is labelled against the truth:

- it matches one digit's box closely: that digit;
- it is a fragment of a digit, spans two digits, or covers none: not a digit;
- anything in between is left out rather than guessed.

Training on these teaches the model the thin, jagged, cluttered crops that
real thresholding produces, and teaches the "not a digit" class what wrong
merges, wrong cuts, print and desk texture look like after segmentation.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from recognizer.classifier import NOT_A_DIGIT
from recognizer.decode import hypothesis_crops
from recognizer.evaluation import Sample, load_samples
from recognizer.pipeline import Oriented, RecognizerOptions, orient

__all__ = ["Box", "Harvest", "harvest_scenes", "label_crop", "laid_out_scenes", "truth_of_scene"]

# A crop is a digit when it and the digit's box cover each other this much.
MATCH = 0.8
# It is a fragment when it covers less than this of the digit it overlaps most.
FRAGMENT = 0.5
# It spans two digits when it covers this much of a second one.
SECOND = 0.4

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Harvest:
    images: npt.NDArray[np.uint8]
    labels: npt.NDArray[np.uint8]
    scenes: int

    def save(self, path: Path) -> None:
        np.savez_compressed(path, x=self.images, y=self.labels, scenes=np.array(self.scenes))

    @classmethod
    def load(cls, path: Path) -> Harvest:
        """Raises ValueError for anything that is not a harvest file written by :meth:`save`."""
        try:
            with np.load(path, allow_pickle=False) as data:
                harvest = cls(data["x"], data["y"], int(data["scenes"]))
        except (OSError, EOFError, KeyError, zipfile.BadZipFile) as error:
            raise ValueError(f"cannot read it ({error or type(error).__name__})") from error
        if harvest.images.ndim != 3 or harvest.images.shape[1:] != (28, 28) or harvest.images.dtype != np.uint8:
            raise ValueError(f"crops must be uint8 (N, 28, 28); got {harvest.images.dtype} {harvest.images.shape}")
        if harvest.labels.shape != (len(harvest.images),) or not np.issubdtype(harvest.labels.dtype, np.integer):
            raise ValueError(f"labels must be N integers; got {harvest.labels.dtype} {harvest.labels.shape}")
        return harvest


def _overlap(a: Box, b: Box) -> float:
    width = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    height = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(0.0, width) * max(0.0, height)


def label_crop(box: Box, truth: list[tuple[Box, int]]) -> int | None:
    """The label a crop deserves against the truth digits, or None when it is ambiguous."""
    area = box[2] * box[3]
    if area <= 0:
        return None
    covers = []
    for digit_box, label in truth:
        shared = _overlap(box, digit_box)
        if shared > 0:
            covers.append((shared / (digit_box[2] * digit_box[3]), shared / area, label))
    if not covers:
        # Print, desk texture, a sheet's edge: not a digit, unless it is a plain upright stroke,
        # which a 1 is too (that one the decoder's size and shape rules deal with).
        return None if box[3] >= 2.5 * box[2] else NOT_A_DIGIT
    covers.sort(reverse=True)
    of_digit, of_crop, label = covers[0]
    second = covers[1][0] if len(covers) > 1 else 0.0
    if of_digit >= MATCH and of_crop >= MATCH and second < 0.15:
        return label
    if second >= SECOND:
        return NOT_A_DIGIT
    if of_digit < FRAGMENT:
        # An upright piece (the stem of a 4, half of a 0) looks just like a 1, straight or
        # curved: calling it "not a digit" would teach the model to doubt every 1.
        return None if box[3] >= 1.6 * box[2] else NOT_A_DIGIT
    return None


def _truth_digits(truth_path: Path, page: int, width: int, height: int) -> tuple[list[tuple[Box, int]], int]:
    try:
        return _parse_truth_digits(truth_path, page, width, height)
    except (OSError, ValueError, KeyError, TypeError, IndexError, StopIteration) as error:
        raise ValueError(f"{truth_path}: not a usable truth file ({error or type(error).__name__})") from error


def _parse_truth_digits(truth_path: Path, page: int, width: int, height: int) -> tuple[list[tuple[Box, int]], int]:
    data = json.loads(truth_path.read_text(encoding="utf-8"))
    entry = next(p for p in data["pages"] if int(p.get("page", 0)) == page)
    scale_x, scale_y = width / entry["width"], height / entry["height"]
    digits = [
        ((d["box"][0] * scale_x, d["box"][1] * scale_y, d["box"][2] * scale_x, d["box"][3] * scale_y), int(d["label"]))
        for line in entry["lines"]
        for number in line["numbers"]
        for d in number["digits"]
    ]
    return digits, int(entry.get("rotation", 0))


def truth_of_scene(sample: Sample) -> tuple[list[tuple[Box, int]], int]:
    """Every truth digit of a scene's page (box in the frame's pixels, label), and the page's rotation."""
    return _truth_digits(
        sample.path.with_name(sample.path.name.rsplit(".", 1)[0] + ".truth.json"),
        sample.truth.page,
        sample.frame.width,
        sample.frame.height,
    )


def laid_out_scenes(samples: list[Sample]) -> Iterator[tuple[list[tuple[Box, int]], Oriented]]:
    """Each scene's truth digits and its page laid out as the recognizer lays it out (empty pages left out).

    Orientation comes from the truth; no classifier is needed to lay out a page.
    """
    options = RecognizerOptions(detect_rotation=False)
    for sample in samples:
        truth, rotation = truth_of_scene(sample)
        oriented = orient(sample.frame, options, rotation=rotation)
        if oriented is not None:
            yield truth, oriented


def harvest_scenes(folder: Path, max_not_a_digit_share: float = 0.25, log: object = print) -> Harvest:
    """Crops and labels from every scene under ``folder`` (the samples layout)."""
    images: list[npt.NDArray[np.uint8]] = []
    labels: list[int] = []
    samples = load_samples(folder)
    for truth, oriented in laid_out_scenes(samples):
        layout = oriented.layout
        for digit, (x, y, w, h) in hypothesis_crops(layout.components, layout.lines, layout.line_heights):
            mapped = oriented.transform.box(x, y, w, h)
            label = label_crop((mapped.x, mapped.y, mapped.w, mapped.h), truth)
            if label is not None:
                images.append((digit * 255).round().astype(np.uint8))
                labels.append(label)
    crops = np.stack(images) if images else np.zeros((0, 28, 28), np.uint8)
    classes = np.array(labels, dtype=np.uint8)
    # Keep "not a digit" from swamping the digits: desks and print produce plenty.
    rng = np.random.default_rng(0)
    rejects = np.flatnonzero(classes == NOT_A_DIGIT)
    digits = np.flatnonzero(classes != NOT_A_DIGIT)
    limit = int(max_not_a_digit_share / (1 - max_not_a_digit_share) * len(digits))
    if len(rejects) > limit:
        rejects = rng.choice(rejects, size=limit, replace=False)
    keep = np.sort(np.concatenate([digits, rejects]))
    if callable(log):
        log(f"harvested {len(keep)} crops ({len(digits)} digits, {len(rejects)} not digits) from {len(samples)} scenes")
    return Harvest(crops[keep], classes[keep], len(samples))
