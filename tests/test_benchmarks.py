"""Short runs of the benchmark scripts, so that they keep working (their numbers are not checked here)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPOSITORY

pytestmark = pytest.mark.slow


def run_script(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *arguments], capture_output=True, text=True, cwd=REPOSITORY, timeout=900, check=False
    )


def test_read_benchmark_prints_its_table(tmp_path: Path) -> None:
    report = tmp_path / "read.json"
    result = run_script("benchmarks/read_bench.py", "--quick", "--json", str(report))
    assert result.returncode == 0, result.stderr
    assert "| A4 pages |" in result.stdout and "| 1280x720 photos |" in result.stdout
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["A4 pages"]["median_ms"] > 0
    assert data["cold_start"]["median_s"] > 0
    # The machine's own speed, timed beside the run, and the medians in multiples of it.
    assert data["machine_reference_ms"]["before"] > 0 and data["machine_reference_ms"]["after"] > 0
    assert data["A4 pages"]["median_in_references"] > 0
    assert "Machine reference (benchmarks/machine.py)" in result.stdout
    # One job, and one per core (at least two).
    assert data["batch"]["inputs"] == 6 and "1" in data["batch"]["seconds"] and len(data["batch"]["seconds"]) == 2


def test_comparison_runs_every_method_on_the_same_images(tmp_path: Path) -> None:
    if not shutil.which("tesseract") and os.environ.get("DIGITSTREAM_CI"):
        pytest.fail("CI must run the comparison with Tesseract: install tesseract-ocr")
    result = run_script("benchmarks/compare.py", "--quick", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "compare.json").read_text(encoding="utf-8"))
    names = [method["name"] for method in data["methods"]]
    assert names[0] == "digitstream"
    assert names[-1].startswith("tutorial")
    if shutil.which("tesseract"):
        assert any(name.startswith("Tesseract") for name in names)
    else:
        assert "Tesseract is not installed" in result.stderr
    assert data["images"] == 6
    assert (tmp_path / "compare.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| digitstream |" in (tmp_path / "compare.md").read_text(encoding="utf-8")


def test_serve_benchmark_measures_latency(tmp_path: Path) -> None:
    report = tmp_path / "serve.json"
    result = run_script("benchmarks/serve_bench.py", "--duration", "4", "--max-streams", "2", "--json", str(report))
    assert result.returncode == 0, result.stderr
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["one_stream"]["p95_ms"] > 0
    assert data["hundred_subscribers"]["p95_all_subscribers_ms"] > 0
    assert "| 1 stream, 100 subscribers |" in result.stdout
    alternating = data["hundred_subscribers_alternating"]
    assert alternating["readings_alone"] > 0 and alternating["readings_with_crowd"] > 0
    assert "100 subscribers in one server run" in result.stdout


def test_hub_benchmark_compares_direct_and_queued_writes() -> None:
    result = run_script("benchmarks/hub_bench.py", "--subscribers", "5", "--readings", "20", "--rounds", "1")
    assert result.returncode == 0, result.stderr
    assert "| direct writes (the service) |" in result.stdout and "| queued, a sender task each |" in result.stdout
    assert "the CPU of direct writes" in result.stdout
