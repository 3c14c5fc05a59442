"""Side by side, on the same images: digitstream, Tesseract 5, and the tutorial approach.

    python benchmarks/compare.py [--samples samples] [--generated DIR] [--out benchmarks/results]
    python benchmarks/compare.py --quick            # a few images, for the test suite

Methods:
1. digitstream: the `digits read` pipeline, warmed up.
2. Tesseract 5 (Debian's tesseract-ocr) restricted to digits, page segmentation
   modes 6 (a uniform block of text) and 11 (sparse text).
3. The approach of the tutorials this project grew from: external contours of an
   Otsu threshold, each crop resized to 28x28 with no aspect ratio or centring,
   and ``model.predict`` called on one crop at a time, with the same model.

For each: number recall and precision, character error rate, time per image
(median, p95), and digits per second of the classification step alone. Writes
``compare.md``, ``compare.json`` and ``compare.png`` (accuracy against time).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

REPOSITORY = Path(__file__).resolve().parents[1]
# TensorFlow (for the tutorial's model.predict) logs at import unless told not to.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(REPOSITORY))

from recognizer.allocator import keep_freed_buffers  # noqa: E402
from recognizer.classifier import load_classifier, read_model_info  # noqa: E402
from recognizer.decode import Candidate  # noqa: E402
from recognizer.evaluation import MethodResult, Sample, load_samples, run_method  # noqa: E402
from recognizer.group import group_line  # noqa: E402
from recognizer.normalize import normalize_digits  # noqa: E402
from recognizer.pipeline import Recognizer  # noqa: E402
from recognizer.reading import Box, Frame  # noqa: E402

Reader = Callable[[Frame], list[list[str]]]
TESSERACT_INSTALL = "sudo apt-get install tesseract-ocr   (Debian/Ubuntu; `brew install tesseract` on macOS)"


@dataclass
class Row:
    result: MethodResult
    classify_digits_per_second: float | None
    note: str = ""


# --- 1. digitstream


def digitstream_reader() -> tuple[Reader, Callable[[np.ndarray], float]]:
    recognizer = Recognizer(load_classifier())

    def read(frame: Frame) -> list[list[str]]:
        return recognizer.read(frame).number_texts

    def classify_rate(crops: np.ndarray) -> float:
        digits = normalize_digits(list(crops))
        recognizer.classifier.classify(digits)
        started = time.perf_counter()
        recognizer.classifier.classify(digits)
        return len(digits) / (time.perf_counter() - started)

    return read, classify_rate


# --- 2. Tesseract


def tesseract_reader(psm: int) -> Reader:
    import pytesseract

    config = f"--psm {psm} -c tessedit_char_whitelist=0123456789"

    def read(frame: Frame) -> list[list[str]]:
        image = frame.image if frame.image.ndim == 2 else cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB)
        text = pytesseract.image_to_string(image, config=config)
        lines = [[word for word in line.split() if word.isdigit()] for line in text.splitlines()]
        return [line for line in lines if line]

    return read


# --- 3. The tutorial approach


def _tutorial_crops(frame: Frame) -> tuple[list[np.ndarray], list[tuple[int, int, int, int]]]:
    gray = frame.image if frame.image.ndim == 2 else cv2.cvtColor(frame.image, cv2.COLOR_BGR2GRAY)
    blurred = cv2.GaussianBlur(gray, (5, 5), 0)
    _, binary = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    height = frame.height
    crops, boxes = [], []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        # The usual tutorial filter: big enough to be a digit, not the whole page.
        if h < 0.01 * height or h > 0.5 * height or w > 3 * h:
            continue
        crop = binary[y : y + h, x : x + w]
        crops.append(cv2.resize(crop, (28, 28)).astype(np.float32) / 255.0)
        boxes.append((x, y, w, h))
    return crops, boxes


def _tutorial_lines(
    boxes: list[tuple[int, int, int, int]], labels: list[int], confidences: list[float]
) -> list[list[str]]:
    candidates = sorted(
        (
            Candidate(x, y, w, h, label, conf, np.zeros(11, np.float32))
            for (x, y, w, h), label, conf in zip(boxes, labels, confidences)
        ),
        key=lambda c: c.y + c.h / 2,
    )
    rows: list[list[Candidate]] = []
    for candidate in candidates:
        for row in rows:
            last = row[-1]
            if abs((candidate.y + candidate.h / 2) - (last.y + last.h / 2)) < 0.5 * max(candidate.h, last.h):
                row.append(candidate)
                break
        else:
            rows.append([candidate])
    lines = []
    for row in rows:
        row.sort(key=lambda c: c.x)
        line = group_line(row, [0] * len(row), lambda c: Box(c.x, c.y, c.w, c.h), 0.0)
        if line is not None:
            lines.append([number.text for number in line.numbers])
    return lines


def tutorial_reader(per_crop: bool = True) -> tuple[Reader, Callable[[np.ndarray], float]]:
    """The tutorial pipeline. ``per_crop=False`` gives the same answers from one batched call per image."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    model = keras.models.load_model(read_model_info().file("keras"), compile=False)

    def read(frame: Frame) -> list[list[str]]:
        crops, boxes = _tutorial_crops(frame)
        if not crops:
            return []
        if per_crop:
            # One model.predict per crop: what the tutorials do.
            outputs = np.stack([model.predict(crop[None, :, :, None], verbose=0)[0] for crop in crops])
        else:
            outputs = np.asarray(model(np.stack(crops)[:, :, :, None], training=False))
        digits = outputs[:, :10]
        return _tutorial_lines(boxes, [int(i) for i in digits.argmax(axis=1)], [float(c) for c in digits.max(axis=1)])

    def classify_rate(crops: np.ndarray) -> float:
        batch = crops.astype(np.float32)[:, :, :, None] / 255.0
        model.predict(batch[:1], verbose=0)
        started = time.perf_counter()
        for crop in batch:
            model.predict(crop[None], verbose=0)
        return len(batch) / (time.perf_counter() - started)

    return read, classify_rate


# --- report


def _format(rows: list[Row], images: int, digits: int) -> str:
    notes = [f"{row.result.name}: {row.note}." for row in rows if row.note]
    lines = [
        f"Same {images} images ({digits:,} digits), one run on this machine. " + " ".join(notes),
        "",
        "| method | number recall | number precision | CER | median ms/image | p95 ms/image | classification digits/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        score = row.result.score
        rate = f"{row.classify_digits_per_second:,.0f}" if row.classify_digits_per_second else "–"
        lines.append(
            f"| {row.result.name} | {score.recall:.2%} | {score.precision:.2%} | {score.character_error_rate:.2%} "
            f"| {row.result.median_ms:,.1f} | {row.result.p95_ms:,.1f} | {rate} |"
        )
    return "\n".join(lines)


def _plot(rows: list[Row], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=110)
    for row in rows:
        axes.scatter(row.result.median_ms, row.result.score.recall * 100, s=70)
        axes.annotate(
            row.result.name.split(":")[0],
            (row.result.median_ms, row.result.score.recall * 100),
            textcoords="offset points",
            xytext=(6, 4),
            fontsize=8,
        )
    axes.set_xscale("log")
    axes.set_xlabel("median time per image (ms, log scale)")
    axes.set_ylabel("number recall (%)")
    axes.set_title("Accuracy against time per image (same images)")
    axes.grid(True, alpha=0.3)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=Path, default=REPOSITORY / "samples")
    parser.add_argument("--generated", type=Path, help="a larger set made by samples/make_samples.py with another seed")
    parser.add_argument("--out", type=Path, default=REPOSITORY / "benchmarks" / "results")
    parser.add_argument("--quick", action="store_true", help="three images per kind: keeps the script working in tests")
    parser.add_argument("--limit", type=int, help="at most this many images per folder")
    parser.add_argument(
        "--tutorial-timed",
        type=int,
        default=8,
        help="images the tutorial approach is timed on (per-crop predict takes seconds an image); "
        "its accuracy is measured on all of them, from the same model outputs computed in one call",
    )
    args = parser.parse_args()
    keep_freed_buffers()  # as `digits read` does

    samples: list[Sample] = load_samples(args.samples)
    if args.generated is not None:
        samples += load_samples(args.generated)
    if args.quick or args.limit:
        keep = 3 if args.quick else args.limit
        samples = [s for kind in ("pages", "photos") for s in [x for x in samples if x.kind == kind][:keep]]
    if not samples:
        sys.exit(f"no samples with truth files under {args.samples}")
    digits = sum(s.digit_count for s in samples)
    crops_for_rate = np.concatenate([_tutorial_crops_as_uint8(s.frame) for s in samples[:10]])[:512]

    rows: list[Row] = []
    read, rate = digitstream_reader()
    print(f"digitstream on {len(samples)} images ...", file=sys.stderr)
    rows.append(Row(run_method("digitstream", read, samples, warmup=3), rate(crops_for_rate)))

    if shutil.which("tesseract"):
        # The two page segmentation modes run side by side, one single-threaded process per core.
        os.environ["OMP_THREAD_LIMIT"] = "1"
        print("Tesseract --psm 6 and --psm 11 ...", file=sys.stderr)
        with ThreadPoolExecutor(2) as pool:
            futures = [
                pool.submit(run_method, f"Tesseract 5, --psm {psm}", tesseract_reader(psm), samples, 1, 1)
                for psm in (6, 11)
            ]
            rows.extend(Row(future.result(), None) for future in futures)
    else:
        print(f"Tesseract is not installed: skipped. Install it with: {TESSERACT_INSTALL}", file=sys.stderr)

    print("tutorial approach ...", file=sys.stderr)
    timed_read, tutorial_rate = tutorial_reader(per_crop=True)
    batched_read, _ = tutorial_reader(per_crop=False)
    timed = run_method("tutorial", timed_read, samples[:: max(1, len(samples) // args.tutorial_timed)], warmup=1)
    tutorial = run_method("tutorial: contours + resize + predict per crop", batched_read, samples, warmup=1)
    tutorial.seconds, tutorial.seconds_by_kind = timed.seconds, timed.seconds_by_kind
    rows.append(Row(tutorial, tutorial_rate(crops_for_rate[:200]), f"timed on {len(timed.seconds)} images"))

    args.out.mkdir(parents=True, exist_ok=True)
    table = _format(rows, len(samples), digits)
    if not shutil.which("tesseract"):
        table += f"\n\nTesseract was not installed, so it is missing above. {TESSERACT_INSTALL}"
    print(table)
    (args.out / "compare.md").write_text(table + "\n", encoding="utf-8")
    (args.out / "compare.json").write_text(
        json.dumps(
            {
                "images": len(samples),
                "digits": digits,
                "methods": [
                    {
                        "name": row.result.name,
                        **row.result.score.to_json(),
                        "median_ms": round(row.result.median_ms, 2),
                        "p95_ms": round(row.result.p95_ms, 2),
                        "classification_digits_per_second": round(row.classify_digits_per_second)
                        if row.classify_digits_per_second
                        else None,
                    }
                    for row in rows
                ],
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    _plot(rows, args.out / "compare.png")
    print(f"\nwrote {args.out}/compare.md, compare.json and compare.png", file=sys.stderr)


def _tutorial_crops_as_uint8(frame: Frame) -> np.ndarray:
    crops, _ = _tutorial_crops(frame)
    if not crops:
        return np.zeros((0, 28, 28), np.uint8)
    return (np.stack(crops) * 255).astype(np.uint8)


if __name__ == "__main__":
    main()
