"""Where videos and their words come from: SOURCE arguments (URL forms, files, folders, lists,
playlists), yt-dlp metadata and its paced YouTube session, the transcript fallback chain,
caption formats and their cleaning, speech recognition, and the fetch stage that runs them."""
