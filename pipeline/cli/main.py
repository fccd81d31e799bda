"""The ``yt2post`` command: the group and every command module that adds to it."""

# Importing a command module adds its commands to the group.
from pipeline.cli import batches, manage, review, run, watch  # noqa: F401
from pipeline.cli.base import main

__all__ = ["main"]

if __name__ == "__main__":  # pragma: no cover
    main()
