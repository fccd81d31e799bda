"""``python -m pipeline`` is the ``yt2post`` command."""

from pipeline._entry import main

main()
