"""`digits read` as a user runs it: every input format, the output formats, every bad input, exit codes."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from recognizer.cli import app
from recognizer.reading import Frame, Reading
from recognizer.scoring import load_truth
from recognizer.service.reader_process import ReaderProcess
from tests.conftest import SAMPLES
from tests.samples_index import CLEAN_PAGE, CLEAN_PHOTO

runner = CliRunner()


def numbers_of(text: str) -> list[str]:
    return sorted(text.split())


@pytest.fixture(scope="module")
def clean_photo() -> tuple[Image.Image, list[str]]:
    path = SAMPLES / CLEAN_PHOTO
    truth = load_truth(path.with_suffix(".truth.json"))[0]
    return Image.open(path).convert("RGB"), sorted(truth.numbers)


@pytest.mark.parametrize(
    ("suffix", "options"),
    [(".png", {}), (".jpg", {"quality": 95}), (".bmp", {}), (".webp", {"quality": 95}), (".tif", {})],
)
def test_every_image_format_reads_the_same_numbers(
    tmp_path: Path, clean_photo: tuple[Image.Image, list[str]], suffix: str, options: dict[str, Any]
) -> None:
    image, expected = clean_photo
    path = tmp_path / f"photo{suffix}"
    image.save(path, **options)
    result = runner.invoke(app, ["read", str(path)])
    assert result.exit_code == 0, result.output
    assert numbers_of(result.stdout) == expected


def test_multi_page_tiff_and_pdf_read_every_page(tmp_path: Path, clean_photo: tuple[Image.Image, list[str]]) -> None:
    image, expected = clean_photo
    blank = Image.new("RGB", image.size, "white")
    tiff = tmp_path / "pages.tif"
    image.save(tiff, save_all=True, append_images=[blank, image])
    pdf = tmp_path / "pages.pdf"
    image.save(pdf, save_all=True, append_images=[blank, image], resolution=150)
    for path in (tiff, pdf):
        result = runner.invoke(app, ["read", "--json", str(path)])
        assert result.exit_code == 0, result.output
        pages = [json.loads(line) for line in result.stdout.splitlines()]
        assert [p["page"] for p in pages] == [0, 1, 2]
        assert numbers_of(pages[0]["text"]) == expected
        assert pages[1]["text"] == "" and pages[1]["lines"] == []
        assert numbers_of(pages[2]["text"]) == expected


def test_text_output_separates_pages_with_a_blank_line(
    tmp_path: Path, clean_photo: tuple[Image.Image, list[str]]
) -> None:
    image, expected = clean_photo
    path = tmp_path / "two.tif"
    image.save(path, save_all=True, append_images=[image])
    result = runner.invoke(app, ["read", str(path)])
    assert result.exit_code == 0
    first, second = result.stdout.rstrip("\n").split("\n\n")
    assert numbers_of(first) == numbers_of(second) == expected
    for line in first.splitlines():
        assert line == line.strip() and "  " not in line


def test_folder_and_standard_input(tmp_path: Path, clean_photo: tuple[Image.Image, list[str]]) -> None:
    image, expected = clean_photo
    folder = tmp_path / "scans"
    (folder / "nested").mkdir(parents=True)
    image.save(folder / "a.png")
    image.save(folder / "nested" / "b.jpg", quality=95)
    (folder / "notes.txt").write_text("not an image", encoding="utf-8")
    result = runner.invoke(app, ["read", "--json", str(folder)])
    assert result.exit_code == 0, result.output
    sources = [json.loads(line)["source"] for line in result.stdout.splitlines()]
    assert sources == [str(folder / "a.png"), str(folder / "nested" / "b.jpg")]

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    process = subprocess.run(
        [sys.executable, "-m", "recognizer", "read", "-"], input=buffer.getvalue(), capture_output=True, check=False
    )
    assert process.returncode == 0, process.stderr
    assert numbers_of(process.stdout.decode()) == expected


def test_json_schema(clean_photo: tuple[Image.Image, list[str]]) -> None:
    path = SAMPLES / CLEAN_PHOTO
    result = runner.invoke(app, ["read", "--json", str(path)])
    assert result.exit_code == 0
    (page,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert page["source"] == str(path)
    assert page["page"] == 0
    assert (page["width"], page["height"]) == clean_photo[0].size
    assert isinstance(page["text"], str)
    for line in page["lines"]:
        assert set(line) >= {"numbers"}
        for number in line["numbers"]:
            assert {"text", "confidence", "box", "digits"} <= set(number)
            assert 0.0 <= number["confidence"] <= 1.0
            assert len(number["box"]) == 4 and all(isinstance(v, int) for v in number["box"])
            assert number["text"] == "".join(d["text"] for d in number["digits"])
            for digit in number["digits"]:
                assert {"label", "confidence", "box"} <= set(digit)
                assert 0 <= digit["label"] <= 9
                x, y, w, h = digit["box"]
                assert 0 <= x and 0 <= y and x + w <= page["width"] and y + h <= page["height"]
    assert page["text"] == "\n".join(" ".join(n["text"] for n in line["numbers"]) for line in page["lines"])


def test_low_confidence_digits_are_marked(tmp_path: Path) -> None:
    path = SAMPLES / CLEAN_PHOTO
    strict = runner.invoke(app, ["read", "--json", "--min-confidence", "1.0", str(path)])
    assert strict.exit_code == 0
    page = json.loads(strict.stdout)
    digits = [d for line in page["lines"] for n in line["numbers"] for d in n["digits"]]
    assert digits and all(d["text"] == "?" for d in digits if d["confidence"] < 1.0)
    assert "?" in page["text"]


def test_annotate_writes_each_page(tmp_path: Path, clean_photo: tuple[Image.Image, list[str]]) -> None:
    image, _ = clean_photo
    tiff = tmp_path / "scan.tif"
    image.save(tiff, save_all=True, append_images=[image])
    out = tmp_path / "annotated"
    result = runner.invoke(app, ["read", "--annotate", str(out), str(tiff), str(SAMPLES / CLEAN_PAGE)])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(["scan.png", "scan-p2.png", f"{Path(CLEAN_PAGE).stem}.png"])
    drawn = np.asarray(Image.open(out / "scan.png").convert("RGB"))
    original = np.asarray(image)
    assert drawn.shape == original.shape
    assert np.count_nonzero(np.any(drawn != original, axis=2)) > 500  # boxes and labels were drawn


def _png_claiming(width: int, height: int) -> bytes:
    """A real PNG file whose header claims an enormous image (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.png", b"", "file is empty"),
        ("notes.png", b"these are my notes, not a picture", "not an image"),
        ("truncated.png", None, "truncated"),
        ("bomb.png", _png_claiming(40_000, 40_000), "over the limit"),
    ],
)
def test_bad_input_is_reported_and_the_rest_still_read(
    tmp_path: Path, clean_photo: tuple[Image.Image, list[str]], name: str, content: bytes | None, message: str
) -> None:
    image, expected = clean_photo
    good = tmp_path / "good.png"
    image.save(good)
    bad = tmp_path / name
    if content is None:
        data = good.read_bytes()
        bad.write_bytes(data[: len(data) // 3])
    else:
        bad.write_bytes(content)
    result = runner.invoke(app, ["read", str(bad), str(good)])
    assert result.exit_code == 1
    assert str(bad) in result.stderr and message in result.stderr
    assert "Traceback" not in result.output
    assert numbers_of(result.stdout) == expected


def test_the_command_in_its_own_process_loses_nothing_and_keeps_its_exit_code(
    tmp_path: Path, clean_photo: tuple[Image.Image, list[str]]
) -> None:
    """`digits read` as a user runs it, in a process of its own. After the last page it ends without
    the interpreter's teardown (cli.main), so nothing may be lost on the way: every reading printed
    to the pipe, every annotation written, the bad input named, and the exit code kept."""
    image, expected = clean_photo
    good = tmp_path / "good.png"
    image.save(good)
    bad = tmp_path / "cut.png"
    bad.write_bytes(good.read_bytes()[:200])
    drawn = tmp_path / "drawn"
    command = [sys.executable, "-m", "recognizer", "read", "--json", "--annotate", str(drawn)]
    process = subprocess.run([*command, str(bad), str(good)], capture_output=True, text=True, check=False)
    assert process.returncode == 1
    assert str(bad) in process.stderr and "Traceback" not in process.stderr
    readings = [json.loads(line) for line in process.stdout.splitlines()]
    assert [reading["source"] for reading in readings] == [str(good)]
    assert sorted(number["text"] for line in readings[0]["lines"] for number in line["numbers"]) == expected
    assert (drawn / "good.png").stat().st_size > 0
    assert subprocess.run([*command, str(good)], capture_output=True, check=False).returncode == 0


def test_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["read", str(tmp_path / "nope.png")])
    assert result.exit_code == 1
    assert "no such file" in result.stderr


def test_one_bad_page_is_reported_and_the_other_pages_read(
    tmp_path: Path, clean_photo: tuple[Image.Image, list[str]]
) -> None:
    image, expected = clean_photo
    tiff = tmp_path / "batch.tif"
    oversized = Image.new("RGB", (3000, 3000), "white")
    image.save(tiff, save_all=True, append_images=[oversized, image])
    result = runner.invoke(app, ["read", "--json", "--max-pixels", "2000000", str(tiff)])
    assert result.exit_code == 1
    assert "(page 2)" in result.stderr and "over the limit" in result.stderr
    pages = [json.loads(line) for line in result.stdout.splitlines()]
    assert [p["page"] for p in pages] == [0, 2]
    assert all(numbers_of(p["text"]) == expected for p in pages)


def test_empty_page_gives_an_empty_reading(tmp_path: Path) -> None:
    path = tmp_path / "blank.png"
    Image.new("L", (800, 600), 245).save(path)
    result = runner.invoke(app, ["read", "--json", str(path)])
    assert result.exit_code == 0
    page = json.loads(result.stdout)
    assert page["lines"] == [] and page["text"] == ""


@pytest.mark.parametrize(
    "arguments",
    [
        ["read"],
        ["read", "--min-confidence", "2", "x.png"],
        ["read", "--no-such-option", "x.png"],
        ["read", "--backend", "cuda", "x.png"],
    ],
)
def test_usage_errors_exit_with_2(arguments: list[str]) -> None:
    result = runner.invoke(app, arguments)
    assert result.exit_code == 2


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["read", "--model", str(tmp_path), str(SAMPLES / CLEAN_PHOTO)])
    assert result.exit_code == 1
    assert "missing digits.json" in result.stderr


def _break_second_page_link(tiff: Path) -> None:
    """Point a little-endian TIFF's link to its second page at garbage, as a damaged copy would."""
    data = bytearray(tiff.read_bytes())
    assert data[:2] == b"II"
    first = struct.unpack("<I", data[4:8])[0]
    entries = struct.unpack("<H", data[first : first + 2])[0]
    link = first + 2 + 12 * entries
    data[link : link + 4] = struct.pack("<I", 3)
    tiff.write_bytes(bytes(data))


def test_a_tiff_with_a_broken_page_list_keeps_its_first_page(
    tmp_path: Path, clean_photo: tuple[Image.Image, list[str]]
) -> None:
    image, expected = clean_photo
    tiff = tmp_path / "damaged.tif"
    image.save(tiff, save_all=True, append_images=[image])
    _break_second_page_link(tiff)
    good = tmp_path / "good.png"
    image.save(good)
    result = runner.invoke(app, ["read", "--json", str(tiff), str(good)])
    assert result.exit_code == 1
    assert "damaged.tif (page 2): corrupt page list" in result.stderr
    assert "Traceback" not in result.output and "Warning" not in result.stderr
    pages = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(Path(p["source"]).name, p["page"]) for p in pages] == [("damaged.tif", 0), ("good.png", 0)]
    assert all(numbers_of(p["text"]) == expected for p in pages)


@pytest.mark.parametrize("size", [(1, 1), (4000, 1), (1, 4000), (7, 7)])
def test_images_too_small_for_a_digit_give_empty_readings(tmp_path: Path, size: tuple[int, int]) -> None:
    path = tmp_path / "pixel.png"
    Image.new("L", size, 0).save(path)
    result = runner.invoke(app, ["read", "--json", str(path)])
    assert result.exit_code == 0, result.output
    page = json.loads(result.stdout)
    assert (page["width"], page["height"]) == size
    assert page["lines"] == []


def test_annotate_into_a_file_is_a_usage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file.png"
    blocker.write_bytes(b"x")
    result = runner.invoke(app, ["read", "--annotate", str(blocker / "out"), str(SAMPLES / CLEAN_PHOTO)])
    assert result.exit_code == 2
    assert "cannot create the --annotate folder" in result.stderr
    assert "Traceback" not in result.output


def test_annotations_of_inputs_with_the_same_name_do_not_overwrite_each_other(
    tmp_path: Path, clean_photo: tuple[Image.Image, list[str]]
) -> None:
    image, _ = clean_photo
    for folder in ("monday", "tuesday"):
        (tmp_path / folder).mkdir()
        image.save(tmp_path / folder / "scan.png")
    out = tmp_path / "annotated"
    result = runner.invoke(
        app, ["read", "--annotate", str(out), str(tmp_path / "monday" / "scan.png"), str(tmp_path / "tuesday")]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["scan-2.png", "scan.png"]


def test_a_path_the_system_refuses_is_reported_and_the_rest_read(
    tmp_path: Path, clean_photo: tuple[Image.Image, list[str]]
) -> None:
    image, expected = clean_photo
    good = tmp_path / "good.png"
    image.save(good)
    too_long = str(tmp_path / ("x" * 300 + ".png"))
    result = runner.invoke(app, ["read", too_long, str(good)])
    assert result.exit_code == 1
    assert "cannot access" in result.stderr and "Traceback" not in result.output
    assert numbers_of(result.stdout) == expected


def test_reading_in_parallel_prints_the_same_output_in_the_same_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pages of different sizes, a multi-page input and a broken file among them: with --jobs 2 the
    # readings are made in two reader processes, but must come out exactly as they do one by one.
    folder = tmp_path / "batch"
    folder.mkdir()
    for sample in sorted((SAMPLES / "pages").glob("*.png"))[:3] + sorted((SAMPLES / "photos").glob("*.jpg"))[:3]:
        (folder / sample.name).write_bytes(sample.read_bytes())
    (folder / "page_001a_truncated.png").write_bytes((SAMPLES / CLEAN_PAGE).read_bytes()[:5000])
    pages = [Image.open(SAMPLES / CLEAN_PHOTO).convert("RGB"), Image.open(SAMPLES / CLEAN_PAGE).convert("RGB")]
    pages[0].save(folder / "scan.tif", save_all=True, append_images=pages[1:])
    one = runner.invoke(app, ["read", "--json", str(folder)])
    # Count the pages the reader processes read (they do the reading; this only counts).
    read_in_processes = []
    original = ReaderProcess.read

    def counted(self: ReaderProcess, frame: Frame) -> Reading:
        read_in_processes.append(frame.source)
        return original(self, frame)

    monkeypatch.setattr(ReaderProcess, "read", counted)
    two = runner.invoke(app, ["read", "--json", "--jobs", "2", str(folder)])
    assert len(read_in_processes) == 3 + 3 + 2
    assert one.exit_code == two.exit_code == 1

    def readings(output: str) -> list[dict[str, Any]]:
        # Everything but the time each reading took.
        return [{k: v for k, v in json.loads(line).items() if k != "elapsed_ms"} for line in output.splitlines()]

    assert readings(two.stdout) == readings(one.stdout)
    assert len(readings(two.stdout)) == 3 + 3 + 2
    assert two.stderr == one.stderr and "page_001a_truncated.png" in two.stderr
