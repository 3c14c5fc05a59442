"""Train: epochs of freshly augmented data, cosine learning rate, checkpoints, resume, early stopping.

The loop runs one ``model.fit`` per epoch because each epoch's data is a new
array (built in a worker process while the previous epoch trains). It keeps
its own state in ``state.json`` beside the checkpoints, so ``--resume``
continues an interrupted run exactly where it stopped.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import sys
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from trainer.data import Mnist, split_validation
from trainer.dataset import EpochRecipe, build_epoch, normalized_mnist

__all__ = ["TrainConfig", "TrainResult", "check_compatible", "train"]


@dataclass(frozen=True)
class TrainConfig:
    output_dir: Path
    checkpoint_dir: Path
    epochs: int = 30
    batch_size: int = 128
    learning_rate: float = 2e-3
    final_learning_rate: float = 1e-5
    validation_fraction: float = 0.08
    patience: int = 8
    seed: int = 1234
    limit: int | None = None
    recipe: EpochRecipe = field(default_factory=EpochRecipe)
    # Start from these weights (fine-tuning) instead of from scratch.
    init_from: Path | None = None
    # Crops harvested from rendered scenes by trainer.harvest (see the README's model card).
    harvests: tuple[Path, ...] = ()
    # Keep an exponential moving average of the weights and ship it (None: the raw weights).
    # The average of many nearby solutions generalises better than the last step's.
    ema_momentum: float | None = None
    # Scales the network's filters and units (trainer.model.build_model).
    width: float = 1.0
    # Loss weight of not-a-digit examples. Below 1 the model needs more evidence before it
    # calls an odd but real digit "not a digit" (on MNIST that answer is always wrong).
    reject_weight: float = 1.0

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {self.epochs}")
        if self.batch_size < 1:
            raise ValueError(f"batch size must be at least 1, got {self.batch_size}")
        if self.limit is not None and self.limit < 100:
            raise ValueError(f"--limit must be at least 100 digits, got {self.limit}")
        if self.ema_momentum is not None and not 0.0 < self.ema_momentum < 1.0:
            raise ValueError(f"--ema must be between 0 and 1, got {self.ema_momentum}")
        if not 0.0 < self.reject_weight <= 1.0:
            raise ValueError(f"--reject-weight must be in (0, 1], got {self.reject_weight}")

    def recipe_summary(self) -> dict[str, Any]:
        return {
            "epochs_planned": self.epochs,
            "batch_size": self.batch_size,
            "optimizer": "Adam" + (f", weights averaged (EMA {self.ema_momentum})" if self.ema_momentum else ""),
            "learning_rate": f"cosine {self.learning_rate} -> {self.final_learning_rate} per epoch",
            "loss": "sparse categorical cross-entropy, 11 classes (10 = not a digit)"
            + (f", not-a-digit examples weighted {self.reject_weight}" if self.reject_weight != 1.0 else ""),
            "validation": f"{self.validation_fraction:.0%} of the MNIST training set, stratified (never the test set)",
            "early_stopping": f"patience {self.patience} epochs on validation accuracy, counted in the second half",
            "seed": self.seed,
            # A fine-tuned network keeps the width it was built with (see based_on).
            "width": self.width if self.init_from is None else "that of the network fine-tuned",
            "training_digits": self.limit or "all",
            "epoch_recipe": self.recipe.to_dict(),
            "augmentation": (
                "rotation +-14 deg, shear +-0.35, aspect 0.8-1.2, pen width -0.75..+1.25 px, blur+threshold, "
                "low-resolution, JPEG q8-45, ragged threshold, specks and rule stubs, scale 0.88-1.08, shift +-1.5 px"
            ),
            "extra_styles": "crossed 7, flagged 1 with base, open-top 4, straight-tail 9 (MNIST edits and drawn strokes)",
            "normalisation": "recognizer.normalize.normalize_digit on every training digit",
            "initialised_from": str(self.init_from) if self.init_from else "random (seeded)",
            "harvested_crops": [str(path) for path in self.harvests],
        }


@dataclass
class TrainState:
    """What ``--resume`` needs: written after every epoch."""

    completed_epochs: int = 0
    best_validation_accuracy: float = 0.0
    best_epoch: int = -1
    epochs_without_improvement: int = 0
    training_seconds: float = 0.0
    history: list[dict[str, float]] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> TrainState:
        return cls(**json.loads(path.read_text(encoding="utf-8")))

    def save(self, path: Path) -> None:
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        temporary.replace(path)


@dataclass(frozen=True)
class TrainResult:
    best_model: Path
    state: TrainState
    seconds: float


# The worker process keeps the training digits so each epoch request is small.
_worker_data: dict[str, Any] = {}


def _init_worker(images: npt.NDArray[np.uint8], labels: npt.NDArray[np.uint8], harvested: Any) -> None:
    _worker_data["images"] = images
    _worker_data["labels"] = labels
    _worker_data["clean"] = normalized_mnist(images)
    _worker_data["harvested"] = harvested


def _build_epoch_in_worker(recipe: EpochRecipe, seed: int, epoch: int) -> tuple[Any, Any]:
    return build_epoch(
        _worker_data["images"],
        _worker_data["labels"],
        _worker_data["clean"],
        recipe,
        seed,
        epoch,
        _worker_data["harvested"],
    )


def _load_harvests(paths: tuple[Path, ...]) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]] | None:
    from trainer.harvest import Harvest

    if not paths:
        return None
    loaded = []
    for path in paths:
        try:
            loaded.append(Harvest.load(path))
        except ValueError as error:
            raise ValueError(f"--harvest {path}: not a harvest file ({error})") from error
    return np.concatenate([h.images for h in loaded]), np.concatenate([h.labels for h in loaded])


def cosine_learning_rate(config: TrainConfig, epoch: int) -> float:
    progress = epoch / max(1, config.epochs - 1)
    cosine = 0.5 * (1.0 + math.cos(math.pi * progress))
    return config.final_learning_rate + (config.learning_rate - config.final_learning_rate) * cosine


def _class_weights(reject_weight: float) -> dict[int, float] | None:
    from trainer.model import CLASS_COUNT
    from trainer.styles import NOT_A_DIGIT

    if reject_weight == 1.0:
        return None
    return {label: 1.0 for label in range(CLASS_COUNT)} | {NOT_A_DIGIT: reject_weight}


def _compile(model: Any, learning_rate: float, ema_momentum: float | None) -> None:
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(
            learning_rate=learning_rate,
            use_ema=ema_momentum is not None,
            ema_momentum=ema_momentum or 0.99,
        ),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=["accuracy"],
    )


def train(config: TrainConfig, data: Mnist, resume: bool, log: Any = print) -> TrainResult:
    """Train the classifier; return the best checkpoint. Raises ``ValueError`` on a bad resume."""
    import keras

    from trainer.model import build_model

    started = time.perf_counter()
    keras.utils.set_random_seed(config.seed)
    images, labels = data.x_train, data.y_train
    if config.limit is not None:
        images, labels = images[: config.limit], labels[: config.limit]
    train_x, train_y, val_x, val_y = split_validation(images, labels, config.validation_fraction, config.seed)
    validation = (normalized_mnist(val_x)[..., None], val_y)
    log(f"training on {len(train_x)} MNIST digits (+ styles and not-a-digit), validating on {len(val_x)}")

    config.checkpoint_dir.mkdir(parents=True, exist_ok=True)
    state_path = config.checkpoint_dir / "state.json"
    last_path = config.checkpoint_dir / "last.keras"
    best_path = config.checkpoint_dir / "best.keras"
    if resume:
        if not (state_path.is_file() and last_path.is_file()):
            raise ValueError(f"--resume: no checkpoint in {config.checkpoint_dir} (need state.json and last.keras)")
        try:
            state = TrainState.load(state_path)
        except (ValueError, TypeError) as error:
            raise ValueError(f"--resume: {state_path} is damaged ({error}); delete the folder to start over") from error
        try:
            model = keras.models.load_model(last_path)
        except (OSError, ValueError) as error:
            raise ValueError(f"--resume: cannot load {last_path} ({error}); delete the folder to start over") from error
        if config.init_from is not None:
            log(f"--resume continues the checkpoint in {config.checkpoint_dir}; --init-from is not used")
        log(
            f"resuming after epoch {state.completed_epochs} (best validation accuracy {state.best_validation_accuracy:.4f})"
        )
    else:
        state = TrainState()
        if config.init_from is not None:
            try:
                model = keras.models.load_model(config.init_from, compile=False)
            except (OSError, ValueError) as error:
                raise ValueError(f"--init-from {config.init_from}: cannot load ({error})") from error
            try:
                check_compatible(model, config.init_from)
            except ValueError as error:
                raise ValueError(f"--init-from {error}") from error
            log(f"fine-tuning from {config.init_from}")
            if config.width != 1.0:
                log("--width shapes new networks only; the network fine-tuned keeps its own")
        else:
            model = build_model(width=config.width)
        _compile(model, config.learning_rate, config.ema_momentum)
    harvested = _load_harvests(config.harvests)
    if harvested is not None:
        log(f"adding {len(harvested[0])} harvested crops to every epoch")

    verbose = 1 if sys.stdout.isatty() else 2
    class_weight = _class_weights(config.reject_weight)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        1, mp_context=context, initializer=_init_worker, initargs=(train_x, train_y, harvested)
    ) as pool:
        upcoming: Future[tuple[Any, Any]] | None = None
        for epoch in range(state.completed_epochs, config.epochs):
            if state.epochs_without_improvement >= config.patience:
                log(f"early stopping: no improvement for {config.patience} epochs")
                break
            epoch_started = time.perf_counter()
            current = upcoming or pool.submit(_build_epoch_in_worker, config.recipe, config.seed, epoch)
            epoch_x, epoch_y = current.result()
            upcoming = (
                pool.submit(_build_epoch_in_worker, config.recipe, config.seed, epoch + 1)
                if epoch + 1 < config.epochs
                else None
            )
            learning_rate = cosine_learning_rate(config, epoch)
            model.optimizer.learning_rate.assign(learning_rate)
            log(f"epoch {epoch + 1}/{config.epochs}: {len(epoch_x)} examples, learning rate {learning_rate:.2e}")
            history = model.fit(
                epoch_x,
                epoch_y,
                class_weight=class_weight,
                batch_size=config.batch_size,
                epochs=epoch + 1,
                initial_epoch=epoch,
                verbose=verbose,
                shuffle=True,
            )
            metrics = {name: float(values[-1]) for name, values in history.history.items()}
            # Validated after fit returns: with EMA, that is when the averaged weights are in the model.
            val_loss, val_accuracy = model.evaluate(*validation, batch_size=512, verbose=0)
            metrics["val_loss"], metrics["val_accuracy"] = float(val_loss), float(val_accuracy)
            metrics["learning_rate"] = learning_rate
            state.history.append(metrics)
            state.completed_epochs = epoch + 1
            state.training_seconds += time.perf_counter() - epoch_started
            validation_accuracy = metrics["val_accuracy"]
            if validation_accuracy > state.best_validation_accuracy:
                state.best_validation_accuracy = validation_accuracy
                state.best_epoch = epoch + 1
                state.epochs_without_improvement = 0
                _save_atomically(model, best_path)
            elif epoch + 1 > config.epochs // 2:
                # Early on, at a high learning rate, validation accuracy is noise around a rising
                # trend; patience only counts once the cosine schedule has come down.
                state.epochs_without_improvement += 1
            _save_atomically(model, last_path)
            state.save(state_path)
            log(
                f"epoch {epoch + 1}: validation accuracy {validation_accuracy:.4f} "
                f"(best {state.best_validation_accuracy:.4f} at epoch {state.best_epoch})"
            )
    return TrainResult(best_model=best_path, state=state, seconds=time.perf_counter() - started)


def training_metadata(config: TrainConfig, result: TrainResult, data_source: str) -> dict[str, Any]:
    return {
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": data_source,
        "epochs_trained": result.state.completed_epochs,
        "best_epoch": result.state.best_epoch,
        "validation_accuracy": round(result.state.best_validation_accuracy, 5),
        "training_seconds": round(result.state.training_seconds, 1),
        "recipe": config.recipe_summary(),
    }


def _save_atomically(model: Any, path: Path) -> None:
    """Save to a temporary file, then rename: an interrupted save never leaves a broken checkpoint."""
    temporary = path.with_name(f"{path.stem}.partial{path.suffix}")
    model.save(temporary)
    temporary.replace(path)


def check_compatible(model: Any, path: Path) -> None:
    """A model to fine-tune or combine must take MNIST crops and answer with this project's classes."""
    from trainer.model import CLASS_COUNT, INPUT_SHAPE

    inputs, outputs = tuple(model.input_shape[1:]), tuple(model.output_shape[1:])
    if inputs != INPUT_SHAPE or outputs != (CLASS_COUNT,):
        raise ValueError(
            f"{path}: not a digitstream model (takes {inputs}, gives {outputs}; "
            f"needs {INPUT_SHAPE} -> {CLASS_COUNT} classes)"
        )
