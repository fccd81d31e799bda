"""The model: the OpenAI-compatible client and its errors, prompt files, token estimates and
splitting of long transcripts, pacing, costs, the summarize stage that uses them, and the
review desk's regenerations (``revise``)."""
