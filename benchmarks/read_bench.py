"""Benchmark `digits read`: speed and accuracy on the bundled samples (or any folder in that format).

    python benchmarks/read_bench.py [--samples samples] [--repeats 5] [--json out.json]

Prints a Markdown table: for A4 pages and for 1280x720 photos, the median and
p95 time per image after warm-up, digits per second, number recall and
character error rate against the truth files; the wall time of a cold
`digits read photo.jpg` (a fresh process, as a user runs it); and the wall time of
`digits read --jobs N` over all the samples at once, for 1 job and for one per core; and the
machine's reference workload (benchmarks/machine.py) timed before and after, with the medians in
multiples of it, so that runs on a slower day can be told from a slower revision.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from benchmarks.machine import reference_ms  # noqa: E402
from recognizer.allocator import keep_freed_buffers  # noqa: E402
from recognizer.classifier import load_classifier  # noqa: E402
from recognizer.evaluation import load_samples, run_method  # noqa: E402
from recognizer.pipeline import Recognizer  # noqa: E402
from recognizer.reading import Frame  # noqa: E402
from recognizer.scoring import Score  # noqa: E402


def cold_start_seconds(image: Path, runs: int) -> list[float]:
    """Wall time of `digits read IMAGE` in a new process, as a user would type it."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "recognizer", "read", str(image)], check=True, capture_output=True)
        timings.append(time.perf_counter() - started)
    return timings


def batch_seconds(paths: list[Path], jobs: int) -> float:
    """Wall time of `digits read --jobs JOBS PATHS...` in a new process, start-up included."""
    started = time.perf_counter()
    command = [sys.executable, "-m", "recognizer", "read", "--jobs", str(jobs), *map(str, paths)]
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=Path, default=REPOSITORY / "samples")
    parser.add_argument("--repeats", type=int, default=5, help="timed reads of each image")
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--quick", action="store_true", help="three images of each kind, one run: keeps the script working in tests"
    )
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.cold_runs = 1, 1

    reference_before = reference_ms()
    keep_freed_buffers()  # as `digits read` does
    recognizer = Recognizer(load_classifier())

    def reader(frame: Frame) -> list[list[str]]:
        return recognizer.read(frame).number_texts

    samples = load_samples(args.samples)
    pages = [s for s in samples if s.kind == "pages"]
    photos = [s for s in samples if s.kind == "photos" and s.frame.width == 1280 and s.frame.height == 720]
    if args.quick:
        pages, photos = pages[:3], photos[:3]
        samples = pages + photos
    rows = []
    report: dict[str, object] = {}
    for label, group in (("A4 pages", pages), ("1280x720 photos", photos)):
        if not group:
            continue
        result = run_method(label, reader, group, repeats=args.repeats, warmup=min(3, len(group)))
        digits = sum(s.digit_count for s in group)
        total_seconds = sum(result.seconds) / args.repeats
        entry = {
            "images": len(group),
            "digits_per_image": round(digits / len(group), 1),
            "median_ms": round(result.median_ms, 1),
            "p95_ms": round(result.p95_ms, 1),
            "digits_per_second": round(digits / total_seconds),
            **result.score.to_json(),
        }
        report[label] = entry
        rows.append((label, entry))
    photo_for_cold_start = photos[0].path if photos else samples[0].path
    cold = cold_start_seconds(photo_for_cold_start, args.cold_runs)
    report["cold_start"] = {
        "image": str(
            photo_for_cold_start.relative_to(REPOSITORY)
            if photo_for_cold_start.is_relative_to(REPOSITORY)
            else photo_for_cold_start
        ),
        "median_s": round(statistics.median(cold), 3),
        "max_s": round(max(cold), 3),
    }
    # Each sample once: the batch job reads its pages in input order, as a user's folder would be.
    batch_inputs = sorted({s.path for s in samples})
    job_counts = sorted({1, max(2, min(4, os.cpu_count() or 1))})
    batch = {jobs: batch_seconds(batch_inputs, jobs) for jobs in job_counts}
    report["batch"] = {
        "inputs": len(batch_inputs),
        "seconds": {str(jobs): round(seconds, 2) for jobs, seconds in batch.items()},
    }
    overall = Score()
    for sample_group in (pages, [s for s in samples if s.kind == "photos"]):
        if sample_group:
            overall.add(run_method("all", reader, sample_group, repeats=1, warmup=0).score)
    reference_after = reference_ms()
    reference = (reference_before + reference_after) / 2.0
    report["machine_reference_ms"] = {"before": round(reference_before, 2), "after": round(reference_after, 2)}
    for _, entry in rows:
        entry["median_in_references"] = round(float(entry["median_ms"]) / reference, 2)
    report["all_samples"] = overall.to_json()
    report["per_category"] = {category: score.to_json() for category, score in sorted(overall.per_category.items())}

    print("| images | count | digits/image | median ms | p95 ms | digits/s | number recall | CER |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, entry in rows:
        print(
            f"| {label} | {entry['images']} | {entry['digits_per_image']} | {entry['median_ms']} | {entry['p95_ms']} "
            f"| {entry['digits_per_second']:,} | {entry['number_recall']:.2%} | {entry['character_error_rate']:.2%} |"
        )
    print(
        f"\nMachine reference (benchmarks/machine.py): {reference_before:.2f} ms before, {reference_after:.2f} ms after; "
        + ", ".join(f"{label}' median {entry['median_in_references']} times it" for label, entry in rows)
        + "."
    )
    all_samples = report["all_samples"]
    assert isinstance(all_samples, dict)
    print(
        f"\nAll {all_samples['pages']} sample pages and photos: number recall {all_samples['number_recall']:.2%}, "
        f"precision {all_samples['number_precision']:.2%}, CER {all_samples['character_error_rate']:.2%} "
        f"over {all_samples['numbers']} numbers."
    )
    print("\n| category | images | numbers | number recall | number precision | CER |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for category, score in sorted(overall.per_category.items(), key=lambda item: -item[1].recall):
        print(
            f"| {category} | {score.pages} | {score.truth_numbers} | {score.recall:.0%} | {score.precision:.0%} "
            f"| {score.character_error_rate:.1%} |"
        )
    cold_start = report["cold_start"]
    assert isinstance(cold_start, dict)
    print(
        f"Cold `digits read {cold_start['image']}`: median {cold_start['median_s']} s, worst {cold_start['max_s']} s over {args.cold_runs} runs."
    )
    print(f"\n| `digits read --jobs N` on {len(batch_inputs)} inputs | wall s | inputs/s | speed-up |")
    print("| --- | ---: | ---: | ---: |")
    for jobs, seconds in batch.items():
        print(f"| {jobs} | {seconds:.2f} | {len(batch_inputs) / seconds:.1f} | {batch[1] / seconds:.2f}x |")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
