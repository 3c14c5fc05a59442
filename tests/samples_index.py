"""Which bundled samples the tests use for what (paths relative to samples/).

These are samples the shipped model reads exactly; the tests convert them to other
formats, upload them or replay them as a camera, and check that nothing on the way
loses a digit. How well the recognizer does on all samples is tests/test_samples.py's job.
"""

# A 1280x720 camera photo (a webcam's orange cast, noise and blur; printed labels beside the digits).
CLEAN_PHOTO = "photos/photo_007_webcam.jpg"
# A dim 1280x720 pencil photo the live-service tests turn into a camera video.
LIVE_PHOTO = "photos/photo_014_pencil_dim.jpg"
# A scanned page.
CLEAN_PAGE = "pages/page_003_noisy_scan.jpg"
