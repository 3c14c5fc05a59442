"""Dynamic batching: concurrent requests share model calls and each gets its own answer."""

from __future__ import annotations

import threading

import numpy as np

from recognizer.classifier import Classifier
from recognizer.normalize import normalize_digits
from recognizer.service.batching import BatchingClassifier


def test_concurrent_requests_are_merged_and_answered_correctly(
    classifier: Classifier, mnist_small: dict[str, np.ndarray]
) -> None:
    digits = normalize_digits(list(mnist_small["x_test"][:240]))
    expected = classifier.classify(digits).labels
    batcher = BatchingClassifier(classifier, max_wait=0.05)
    results: dict[int, np.ndarray] = {}
    start = threading.Barrier(8)

    def worker(index: int) -> None:
        with batcher.participant():
            start.wait()
            results[index] = batcher.classify(digits[index * 30 : (index + 1) * 30]).labels

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    batcher.close()
    np.testing.assert_array_equal(np.concatenate([results[i] for i in range(8)]), expected)
    assert batcher.stats.requests == 8
    assert batcher.stats.batches < 8, "no two requests shared a model call"


def test_a_lone_request_does_not_wait_for_the_deadline(classifier: Classifier) -> None:
    batcher = BatchingClassifier(classifier, max_wait=30.0)
    with batcher.participant():
        predictions = batcher.classify(np.zeros((3, 28, 28), np.float32))
    batcher.close()
    assert len(predictions) == 3


def test_a_big_page_goes_in_pieces_that_live_frames_can_join(
    classifier: Classifier, mnist_small: dict[str, np.ndarray]
) -> None:
    page = normalize_digits(list(mnist_small["x_test"][:600]))
    expected = classifier.classify(page)
    batcher = BatchingClassifier(classifier, max_batch=256)
    predictions = batcher.classify(page)
    batcher.close()
    np.testing.assert_array_equal(predictions.labels, expected.labels)
    np.testing.assert_allclose(predictions.probabilities, expected.probabilities, atol=1e-5)
    # 600 crops in model calls of at most 256: a frame's crops never wait behind one long call.
    assert batcher.stats.batches == 3 and batcher.stats.crops == 600
