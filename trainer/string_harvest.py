"""Harvest training strings for the string model from rendered scenes, as the recognizer segments them.

The same scenes as :mod:`trainer.harvest` (pages and photos drawn from MNIST
*training* digits, with truth boxes) go through the recognizer's page
preparation and segmentation. Each line's atoms are grouped into chunks where
they stand within :data:`recognizer.decode.MAX_INNER_GAP` line heights of each
other, as the decoder groups the runs it reads whole; each chunk's ink becomes a
string, labelled with the truth digits whose box centres fall inside the
chunk's box (both upright, in working coordinates), left to right. A chunk with no such digit (a logo, a printed word,
a signature, the edge of a desk) is labelled empty: the string model learns
from the recognizer's own mistakes what is not a number.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from recognizer.decode import MAX_INNER_GAP
from recognizer.evaluation import load_samples
from recognizer.geometry import Transform
from recognizer.segment import Atom, Components
from recognizer.strings import TIME_STEP, normalize_string
from trainer.harvest import Box, laid_out_scenes
from trainer.strings import MAX_DIGITS, TRAIN_WIDTH, StringBatch

__all__ = ["harvest_strings", "line_chunks"]

# Of the chunks that are one narrow atom (a plain digit, a speck), keep this share: they teach little.
SINGLE_SHARE = 0.2


def line_chunks(line: list[Atom], height: float) -> list[list[Atom]]:
    """A line's atoms (left to right) in groups whose neighbours stand within MAX_INNER_GAP heights."""
    chunks: list[list[Atom]] = []
    for atom in line:
        if chunks and atom.x - max(a.right for a in chunks[-1]) <= MAX_INNER_GAP * height:
            chunks[-1].append(atom)
        else:
            chunks.append([atom])
    return chunks


def _chunk_ink(chunk: list[Atom], components: Components) -> tuple[npt.NDArray[np.bool_], Box]:
    left, top = min(a.x for a in chunk), min(a.y for a in chunk)
    right, bottom = max(a.right for a in chunk), max(a.bottom for a in chunk)
    window = components.labels[top:bottom, left:right]
    ids = [identifier for atom in chunk for identifier in atom.ids]
    return np.isin(window, ids), (left, top, right - left, bottom - top)


def _upright_truth(truth: list[tuple[Box, int]], transform: Transform) -> list[tuple[float, float, int]]:
    """Each truth digit's centre in working coordinates (upright and deskewed), with its label.

    Truth boxes are in the frame's pixels; on a page that lay sideways, the frame's x runs down
    the lines, so digits are placed and ordered in the working coordinates the lines run in.
    """
    to_frame = np.vstack([transform.matrix, [0.0, 0.0, 1.0]])
    to_working = np.linalg.inv(to_frame)[:2]
    centres = np.array([[x + w / 2.0, y + h / 2.0, 1.0] for (x, y, w, h), _ in truth]).reshape(-1, 3)
    upright = centres @ to_working.T
    return [(float(cx), float(cy), label) for (cx, cy), (_, label) in zip(upright, truth, strict=True)]


def _digits_inside(box: Box, truth: list[tuple[float, float, int]]) -> list[int]:
    """Labels of the digits centred inside ``box`` (working coordinates), left to right."""
    x, y, w, h = box
    inside = [(cx, label) for cx, cy, label in truth if x <= cx <= x + w and y <= cy <= y + h]
    return [label for _, label in sorted(inside)]


@dataclass
class _Strings:
    images: list[npt.NDArray[np.uint8]]
    labels: list[list[int]]
    steps: list[int]


def harvest_strings(folder: Path, log: object = print, seed: int = 0) -> StringBatch:
    """Every chunk of every scene under ``folder`` (the samples layout), normalised and labelled."""
    rng = np.random.default_rng(seed)
    found = _Strings([], [], [])
    samples = load_samples(folder)
    for truth, oriented in laid_out_scenes(samples):
        layout = oriented.layout
        upright = _upright_truth(truth, oriented.transform)
        for line, height in zip(layout.lines, layout.line_heights, strict=True):
            for chunk in line_chunks(line, height):
                if len(chunk) == 1 and chunk[0].w < 0.9 * height and rng.random() >= SINGLE_SHARE:
                    continue
                ink, box = _chunk_ink(chunk, layout.components)
                digits = _digits_inside(box, upright)
                string = normalize_string(ink, height)
                if string.image.shape[1] > TRAIN_WIDTH or len(digits) > MAX_DIGITS:
                    continue
                if len(digits) * 2 > string.image.shape[1] // TIME_STEP:
                    continue  # too many digits for its time steps: a truth box that does not belong
                padded = np.zeros((string.image.shape[0], TRAIN_WIDTH), np.uint8)
                padded[:, : string.image.shape[1]] = np.round(string.image * 255.0).astype(np.uint8)
                found.images.append(padded)
                found.labels.append(digits)
                found.steps.append(string.image.shape[1] // TIME_STEP)
    count = len(found.images)
    batch = StringBatch(
        np.stack(found.images) if count else np.zeros((0, 32, TRAIN_WIDTH), np.uint8),
        np.zeros((count, MAX_DIGITS), np.int32),
        np.array([len(digits) for digits in found.labels], np.int32),
        np.array(found.steps, np.int32),
    )
    for index, digits in enumerate(found.labels):
        batch.labels[index, : len(digits)] = np.array(digits, np.int32) + 1
    if callable(log):
        empty = int(np.sum(batch.label_lengths == 0))
        log(f"harvested {count} strings ({count - empty} with digits, {empty} without) from {len(samples)} scenes")
    return batch
