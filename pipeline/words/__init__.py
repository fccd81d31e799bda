"""Where the words of a video come from, whatever its site: caption files in every format people
hand us and their encodings, their cleaning into paragraphs, the order tracks are tried in, and
the files yt-dlp leaves beside an info.json."""
