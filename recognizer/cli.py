"""The `digits` command: read, serve, subscribe, train, evaluate.

Exit codes: 0 when everything was read, 1 when some input could not be (each
named on stderr), 2 for usage errors.
"""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from recognizer.allocator import keep_freed_buffers
from trainer.cli import register as register_trainer

app = typer.Typer(
    name="digits",
    help="Read handwritten digits from cameras and scanned pages; stream what is read over websockets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
register_trainer(app)

# Set once `digits read` has finished with one job: main may then skip the interpreter's teardown.
_read_finished = False


class BackendChoice(StrEnum):
    auto = "auto"
    litert = "litert"
    tensorflow = "tensorflow"


ModelOption = Annotated[
    Path | None,
    typer.Option(
        "--model", help="Folder holding digits.json and the model files (default: the shipped model).", file_okay=False
    ),
]
BackendOption = Annotated[
    BackendChoice, typer.Option(help="Inference backend: LiteRT on the CPU, TensorFlow where a GPU is.")
]
MinConfidenceOption = Annotated[
    float,
    typer.Option(min=0.0, max=1.0, help="Digits below this confidence are kept but marked, and printed as '?'."),
]


def error(message: str) -> None:
    typer.secho(f"digits: error: {message}", err=True, fg=typer.colors.RED)


def _annotation_path(directory: Path, source: str, page: int, names: dict[str, str]) -> Path:
    """A file name per input and page, unique within the run: a/scan.pdf and b/scan.pdf get scan and scan-2."""
    if source not in names:
        stem = "stdin" if source in ("-", "<stdin>") else Path(source).stem
        taken = set(names.values())
        name, number = stem, 1
        while name in taken:
            number += 1
            name = f"{stem}-{number}"
        names[source] = name
    suffix = f"-p{page + 1}" if page else ""
    return directory / f"{names[source]}{suffix}.png"


@app.command()
def read(
    paths: Annotated[
        list[str], typer.Argument(help="Images (PNG, JPEG, BMP, WebP, TIFF), PDFs, folders, or - for standard input.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines: one object per page or image.")] = False,
    annotate: Annotated[
        Path | None,
        typer.Option(help="Write each input with its boxes, digits and numbers drawn to this folder.", file_okay=False),
    ] = None,
    min_confidence: MinConfidenceOption = 0.6,
    model: ModelOption = None,
    backend: BackendOption = BackendChoice.auto,
    max_pixels: Annotated[int, typer.Option(min=1, help="Refuse images larger than this many pixels.")] = 100_000_000,
    jobs: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Pages read at once, each in a reader process (one per core helps for many pages; starting them takes about a second).",
        ),
    ] = 1,
) -> None:
    """Read the handwritten numbers in images and PDFs, line by line."""
    import warnings

    keep_freed_buffers()  # each picture's arrays reuse the last one's memory (recognizer.allocator)

    # Pillow warns on stderr about every oddity of a damaged file; what matters reaches the user as
    # one error line per input or page instead.
    warnings.filterwarnings("ignore", module=r"PIL\.")
    from recognizer.prepare import warm_up

    if jobs == 1:
        warm_up()  # while the rest is imported and the model loads (reader processes do their own)
    from recognizer.batch import read_inputs
    from recognizer.classifier import ModelError, load_classifier
    from recognizer.inputs import InputError
    from recognizer.pipeline import Recognizer, RecognizerOptions
    from recognizer.reading import Frame, Reading

    if annotate is not None:
        try:
            annotate.mkdir(parents=True, exist_ok=True)
        except OSError as failure:
            error(f"cannot create the --annotate folder {annotate}: {failure.strerror or failure}")
            raise typer.Exit(code=2) from None
    try:
        classifier = load_classifier(model, backend.value)
        # Loads the string model shipped beside the classifier, which may be missing or damaged too.
        recognizer = Recognizer(classifier, RecognizerOptions(min_confidence=min_confidence))
    except ModelError as failure:
        error(str(failure))
        raise typer.Exit(code=1) from None
    annotation_names: dict[str, str] = {}
    annotations_failed = 0
    first_page = True

    def on_reading(frame: Frame, reading: Reading) -> None:
        nonlocal first_page, annotations_failed
        if as_json:
            typer.echo(json.dumps(reading.to_json()))
        else:
            if not first_page:
                typer.echo("")
            if reading.text:
                typer.echo(reading.text)
        first_page = False
        sys.stdout.flush()
        if annotate is not None:
            import cv2

            from recognizer.annotate import annotate as draw

            target = _annotation_path(annotate, frame.source, frame.index, annotation_names)
            if not cv2.imwrite(str(target), draw(frame.image, reading)):
                annotations_failed += 1
                error(f"cannot write annotated image {target}")

    def on_error(failure: InputError) -> None:
        error(str(failure))

    summary = read_inputs(paths, recognizer, on_reading, on_error, max_pixels, jobs)
    global _read_finished
    _read_finished = jobs == 1  # no reader processes to wait for (see main)
    if summary.errors or annotations_failed:
        raise typer.Exit(code=1)


@app.command()
def serve(
    source: Annotated[
        list[str] | None,
        typer.Option(
            "--source",
            help="[NAME=]SPEC: a camera index (0), a video file, a stream URL (rtsp://, http://) or a folder of images. Repeat for several.",
        ),
    ] = None,
    host: Annotated[
        str, typer.Option(help="Address to listen on. Keep 127.0.0.1 unless others must connect.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0 picks a free one).")] = 8765,
    fps: Annotated[float | None, typer.Option(min=0.1, help="Cap the processing rate per source.")] = None,
    loop: Annotated[bool, typer.Option("--loop", help="Repeat video files and folders.")] = False,
    token: Annotated[
        str | None,
        typer.Option(
            help="Shared token clients must present (?token= or Authorization: Bearer). Default: $DIGITSTREAM_TOKEN."
        ),
    ] = None,
    max_clients: Annotated[int, typer.Option(min=1)] = 200,
    max_upload_mb: Annotated[float, typer.Option(min=0.1, help="Largest image accepted on /recognize.")] = 24.0,
    max_upload_mpx: Annotated[
        float, typer.Option(min=0.1, help="Most megapixels an image on /recognize may decode to.")
    ] = 40.0,
    allow_origin: Annotated[
        list[str] | None,
        typer.Option("--allow-origin", help="Browser origins allowed besides this server's own page. Repeat."),
    ] = None,
    stable_frames: Annotated[
        int, typer.Option(min=1, help="Frames (of the last --stable-window) that must read a number the same way.")
    ] = 3,
    stable_window: Annotated[int, typer.Option(min=1, help="Recent frames that --stable-frames counts in.")] = 5,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=16,
            help="Frames read in parallel (two or more: each worker in a reader process of its own). Default: 2 on two or more cores, else 1.",
        ),
    ] = None,
    threads: Annotated[
        bool,
        typer.Option(
            "--threads",
            help="Read frames in threads of the server's process, not in reader processes (slower with several workers).",
        ),
    ] = False,
    queue_size: Annotated[int, typer.Option(min=1, max=1000, help="Messages kept for a slow subscriber.")] = 8,
    stall_timeout: Annotated[
        float, typer.Option(min=0.5, help="Disconnect a subscriber that stops reading this long.")
    ] = 10.0,
    sharpen_motion: Annotated[
        bool,
        typer.Option(
            "--sharpen-motion",
            help="Sharpen frames smeared by the camera's motion before reading them: fewer errors on a moving camera, but a smeared frame takes two to three times as long.",
        ),
    ] = False,
    min_confidence: MinConfidenceOption = 0.6,
    model: ModelOption = None,
    backend: BackendOption = BackendChoice.auto,
) -> None:
    """Read live sources and publish what they show over websockets (and a page at http://HOST:PORT/)."""
    import asyncio

    keep_freed_buffers()  # captured frames reuse the last ones' memory (recognizer.allocator)

    from recognizer.classifier import ModelError
    from recognizer.service.engine import EngineConfig, default_workers, use_processes
    from recognizer.service.run import ServeOptions, run_service
    from recognizer.service.server import Service, ServiceConfig, token_from_environment
    from recognizer.service.sources import SourceError, parse_source

    try:
        specs = tuple(parse_source(value, i, loop=loop, fps=fps) for i, value in enumerate(source or []))
    except SourceError as failure:
        error(str(failure))
        raise typer.Exit(code=2) from None
    if stable_window < stable_frames:
        error(f"--stable-window ({stable_window}) must be at least --stable-frames ({stable_frames})")
        raise typer.Exit(code=2)
    names = [spec.name for spec in specs]
    if len(set(names)) != len(names):
        error(f"stream names must be unique, got {names}; name them with NAME=SPEC")
        raise typer.Exit(code=2)
    worker_count = workers or default_workers()
    options = ServeOptions(
        service=ServiceConfig(
            host=host,
            port=port,
            token=token_from_environment(token),
            max_upload_bytes=int(max_upload_mb * 1024 * 1024),
            max_upload_pixels=int(max_upload_mpx * 1_000_000),
            max_clients=max_clients,
            queue_size=queue_size,
            stall_timeout=stall_timeout,
            allowed_origins=tuple(allow_origin or ()),
        ),
        engine=EngineConfig(
            workers=worker_count,
            stable_frames=stable_frames,
            stable_window=stable_window,
            processes=use_processes(worker_count, threads),
        ),
        sources=specs,
        model_dir=model,
        backend=backend.value,
        min_confidence=min_confidence,
        sharpen_motion=sharpen_motion,
    )

    def ready(service: Service) -> None:
        address = f"{host}:{service.port}"
        typer.echo(f"digits: serving on http://{address}/ (page) and ws://{address}/streams", err=True)
        for spec in specs:
            typer.echo(f"digits: stream {spec.name!r}: ws://{address}/streams/{spec.name} <- {spec.target}", err=True)
        typer.echo(f"digits: upload images to ws://{address}/recognize; Ctrl-C stops", err=True)

    try:
        asyncio.run(run_service(options, on_ready=ready))
    except ModelError as failure:
        error(str(failure))
        raise typer.Exit(code=1) from None
    except OSError as failure:
        error(f"cannot listen on {host}:{port}: {failure.strerror or failure}")
        raise typer.Exit(code=1) from None


@app.command()
def subscribe(
    url: Annotated[str, typer.Argument(help="ws://HOST:PORT/streams or ws://HOST:PORT/streams/NAME")],
    as_json: Annotated[bool, typer.Option("--json", help="Print every message as one JSON line.")] = False,
    changes_only: Annotated[
        bool, typer.Option("--changes-only", help="Only stable-number changes and status.")
    ] = False,
    token: Annotated[str | None, typer.Option(help="Shared token. Default: $DIGITSTREAM_TOKEN.")] = None,
    count: Annotated[int | None, typer.Option(min=1, help="Stop after this many readings or changes.")] = None,
) -> None:
    """Print what a digitstream server reads, live; reconnects when the server restarts."""
    import asyncio

    from recognizer.service.client import SubscribeError, subscribe_messages
    from recognizer.service.protocol import Changed, ErrorMessage, Hello, ReadingMessage, Status
    from recognizer.service.server import token_from_environment

    async def follow() -> None:
        received = 0

        def reconnecting(delay: float, reason: str) -> None:
            typer.echo(f"digits: not connected ({reason}); reconnecting in {delay:.1f} s", err=True)

        async for message in subscribe_messages(
            url, token_from_environment(token), changes_only, on_reconnect=reconnecting
        ):
            if as_json:
                typer.echo(json.dumps(message.to_json()))
            elif isinstance(message, ReadingMessage):
                stable = " ".join(number.text for number in message.stable)
                typer.echo(
                    f"{message.stream} #{message.frame}: {message.reading.text.replace(chr(10), ' | ') or '-'}  [stable: {stable or '-'}]"
                )
            elif isinstance(message, Changed):
                typer.echo(
                    f"{message.stream} #{message.frame}: stable now {' '.join(n.text for n in message.stable) or '-'} (+{' '.join(message.added) or '-'} -{' '.join(message.removed) or '-'})"
                )
            elif isinstance(message, Status):
                typer.echo(f"{message.stream}: {message.state}: {message.message}", err=True)
            elif isinstance(message, Hello):
                typer.echo(
                    f"digits: connected to {message.server}; streams: {', '.join(str(s['name']) for s in message.streams) or 'none'}",
                    err=True,
                )
            elif isinstance(message, ErrorMessage):
                typer.echo(f"digits: server error {message.code}: {message.message}", err=True)
            sys.stdout.flush()
            if isinstance(message, (ReadingMessage, Changed)):
                received += 1
                if count is not None and received >= count:
                    return

    try:
        asyncio.run(follow())
    except SubscribeError as failure:
        error(str(failure))
        raise typer.Exit(code=1) from None
    except KeyboardInterrupt:
        raise typer.Exit(code=130) from None


def main() -> None:
    """The `digits` command.

    Once `digits read` has read everything with one job and its output is flushed, the process
    ends without the interpreter's teardown: unloading TensorFlow Lite, OpenCV and numpy took about
    0.1 s, a tenth of a cold `digits read photo.jpg` (the 1 s it is to print within). With reader
    processes (`--jobs`), and for every other command, Python exits as usual.
    """
    try:
        app()
    except SystemExit as finished:
        if not _read_finished:
            raise
        code = finished.code if isinstance(finished.code, int) else (0 if finished.code is None else 1)
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                code = code or 1  # output lost (a closed pipe) is a failure, as Python's own exit says
        os._exit(code)
