"""Write the shipped model: ``digits.keras``, ``digits.tflite`` and ``digits.json``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import keras

__all__ = ["export_model", "sha256_of", "write_metadata"]


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _inference_copy(model: keras.Model) -> keras.Model:
    # A fresh, uncompiled copy: the shipped file then holds no optimizer state (a third of its size).
    fresh = keras.models.clone_model(model)
    fresh.set_weights(model.get_weights())
    return fresh


def export_model(model: keras.Model, output_dir: Path) -> dict[str, dict[str, Any]]:
    """Save the Keras and TFLite forms of ``model``; return their file entries for the metadata."""
    import tensorflow as tf

    output_dir.mkdir(parents=True, exist_ok=True)
    inference = _inference_copy(model)
    keras_path = output_dir / "digits.keras"
    inference.save(keras_path)
    converter = tf.lite.TFLiteConverter.from_keras_model(inference)
    tflite_path = output_dir / "digits.tflite"
    tflite_path.write_bytes(converter.convert())
    return {
        "keras": {
            "path": keras_path.name,
            "format": "Keras 3 native (.keras)",
            "runtime": "TensorFlow / Keras; used on a GPU",
            "bytes": keras_path.stat().st_size,
            "sha256": sha256_of(keras_path),
        },
        "tflite": {
            "path": tflite_path.name,
            "format": "TensorFlow Lite flatbuffer, float32",
            "runtime": "LiteRT interpreter (ai-edge-litert); used on the CPU",
            "bytes": tflite_path.stat().st_size,
            "sha256": sha256_of(tflite_path),
        },
    }


def write_metadata(output_dir: Path, metadata: dict[str, Any]) -> Path:
    path = output_dir / "digits.json"
    path.write_text(json.dumps(metadata, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path
