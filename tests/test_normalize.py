"""MNIST normalisation: the one function the trainer and the recognizer share."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from recognizer.normalize import MNIST_CENTRE, normalize_digit, normalize_digits


def _ink_box(image: np.ndarray) -> tuple[int, int, int, int]:
    rows = np.flatnonzero(image.max(axis=1) > 0)
    cols = np.flatnonzero(image.max(axis=0) > 0)
    return int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])


def _centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    ys, xs = np.mgrid[0 : image.shape[0], 0 : image.shape[1]]
    mass = image.sum()
    return float((image * ys).sum() / mass), float((image * xs).sum() / mass)


def _drawn_digit(height: int, width: int, thickness: int) -> np.ndarray:
    """A tall '7'-like glyph drawn on a canvas of arbitrary size."""
    canvas = np.zeros((height + 40, width + 40), np.uint8)
    cv2.line(canvas, (20, 20), (20 + width, 20), 255, thickness)
    cv2.line(canvas, (20 + width, 20), (20 + width // 3, 20 + height), 255, thickness)
    return canvas


@pytest.mark.parametrize(
    ("height", "width", "thickness"),
    [(200, 120, 18), (60, 40, 5), (12, 8, 1), (30, 90, 4), (300, 30, 12)],
)
def test_digit_fits_20x20_box_centred_by_mass(height: int, width: int, thickness: int) -> None:
    glyph = _drawn_digit(height, width, thickness)
    digit = normalize_digit(glyph)
    assert digit.shape == (28, 28)
    assert digit.dtype == np.float32
    assert 0.0 <= float(digit.min()) and float(digit.max()) <= 1.0
    top, bottom, left, right = _ink_box(digit)
    assert max(bottom - top + 1, right - left + 1) == 20
    centre_y, centre_x = _centre_of_mass(digit)
    assert abs(centre_y - MNIST_CENTRE) <= 0.5
    assert abs(centre_x - MNIST_CENTRE) <= 0.5


@pytest.mark.parametrize(("height", "width"), [(200, 100), (100, 200), (90, 30)])
def test_aspect_ratio_is_kept(height: int, width: int) -> None:
    glyph = np.zeros((height + 10, width + 10), np.uint8)
    glyph[5 : 5 + height, 5 : 5 + width] = 255
    digit = normalize_digit(glyph)
    top, bottom, left, right = _ink_box(digit)
    box_height, box_width = bottom - top + 1, right - left + 1
    assert box_width / box_height == pytest.approx(width / height, rel=0.1)


def test_mnist_digits_are_left_almost_unchanged(mnist_small: dict[str, np.ndarray]) -> None:
    """MNIST is already in MNIST form: normalising it again must not move or resize it."""
    images = mnist_small["x_test"][:200]
    normalized = normalize_digits(list(images))
    difference = np.abs(normalized - images.astype(np.float32) / 255.0)
    assert float(difference.mean()) < 0.01


def test_input_kinds_agree() -> None:
    glyph = _drawn_digit(80, 50, 6)
    as_uint8 = normalize_digit(glyph)
    as_bool = normalize_digit(glyph > 0)
    as_float = normalize_digit(glyph.astype(np.float32) / 255.0)
    np.testing.assert_allclose(as_uint8, as_bool, atol=1e-6)
    np.testing.assert_allclose(as_uint8, as_float, atol=1e-6)


def test_nan_pixels_of_a_float_crop_count_as_no_ink() -> None:
    """A damaged float image: the digit is normalised as if its NaN pixels were paper."""
    glyph = _drawn_digit(80, 50, 6).astype(np.float32) / 255.0
    damaged = glyph.copy()
    damaged[0, :] = np.nan  # a row of NaN above the digit, outside its ink
    damaged[:, -1] = np.nan
    np.testing.assert_array_equal(normalize_digit(damaged), normalize_digit(glyph))
    assert not normalize_digit(np.full((12, 9), np.nan, np.float32)).any()


def test_blank_crop_gives_blank_digit() -> None:
    assert not normalize_digit(np.zeros((30, 20), np.uint8)).any()


@pytest.mark.parametrize("shape", [(0, 5), (5, 0), (28,), (4, 4, 3)])
def test_wrong_shape_is_a_value_error_naming_the_shape(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=str(shape).replace("(", r"\(").replace(")", r"\)")):
        normalize_digit(np.zeros(shape, np.uint8))


def test_batch_of_none_is_empty() -> None:
    assert normalize_digits([]).shape == (0, 28, 28)
