"""Photos of printed sheets: a sticky note lying on one is found and its few digits read without the print;
a sheet with a few numbers written on it is read upright."""

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


def printed_sheet(photo: np.ndarray, rng: np.random.Generator, sheet: tuple[int, int, int, int], level: int) -> None:
    """A grey sheet on the photo, printed with lines of small text (letters 7-10 px tall) but for a
    strip along its foot."""
    left, top, right, bottom = sheet
    photo[top:bottom, left:right] = level
    for baseline in range(top + 30, bottom - 110, 17):
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
    sheet: tuple[int, int, int, int] = SHEET,
    sheet_level: int = 235,
    note: tuple[int, int, int, int] = NOTE,
    desk: tuple[int, int, int] = DESK,
) -> np.ndarray:
    """A 1280x720 photo of a printed sheet on a brown desk with a sticky note (none when
    ``note_colour`` is None) holding ``note_text``, and ``sheet_text`` written on the sheet below the print."""
    rng = np.random.default_rng(seed)
    printed = np.empty((PHOTO_HEIGHT, PHOTO_WIDTH, 3), np.uint8)
    printed[:] = desk
    printed_sheet(printed, rng, sheet, sheet_level)
    photo = printed.astype(np.float32)
    if note_colour is not None:
        left, top, right, bottom = note
        # Its shadow, along the right and bottom edges.
        photo[top + 6 : bottom + 6, left + 6 : right + 6] *= 0.6
        photo[top:bottom, left:right] = note_colour
    write(photo, note_text, (note[0] + 60, note[1] + 110), digits, rng)
    if sheet_text:
        write(photo, sheet_text, (sheet[0] + 60, sheet[3] - 30), digits, rng)
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


def test_a_note_lying_on_the_desk_is_the_sheet() -> None:
    photo = np.empty((PHOTO_HEIGHT, PHOTO_WIDTH, 3), np.uint8)
    photo[:] = DESK
    left, top, right, bottom = NOTE
    photo[top:bottom, left:right] = YELLOW_NOTE
    found = find_paper_and_note(photo)
    assert found.paper is not None
    assert found.note is None


# A narrower sheet, with a card on the desk beside it.
SHEET_BESIDE = (60, 30, 760, 700)
CARD_ON_DESK = (880, 200, 1180, 470)
LIGHT_BLUE_CARD = (235, 205, 170)  # BGR


@pytest.mark.parametrize("desk", [DESK, (150, 155, 160)])
def test_a_card_on_the_desk_beside_the_sheet_is_no_note(
    recognizer: Recognizer, clear_digits: dict[int, list[np.ndarray]], desk: tuple[int, int, int]
) -> None:
    """A card of its own colour lying beside the sheet, not on it: both are paper, neither a note
    (taken for one, it would have had the sheet's handwriting cleared), and both are read. On a
    grey desk light enough to count as paper with them, the desk is left out of the paper (they
    fill the picture), and must be left out of what the card could lie on too."""
    photo = note_on_printed_sheet(
        "9",
        clear_digits,
        note=CARD_ON_DESK,
        note_colour=LIGHT_BLUE_CARD,
        sheet=SHEET_BESIDE,
        sheet_text="2045",
        desk=desk,
    )
    found = find_paper_and_note(photo)
    assert found.paper is not None
    assert found.note is None
    assert sorted(recognizer.read(Frame(photo, "card")).text.split()) == ["2045", "9"]


@pytest.mark.parametrize(("text", "seed", "sheet_level"), [("3", 0, 235), ("6", 2, 235), ("4", 3, 205)])
def test_a_digit_on_a_note_is_read_without_the_print_under_it(
    recognizer: Recognizer, clear_digits: dict[int, list[np.ndarray]], text: str, seed: int, sheet_level: int
) -> None:
    """One digit is too few to be the tallest repeated shape: the sheet's letters were, the digits'
    height was measured on them, and the print read as lines of 1s. The note is found, also on a
    sheet in dimmer light than the note (205: the note is then the lightest paper in the photo),
    and read alone."""
    photo = note_on_printed_sheet(text, clear_digits, seed=seed, sheet_level=sheet_level)
    assert find_paper_and_note(photo).note is not None
    assert recognizer.read(Frame(photo, "note")).text == text


def test_the_sheet_under_a_note_is_not_read(recognizer: Recognizer, clear_digits: dict[int, list[np.ndarray]]) -> None:
    """A note holding handwriting is what the photo is of: the sheet it lies on is background, as
    the desk is, print and handwriting alike (a limitation the README states)."""
    reading = recognizer.read(Frame(note_on_printed_sheet("9", clear_digits, sheet_text="2045"), "note"))
    assert reading.text == "9"


def test_the_sheet_under_a_blank_note_is_read(
    recognizer: Recognizer, clear_digits: dict[int, list[np.ndarray]]
) -> None:
    reading = recognizer.read(Frame(note_on_printed_sheet("", clear_digits, sheet_text="2045"), "note"))
    assert reading.text == "2045"


def test_a_printed_sheet_with_a_few_numbers_is_read_upright(
    recognizer: Recognizer, clear_digits: dict[int, list[np.ndarray]]
) -> None:
    """A sheet of print with one number written under it, and a card on the desk beside it. Its
    lines leave it in doubt which way is up, so it is also prepared and read sideways: turned,
    the printed words are as tall as the digits and as thin as 1s, and hundreds of sure 1s
    outscored the two numbers. A page that lays out far more shapes sideways than upright is not
    turned by that reading."""
    photo = note_on_printed_sheet(
        "9",
        clear_digits,
        note=CARD_ON_DESK,
        note_colour=LIGHT_BLUE_CARD,
        sheet=(60, 120, 700, 690),
        sheet_text="2045",
    )
    reading = recognizer.read(Frame(photo, "print"))
    assert reading.rotation == 0
    assert sorted(reading.text.split()) == ["2045", "9"]
