"""`python -m recognizer` runs the `digits` command."""

from recognizer.cli import main

# Guarded: reader processes are started with spawn, which imports the main module again.
if __name__ == "__main__":
    main()
