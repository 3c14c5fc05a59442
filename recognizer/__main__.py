"""`python -m recognizer` runs the `digits` command."""

from recognizer.cli import main

main()
