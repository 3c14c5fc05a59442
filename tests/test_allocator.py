"""Frames read one after another reuse the memory of the frames before (recognizer.allocator).

Counted in page faults, not timed: a fault is the kernel handing the process a fresh page, and
without the tuning glibc hands a reader 1,200-1,500 of them for each 1280x720 frame (its
arrays freed back to the kernel and asked for again), which cost a tenth of the frame's time.
"""

from __future__ import annotations

import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]

# Read as a reader process reads (one OpenCV thread), the video's frames after a few to warm up.
_COUNT_FAULTS = textwrap.dedent(
    """
    import resource, sys
    import cv2
    from recognizer.allocator import keep_freed_buffers
    if not keep_freed_buffers():
        print("refused")
        sys.exit(0)
    cv2.setNumThreads(1)
    from recognizer import Frame, Recognizer, RecognizerOptions, load_classifier
    capture = cv2.VideoCapture(sys.argv[1])
    frames = [capture.read()[1] for _ in range(12)]
    recognizer = Recognizer(load_classifier(), RecognizerOptions(may_be_crop=False))
    for index, image in enumerate(frames[:4]):
        recognizer.read(Frame(image, "desk", index))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for index, image in enumerate(frames[4:], start=4):
        recognizer.read(Frame(image, "desk", index))
    print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / len(frames[4:]))
    """
)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="only glibc's malloc is tuned")
def test_a_reader_reuses_memory_from_frame_to_frame() -> None:
    video = REPOSITORY / "samples" / "video" / "desk.mp4"
    result = subprocess.run(
        [sys.executable, "-c", _COUNT_FAULTS, str(video)],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    output = result.stdout.strip()
    assert output != "refused", "glibc refused the malloc settings"
    faults_per_frame = float(output)
    # Measured: 105-160 tuned, 1,170-1,540 untuned. A frame's arrays alone are over 700 pages.
    assert faults_per_frame < 400, f"{faults_per_frame:.0f} fresh pages a frame: freed buffers went back to the kernel"
