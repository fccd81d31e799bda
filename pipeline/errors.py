"""Typed errors raised by the core, and the exit statuses the CLI maps them to.

The core never prints: it raises one of these. The CLI boundary (``pipeline.cli.base``)
turns each into one line naming the video and the cause.
"""

from __future__ import annotations

import re
from enum import IntEnum
from typing import Any


class ExitStatus(IntEnum):
    OK = 0
    VIDEO_FAILED = 1  # at least one video failed; the others finished
    USAGE = 2  # bad arguments or configuration
    INTERRUPTED = 130
    BROKEN_PIPE = 141  # the reader of the output went away (``| head``): 128 + SIGPIPE, as the shell has it


class Yt2PostError(Exception):
    """Base of every error the pipeline raises on purpose."""

    #: Short machine-readable cause, recorded in the video's status.
    cause: str = "error"
    #: Transient causes are retried with backoff; permanent ones are not.
    transient: bool = False
    #: Every video would hit it (a bad API key, an unknown model): the run stops starting work.
    fatal: bool = False

    def __init__(self, message: str, *, video_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.video_id = video_id

    def __str__(self) -> str:
        return self.message


class ConfigError(Yt2PostError):
    """Configuration file or option is invalid. Exit status 2; found while videos run (a
    site's cookies file, read when its session opens), it stops the run."""

    cause = "config"
    fatal = True


class UsageError(Yt2PostError):
    """A source or argument cannot be understood. Exit status 2."""

    cause = "usage"


class ArtifactError(Yt2PostError):
    """A stage's input artifact is missing or unreadable."""

    cause = "artifact"


class ArtifactMissing(ArtifactError):
    """The artifact file is not there (the stage that makes it has not run)."""


class EarlierStageFailed(Yt2PostError):
    """A stage's input is missing because the stage that makes it failed: that failure (its
    cause, recorded in the video's status) stands, and is what the user reads."""

    def __init__(self, message: str, *, cause: str, video_id: str | None = None) -> None:
        super().__init__(message, video_id=video_id)
        self.cause = cause


# --- fetch -----------------------------------------------------------------------------


class Deferred(Exception):
    """One of the video's model calls waits for an answer the executor does not have yet (a
    batch of the Batch API): the video waits for the next round. Not a ``Yt2PostError``: a
    deferred video has not failed."""


class TranscriptionPlanned(Exception):
    """``--dry-run``: the video's words would come from speech recognition, which costs; the dry
    run counts its cost (from ``meta``'s duration) instead. Not a ``Yt2PostError``: nothing failed."""

    def __init__(self, meta: Any) -> None:
        super().__init__(f"{meta.id}: words by speech recognition")
        self.meta = meta  # the video's Metadata


class FetchError(Yt2PostError):
    """The video's metadata or words could not be had. ``cause`` says why."""

    cause = "fetch"
    #: What happened, for any site; a site's module says it in its own words, with its settings
    #: (``what`` of ``of``), written once there for every place that finds it.
    what = "the video could not be fetched"

    @classmethod
    def of(cls, video_id: str, detail: str = "", *, what: str | None = None) -> FetchError:
        """This cause's one line for ``video_id``, with what the library said when it helps."""
        return cls(f"{video_id}: {what or cls.what}" + (f": {detail}" if detail else ""), video_id=video_id)


class VideoPrivate(FetchError):
    cause, what = "private", "the video is private"


class VideoUnavailable(FetchError):
    cause = "unavailable"
    what = "the video is unavailable (removed, private, blocked in this country or by copyright)"


class AgeRestricted(FetchError):
    cause = "age_restricted"
    what = "the video is age-restricted; give the site's cookies of a signed-in account"


class MembersOnly(FetchError):
    cause, what = "members_only", "the video is for members only; give the site's cookies of a member"


class LiveOrUpcoming(FetchError):
    cause, what = "live_or_upcoming", "the video is live or not aired yet; rerun after it airs"


class NoTranscript(FetchError):
    cause, what = "no_transcript", "no transcript"


class TranscriptsUnreachable(NoTranscript):
    """The site's transcripts could not be had for now (a network error, a busy server, after
    their retries), and no other way found words: a network failure, tried again later, not a
    video without words."""

    cause, transient = "network", True


class IpBlocked(FetchError):
    cause, transient = "ip_blocked", True
    what = "the site is blocking this IP; wait and rerun"


class RateLimited(IpBlocked):
    """The site is limiting this IP's requests (Bilibili's risk control: code -352, -799): paced,
    paused and retried like a block."""

    cause = "rate_limited"
    what = "the site is limiting this IP's requests; wait and rerun, or set the site's proxy and cookies"


class LoginRequired(FetchError):
    """Only a logged-in account gets it (Bilibili's AI subtitles want the ``SESSDATA`` cookie)."""

    cause = "login_required"
    what = "this needs a logged-in account; set the site's cookies_file (or cookies_from_browser)"


class PoTokenRequired(FetchError):
    cause = "po_token_required"
    what = ("the site wants a proof-of-origin token for this video's captions; the yt-dlp caption tracks or "
            "speech recognition (asr.backend) can still get the words")


_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\"()\]>]+)")


def os_reason(message: str) -> str:
    """The operating system's words for a failed connection in a library's error text
    (``[Errno -2] Name or service not known`` → ``name or service not known``); "" if none."""
    found = _ERRNO.search(message)
    return found.group(1).strip().lower() if found else ""


class NetworkError(FetchError):
    cause, transient, what = "network", True, "network error"

    @classmethod
    def of(cls, video_id: str, detail: str = "", *, what: str | None = None, way_out: str = "") -> FetchError:
        """``detail``: what failed, whole; ``way_out``: the settings or files that get around it."""
        return cls(f"{video_id}: {what or cls.what}: {detail or 'no answer'}" + (f"; {way_out}" if way_out else ""),
                   video_id=video_id)


class AsrError(FetchError):
    cause = "asr"


class InputTooLarge(FetchError):
    """A file from a source (info.json, caption, list) is over ``max_input_mb``."""

    cause = "input_too_large"


class NotARegularFile(FetchError):
    """A source path is a device, FIFO or folder where a file was expected (``/dev/zero``)."""

    cause = "not_a_file"


# --- summarize -------------------------------------------------------------------------


class LLMError(Yt2PostError):
    """The language model could not give a usable answer."""

    cause = "llm"


class LLMInvalidOutput(LLMError):
    cause = "llm_invalid_output"


class LLMRefusal(LLMError):
    cause = "llm_refusal"


class LLMEmptyAnswer(LLMError):
    cause = "llm_empty"


class LLMTruncated(LLMError):
    """``finish_reason == "length"``: the answer was cut off."""

    cause = "llm_truncated"


class LLMRequestFailed(LLMError):
    """The endpoint answered with an error that retrying will not fix (or retries ran out)."""

    cause = "llm_request"


class LLMSetupError(LLMError):
    """The endpoint cannot serve any video as configured; the message names the setting to fix."""

    cause = "llm_setup"
    fatal = True


class LLMAuthError(LLMSetupError):
    cause = "llm_auth"


class LLMModelNotFound(LLMSetupError):
    cause = "llm_model"


class LLMNotOpenAICompatible(LLMSetupError):
    cause = "llm_endpoint"


class LLMUnreachable(LLMSetupError):
    cause = "llm_unreachable"


class IncompleteArticle(LLMError):
    """A part of a long transcript produced no section, even after a redo."""

    cause = "llm_incomplete"


class RunStopping(Yt2PostError):
    """Ctrl-C or SIGTERM came while the video was under way: its next model call was not
    started. What it had is kept (a long video's part answers too); it counts as not started."""

    cause = "stopped"


class BudgetExceeded(Yt2PostError):
    """``--max-cost`` would be passed by starting this video."""

    cause = "budget"


# --- write -----------------------------------------------------------------------------


class WriteError(Yt2PostError):
    cause = "write"


class StorageError(Yt2PostError):
    """The file system refused a write (permissions, I/O); the message names the path."""

    cause = "io_error"


class DiskFull(StorageError):
    """ENOSPC or a quota: the write was abandoned whole, earlier files are intact."""

    cause = "disk_full"
