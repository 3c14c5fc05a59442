"""Which bundled samples the tests use for what (paths relative to samples/)."""

# A phone photo read exactly; the format, CLI and service tests convert or replay it.
CLEAN_PHOTO = "photos/photo_002_coloured_ink.jpg"
# A 1280x720 photo the live-service tests turn into a camera video.
LIVE_PHOTO = "photos/photo_002_coloured_ink.jpg"
# A scanned page read exactly.
CLEAN_PAGE = "pages/page_003_noisy_scan.jpg"
