"""Draw a reading on its image: digit boxes and labels, number boxes and values."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from recognizer.reading import Reading

__all__ = ["annotate"]

SURE = (40, 170, 40)
UNSURE = (0, 140, 255)
NUMBER = (200, 90, 20)


def annotate(image: npt.NDArray[np.uint8], reading: Reading) -> npt.NDArray[np.uint8]:
    """A BGR copy of ``image`` with the reading drawn over it."""
    canvas = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image.copy()
    # Line widths and text follow the size of the image so they stay readable on 4k photos.
    thickness = max(1, round(max(canvas.shape[:2]) / 900))
    for number in reading.numbers:
        box = number.box
        pad = 2 * thickness
        cv2.rectangle(canvas, (box.x - pad, box.y - pad), (box.right + pad, box.bottom + pad), NUMBER, thickness)
        label_scale = max(0.4, box.h / 45.0)
        cv2.putText(
            canvas,
            number.text,
            (box.x, box.bottom + pad + int(22 * label_scale)),
            cv2.FONT_HERSHEY_SIMPLEX,
            label_scale,
            NUMBER,
            max(1, thickness),
            cv2.LINE_AA,
        )
        for digit in number.digits:
            colour = SURE if digit.sure else UNSURE
            d = digit.box
            cv2.rectangle(canvas, (d.x, d.y), (d.right, d.bottom), colour, thickness)
            cv2.putText(
                canvas,
                digit.text,
                (d.x, max(10, d.y - 3)),
                cv2.FONT_HERSHEY_SIMPLEX,
                max(0.35, d.h / 60.0),
                colour,
                max(1, thickness),
                cv2.LINE_AA,
            )
    return np.asarray(canvas, dtype=np.uint8)
