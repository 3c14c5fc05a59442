"""A sticky note lying on a printed sheet: the note is found, and its few digits are read without the print."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from recognizer.pipeline import Recognizer
from recognizer.prepare import find_paper_and_note
from recognizer.reading import Frame
from tests.test_recognizer import ink

PHOTO_WIDTH, PHOTO_HEIGHT = 1280, 720
SHEET = (160, 30, 1120, 700)  # left, top, right, bottom
NOTE = (470, 250, 770, 520)
YELLOW_NOTE = (120, 225, 245)  # BGR
DESK = (55, 75, 100)  # BGR: brown
WORDS = "terms of delivery payment received account reference office goods returns signed within days".split()


def printed_sheet(photo: np.ndarray, rng: np.random.Generator) -> None:
    """A white sheet on the photo, printed all over with lines of small text (letters 7-10 px tall)."""
    left, top, right, bottom = SHEET
    photo[top:bottom, left:right] = 235
    for baseline in range(top + 30, bottom - 20, 17):
        words = " ".join(str(word) for word in rng.choice(WORDS, 14))
        cv2.putText(photo, words, (left + 30, baseline), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (45, 45, 45), 1, cv2.LINE_AA)


def write(
    photo: np.ndarray,
    text: str,
    at: tuple[int, int],
    digits: dict[int, list[np.ndarray]],
    rng: np.random.Generator,
    *,
    height: int = 44,
) -> None:
    """Handwritten digits in blue ink, ``height`` px tall, from ``at`` (left, baseline) on."""
    x, baseline = at
    for character in text:
        samples = digits[int(character)]
        alpha = ink(samples[int(rng.integers(0, len(samples)))], height, rng)[:, :, None]
        h, w = alpha.shape[:2]
        region = photo[baseline - h : baseline, x : x + w]
        region[:] = region * (1 - 0.85 * alpha) + np.array([150, 60, 20], np.float32) * 0.85 * alpha
        x += w + height // 4


def note_on_printed_sheet(
    note_text: str,
    digits: dict[int, list[np.ndarray]],
    *,
    seed: int = 0,
    note_colour: tuple[int, int, int] | None = YELLOW_NOTE,
    sheet_text: str = "",
) -> np.ndarray:
    """A 1280x720 photo of a printed sheet on a brown desk with a sticky note on it (none when
    ``note_colour`` is None) holding ``note_text``, and ``sheet_text`` written on the sheet beside the print."""
    rng = np.random.default_rng(seed)
    printed = np.empty((PHOTO_HEIGHT, PHOTO_WIDTH, 3), np.uint8)
    printed[:] = DESK
    printed_sheet(printed, rng)
    photo = printed.astype(np.float32)
    if note_colour is not None:
        left, top, right, bottom = NOTE
        # Its shadow on the sheet, along the right and bottom edges.
        photo[top + 6 : bottom + 6, left + 6 : right + 6] *= 0.6
        photo[top:bottom, left:right] = note_colour
    write(photo, note_text, (NOTE[0] + 60, NOTE[1] + 110), digits, rng)
    if sheet_text:
        write(photo, sheet_text, (SHEET[2] - 300, SHEET[3] - 60), digits, rng)
    photo += rng.normal(0.0, 4.0, photo.shape)
    return np.asarray(photo.clip(0, 255), dtype=np.uint8)


def test_a_note_on_a_printed_sheet_is_found(clear_digits: dict[int, list[np.ndarray]]) -> None:
    found = find_paper_and_note(note_on_printed_sheet("7", clear_digits))
    assert found.paper is not None and found.note is not None
    note = np.zeros(found.note.shape, bool)
    left, top, right, bottom = NOTE
    note[top:bottom, left:right] = True
    overlap = np.count_nonzero((found.note > 0) & note) / np.count_nonzero((found.note > 0) | note)
    assert overlap >= 0.9


@pytest.mark.parametrize("note_colour", [None, (235, 235, 235)])
def test_no_note_without_a_coloured_one(
    clear_digits: dict[int, list[np.ndarray]], note_colour: tuple[int, int, int] | None
) -> None:
    """The sheet's own blank or written parts are no note, nor is a white note: it is of the sheet's colour."""
    found = find_paper_and_note(note_on_printed_sheet("7", clear_digits, note_colour=note_colour))
    assert found.paper is not None
    assert found.note is None


def test_a_note_lying_on_the_desk_is_the_sheet(clear_digits: dict[int, list[np.ndarray]]) -> None:
    photo = np.empty((PHOTO_HEIGHT, PHOTO_WIDTH, 3), np.uint8)
    photo[:] = DESK
    left, top, right, bottom = NOTE
    photo[top:bottom, left:right] = YELLOW_NOTE
    found = find_paper_and_note(photo)
    assert found.paper is not None
    assert found.note is None


@pytest.mark.parametrize(("text", "seed"), [("3", 0), ("58", 1), ("6", 2)])
def test_a_few_digits_on_a_note_are_read_without_the_print_under_it(
    recognizer: Recognizer, clear_digits: dict[int, list[np.ndarray]], text: str, seed: int
) -> None:
    """One or two digits are too few to be the tallest repeated shapes: the sheet's letters were, the
    digits' height was measured on them, and the print read as lines of 1s. The height is measured
    on the note, and the small print around it is cleared."""
    reading = recognizer.read(Frame(note_on_printed_sheet(text, clear_digits, seed=seed), "note"))
    assert reading.text == text


def test_the_sheet_under_a_note_is_not_read(recognizer: Recognizer, clear_digits: dict[int, list[np.ndarray]]) -> None:
    """A note holding handwriting is what the photo is of: the sheet it lies on is background, as
    the desk is, print and all."""
    reading = recognizer.read(Frame(note_on_printed_sheet("9", clear_digits, sheet_text="2045"), "note"))
    assert reading.text == "9"


def test_the_sheet_under_a_blank_note_is_read(
    recognizer: Recognizer, clear_digits: dict[int, list[np.ndarray]]
) -> None:
    reading = recognizer.read(Frame(note_on_printed_sheet("", clear_digits, sheet_text="2045"), "note"))
    assert reading.text == "2045"
