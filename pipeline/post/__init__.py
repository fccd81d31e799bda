"""The Markdown draft: the write stage, safe file names and slugs, untrusted text made inert,
and the faithfulness flags a reviewer checks."""
