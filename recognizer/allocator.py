"""Keep the memory of freed frame-sized buffers in the process, so the next frame reuses it.

Reading a frame allocates and frees dozens of image-sized arrays (a 1280x720 frame in
colour is 2.7 MB). glibc's malloc serves allocations over its mmap threshold with fresh
pages from the kernel and gives them back when they are freed, so every such array of
every frame pays a page fault per 4 KB touched, and the kernel zeroes each page. glibc
raises that threshold by itself once a large block is freed, but only up to the block's
size, and it trims the heap back whenever its free top grows past twice the threshold:
a reader process still took 1,200-1,500 page faults a frame of the bundled video.

With the threshold fixed at :data:`MMAP_THRESHOLD` and trimming only above
:data:`TRIM_THRESHOLD`, freed buffers stay in the heap and the next frame's arrays
reuse them: 105-160 faults a frame. Measured on the bundled video with one OpenCV thread
(as a reader process runs), medians of 100 frames: 42-46 ms a frame instead of 46-51 ms.
The cost: a process keeps the free heap its largest pictures left (only the heap's free top
is ever given back, above TRIM_THRESHOLD), instead of returning it between pictures.
"""

from __future__ import annotations

import ctypes
import sys

__all__ = ["FALLBACK_MMAP_THRESHOLD", "MMAP_THRESHOLD", "TRIM_THRESHOLD", "keep_freed_buffers"]

# Blocks up to this size come from the heap: every image array of a page up to 300 dpi A4 in
# colour (26 MB) and any float copy of one smaller than that. Older glibc accepts at most half
# its heap size (32 MB on 64-bit builds): then FALLBACK_MMAP_THRESHOLD, which still holds a frame.
MMAP_THRESHOLD = 64 * 1024 * 1024
FALLBACK_MMAP_THRESHOLD = 32 * 1024 * 1024
# Free heap above this much is given back to the kernel: a few frames' worth of buffers stays.
TRIM_THRESHOLD = 256 * 1024 * 1024
# glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def keep_freed_buffers() -> bool:
    """Tune glibc's malloc as described above. True when both settings took; False on any other C
    library (nothing changed) or if glibc refused one (the other may have taken)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        # The symbols the process already has (libc's among them): no library search at startup.
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # musl and others have no mallopt
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    # mallopt returns 1 on success, 0 for a value it refuses. Each setting is tried on its own.
    mmap_set = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) or bool(
        mallopt(_M_MMAP_THRESHOLD, FALLBACK_MMAP_THRESHOLD)
    )
    trim_set = bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return mmap_set and trim_set
