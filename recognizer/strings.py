"""Read a run of touching digits whole, with a string model (CTC), where cutting it apart fails.

Digits written fast overlap: no cut separates a 0 whose loop runs into the 5
beside it, and a crop of either carries strokes of the other. A string model
reads the run's ink as a whole, left to right, the way line recognisers read
handwriting: a small convolutional network gives, for every 4 columns of a
32-pixel-high image of the run, the probabilities of the ten digits and of
"nothing here" (the CTC blank). The reading is the string of digits likeliest
over every way of laying it along those steps (repeats merged, blanks dropped):
the best path through them, unless a search over prefixes finds a likelier one
(see :func:`likeliest_reading`).

:func:`normalize_string` makes that image, for the trainer and the recognizer
alike (as :func:`recognizer.normalize.normalize_digit` does for single digits):
the run scaled so that its line height becomes :data:`STRING_DIGIT_HEIGHT`
pixels, centred by its centre of mass in :data:`STRING_HEIGHT` rows.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from recognizer.classifier import ModelError, ModelInfo, _native_stderr_silenced

__all__ = [
    "STRING_HEIGHT",
    "STRING_DIGIT_HEIGHT",
    "STRINGS_METADATA",
    "STRINGS_TFLITE",
    "MAX_STRING_COLUMNS",
    "TIME_STEP",
    "NormalizedString",
    "StringDigit",
    "StringReader",
    "best_path",
    "likeliest_reading",
    "load_string_reader",
    "normalize_string",
    "step_probabilities",
]

STRING_HEIGHT = 32
# MNIST's digits are 20 px tall in 28; here 20 in 32 leaves room for the line's tall and low digits.
STRING_DIGIT_HEIGHT = 20.0
# The network pools columns by 4: one time step (one set of probabilities) per 4 columns.
TIME_STEP = 4
# Blank columns on either side of the ink, so that the first and last digit have context.
STRING_PAD = 4
# Class 0 is the CTC blank ("no new digit here"); class d + 1 is the digit d.
BLANK = 0
# Widths (columns) an interpreter is sized for: a run is padded up to the next multiple.
WIDTH_STEP = 64
# Interpreters kept, one per width: a long-running service meets every width sooner or later.
MAX_INTERPRETERS = 8
# The widest string read (columns; about 50 digits): wider runs are left to the cuts, which also
# bounds the memory of the cached interpreters (about 4 MB each at this width).
MAX_STRING_COLUMNS = 1024
# The ten digits and the blank.
CLASSES = 11
# A step whose second likeliest class is at least this likely may hide a labelling likelier than
# the best path's (see likeliest_reading); a string with none such is read by its best path alone.
UNSURE_STEP = 0.1
# Prefixes kept at each step of the beam search, and the least probability a class needs at a step
# to extend them there.
BEAM_WIDTH = 8
EXTENSION_FLOOR = 0.01
# The string model ships beside the digit model, described by its own metadata file.
STRINGS_METADATA = "strings.json"
STRINGS_TFLITE = "strings.tflite"


@dataclass(frozen=True)
class NormalizedString:
    """A run of ink as the string model sees it, and the map from its columns back to the mask's."""

    image: npt.NDArray[np.float32]
    # Mask column of the first ink column, and image columns per mask column.
    origin: int
    scale: float

    def mask_column(self, column: float) -> float:
        return (column - STRING_PAD) / self.scale + self.origin


@dataclass(frozen=True)
class StringDigit:
    """One digit of a string reading: its label, confidence and the mask columns it was read in."""

    label: int
    confidence: float
    left: float
    right: float


def normalize_string(mask: npt.NDArray[Any], line_height: float) -> NormalizedString:
    """The ink of ``mask`` (nonzero is ink) as a float32 image STRING_HEIGHT rows high, ink 1 on 0.

    Scaled so that ``line_height`` mask pixels become STRING_DIGIT_HEIGHT; its width is a
    multiple of TIME_STEP. Rows of ink beyond the image (a long tail) are cut off.
    """
    ink = np.asarray(mask != 0, dtype=np.uint8)
    x, y, w, h = cv2.boundingRect(ink)
    if not math.isfinite(line_height) or line_height < 1.0:
        line_height = max(h, 1)  # no usable line height: the run's own
    scale = STRING_DIGIT_HEIGHT / float(line_height)
    if w == 0:
        return NormalizedString(np.zeros((STRING_HEIGHT, 2 * TIME_STEP), np.float32), 0, scale)
    box = ink[y : y + h, x : x + w] * np.uint8(255)
    width, height = max(1, round(w * scale)), max(1, round(h * scale))
    # INTER_AREA averages when shrinking (grey edges, as MNIST has); growing a small run, it blocks.
    interpolation = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
    small = cv2.resize(box, (width, height), interpolation=interpolation).astype(np.float32) / 255.0
    weights = small.sum(axis=1)
    centre = float(weights @ np.arange(height)) / max(float(weights.sum()), 1e-6)
    top = int(round(STRING_HEIGHT / 2.0 - centre - 0.5))
    columns = int(math.ceil((width + 2 * STRING_PAD) / TIME_STEP) * TIME_STEP)
    image = np.zeros((STRING_HEIGHT, columns), np.float32)
    source_top, target_top = max(0, -top), max(0, top)
    rows = min(height - source_top, STRING_HEIGHT - target_top)
    if rows > 0:
        image[target_top : target_top + rows, STRING_PAD : STRING_PAD + width] = small[source_top : source_top + rows]
    return NormalizedString(image, x, scale)


def step_probabilities(logits: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
    """The string model's output (logits, one row per step) as probabilities (a softmax per step)."""
    exponentials = np.exp(np.asarray(logits, np.float32) - np.max(logits, axis=-1, keepdims=True))
    return np.asarray(exponentials / exponentials.sum(axis=-1, keepdims=True), np.float32)


def best_path(probabilities: npt.NDArray[np.float32], string: NormalizedString) -> list[StringDigit]:
    """The CTC best path: each step's likeliest class, repeats merged, blanks dropped.

    A digit's confidence is its highest probability over the steps it was read in.
    """
    steps = min(len(probabilities), string.image.shape[1] // TIME_STEP)
    best = np.argmax(probabilities[:steps], axis=1)
    digits: list[StringDigit] = []
    start = 0
    while start < steps:
        label = int(best[start])
        end = start
        while end + 1 < steps and int(best[end + 1]) == label:
            end += 1
        if label != BLANK:
            digits.append(
                StringDigit(
                    label=label - 1,
                    confidence=float(probabilities[start : end + 1, label].max()),
                    left=string.mask_column(start * TIME_STEP),
                    right=string.mask_column((end + 1) * TIME_STEP),
                )
            )
        start = end + 1
    return digits


def likeliest_reading(probabilities: npt.NDArray[np.float32], string: NormalizedString) -> list[StringDigit]:
    """The labelling likeliest over all its alignments (a CTC prefix beam search), where it differs
    from the best path's; otherwise the best path (:func:`best_path`).

    The best path follows the single likeliest class at each step, but a labelling's probability
    is the sum over every way of laying it along the steps. A thin 1 squeezed between a 2 and a
    9 spreads over two steps (1 at 0.43 and 0.31, the blank at 0.57 and 0.69): no step names it,
    though a 1 there is likelier than none (0.61 against 0.39), and the best path read 26219057
    as `2629057`.

    Each digit's steps are those of the likeliest alignment of the labelling. A digit that is the
    likeliest class at one of its steps is as sure as on the best path (its surest step); one the
    sum over alignments alone found is as sure as the chance that it is read at least once between
    its neighbours' steps (each step taken alone). A string the best path finds no digit in is left
    empty: summed over a signature's steps, faint 1s add up to digits.
    """
    steps = min(len(probabilities), string.image.shape[1] // TIME_STEP)
    greedy = best_path(probabilities, string)
    steps_probabilities = np.asarray(probabilities[:steps], np.float64)
    if not greedy or float(np.sort(steps_probabilities, axis=1)[:, -2].max()) < UNSURE_STEP:
        return greedy
    labels = _beam_search(steps_probabilities)
    if not labels:
        return []
    if labels == [digit.label + 1 for digit in greedy]:
        return greedy
    spans = _aligned_spans(steps_probabilities, labels)
    digits: list[StringDigit] = []
    for index, (label, (first, last)) in enumerate(zip(labels, spans, strict=True)):
        own = steps_probabilities[first : last + 1]
        if (own.argmax(axis=1) == label).any():
            confidence = float(own[:, label].max())
        else:
            after = spans[index - 1][1] + 1 if index > 0 else 0
            before = spans[index + 1][0] if index + 1 < len(spans) else steps
            confidence = 1.0 - float(np.prod(1.0 - steps_probabilities[after:before, label]))
        digits.append(
            StringDigit(
                label=label - 1,
                confidence=confidence,
                left=string.mask_column(first * TIME_STEP),
                right=string.mask_column((last + 1) * TIME_STEP),
            )
        )
    return digits


def _beam_search(probabilities: npt.NDArray[np.float64]) -> list[int]:
    """The likeliest labelling (classes, blank excluded) by CTC prefix beam search.

    Each prefix carries two probabilities: of the steps so far read as it, ending in a blank, and
    ending in its last class. Both are rescaled at each step by the best prefix's total, so that a
    long string does not underflow.
    """
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (1.0, 0.0)}
    # Python floats and lists: numpy costs more per call than these few operations each.
    for row in probabilities.tolist():
        blank = row[BLANK]
        extensions = [label for label in range(BLANK + 1, CLASSES) if row[label] >= EXTENSION_FLOOR]
        grown: dict[tuple[int, ...], list[float]] = {}
        for prefix, (ends_blank, ends_class) in beams.items():
            total = ends_blank + ends_class
            same = grown.setdefault(prefix, [0.0, 0.0])
            same[0] += total * blank
            last = prefix[-1] if prefix else BLANK
            if prefix:
                same[1] += ends_class * row[last]  # the last class read on: no new digit
            for label in extensions:
                longer = grown.setdefault(prefix + (label,), [0.0, 0.0])
                # The same class again is a new digit only after a blank.
                longer[1] += (ends_blank if label == last else total) * row[label]
        kept = heapq.nlargest(BEAM_WIDTH, grown.items(), key=lambda item: item[1][0] + item[1][1])
        scale = kept[0][1][0] + kept[0][1][1]
        beams = {prefix: (blank_end / scale, class_end / scale) for prefix, (blank_end, class_end) in kept}
    return list(max(beams.items(), key=lambda item: item[1][0] + item[1][1])[0])


def _aligned_spans(probabilities: npt.NDArray[np.float64], labels: list[int]) -> list[tuple[int, int]]:
    """The first and last step of each of ``labels`` in the likeliest alignment of the labelling
    (Viterbi over the CTC states: a blank, the first class, a blank, the second, ..., a blank)."""
    steps, states = len(probabilities), 2 * len(labels) + 1
    classes = np.zeros(states, np.int64)
    classes[1::2] = labels
    log = np.log(np.maximum(probabilities[:, classes], 1e-30))
    # A state may be skipped to from two back only past a blank between two different classes.
    may_skip = np.zeros(states, bool)
    may_skip[3::2] = classes[3::2] != classes[1:-2:2]
    score = np.full(states, -np.inf)
    score[:2] = log[0, :2]
    moves = np.zeros((steps, states), np.int64)
    for step in range(1, steps):
        stay, advance = score, np.concatenate(([-np.inf], score[:-1]))
        skip = np.where(may_skip, np.concatenate(([-np.inf, -np.inf], score[:-2])), -np.inf)
        options = np.stack([stay, advance, skip])
        moves[step] = options.argmax(axis=0)
        score = options[moves[step], np.arange(states)] + log[step]
    state = states - 1 if score[-1] >= score[-2] else states - 2
    first = [steps] * len(labels)
    last = [-1] * len(labels)
    for step in range(steps - 1, -1, -1):
        if state % 2:
            index = state // 2
            first[index] = min(first[index], step)
            last[index] = max(last[index], step)
        state -= int(moves[step, state])
    return list(zip(first, last, strict=True))


class StringReader:
    """The exported string model, run by the LiteRT interpreter."""

    def __init__(self, metadata_path: Path, threads: int = 1) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self._model = _verified_model(metadata_path)
        self._interpreter_type = Interpreter
        self._threads = threads
        # Interpreters by input width, least recently used first.
        self._interpreters: dict[int, Any] = {}
        self._lock = threading.Lock()
        try:
            with _native_stderr_silenced():
                # Run once on a blank string: the output's width is known only after a run.
                output = list(
                    self._run(NormalizedString(np.zeros((STRING_HEIGHT, WIDTH_STEP), np.float32), 0, 1.0)).shape
                )
        except (ValueError, RuntimeError) as error:
            raise ModelError(f"cannot load the string model of {metadata_path}: {error}") from error
        if output != [WIDTH_STEP // TIME_STEP, CLASSES]:
            raise ModelError(
                f"{metadata_path} names a model that is no string model: it gives {output} for a string "
                f"of {WIDTH_STEP} columns, not [{WIDTH_STEP // TIME_STEP}, {CLASSES}]"
            )

    def _interpreter(self, width: int) -> Any:
        interpreter = self._interpreters.pop(width, None)
        if interpreter is None:
            interpreter = self._interpreter_type(model_content=self._model, num_threads=self._threads)
            index = interpreter.get_input_details()[0]["index"]
            interpreter.resize_tensor_input(index, [1, STRING_HEIGHT, width, 1])
            interpreter.allocate_tensors()
            if len(self._interpreters) >= MAX_INTERPRETERS:
                self._interpreters.pop(next(iter(self._interpreters)))  # the least recently used
        self._interpreters[width] = interpreter
        return interpreter

    def _run(self, string: NormalizedString) -> npt.NDArray[np.float32]:
        width = int(math.ceil(string.image.shape[1] / WIDTH_STEP) * WIDTH_STEP)
        padded = np.zeros((1, STRING_HEIGHT, width, 1), np.float32)
        padded[0, :, : string.image.shape[1], 0] = string.image
        interpreter = self._interpreter(width)
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], padded)
        interpreter.invoke()
        return step_probabilities(interpreter.get_tensor(interpreter.get_output_details()[0]["index"])[0])

    def read(self, strings: list[NormalizedString]) -> list[list[StringDigit]]:
        """Read each string. One at a time: a convolutional network's cost is its width, so a batch
        padded to its widest string would only add work, and each width needs an interpreter of its own.

        ValueError for a string wider than MAX_STRING_COLUMNS.
        """
        too_wide = [s.image.shape[1] for s in strings if s.image.shape[1] > MAX_STRING_COLUMNS]
        if too_wide:
            raise ValueError(f"a string of {too_wide[0]} columns is wider than {MAX_STRING_COLUMNS}")
        with self._lock:
            return [likeliest_reading(self._run(string), string) for string in strings]


_readers: dict[str, StringReader | None] = {}
_readers_lock = threading.Lock()


def _verified_model(metadata_path: Path) -> bytes:
    """The string model's bytes, checked against the sha256 in its metadata."""
    try:
        metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
        entry = metadata["files"]["tflite"]
        path = metadata_path.parent / str(entry["path"])
        content = path.read_bytes()
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ModelError(f"cannot read the string model described by {metadata_path}: {error}") from error
    if hashlib.sha256(content).hexdigest() != entry.get("sha256"):
        raise ModelError(f"{path} does not match the sha256 in {metadata_path} (corrupt or replaced)")
    return content


def load_string_reader(info: ModelInfo) -> StringReader | None:
    """The string model shipped beside ``info``'s digit model, loaded once; None where there is none."""
    metadata_path = info.directory / STRINGS_METADATA
    key = str(metadata_path.resolve())
    with _readers_lock:
        if key not in _readers:
            _readers[key] = StringReader(metadata_path) if metadata_path.is_file() else None
        return _readers[key]
