"""The ``yt2post`` command: each command parses its arguments, calls the library, prints."""
