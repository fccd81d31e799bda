"""``python -m pipeline`` is the ``yt2post`` command."""

from pipeline.cli import main

main(prog_name="yt2post")
