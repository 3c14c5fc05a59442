"""Motion blur found in a photo's spectrum (recognizer.motion), on a sample photo smeared here."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from recognizer.motion import find_motion_blur, without_motion_blur

SHARP_PHOTO = Path(__file__).resolve().parent.parent / "samples" / "photos" / "photo_044_desk_photo.jpg"


def _sharp_photo() -> npt.NDArray[np.uint8]:
    """A sample desk photo taken with the camera still."""
    return np.asarray(cv2.imread(str(SHARP_PHOTO)), np.uint8)


def _smeared(image: npt.NDArray[np.uint8], length: int, angle: float) -> npt.NDArray[np.uint8]:
    """``image`` as a camera moving ``length`` px along ``angle`` degrees (clockwise) records it,
    saved as a JPEG: a line of that length, spread over the picture."""
    size = length + 2
    kernel = np.zeros((size, size), np.float32)
    centre = (size - 1) / 2
    dx, dy = (length - 1) / 2 * math.cos(math.radians(angle)), (length - 1) / 2 * math.sin(math.radians(angle))
    cv2.line(
        kernel, (round(centre - dx), round(centre - dy)), (round(centre + dx), round(centre + dy)), 1.0, 1, cv2.LINE_AA
    )
    smeared = cv2.filter2D(image, -1, kernel / kernel.sum())
    _, encoded = cv2.imencode(".jpg", smeared, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return np.asarray(cv2.imdecode(encoded, cv2.IMREAD_COLOR), np.uint8)


def _angle_apart(first: float, second: float) -> float:
    """Degrees between two directions of a line (180 degrees round)."""
    apart = abs(first - second) % 180.0
    return min(apart, 180.0 - apart)


def test_a_sharp_photo_has_no_motion_blur() -> None:
    image = _sharp_photo()
    assert find_motion_blur(image) is None


@pytest.mark.parametrize(("length", "angle"), [(7, 30.0), (9, 105.0), (11, 160.0)])
def test_motion_blur_is_found_with_its_direction_and_length(length: int, angle: float) -> None:
    image = _sharp_photo()
    blur = find_motion_blur(_smeared(image, length, angle))
    assert blur is not None
    assert _angle_apart(blur.angle, angle) <= 15.0, blur
    assert abs(blur.length - length) <= 2.0, blur


def test_taking_motion_blur_out_brings_the_photo_back_towards_the_sharp_one() -> None:
    image = _sharp_photo()
    smeared = _smeared(image, 9, 0.0)
    blur = find_motion_blur(smeared)
    assert blur is not None
    sharpened = without_motion_blur(smeared, blur)
    assert sharpened.shape == image.shape

    # Along the blur (across the picture's columns) the sharp photo's strokes have edges; the
    # smeared one's are ramps nine pixels long. Sharpened, its edges are back.
    def edges(picture: npt.NDArray[np.uint8]) -> float:
        grey = cv2.cvtColor(picture, cv2.COLOR_BGR2GRAY).astype(np.float32)
        return float(np.mean(np.abs(np.diff(grey, axis=1))))

    assert edges(smeared) < 0.6 * edges(image)
    assert edges(sharpened) > 0.9 * edges(image)
