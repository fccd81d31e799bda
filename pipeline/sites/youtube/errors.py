"""YouTube's causes in its own words: yt-dlp's error texts for YouTube (matched by substring:
they are only text), the connection errors of yt-dlp and youtube-transcript-api, and the
settings of ``youtube:`` that get around each."""

from __future__ import annotations

import re
import textwrap

from pipeline.errors import (AgeRestricted, FetchError, IpBlocked, LiveOrUpcoming, MembersOnly, NetworkError,
                             PoTokenRequired, VideoPrivate, VideoUnavailable, os_reason)

WHAT: dict[type[FetchError], str] = {
    IpBlocked: "YouTube is blocking this IP; set youtube.proxy and/or youtube.cookies_file in config.yaml, "
               "or wait and rerun",
    AgeRestricted: "the video is age-restricted; set youtube.cookies_file to a signed-in account's cookies",
    MembersOnly: "the video is for channel members only; set youtube.cookies_file to a member's cookies",
    PoTokenRequired: "YouTube wants a PO token for this video's captions; the yt-dlp caption tracks or speech "
                     "recognition (asr.backend) can still get the words",
    NetworkError: "network error talking to YouTube",
}


# "[Errno 111] Connection refused": the operating system's words, the heart of a network error.


def network_reason(message: str) -> tuple[str, bool]:
    """What failed in a connection (yt-dlp's text, or requests' through youtube-transcript-api),
    whole and short, and whether it was the proxy."""
    text = message.lower()
    proxy = "proxy" in text or "socks" in text
    why = os_reason(message)
    if proxy:
        return f"cannot connect to the proxy ({why or 'no answer'})", True
    if "resolve" in text or "name resolution" in text or "name or service" in text:
        return f"cannot resolve www.youtube.com ({why or 'no DNS answer'})", False
    if "timed out" in text:
        return "no answer within youtube.timeout", False
    # The library's words, without its "ERROR: [youtube] <id>: " and "(caused by …)" wrapping.
    plain = message.split("(caused by", 1)[0].removeprefix("ERROR:").strip()
    plain = re.sub(r"^\[[^\]]+\] [^:]+: ", "", plain)
    return why or textwrap.shorten(" ".join(plain.split()), 160, placeholder=" …"), False


def network_error(message: str, video_id: str) -> FetchError:
    """A failed connection as one line: what failed, and the setting or the offline way around it."""
    detail, proxy = network_reason(message)
    offline = "or run on files yt-dlp wrote elsewhere (see Offline in the README)"
    way_out = f"check youtube.proxy, {offline}" if proxy else (
        "check the network; where YouTube is out of reach, set youtube.proxy (and youtube.cookies_file), " + offline)
    return NetworkError.of(video_id, detail, what=WHAT[NetworkError], way_out=way_out)


def cause(kind: type[FetchError], video_id: str, detail: str = "") -> FetchError:
    """One cause for ``video_id`` in YouTube's words (``WHAT``), else the cause's own."""
    return kind.of(video_id, detail, what=WHAT.get(kind))


def classify_ytdlp_error(message: str, video_id: str) -> FetchError:
    """Map yt-dlp's error text to one cause with a message that says what to do."""
    text = message.lower().replace("’", "'")
    detail = message.strip()[:200]
    if "confirm you're not a bot" in text or "http error 429" in text or "try again later" in text:
        return cause(IpBlocked, video_id)
    if "private video" in text:
        return cause(VideoPrivate, video_id)
    if "confirm your age" in text or "age-restricted" in text or "inappropriate for some users" in text:
        return cause(AgeRestricted, video_id)
    if "members-only" in text or "join this channel" in text or "members only" in text:
        return cause(MembersOnly, video_id)
    if "premieres in" in text or "live event will begin" in text or "is upcoming" in text or "is live" in text:
        return cause(LiveOrUpcoming, video_id)
    if any(s in text for s in ("unable to download", "timed out", "connection", "name or service not known",
                                "temporary failure", "network is unreachable")):
        return network_error(message, video_id)
    if any(s in text for s in ("video unavailable", "not available", "has been removed", "copyright",
                                "does not exist", "terminated")):
        return cause(VideoUnavailable, video_id, detail)
    return FetchError(f"{video_id}: yt-dlp failed: {detail}", video_id=video_id)


