"""Keep the memory of freed frame-sized buffers in the process, so the next frame reuses it.

Reading a frame allocates and frees dozens of image-sized arrays (a 1280x720 frame in
colour is 2.7 MB). glibc's malloc serves allocations over its mmap threshold with fresh
pages from the kernel and gives them back when they are freed, so every such array of
every frame pays a page fault per 4 KB touched, and the kernel zeroes each page. glibc
raises that threshold by itself once a large block is freed, but only up to the block's
size, and it trims the heap back whenever its free top grows past twice the threshold:
a reader process still took about 700 page faults a frame (2.8 MB of fresh pages).

With the threshold fixed at :data:`MMAP_THRESHOLD` and trimming only above
:data:`TRIM_THRESHOLD`, freed buffers stay in the heap and the next frame's arrays
reuse them. Measured on the bundled video with one OpenCV thread (as a reader process
runs): a frame read in 43-45 ms instead of 46-51 ms. The cost is that the process keeps
its high-water mark of free heap (up to TRIM_THRESHOLD) instead of returning it.
"""

from __future__ import annotations

import ctypes
import sys

__all__ = ["MMAP_THRESHOLD", "TRIM_THRESHOLD", "keep_freed_buffers"]

# Blocks up to this size come from the heap: every image array of a page up to 300 dpi A4 in
# colour (26 MB) and any float copy of one smaller than that.
MMAP_THRESHOLD = 64 * 1024 * 1024
# Free heap above this much is given back to the kernel: a few frames' worth of buffers stays.
TRIM_THRESHOLD = 256 * 1024 * 1024
# glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def keep_freed_buffers() -> bool:
    """Tune glibc's malloc as described above; False (and nothing changed) on any other C library."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        # The symbols the process already has (libc's among them): no library search at startup.
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # musl and others have no mallopt
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    # mallopt returns 1 on success; glibc refuses an mmap threshold over 32 MB on 32-bit builds.
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
