"""`python -m recognizer` runs the `digits` command."""

# Guarded: reader processes are started with spawn, which imports the main module again
# (and need none of the command line's imports).
if __name__ == "__main__":
    from recognizer.cli import main

    main()
