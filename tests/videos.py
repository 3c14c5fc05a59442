"""Videos made in the tests from sample photos: a camera drifting a few pixels over a sheet."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np

from recognizer.scoring import load_truth


def write_drifting_video(photo: Path, path: Path, frames: int, drift_x: float, drift_y: float) -> list[str]:
    """Write `frames` frames (30 fps, mp4v) of `photo` shifted along a slow Lissajous path; return its numbers."""
    image = cv2.imread(str(photo))
    assert image is not None, f"cannot read {photo}"
    height, width = image.shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 30.0, (width, height))
    assert writer.isOpened(), "OpenCV cannot write mp4v videos here"
    for index in range(frames):
        shift = np.array(
            [[1.0, 0.0, drift_x * math.sin(index / 7)], [0.0, 1.0, drift_y * math.cos(index / 9)]], dtype=np.float32
        )
        writer.write(cv2.warpAffine(image, shift, (width, height), borderMode=cv2.BORDER_REPLICATE))
    writer.release()
    truth = load_truth(photo.with_suffix(".truth.json"))[0]
    return sorted(truth.numbers)
