"""Summarize calls through an OpenAI-format Batch API: half the price, answers within 24 hours.

- ``records``: what is kept on disk (``videos/<id>/batch.json``, ``batches/<id>.json``).
- ``llm``: the summarize stage's client in batch mode (records requests, answers from results).
- ``jobs``: the provider's files and batches endpoints (submit, poll, download, apply, cancel).
- ``executor``: the summarize stage's calls through the Batch API, which the runner runs in
  rounds, and export/import of JSONL for engines such as vLLM's ``run-batch``.
"""
