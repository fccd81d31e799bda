"""Stage 3, write: the Markdown draft in the configured post format (``formats``), reviewer
edits kept, ``--set`` values checked, the posts index, links to a second, and the
faithfulness flags a reviewer checks."""
