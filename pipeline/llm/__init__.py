"""The model: the OpenAI-compatible client and its errors, prompt files, token estimates and
splitting of long transcripts, pacing, costs, and the summarize stage that uses them."""
