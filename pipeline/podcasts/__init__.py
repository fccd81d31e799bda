"""Podcast feeds as a source: the feed (``feed``), the publisher's transcripts (``transcripts``),
Apple Podcasts links (``apple``) and the HTTP they all go through (``fetching``)."""
