"""digitstream's recognizer: handwritten digits from pages and cameras, as readings.

The public surface is re-exported here and pinned by a test::

    from recognizer import Recognizer, load_classifier, read_pages

    recognizer = Recognizer(load_classifier())
    for page in read_pages("form.pdf"):
        print(recognizer.read(page.frame).text)
"""

from __future__ import annotations

__version__ = "0.1.0"

from recognizer.classifier import Classifier, ModelError, Predictions, load_classifier
from recognizer.inputs import InputError, PageResult, read_pages
from recognizer.normalize import normalize_digit, normalize_digits
from recognizer.pipeline import Recognizer, RecognizerOptions
from recognizer.reading import Box, Digit, Frame, Line, Number, Reading

__all__ = [
    "__version__",
    "Box",
    "Classifier",
    "Digit",
    "Frame",
    "InputError",
    "Line",
    "ModelError",
    "Number",
    "PageResult",
    "Predictions",
    "Reading",
    "Recognizer",
    "RecognizerOptions",
    "load_classifier",
    "normalize_digit",
    "normalize_digits",
    "read_pages",
]
