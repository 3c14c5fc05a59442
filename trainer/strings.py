"""Train the string model: a CTC reader of runs of touching digits (see :mod:`recognizer.strings`).

Training strings are drawn from MNIST training digits as someone writing fast
draws them: each digit slanted and stretched a little, of slightly different
sizes, on a wavering baseline, most of them touching or overlapping their
neighbours by up to 30% of their width, the rest close or spaced. Each string is
thresholded at a random working resolution (digits 12-44 px tall), as the
recognizer's page preparation leaves it, then normalised by
:func:`recognizer.strings.normalize_string`. 15% of the examples are ink
that holds no digit (joined-up writing, printed words), whose reading is empty:
the model learns to answer "nothing" for a signature rather than a row of 1s.

The network: four 3x3 convolutions (pooling to a quarter of the width and an
eighth of the height), a dense layer and two 1-D convolutions along the string,
and per time step the ten digits plus the CTC blank.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from recognizer.strings import (
    BLANK,
    STRING_HEIGHT,
    STRINGS_METADATA,
    STRINGS_TFLITE,
    TIME_STEP,
    NormalizedString,
    likeliest_reading,
    normalize_string,
    step_probabilities,
)
from trainer.augment import change_pen_width, distort_pen, mnist_to_pen

__all__ = [
    "StringConfig",
    "build_string_model",
    "export_strings",
    "load_harvest",
    "save_harvest",
    "render_junk",
    "render_string",
    "string_dataset",
    "train_strings",
]

# Training images are padded to this many columns; longer strings are drawn again.
TRAIN_WIDTH = 192
MAX_DIGITS = 10
JUNK_SHARE = 0.15
# Digit heights (working pixels) the strings are thresholded at: the range the recognizer reads at.
WORKING_HEIGHTS = (12.0, 44.0)
# Height of a digit in the pen masks of trainer.augment (20 MNIST pixels at 4x).
PEN_DIGIT_HEIGHT = 80.0
VALIDATION_STRINGS = 2000

Mask = npt.NDArray[Any]


@dataclass(frozen=True)
class StringConfig:
    """Everything that decides a training run; recorded in strings.json."""

    samples: int = 150_000
    epochs: int = 3
    batch_size: int = 64
    learning_rate: float = 1e-3
    seed: int = 2026
    # Strings harvested from rendered scenes (trainer.string_harvest), added to every epoch.
    harvests: tuple[str, ...] = ()
    # A string model (.keras) to start from, to fine-tune.
    init_from: str | None = None


def _glyph(image: npt.NDArray[np.uint8], rng: np.random.Generator) -> Mask | None:
    pen = distort_pen(mnist_to_pen(image), rng, strength=0.8)
    x, y, w, h = cv2.boundingRect(pen)
    if w == 0:
        return None
    scale = math.exp(rng.normal(0.0, 0.08))
    return cv2.resize(pen[y : y + h, x : x + w], None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)


def _gap(previous: Mask, glyph: Mask, height: float, mode: float, rng: np.random.Generator) -> float:
    """Space before ``glyph`` (negative: overlap): touching, close or spaced, as the string's mode says."""
    if mode < 0.55:
        return -float(rng.uniform(0.0, 0.3)) * float(min(previous.shape[1], glyph.shape[1]))
    if mode < 0.8:
        return rng.uniform(-0.1, 0.15) * height
    return rng.uniform(0.02, 0.45) * height


def _compose(glyphs: list[Mask], rng: np.random.Generator) -> tuple[Mask, float]:
    """Write ``glyphs`` left to right on a wavering baseline; the canvas and the median digit height."""
    height = float(np.median([glyph.shape[0] for glyph in glyphs]))
    mode = rng.random()
    places: list[tuple[int, int]] = []
    x, drift = 0.0, 0.0
    for index, glyph in enumerate(glyphs):
        if index:
            x = places[-1][0] + glyphs[index - 1].shape[1] + _gap(glyphs[index - 1], glyph, height, mode, rng)
        drift += rng.normal(0.0, 0.03) * height
        y = drift + (height - glyph.shape[0]) * rng.uniform(0.3, 0.7) + rng.normal(0.0, 0.05) * height
        places.append((int(round(x)), int(round(y))))
    left = min(px for px, _ in places)
    top = min(py for _, py in places)
    margin = 20
    places = [(px - left + margin, py - top + margin) for px, py in places]
    width = max(px + glyph.shape[1] for (px, _), glyph in zip(places, glyphs)) + margin
    rows = max(py + glyph.shape[0] for (_, py), glyph in zip(places, glyphs)) + margin
    canvas = np.zeros((rows, width), np.uint8)
    for (px, py), glyph in zip(places, glyphs):
        canvas[py : py + glyph.shape[0], px : px + glyph.shape[1]] |= glyph
    return canvas, height


def _at_working_resolution(canvas: Mask, height: float, rng: np.random.Generator) -> tuple[Mask, float]:
    """Shrink a pen canvas to a random working digit height and threshold it: the recognizer's mask."""
    target = rng.uniform(*WORKING_HEIGHTS)
    small = cv2.resize(canvas, None, fx=target / height, fy=target / height, interpolation=cv2.INTER_AREA)
    if rng.random() < 0.3:
        small = cv2.GaussianBlur(small, (3, 3), rng.uniform(0.3, 1.0))
    _, small = cv2.threshold(small, int(rng.uniform(70, 170)), 255, cv2.THRESH_BINARY)
    return small, target


def render_string(
    images: npt.NDArray[np.uint8], labels: npt.NDArray[np.uint8], rng: np.random.Generator
) -> tuple[NormalizedString, list[int]] | None:
    """A string of 1-8 random digits of ``images`` written fast, normalised; None if a digit was empty."""
    count = int(rng.choice([1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 7, 8]))
    chosen = rng.integers(0, len(images), size=count)
    glyphs = [_glyph(images[index], rng) for index in chosen]
    if any(glyph is None for glyph in glyphs):
        return None
    canvas, height = _compose([glyph for glyph in glyphs if glyph is not None], rng)
    if rng.random() < 0.6:
        canvas = change_pen_width(canvas, rng)
    mask, working_height = _at_working_resolution(canvas, height, rng)
    if rng.random() < 0.15:
        for _ in range(int(rng.integers(1, 4))):
            centre = (int(rng.uniform(0, mask.shape[1])), int(rng.uniform(0, mask.shape[0])))
            cv2.circle(mask, centre, int(rng.integers(0, 2)), 255, -1)
    # The recognizer's line height is the median of the line's digits: close, not exact.
    line_height = working_height * math.exp(rng.normal(0.0, 0.06))
    return normalize_string(mask, line_height), [int(labels[index]) for index in chosen]


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
    cv2.FONT_HERSHEY_PLAIN,
)


def _joined_up_writing(rng: np.random.Generator) -> tuple[Mask, float]:
    """Arcades (n, m), garlands (u, w) and loops (l, e) joined along a slanted line."""
    height = PEN_DIGIT_HEIGHT
    points: list[tuple[float, float]] = []
    x = 20.0
    for _ in range(int(rng.integers(3, 12))):
        kind = rng.random()
        width = rng.uniform(0.35, 0.8) * height
        tall = rng.uniform(0.45, 1.0) * height if rng.random() < 0.3 else rng.uniform(0.3, 0.55) * height
        for step in range(13):
            t = step / 12
            if kind < 0.4:
                points.append((x + width * t, height - tall * math.sin(math.pi * t)))
            elif kind < 0.7:
                points.append((x + width * t, height - tall + tall * math.sin(math.pi * t)))
            else:
                turn = 2.0 * math.pi * t
                points.append((x + width * (t + 0.35 * math.sin(turn)), height - tall * (0.5 - 0.5 * math.cos(turn))))
        x += width
    path = np.array(points)
    path[:, 0] += rng.uniform(-0.4, 0.1) * (path[:, 1] - height)
    path[:, 0] -= path[:, 0].min() - 20
    path[:, 1] += 20
    canvas = np.zeros((int(height * 1.6) + 40, int(path[:, 0].max()) + 40), np.uint8)
    cv2.polylines(canvas, [np.round(path).astype(np.int32)], False, 255, int(rng.integers(5, 14)), cv2.LINE_AA)
    return canvas, height


def _printed_word(rng: np.random.Generator) -> tuple[Mask, float]:
    text = "".join(rng.choice(list(_LETTERS), size=int(rng.integers(2, 9))))
    font = _FONTS[int(rng.integers(0, len(_FONTS)))]
    thickness = int(rng.integers(3, 10))
    (width, height), baseline = cv2.getTextSize(text, font, 3.0, thickness)
    canvas = np.zeros((height + baseline + 40, width + 40), np.uint8)
    cv2.putText(canvas, text, (20, height + 20), font, 3.0, 255, thickness, cv2.LINE_AA)
    return canvas, float(height)


def render_junk(rng: np.random.Generator) -> tuple[NormalizedString, list[int]]:
    """Ink that holds no digit (joined-up writing or a printed word), normalised; its reading is empty."""
    canvas, height = _joined_up_writing(rng) if rng.random() < 0.6 else _printed_word(rng)
    mask, working_height = _at_working_resolution(canvas, height, rng)
    return normalize_string(mask, working_height * math.exp(rng.normal(0.0, 0.1))), []


@dataclass
class StringBatch:
    """Strings padded to TRAIN_WIDTH (uint8, 0-255), labels (digit + 1, 0-padded) and both lengths."""

    images: npt.NDArray[np.uint8]
    labels: npt.NDArray[np.int32]
    label_lengths: npt.NDArray[np.int32]
    steps: npt.NDArray[np.int32]


def _draw(
    images: npt.NDArray[np.uint8],
    labels: npt.NDArray[np.uint8],
    seed: tuple[int, int],
    count: int,
    junk_share: float,
) -> StringBatch:
    rng = np.random.default_rng(list(seed))
    batch = StringBatch(
        np.zeros((count, STRING_HEIGHT, TRAIN_WIDTH), np.uint8),
        np.zeros((count, MAX_DIGITS), np.int32),
        np.zeros(count, np.int32),
        np.zeros(count, np.int32),
    )
    made = 0
    while made < count:
        drawn = render_junk(rng) if rng.random() < junk_share else render_string(images, labels, rng)
        if drawn is None:
            continue
        string, digits = drawn
        width = string.image.shape[1]
        if width > TRAIN_WIDTH or len(digits) > MAX_DIGITS:
            continue
        batch.images[made, :, :width] = np.round(string.image * 255.0).astype(np.uint8)
        batch.labels[made, : len(digits)] = np.array(digits, np.int32) + 1
        batch.label_lengths[made] = len(digits)
        batch.steps[made] = width // TIME_STEP
        made += 1
    return batch


def string_dataset(
    images: npt.NDArray[np.uint8],
    labels: npt.NDArray[np.uint8],
    count: int,
    seed: int,
    junk_share: float = JUNK_SHARE,
    workers: int = 2,
) -> StringBatch:
    """``count`` strings drawn in ``workers`` processes, the same for the same seed."""
    chunk = 5000
    seeds = [(seed, start) for start in range(0, count, chunk)]
    sizes = [min(chunk, count - start) for _, start in seeds]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        parts = list(
            pool.map(
                _draw,
                [images] * len(seeds),
                [labels] * len(seeds),
                seeds,
                sizes,
                [junk_share] * len(seeds),
            )
        )
    return _joined(parts)


def _joined(parts: list[StringBatch]) -> StringBatch:
    return StringBatch(*(np.concatenate([getattr(p, name) for p in parts]) for name in StringBatch.__annotations__))


def save_harvest(batch: StringBatch, path: Path) -> None:
    np.savez_compressed(path, **{name: getattr(batch, name) for name in StringBatch.__annotations__})


def load_harvest(path: Path) -> StringBatch:
    """Strings saved by :func:`save_harvest`; ValueError for a file that is not one."""
    try:
        with np.load(path) as archive:
            batch = StringBatch(*(archive[name] for name in StringBatch.__annotations__))
    except (OSError, ValueError, KeyError, EOFError) as error:
        raise ValueError(f"{path}: not a string harvest ({error})") from error
    if batch.images.ndim != 3 or batch.images.shape[1:] != (STRING_HEIGHT, TRAIN_WIDTH):
        raise ValueError(f"{path}: strings of shape {batch.images.shape[1:]}, expected {(STRING_HEIGHT, TRAIN_WIDTH)}")
    return batch


def build_string_model() -> Any:
    import keras
    from keras import layers

    inputs = keras.Input((STRING_HEIGHT, None, 1), name="string")
    x = inputs
    for filters, pool in ((32, (2, 2)), (48, (2, 2)), (64, None), (96, (2, 1))):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
        if pool is not None:
            x = layers.MaxPooling2D(pool)(x)
    # (rows, steps, channels) -> (steps, rows * channels): one feature vector per time step.
    x = layers.Permute((2, 1, 3))(x)
    x = layers.Reshape((-1, (STRING_HEIGHT // 8) * 96))(x)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Conv1D(128, 5, padding="same", activation="relu")(x)
    x = layers.Conv1D(128, 3, padding="same", activation="relu")(x)
    outputs = layers.Dense(11, name="logits")(x)
    return keras.Model(inputs, outputs, name="digitstream-strings")


def string_accuracy(model: Any, data: StringBatch) -> float:
    """Share of strings read exactly right, as the recognizer reads them (likeliest_reading), junk
    read as nothing included."""
    logits = np.asarray(model.predict(data.images[..., None].astype(np.float32) / 255.0, verbose=0, batch_size=256))
    right = 0
    for index, probabilities in enumerate(step_probabilities(logits)):
        string = NormalizedString(np.zeros((STRING_HEIGHT, int(data.steps[index]) * TIME_STEP), np.float32), 0, 1.0)
        read = [digit.label for digit in likeliest_reading(probabilities, string)]
        right += read == list(data.labels[index, : data.label_lengths[index]] - 1)
    return right / len(logits)


def export_strings(model: Any, output: Path, record: dict[str, Any]) -> Path:
    """Write ``strings.tflite`` and ``strings.json`` (recipe, results, sha256) into ``output``."""
    import tensorflow as tf

    output.mkdir(parents=True, exist_ok=True)
    tflite_path = output / STRINGS_TFLITE
    tflite_path.write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())
    metadata = {
        "name": "digitstream-strings",
        "classes": ["blank"] + [str(digit) for digit in range(10)],
        "input": {
            "shape": [STRING_HEIGHT, None, 1],
            "normalisation": "recognizer.strings.normalize_string (line height to 20 px, centre of mass at row 16)",
            "time_step_columns": TIME_STEP,
        },
        "parameters": int(model.count_params()),
        "files": {
            "tflite": {
                "path": tflite_path.name,
                "format": "TensorFlow Lite flatbuffer, float32, width free",
                "bytes": tflite_path.stat().st_size,
                "sha256": hashlib.sha256(tflite_path.read_bytes()).hexdigest(),
            }
        },
        "training": record,
    }
    path = output / STRINGS_METADATA
    path.write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
    return path


def _resumed(state_path: Path, last_path: Path, recipe: dict[str, Any]) -> tuple[int, Any]:
    """Epochs done and the model of the last checkpoint, which must have been made with ``recipe``.

    The optimizer's moments start afresh (the checkpoint holds the weights); the learning-rate
    schedule continues where it stopped.
    """
    import keras

    if not state_path.is_file() or not last_path.is_file():
        raise FileNotFoundError(f"no string-model checkpoint in {state_path.parent} to resume from")
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
        done, saved = int(state["epochs_done"]), state.get("recipe")
        model = keras.models.load_model(last_path)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"the checkpoint in {state_path.parent} cannot be resumed: {error}") from error
    if saved != recipe:
        changed = sorted(key for key in recipe if (saved or {}).get(key) != recipe[key])
        raise ValueError(
            f"the checkpoint in {state_path.parent} was made with other options ({', '.join(changed)}): "
            "resume with the same options, or start afresh without --resume"
        )
    return done, model


def train_strings(
    config: StringConfig,
    train: tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]],
    test: tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]],
    checkpoints: Path,
    resume: bool,
    log: Callable[[str], None] = print,
) -> tuple[Any, dict[str, Any]]:
    """Train (or resume) and return the model and its record: recipe, epochs, validation accuracy.

    Validation strings are drawn from MNIST *test* digits, which training never sees.
    """
    import keras
    import tensorflow as tf

    checkpoints.mkdir(parents=True, exist_ok=True)
    state_path, last_path = checkpoints / "strings_state.json", checkpoints / "strings_last.keras"
    # Before anything slow: a damaged harvest file fails the run at once.
    harvested = [load_harvest(Path(path)) for path in config.harvests]
    recipe = json.loads(json.dumps(asdict(config)))  # as the state file holds it: lists, not tuples
    start = 0
    keras.utils.set_random_seed(config.seed)
    if resume:
        start, model = _resumed(state_path, last_path, recipe)
    else:
        model = keras.models.load_model(config.init_from) if config.init_from else build_string_model()
    began = time.perf_counter()
    data = _joined([string_dataset(*train, config.samples, config.seed), *harvested])
    validation = string_dataset(*test, VALIDATION_STRINGS, config.seed + 1)
    log(f"drew {config.samples:,} training and {VALIDATION_STRINGS:,} validation strings")
    optimizer = keras.optimizers.Adam(config.learning_rate)
    steps_per_epoch = len(data.images) // config.batch_size
    total_steps = config.epochs * steps_per_epoch

    signature = [
        tf.TensorSpec((None, STRING_HEIGHT, TRAIN_WIDTH, 1), tf.float32),
        tf.TensorSpec((None, MAX_DIGITS), tf.int32),
        tf.TensorSpec((None,), tf.int32),
        tf.TensorSpec((None,), tf.int32),
    ]

    @tf.function(input_signature=signature)  # type: ignore[untyped-decorator]
    def step(images: Any, labels: Any, label_lengths: Any, steps: Any) -> Any:
        with tf.GradientTape() as tape:
            logits = model(images, training=True)
            loss = tf.reduce_mean(
                tf.nn.ctc_loss(labels, logits, label_lengths, steps, logits_time_major=False, blank_index=BLANK)
            )
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    accuracy = 0.0
    for epoch in range(start, config.epochs):
        order = np.random.default_rng([config.seed, epoch]).permutation(len(data.images))
        losses = []
        for index in range(steps_per_epoch):
            done = epoch * steps_per_epoch + index
            # Cosine schedule over the whole run, so that a resumed run continues it.
            optimizer.learning_rate.assign(config.learning_rate * 0.5 * (1.0 + math.cos(math.pi * done / total_steps)))
            chosen = np.sort(order[index * config.batch_size : (index + 1) * config.batch_size])
            images = data.images[chosen][..., None].astype(np.float32) / 255.0
            losses.append(float(step(images, data.labels[chosen], data.label_lengths[chosen], data.steps[chosen])))
            if index % 500 == 0:
                log(
                    f"epoch {epoch + 1}/{config.epochs} step {index}/{steps_per_epoch} loss {np.mean(losses[-500:]):.3f}"
                )
        accuracy = string_accuracy(model, validation)
        log(
            f"epoch {epoch + 1}/{config.epochs}: loss {np.mean(losses):.3f}, validation strings read right {accuracy:.2%}"
        )
        # Written aside and renamed: a run stopped while saving keeps its last good checkpoint.
        model.save(last_path.with_name("strings_last.partial.keras"))
        os.replace(last_path.with_name("strings_last.partial.keras"), last_path)
        state_path.write_text(json.dumps({"epochs_done": epoch + 1, "recipe": recipe}), encoding="utf-8")
    if start >= config.epochs:
        accuracy = string_accuracy(model, validation)
    record = {
        "recipe": asdict(config),
        "junk_share": JUNK_SHARE,
        "train_width": TRAIN_WIDTH,
        "validation": {
            "strings": VALIDATION_STRINGS,
            "from": "MNIST test digits",
            "read_right": round(accuracy, 4),
        },
        "minutes": round((time.perf_counter() - began) / 60.0, 1),
    }
    return model, record
