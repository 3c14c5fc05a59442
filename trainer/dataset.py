"""Assemble what the model trains on, one epoch at a time, and the per-style test set.

Each epoch is a fresh NumPy array: clean MNIST digits, augmented MNIST digits,
the extra writing styles and the not-a-digit class, all normalised by the
recognizer's own function. An epoch depends only on ``(seed, epoch)``, so a
resumed run sees exactly the data an uninterrupted run would have seen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from recognizer.normalize import normalize_digits
from trainer.augment import augment_pen, jitter_normalized, mnist_to_pen
from trainer.styles import (
    NOT_A_DIGIT,
    STYLE_DIGITS,
    STYLE_NAMES,
    Mask,
    crossbar_seven,
    draw_not_a_digit,
    draw_style,
    flagged_one,
)

__all__ = ["EpochRecipe", "build_epoch", "build_style_test_set", "normalized_mnist"]


@dataclass(frozen=True)
class EpochRecipe:
    """How much of each kind of example goes into one epoch."""

    augmented_fraction: float = 0.4
    samples_per_style: int = 1500
    not_a_digit_samples: int = 6000
    # Harvested scene crops drawn afresh for each epoch (all of them when fewer).
    harvested_per_epoch: int = 20000

    def to_dict(self) -> dict[str, float | int]:
        return {
            "augmented_fraction": self.augmented_fraction,
            "samples_per_style": self.samples_per_style,
            "not_a_digit_samples": self.not_a_digit_samples,
            "harvested_per_epoch": self.harvested_per_epoch,
        }


def normalized_mnist(images: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """MNIST digits through the recognizer's normalisation (nearly a no-op, by design)."""
    return normalize_digits(list(images))


def _style_mask(
    style: str,
    images: npt.NDArray[np.uint8],
    labels: npt.NDArray[np.uint8],
    rng: np.random.Generator,
) -> Mask:
    # Half of the crossed 7s and flagged 1s are edits of real MNIST digits, half are drawn
    # (all drawn when the data holds no such digit, as a small test subset may not).
    if style == "crossed_7" and rng.random() < 0.5:
        sevens = np.flatnonzero(labels == 7)
        if sevens.size:
            return crossbar_seven(images[rng.choice(sevens)], rng)
    if style == "flagged_1" and rng.random() < 0.5:
        ones = np.flatnonzero(labels == 1)
        if ones.size:
            return flagged_one(images[rng.choice(ones)], rng)
    return draw_style(style, rng)


def build_epoch(
    images: npt.NDArray[np.uint8],
    labels: npt.NDArray[np.uint8],
    clean: npt.NDArray[np.float32],
    recipe: EpochRecipe,
    seed: int,
    epoch: int,
    harvested: tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]] | None = None,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.uint8]]:
    """Return one shuffled epoch: images (N, 28, 28, 1) float32 and labels (N,) with 10 = not a digit.

    ``harvested`` crops (already in MNIST form, from the recognizer's own
    segmentation of rendered scenes) join every epoch, half of them jittered.
    """
    if images.shape[0] != labels.shape[0] or images.shape[0] != clean.shape[0]:
        raise ValueError(
            f"images {images.shape}, labels {labels.shape} and clean {clean.shape} must have the same length"
        )
    rng = np.random.default_rng([seed, epoch])
    digits = clean.copy()
    augmented = np.flatnonzero(rng.random(len(images)) < recipe.augmented_fraction)
    for index in augmented:
        digits[index] = augment_pen(mnist_to_pen(images[index]), rng)
    parts_x: list[npt.NDArray[np.float32]] = [digits]
    parts_y: list[npt.NDArray[np.uint8]] = [labels.astype(np.uint8)]
    for style in STYLE_NAMES if recipe.samples_per_style > 0 else ():
        styled = np.stack(
            [augment_pen(_style_mask(style, images, labels, rng), rng) for _ in range(recipe.samples_per_style)]
        )
        parts_x.append(styled)
        parts_y.append(np.full(recipe.samples_per_style, STYLE_DIGITS[style], dtype=np.uint8))
    rejects = [augment_pen(draw_not_a_digit(images, labels, rng), rng) for _ in range(recipe.not_a_digit_samples)]
    if rejects:
        parts_x.append(np.stack(rejects))
        parts_y.append(np.full(len(rejects), NOT_A_DIGIT, dtype=np.uint8))
    if harvested is not None and len(harvested[0]):
        chosen = np.sort(rng.permutation(len(harvested[0]))[: recipe.harvested_per_epoch])
        crops = harvested[0][chosen].astype(np.float32) / 255.0
        jittered = np.flatnonzero(rng.random(len(crops)) < 0.5)
        for index in jittered:
            crops[index] = jitter_normalized(crops[index], rng)
        parts_x.append(crops)
        parts_y.append(harvested[1][chosen].astype(np.uint8))
    x = np.concatenate(parts_x)
    y = np.concatenate(parts_y)
    order = rng.permutation(len(x))
    return x[order, :, :, None], y[order]


def build_style_test_set(
    images: npt.NDArray[np.uint8],
    labels: npt.NDArray[np.uint8],
    samples_per_style: int,
    seed: int,
) -> dict[str, tuple[npt.NDArray[np.float32], npt.NDArray[np.uint8]]]:
    """Per-style test digits, edited from MNIST *test* digits or drawn with a separate seed."""
    rng = np.random.default_rng([seed, 1_000_003])
    test_sets: dict[str, tuple[npt.NDArray[np.float32], npt.NDArray[np.uint8]]] = {}
    for style in STYLE_NAMES:
        styled = np.stack([augment_pen(_style_mask(style, images, labels, rng), rng) for _ in range(samples_per_style)])
        test_sets[style] = (styled, np.full(samples_per_style, STYLE_DIGITS[style], dtype=np.uint8))
    return test_sets
