"""Stage 1, fetch, and what it reads: SOURCE arguments into videos (URLs and ids through the
sites' registry, files, folders, lists, playlists and channels), the order the words are looked
for in (the site's own transcripts, caption tracks, speech recognition), and speech recognition."""
