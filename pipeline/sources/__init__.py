"""Where videos and their words come from: SOURCE arguments (URL forms, files, folders, lists,
playlists), yt-dlp metadata, the sites' paced limiter, the transcript fallback chain,
caption formats and their cleaning, speech recognition, and the fetch stage that runs them."""
