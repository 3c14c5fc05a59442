"""`digits train` and `digits evaluate`."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from trainer.data import DataError, Mnist, load_mnist

if TYPE_CHECKING:
    from trainer.evaluate import Evaluation

__all__ = ["register"]

DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data",
        help="MNIST in Keras's mnist.npz format. Without it, Keras's cache or a download is tried.",
        dir_okay=False,
    ),
]
ModelDirOption = Annotated[
    Path | None,
    typer.Option("--model", help="Folder holding digits.json (default: the shipped model).", file_okay=False),
]


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code=1)


def _writable_folder(folder: Path, option: str) -> None:
    """Prove ``folder`` takes files now, not after an hour of training; leave nothing behind.

    Folders made for the test are removed again: whatever writes there later makes them itself,
    and a run that stops early must not leave empty folders in the working directory.
    """
    missing = [path for path in (folder, *folder.parents) if not path.exists()]
    probe = folder / ".digitstream-write-test"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise _fail(f"{option} {folder}: cannot write there ({error.strerror or error})") from None
    finally:
        for made in missing:  # deepest first
            with contextlib.suppress(OSError):
                made.rmdir()


def _training_data(data: Path | None, output: Path, checkpoints: Path) -> Mnist:
    """MNIST for a training run, once its output and checkpoint folders are known to take files."""
    try:
        mnist = load_mnist(data)
    except DataError as error:
        raise _fail(str(error)) from None
    # After the data (no folders made for a run that cannot start), before any training.
    _writable_folder(output, "--output")
    _writable_folder(checkpoints, "--checkpoints")
    return mnist


def train_command(
    data: DataOption = None,
    output: Annotated[Path, typer.Option(help="Where the shipped model files are written.", file_okay=False)] = Path(
        "models"
    ),
    checkpoints: Annotated[Path, typer.Option(help="Checkpoint folder (state.json, last.keras, best.keras).")] = Path(
        "checkpoints"
    ),
    epochs: Annotated[int, typer.Option(min=1, help="Epochs of the cosine schedule.")] = 30,
    batch_size: Annotated[int, typer.Option(min=1)] = 128,
    limit: Annotated[int | None, typer.Option(min=100, help="Train on the first N digits only (smoke tests).")] = None,
    samples_per_style: Annotated[int, typer.Option(min=0, help="Examples of each extra style per epoch.")] = 1500,
    augmented_fraction: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Share of MNIST digits augmented in each epoch (the rest stay clean)."),
    ] = 0.4,
    harvested_per_epoch: Annotated[int, typer.Option(min=0, help="Harvested crops drawn for each epoch.")] = 20000,
    not_a_digit: Annotated[int, typer.Option(min=0, help="Not-a-digit examples per epoch.")] = 6000,
    seed: Annotated[int, typer.Option()] = 1234,
    learning_rate: Annotated[float, typer.Option(min=1e-6, max=1.0, help="Peak of the cosine schedule.")] = 2e-3,
    init_from: Annotated[
        Path | None,
        typer.Option(help="Start from these weights (a .keras file) to fine-tune.", exists=True, dir_okay=False),
    ] = None,
    harvest: Annotated[
        list[Path] | None,
        typer.Option(
            help="Crops from `digits harvest` to add to every epoch. Repeat for several.", exists=True, dir_okay=False
        ),
    ] = None,
    ema: Annotated[
        float | None,
        typer.Option(
            min=0.5, max=0.99999, help="Ship the moving average of the weights with this momentum (e.g. 0.999)."
        ),
    ] = None,
    width: Annotated[
        float, typer.Option(min=0.25, max=2.0, help="Scale the network's filters and units (from scratch only).")
    ] = 1.0,
    reject_weight: Annotated[
        float,
        typer.Option(
            min=0.01,
            max=1.0,
            help="Loss weight of not-a-digit examples; below 1, odd real digits are rejected less often.",
        ),
    ] = 1.0,
    resume: Annotated[bool, typer.Option("--resume", help="Continue from the last checkpoint.")] = False,
) -> None:
    """Train the digit classifier on MNIST and write models/digits.{keras,tflite,json}."""
    mnist = _training_data(data, output, checkpoints)
    from trainer.dataset import EpochRecipe
    from trainer.train import TrainConfig, train, training_metadata

    config = TrainConfig(
        output_dir=output,
        checkpoint_dir=checkpoints,
        epochs=epochs,
        batch_size=batch_size,
        limit=limit,
        seed=seed,
        learning_rate=learning_rate,
        recipe=EpochRecipe(
            augmented_fraction=augmented_fraction,
            samples_per_style=samples_per_style,
            not_a_digit_samples=not_a_digit,
            harvested_per_epoch=harvested_per_epoch,
        ),
        init_from=init_from,
        harvests=tuple(harvest or ()),
        ema_momentum=ema,
        width=width,
        reject_weight=reject_weight,
    )
    try:
        result = train(config, mnist, resume=resume, log=typer.echo)
    except ValueError as error:
        raise _fail(str(error)) from None
    import keras

    best = keras.models.load_model(result.best_model, compile=False)
    training = training_metadata(config, result, mnist.source)
    if init_from is not None and (init_from.parent / "digits.json").is_file():
        # Fine-tuning a shipped model: keep the recipe of the run it started from.
        base = json.loads((init_from.parent / "digits.json").read_text(encoding="utf-8"))
        training["based_on"] = base.get("training", {})
    _ship(best, output, training, mnist)


def _ship(model: Any, output: Path, training: dict[str, Any], mnist: Mnist) -> None:
    """Export ``model`` to ``output``, write digits.json, and record its MNIST test results there."""
    from recognizer.classifier import LiteRTClassifier, read_model_info
    from trainer.evaluate import evaluate
    from trainer.export import export_model, write_metadata
    from trainer.model import INPUT_SHAPE

    files = export_model(model, output)
    metadata: dict[str, Any] = {
        "name": "digitstream-cnn",
        "classes": [str(d) for d in range(10)] + ["not a digit"],
        "input": {
            "shape": list(INPUT_SHAPE),
            "dtype": "float32",
            "range": [0.0, 1.0],
            "ink": "bright on black",
            "normalisation": "recognizer.normalize.normalize_digit (20x20 box, centre of mass at (14, 14))",
        },
        "parameters": int(model.count_params()),
        "files": files,
        "training": training,
    }
    write_metadata(output, metadata)
    evaluation = evaluate(LiteRTClassifier(read_model_info(output)), mnist.x_test, mnist.y_test)
    metadata["test"] = test_results(evaluation)
    write_metadata(output, metadata)
    typer.echo(
        f"wrote {output}/digits.keras and digits.tflite: MNIST test accuracy {evaluation.accuracy:.4%} "
        f"over {evaluation.count} digits"
    )


def combine_command(
    towers: Annotated[
        list[Path],
        typer.Argument(help="Model folders written by `digits train` (each with digits.keras and digits.json)."),
    ],
    data: DataOption = None,
    output: Annotated[Path, typer.Option(help="Where the combined model is written.", file_okay=False)] = Path(
        "models"
    ),
) -> None:
    """Average the answers of separately trained networks in one model (an ensemble in one file)."""
    if len(towers) < 2:
        raise _fail("combine needs at least two model folders")
    for folder in towers:
        if not (folder / "digits.keras").is_file() or not (folder / "digits.json").is_file():
            raise _fail(f"{folder}: not a model folder (needs digits.keras and digits.json)")
    try:
        mnist = load_mnist(data)
    except DataError as error:
        raise _fail(str(error)) from None
    _writable_folder(output, "--output")
    import keras

    from trainer.model import average_towers
    from trainer.train import check_compatible

    loaded = []
    records = []
    for folder in towers:
        try:
            model = keras.models.load_model(folder / "digits.keras", compile=False)
            record = json.loads((folder / "digits.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise _fail(f"{folder}: {error}") from None
        try:
            check_compatible(model, folder)  # its message names the folder
        except ValueError as error:
            raise _fail(str(error)) from None
        loaded.append(model)
        records.append({"model": str(folder), **record.get("training", {}), "test": record.get("test", {})})
    combined = average_towers(loaded)
    training = {
        "combined": f"mean of the probabilities of {len(loaded)} separately trained networks",
        "towers": records,
    }
    _ship(combined, output, training, mnist)


def test_results(evaluation: Evaluation) -> dict[str, object]:
    """The `test` section of digits.json."""
    return {
        "mnist_accuracy": round(evaluation.accuracy, 5),
        "mnist_digit_accuracy": round(evaluation.digit_accuracy, 5),
        "mnist_count": evaluation.count,
        "rejected_as_not_a_digit": evaluation.rejected_as_not_a_digit,
        "per_class_accuracy": {str(k): round(v, 5) for k, v in evaluation.per_class_accuracy.items()},
        "style_accuracy": {k: round(v, 4) for k, v in evaluation.style_accuracy.items()},
        "throughput_digits_per_second": {str(k): round(v) for k, v in evaluation.throughput.items()},
    }


def evaluate_command(
    data: DataOption = None,
    model: ModelDirOption = None,
    backend: Annotated[str, typer.Option(help="auto, litert or tensorflow.")] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    confusion: Annotated[Path, typer.Option(help="Where to write the confusion-matrix PNG.", dir_okay=False)] = Path(
        "confusion_matrix.png"
    ),
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N test digits.")] = None,
    record: Annotated[
        bool, typer.Option("--record", help="Write the results into the model's digits.json (its `test` section).")
    ] = False,
) -> None:
    """Accuracy of the model on the MNIST test set, per class and per style, and its speed."""
    from recognizer.classifier import ModelError, load_classifier
    from trainer.evaluate import evaluate, save_confusion_matrix

    if backend not in ("auto", "litert", "tensorflow"):
        raise typer.BadParameter(f"{backend!r} is not one of auto, litert, tensorflow", param_hint="--backend")
    if confusion.suffix.lower() != ".png":
        raise typer.BadParameter(f"{confusion} must end in .png", param_hint="--confusion")
    _writable_folder(confusion.parent, "--confusion")
    try:
        mnist = load_mnist(data)
        classifier = load_classifier(model, backend)  # type: ignore[arg-type]
    except (DataError, ModelError) as error:
        raise _fail(str(error)) from None
    if record:
        _writable_folder(classifier.info.directory, "--record")
    images, labels = mnist.x_test, mnist.y_test
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    evaluation = evaluate(classifier, images, labels)
    save_confusion_matrix(evaluation, confusion)
    if record:
        from trainer.export import write_metadata

        metadata = dict(classifier.info.metadata)
        metadata["test"] = test_results(evaluation)
        write_metadata(classifier.info.directory, metadata)
    if as_json:
        report = evaluation.to_json()
        report["model"] = str(classifier.info.directory)
        report["backend"] = type(classifier).__name__
        report["confusion_matrix_png"] = str(confusion)
        typer.echo(json.dumps(report))
        return
    typer.echo(f"model: {classifier.info.directory} ({type(classifier).__name__})")
    typer.echo(
        f"MNIST test accuracy: {evaluation.accuracy:.4%} over {evaluation.count:,} digits "
        f"({evaluation.digit_accuracy:.4%} when the model must name one of the ten digits)"
    )
    typer.echo("per class: " + "  ".join(f"{d}: {a:.2%}" for d, a in evaluation.per_class_accuracy.items()))
    if evaluation.rejected_as_not_a_digit:
        typer.echo(f"digits rejected as not a digit: {evaluation.rejected_as_not_a_digit}")
    for style, accuracy in evaluation.style_accuracy.items():
        typer.echo(f"style {style}: {accuracy:.2%}")
    typer.echo(
        "throughput (digits/s by batch size): " + "  ".join(f"{b}: {t:,.0f}" for b, t in evaluation.throughput.items())
    )
    typer.echo(f"confusion matrix: {confusion}")


def _harvest_file(output: Path) -> Path:
    """Where a harvest goes: an .npz (numpy would add the suffix anyway) in a folder that takes files."""
    if output.suffix != ".npz":
        output = output.with_name(output.name + ".npz")
    _writable_folder(output.parent, "--output")
    return output


def harvest_command(
    scenes: Annotated[
        Path,
        typer.Argument(help="A folder made by samples/make_samples.py --split train.", exists=True, file_okay=False),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the crops (.npz).", dir_okay=False)],
) -> None:
    """Segment rendered scenes as the recognizer does and label every crop against their truth."""
    from trainer.harvest import harvest_scenes

    output = _harvest_file(output)
    try:
        result = harvest_scenes(scenes, log=typer.echo)
    except ValueError as error:
        raise _fail(str(error)) from None
    if len(result.labels) == 0:
        raise _fail(f"no crops harvested from {scenes}: it holds no scenes with truth files")
    output.parent.mkdir(parents=True, exist_ok=True)
    result.save(output)
    typer.echo(f"wrote {output}")


def train_strings_command(
    data: DataOption = None,
    output: Annotated[
        Path, typer.Option(help="Where strings.tflite and strings.json are written.", file_okay=False)
    ] = Path("models"),
    checkpoints: Annotated[Path, typer.Option(help="Checkpoint folder (strings_state.json, strings_last.keras).")] = (
        Path("checkpoints")
    ),
    samples: Annotated[int, typer.Option(min=256, help="Training strings drawn (the same every epoch).")] = 150_000,
    epochs: Annotated[int, typer.Option(min=1, help="Epochs of the cosine schedule.")] = 3,
    learning_rate: Annotated[float, typer.Option(min=1e-6, max=1.0, help="Peak of the cosine schedule.")] = 1e-3,
    seed: Annotated[int, typer.Option()] = 2026,
    harvest: Annotated[
        list[Path] | None,
        typer.Option(
            help="Strings from `digits harvest-strings` to add to every epoch. Repeat for several.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    init_from: Annotated[
        Path | None,
        typer.Option(
            help="Start from this string model (a .keras checkpoint) to fine-tune.", exists=True, dir_okay=False
        ),
    ] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue from the last checkpoint.")] = False,
) -> None:
    """Train the string model, which reads runs of touching digits whole; write models/strings.{tflite,json}."""
    mnist = _training_data(data, output, checkpoints)
    from trainer.strings import StringConfig, export_strings, train_strings

    config = StringConfig(
        samples=samples,
        epochs=epochs,
        learning_rate=learning_rate,
        seed=seed,
        harvests=tuple(str(path) for path in harvest or ()),
        init_from=str(init_from) if init_from else None,
    )
    try:
        model, record = train_strings(
            config, (mnist.x_train, mnist.y_train), (mnist.x_test, mnist.y_test), checkpoints, resume, log=typer.echo
        )
    except (FileNotFoundError, ValueError) as error:
        raise _fail(str(error)) from None
    record["data"] = mnist.source
    path = export_strings(model, output, record)
    typer.echo(f"wrote {path} and its model: {record['validation']['read_right']:.2%} of validation strings read right")


def harvest_strings_command(
    scenes: Annotated[
        Path,
        typer.Argument(help="A folder made by samples/make_samples.py --split train.", exists=True, file_okay=False),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the strings (.npz).", dir_okay=False)],
) -> None:
    """Segment rendered scenes as the recognizer does and label each run of ink with the digits in it."""
    from trainer.string_harvest import harvest_strings
    from trainer.strings import save_harvest

    output = _harvest_file(output)
    try:
        result = harvest_strings(scenes, log=typer.echo)
    except ValueError as error:
        raise _fail(str(error)) from None
    if len(result.images) == 0:
        raise _fail(f"no strings harvested from {scenes}: it holds no scenes with truth files")
    output.parent.mkdir(parents=True, exist_ok=True)
    save_harvest(result, output)
    typer.echo(f"wrote {output}")


def register(app: typer.Typer) -> None:
    app.command("harvest-strings")(harvest_strings_command)
    app.command("train")(train_command)
    app.command("train-strings")(train_strings_command)
    app.command("harvest")(harvest_command)
    app.command("evaluate")(evaluate_command)
    app.command("combine")(combine_command)
