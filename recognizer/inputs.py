"""Turn files into frames: images, multi-page TIFFs, PDFs, folders and standard input.

Decoding is done by Pillow (EXIF orientation, TIFF pages, WebP, BMP) and
PDFium through pypdfium2 (PDF pages). Every failure becomes an
:class:`InputError` naming the file, the page when there is one, and the
reason, so a batch reports the bad page and goes on with the rest.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from recognizer.reading import Frame

if TYPE_CHECKING:
    import pypdfium2
    from PIL.Image import Image as PILImage

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "IMAGE_SUFFIXES",
    "InputError",
    "PageResult",
    "STDIN",
    "expand_paths",
    "read_pages",
    "decode_image_bytes",
]

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"})
PDF_SUFFIX = ".pdf"
READABLE_SUFFIXES = IMAGE_SUFFIXES | {PDF_SUFFIX}
STDIN = "-"
# A 600-dpi A4 scan is 35 Mpx; anything far above that is more likely a decompression bomb.
DEFAULT_MAX_PIXELS = 100_000_000
# Scanned PDFs are rendered at the resolution of their page image, within these bounds.
PDF_DEFAULT_DPI = 200
PDF_MIN_DPI, PDF_MAX_DPI = 100, 300


class InputError(Exception):
    """An input (or one page of it) could not be read."""

    def __init__(self, source: str, reason: str, page: int | None = None) -> None:
        self.source = source
        self.reason = reason
        self.page = page
        where = source if page is None else f"{source} (page {page + 1})"
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class PageResult:
    """One page of an input: a frame, or the error that stopped it from being read."""

    source: str
    page: int
    frame: Frame | None = None
    error: InputError | None = None


def expand_paths(paths: Iterable[str]) -> Iterator[str | InputError]:
    """Folders become their supported files (sorted, recursive); missing paths become errors."""
    for raw in paths:
        if raw == STDIN:
            yield raw
            continue
        path = Path(raw)
        try:
            is_folder, exists = path.is_dir(), path.exists()
        except OSError as error:  # a name too long, a folder on the way that cannot be entered
            yield InputError(raw, f"cannot access: {error.strerror or error}")
            continue
        if is_folder:
            unreadable: list[InputError] = []
            found = sorted(_supported_files(path, unreadable))
            yield from unreadable
            if not found and not unreadable:
                yield InputError(raw, "folder holds no PNG, JPEG, BMP, WebP, TIFF or PDF files")
            yield from (str(p) for p in found)
        elif exists:
            yield raw
        else:
            yield InputError(raw, "no such file or folder")


def _supported_files(folder: Path, unreadable: list[InputError]) -> Iterator[Path]:
    """Supported files under ``folder``; subfolders that cannot be listed are reported, not skipped."""

    def report(error: OSError) -> None:
        unreadable.append(InputError(str(error.filename or folder), f"cannot list folder: {error.strerror or error}"))

    for root, _, names in os.walk(folder, onerror=report):
        for name in names:
            candidate = Path(root) / name
            if candidate.suffix.lower() in READABLE_SUFFIXES and candidate.is_file():
                yield candidate


def _reason(error: BaseException) -> str:
    return str(error) or type(error).__name__


def _pil_to_bgr(image: PILImage, source: str, page: int) -> npt.NDArray[np.uint8]:
    from PIL import Image

    if image.width == 0 or image.height == 0:
        raise InputError(source, "image has zero width or height", page)
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        array = np.asarray(image, dtype=np.float64)
        peak = float(array.max()) or 1.0
        return np.ascontiguousarray((array * (255.0 / peak)).clip(0, 255).astype(np.uint8))
    if mode in ("1", "L"):
        return np.asarray(image.convert("L"), dtype=np.uint8).copy()
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in image.info):
        # Transparent areas are paper: composite on white rather than on black.
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    return np.ascontiguousarray(rgb[:, :, ::-1])


def _check_pixels(width: int, height: int, max_pixels: int, source: str, page: int | None) -> None:
    if width <= 0 or height <= 0:
        raise InputError(source, "image has zero width or height", page)
    if width * height > max_pixels:
        raise InputError(
            source,
            f"image is {width}x{height} = {width * height / 1e6:.0f} Mpx, over the limit of "
            f"{max_pixels / 1e6:.0f} Mpx (a decompression bomb?); raise --max-pixels to read it",
            page,
        )


def _read_pillow(data: io.BytesIO | Path, source: str, max_pixels: int) -> Iterator[PageResult]:
    from PIL import Image, ImageOps, UnidentifiedImageError

    # Every page's size is checked against max_pixels (_check_pixels) before it is decoded,
    # which replaces Pillow's fixed bomb limit with the user's and gives one clear message.
    Image.MAX_IMAGE_PIXELS = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            opened = Image.open(data)
    except UnidentifiedImageError:
        yield PageResult(
            source, 0, error=InputError(source, "not an image Pillow can identify (unsupported or corrupt)")
        )
        return
    except Image.DecompressionBombError as error:
        yield PageResult(source, 0, error=InputError(source, f"decompression bomb refused: {error}"))
        return
    except OSError as error:
        yield PageResult(source, 0, error=InputError(source, f"cannot open: {error.strerror or error}"))
        return
    except Exception as error:  # noqa: BLE001 - Pillow's plugins raise many kinds on corrupt files
        yield PageResult(source, 0, error=InputError(source, f"corrupt image: {_reason(error)}"))
        return
    with opened:
        broken_chain: InputError | None = None
        try:
            # Counting a TIFF's pages walks its page chain, which a corrupt file breaks.
            pages = int(getattr(opened, "n_frames", 1))
        except Exception as error:  # noqa: BLE001
            # The first page may still be whole: read it, and report the rest as lost.
            pages = 1
            broken_chain = InputError(source, f"corrupt page list, later pages lost: {_reason(error)}", 1)
            with contextlib.suppress(Exception):
                opened.seek(0)
        for page in range(pages):
            try:
                opened.seek(page)
                _check_pixels(opened.width, opened.height, max_pixels, source, page)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                    opened.load()
                    # Phones store sideways photos with an EXIF tag; apply it so boxes match what viewers show.
                    upright = ImageOps.exif_transpose(opened) if page == 0 else opened.copy()
                image = _pil_to_bgr(upright, source, page)
            except InputError as error:
                yield PageResult(source, page, error=error)
                continue
            except Exception as error:  # noqa: BLE001 - any decoder failure is this page's error
                reason = _reason(error)
                if "truncated" in reason:
                    reason = "file is truncated (incomplete download or copy?)"
                yield PageResult(source, page, error=InputError(source, f"cannot decode: {reason}", page))
                continue
            yield PageResult(source, page, frame=Frame(image=image, source=source, index=page))
        if broken_chain is not None:
            yield PageResult(source, 1, error=broken_chain)


def _pdf_page_dpi(page: pypdfium2.PdfPage) -> int:
    """The resolution of the page's largest image (a scan), else a default that suits handwriting."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    width_points = page.get_width()
    best = 0.0
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        if not isinstance(obj, pdfium.PdfImage):
            continue
        pixels_wide, _ = obj.get_px_size()
        left, _, right, _ = obj.get_bounds()
        if right - left > 0.5 * width_points:
            best = max(best, pixels_wide / ((right - left) / 72.0))
    if best <= 0:
        return PDF_DEFAULT_DPI
    return int(min(PDF_MAX_DPI, max(PDF_MIN_DPI, round(best))))


def _bgr(pixels: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    # PDFium hands out BGR(A) or grey, OpenCV's own orders; drop alpha.
    return np.ascontiguousarray(pixels[:, :, :3]) if pixels.ndim == 3 else pixels


def _scanned_image(
    page: pypdfium2.PdfPage, max_pixels: int, source: str, page_index: int
) -> npt.NDArray[np.uint8] | None:
    """The pixels of a page that is nothing but one upright image (a scan), as stored.

    Rendering such a page resamples the scan (PDFium rounds the page size up a
    pixel), which blurs thin strokes; taking the image itself keeps every pixel.
    Any other page (several objects, a rotated or flipped image) returns None and is rendered.
    """
    import pypdfium2 as pdfium

    objects = list(page.get_objects(max_depth=1))
    if len(objects) != 1 or not isinstance(objects[0], pdfium.PdfImage) or page.get_rotation() != 0:
        return None
    image = objects[0]
    matrix = image.get_matrix()
    if matrix.b != 0 or matrix.c != 0 or matrix.a <= 0 or matrix.d <= 0:
        return None
    left, bottom, right, top = image.get_bounds()
    if (right - left) * (top - bottom) < 0.98 * page.get_width() * page.get_height():
        return None
    width, height = image.get_px_size()
    _check_pixels(width, height, max_pixels, source, page_index)
    return _bgr(image.get_bitmap(render=False).to_numpy())


def _read_pdf(data: bytes | Path, source: str, max_pixels: int) -> Iterator[PageResult]:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except Exception as error:  # noqa: BLE001 - PdfiumError, or OSError for a file that vanished
        yield PageResult(source, 0, error=InputError(source, f"not a readable PDF ({_reason(error)})"))
        return
    try:
        for page_index in range(len(document)):
            try:
                page = document[page_index]
                image = _scanned_image(page, max_pixels, source, page_index)
                if image is None:
                    dpi = _pdf_page_dpi(page)
                    scale = dpi / 72.0
                    _check_pixels(
                        round(page.get_width() * scale),
                        round(page.get_height() * scale),
                        max_pixels,
                        source,
                        page_index,
                    )
                    image = _bgr(page.render(scale=scale, grayscale=False).to_numpy())
                yield PageResult(source, page_index, frame=Frame(image=image, source=source, index=page_index))
            except InputError as error:
                yield PageResult(source, page_index, error=error)
            except Exception as error:  # noqa: BLE001 - PDFium and numpy errors alike: this page only
                yield PageResult(
                    source, page_index, error=InputError(source, f"cannot render page: {_reason(error)}", page_index)
                )
    finally:
        document.close()


def _looks_like_pdf(head: bytes) -> bool:
    return head.lstrip()[:5] == b"%PDF-"


def read_pages(source: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> Iterator[PageResult]:
    """Every page of one input (a path, or ``-`` for standard input) as frames or errors."""
    if source == STDIN:
        data = sys.stdin.buffer.read()
        if not data:
            yield PageResult(source, 0, error=InputError("<stdin>", "standard input is empty"))
            return
        if _looks_like_pdf(data[:1024]):
            yield from _read_pdf(data, "<stdin>", max_pixels)
        else:
            yield from _read_pillow(io.BytesIO(data), "<stdin>", max_pixels)
        return
    path = Path(source)
    try:
        with path.open("rb") as handle:
            head = handle.read(1024)
    except IsADirectoryError:
        yield PageResult(source, 0, error=InputError(source, "is a folder"))
        return
    except OSError as error:
        yield PageResult(source, 0, error=InputError(source, f"cannot open: {error.strerror or error}"))
        return
    if not head:
        yield PageResult(source, 0, error=InputError(source, "file is empty (0 bytes)"))
        return
    if _looks_like_pdf(head):
        yield from _read_pdf(path, source, max_pixels)
    else:
        yield from _read_pillow(path, source, max_pixels)


def decode_image_bytes(data: bytes, source: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> Frame:
    """Decode one uploaded image (PNG, JPEG, ...); raises :class:`InputError`."""
    if not data:
        raise InputError(source, "empty upload")
    for result in _read_pillow(io.BytesIO(data), source, max_pixels):
        if result.error is not None:
            raise result.error
        if result.frame is not None:
            return result.frame
    raise InputError(source, "no image in upload")
