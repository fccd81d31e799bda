"""The library's entry point for a run: which videos run, then the stages over them.

``run(RunRequest(...), config, out)`` is what the CLI, the review desk and tests call. It resolves the
sources (URLs, ids already in the output folder, files, folders, lists, playlists), leaves out
ignored videos, checks before any work what would fail every video (the prompt templates, the
API key), and runs the stages. The result says what happened; nothing here prints.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.artifacts import MetadataFile
from pipeline.config import Config
from pipeline.errors import ConfigError, ExitStatus, UsageError
from pipeline.redact import remember as remember_secrets, url_secrets
from pipeline.context import RunOptions
from pipeline.context import Reporter, RunOverview, SilentReporter
from pipeline.runner import Runner, RunSummary, failed_videos
from pipeline.shapes import VideoRef
from pipeline.sites import DEFAULT, of_store_id, store_id, video_of_page, video_of_url
from pipeline.sources.listing import expand_sources, site_lister
from pipeline.stages import NAMES, needing
from pipeline.store import Store

if TYPE_CHECKING:
    from pipeline.llm.prompts import Prompts
    from pipeline.watch import Selection


@dataclass
class RunReport:
    summary: RunSummary
    estimates: list[Any] | None = None  # ``dry_run``: each video's planned calls, tokens, cost
    ignored: list[str] = field(default_factory=list)  # videos the reviewer rejected, left alone
    approved: list[str] = field(default_factory=list)  # approved posts a forced run left out (not named)
    left_out: int = 0  # recorded failures ``retry_failed`` left out: not among the sources
    source_errors: list[str] = field(default_factory=list)  # "FILE:LINE: reason" of list files
    watched: Selection | None = None  # ``new``: what the sources list, and which of it is new

    @property
    def exit_status(self) -> ExitStatus:
        if self.summary.stopped_by is not None and self.summary.stopped_by.fatal:
            return ExitStatus.USAGE
        if self.summary.failed or self.source_errors:
            return ExitStatus.VIDEO_FAILED
        return ExitStatus.OK


def _known_video(source: str, store: Store) -> VideoRef | None:
    """A URL or id of a video already in the output folder, fetched from a local info.json (or
    of a site whose videos have no URL of their own): reach it the same way again, so its
    current artifacts are not fetched anew."""
    if Path(source).exists():
        return None
    found = video_of_url(source)
    video_id = store_id(found[0].name, found[1]) if found else (
        source if "/" not in source and len(source) <= 64 else None)
    if video_id is None and (found := video_of_page(source)) and store.has_video(store_id(found[0].name, found[1])):
        video_id = store_id(found[0].name, found[1])  # its page, the post's source (a Bilibili video's)
    if not video_id:
        return None
    info = store.load_readable(video_id, MetadataFile) if store.has_video(video_id) else None
    if info and info.info_path and Path(info.info_path).is_file():
        site = of_store_id(video_id, info.webpage_url or "")
        return VideoRef(video_id=video_id, url=info.webpage_url, info_path=Path(info.info_path),
                        site=site[0].name if site else DEFAULT)
    # A site whose videos have no URL of their own (a podcast episode is reached through its
    # feed): the way its status remembers.
    ref = store.load_status(video_id).ref if found and store.has_video(video_id) else None
    if found and not found[0].canonical_url(found[1]) and ref and ref.get("url"):
        return VideoRef(video_id=video_id, url=str(ref["url"]), site=found[0].name)
    return None


def resolve_videos(sources: Sequence[str], store: Store, *, problems: list[str] | None = None,
                   named: set[str] | None = None, **selection: Any) -> list[VideoRef]:
    """Every video of the sources, each once, in order; bad list-file lines go to ``problems``,
    the videos a SOURCE names on its own (``_names_one_video``) to ``named``."""
    if not sources:
        raise UsageError("give at least one SOURCE (a video URL or id, an .info.json, a folder or a list file)")
    videos: list[VideoRef] = []
    for source in sources:
        known = _known_video(source, store)
        found = [known] if known is not None else expand_sources(
            [source], problems=problems, **{k: v for k, v in selection.items() if v is not None})
        if named is not None and (known is not None or _names_one_video(source)):
            named.update(video.video_id for video in found)
        videos.extend(found)
    unique: dict[str, VideoRef] = {}
    for video in videos:
        unique.setdefault(video.video_id, video)
    return list(unique.values())


def _names_one_video(source: str) -> bool:
    """A SOURCE that names one video: its URL or id, its info.json or its audio or video file;
    not a folder, a list file, a playlist or a channel, which name whatever they hold."""
    from pipeline.sources.listing import MEDIA_EXTS

    path = Path(source)
    if path.exists():  # a folder whose name has an id's form names whatever it holds
        return path.is_file() and (source.endswith(".info.json") or path.suffix.lower() in MEDIA_EXTS)
    return video_of_url(source) is not None


def preflight(config: Config, stages: Sequence[str], *, dry_run: bool = False) -> Prompts | None:
    """What would fail every video is a configuration error before any work: templates that
    are missing or do not render, a missing API key, for the stages that need them (``needs``).
    Returns the checked templates for the run."""
    if not needing("prompts", stages) and not needing("model", stages):
        return None
    from pipeline.llm.prompts import Prompts
    from pipeline.llm.summarize import check_prompts

    prompts = Prompts(config)
    check_prompts(config, prompts)
    if needing("model", stages) and not dry_run:
        config.llm.api_key()
    return prompts


@dataclass
class RunRequest:
    """What a run is asked to do: the CLI's ``run``, its stage commands and ``watch``, the review
    desk's retries and tests each make one, and ``run`` takes it.

    ``options`` say which stages run and how (``options.stages``: every stage when empty).
    ``retry_failed`` runs the recorded failures (of the sources, when given); ``new`` only the
    videos no earlier ``new`` run has seen from these sources (``mark_seen``: the ones the
    selection leaves out count as seen); ``dry_run`` only estimates the model calls; ``videos``
    are run instead of the sources' (the desk knows them already). With ``wait`` another run on
    the folder is waited for, without it (and always with ``new``, which schedulers start) refused.
    """

    sources: Sequence[str] = ()
    options: RunOptions = field(default_factory=RunOptions)
    limit: int | None = None
    since: str | None = None  # YYYY-MM-DD
    reverse: bool = False
    retry_failed: bool = False
    dry_run: bool = False
    new: bool = False
    mark_seen: bool = False
    videos: list[VideoRef] | None = None
    wait: bool = True


def run(request: RunRequest, config: Config | None = None, out: Path | str = "output", *,
        reporter: Reporter | None = None, llm: Any | None = None,
        on_wait: Callable[[str], None] | None = None) -> RunReport:
    """Run what ``request`` asks into the output folder ``out``; what happened is in the report.

    The output folder's lock is held throughout (``on_wait`` hears why a run waits). Raises
    ConfigError/UsageError before any work when the run cannot start; every per-video problem
    is in the report instead. ``llm``: the live client to use (tests give one).
    """
    from pipeline.config import load_config
    from pipeline.words.textfiles import set_max_input_mb

    config = config or load_config()
    set_max_input_mb(config.max_input_mb)
    # A source's own credentials (a private feed's password or token) are masked from the start:
    # a message about the source itself (its watch record's) may name it before it is read.
    remember_secrets(secret for source in request.sources for secret in url_secrets(source, path_tokens=False))
    options = request.options
    options.stages = tuple(options.stages) or NAMES
    options.dry_run = request.dry_run
    selection = {"flat_extract": site_lister(config), "limit": request.limit, "since": request.since,
                 "reverse": request.reverse or None}
    sources, new, mark_seen, dry_run, videos = request.sources, request.new, request.mark_seen, request.dry_run, \
        request.videos
    report = RunReport(summary=RunSummary())
    with _lock(Path(out), new=new, wait=request.wait, on_wait=on_wait):
        if new:
            videos = _select_new(sources, out, report, mark_seen, dry_run, selection)
            if not videos:
                return report
        _run_locked(sources, config, Store(out), options, report, retry_failed=request.retry_failed,
                    dry_run=dry_run, videos=videos, reporter=reporter, llm=llm, selection=selection)
        if report.watched is not None and not dry_run:
            from pipeline.watch import remember

            summary = report.summary
            failed = {f.video_id for f in summary.failures}
            # Seen: finished videos. Not started ones (Ctrl-C, budget, waiting for a batch) stay new.
            finished = summary.finished()
            # An ignored video is seen too: the reviewer rejected it, a scheduled run must not
            # bring it up (and print about it) again every time.
            seen = [v.video_id for v in report.watched.videos if v.video_id in finished or v.video_id in report.ignored]
            remember(report.watched, seen, failed)
    return report


def _lock(root: Path, *, new: bool, wait: bool, on_wait: Callable[[str], None] | None) -> Any:
    if new:
        from pipeline.watch import output_lock as busy_or_lock

        return busy_or_lock(root)
    from pipeline.lock import output_lock

    return output_lock(root, wait=wait, on_wait=on_wait)


def _select_new(sources: Sequence[str], out: Path | str, report: RunReport, mark_seen: bool, dry_run: bool,
                selection: dict[str, Any]) -> list[VideoRef]:
    from functools import partial

    from pipeline.watch import remember, select_new

    if not sources:
        raise UsageError("--new needs at least one SOURCE (a playlist, channel or list to watch)")
    chosen = select_new(Path(out), sources, limit=selection.get("limit"), since=selection.get("since"),
                        reverse=bool(selection.get("reverse")), mark_seen=mark_seen, problems=report.source_errors,
                        expand=partial(expand_sources, flat_extract=selection["flat_extract"]))
    report.watched = chosen
    if not chosen.videos and not dry_run:
        remember(chosen, [], [])
    return chosen.videos


def _run_locked(sources: Sequence[str], config: Config, store: Store, options: RunOptions, report: RunReport, *,
                retry_failed: bool, dry_run: bool, videos: list[VideoRef] | None, reporter: Reporter | None,
                llm: Any | None, selection: dict[str, Any]) -> None:
    stages = options.stages
    named: set[str] = set()
    if videos is None:
        videos = _select(sources, store, report, retry_failed, selection, named)
    videos = _without_ignored(videos, store, report)
    if options.force:
        videos = _without_approved(videos, store, report, named)
    if "write" in stages:
        _refuse_another_format(store, config)
        _refuse_a_draft_default_the_format_has_no_field_for(config)
    if options.subtitles and len(videos) != 1:
        raise UsageError("--subtitles FILE goes with exactly one video")
    if options.max_cost is not None:
        from pipeline.llm.cost import call_cost

        if call_cost(config.llm.model, 1_000_000, 0, 0, config.llm.prices) is None:
            raise ConfigError(f"--max-cost needs a price for model {config.llm.model!r} in llm.prices")
    prompts = preflight(config, stages, dry_run=dry_run)
    reporter = reporter or SilentReporter()
    executor = None
    if not dry_run and needing("model", stages) and _batch_api(config, options):
        from pipeline.batchapi.executor import BatchApiExecutor
        from pipeline.llm.client import LLMClient

        executor = BatchApiExecutor(config, store, options, reporter, live=llm or LLMClient(config.llm))
    # The live client itself is built by the run's warm-up, while the first videos are fetched.
    runner = Runner(config, store, options, reporter, llm=llm, prompts=prompts, executor=executor)
    if dry_run:
        report.estimates = runner.plan(videos)
    else:
        if isinstance(reporter, RunOverview):
            reporter.run_started(len(videos), stages, runner.workers(videos))
        runner.run(videos)
    report.summary = runner.summary


def _batch_api(config: Config, options: RunOptions) -> bool:
    """Whether the model is asked through the provider's Batch API (or its export and import)."""
    return config.llm.mode == "batch" or options.batch_api or options.batch_export is not None \
        or bool(options.batch_import)


def _select(sources: Sequence[str], store: Store, report: RunReport, retry_failed: bool,
            selection: dict[str, Any], named: set[str]) -> list[VideoRef]:
    if not retry_failed:
        return resolve_videos(sources, store, problems=report.source_errors, named=named, **selection)
    failed = failed_videos(store)
    if not sources:
        return failed
    # Reached as the sources reach them now (a private feed's credential is not kept in a status).
    wanted = {v.video_id: v for v in resolve_videos(sources, store, problems=report.source_errors, named=named,
                                                    **selection)}
    chosen = [wanted[v.video_id] for v in failed if v.video_id in wanted]
    report.left_out = len(failed) - len(chosen)
    return chosen


def _without_ignored(videos: list[VideoRef], store: Store, report: RunReport) -> list[VideoRef]:
    kept = []
    for video in videos:
        if store.has_video(video.video_id) and store.load_status(video.video_id).ignored:
            report.ignored.append(video.video_id)
        else:
            kept.append(video)
    return kept


def _refuse_another_format(store: Store, config: Config) -> None:
    """One output folder holds one format's posts: a run writing posts of another format than
    the folder's posts are in is refused before any work, whichever videos it names (a post of
    another generator would be read, found and approved by the wrong rules)."""
    from pipeline.artifacts import PostRecord

    for video_id in store.video_ids():
        record = store.load_readable(video_id, PostRecord)
        if record is not None and record.path and record.format != config.post.format:
            raise UsageError(f"{store.root}: its posts are {record.format} posts ({video_id}'s is); "
                             f"post.format is {config.post.format}: one output folder holds one format's posts, "
                             f"so give {config.post.format} posts another --out (or set post.format: {record.format})")


def _refuse_a_draft_default_the_format_has_no_field_for(config: Config) -> None:
    """``front_matter.draft: false`` (posts published as written) for a format whose drafts are
    a folder (Hexo's, Jekyll's) is refused as ``--set draft=false`` is: its posts would be
    drafts all the same, the setting silently not held."""
    from pipeline.post.formats import get_format

    post_format = get_format(config.post.format)
    if not config.front_matter.draft and "draft" in post_format.not_settable:
        raise ConfigError(f"front_matter.draft: false cannot hold for {post_format.name} posts: "
                          f"{post_format.not_settable['draft']} (or remove the setting)")

def _without_approved(videos: list[VideoRef], store: Store, report: RunReport, named: set[str]) -> list[VideoRef]:
    """``--force`` redoes no approved post (an approved post is never
    regenerated) unless its video was named on its own; then it is redone like any post the
    reviewer changed, the new text beside it."""
    from pipeline.status import review_state

    kept = []
    for video in videos:
        if video.video_id not in named and store.has_video(video.video_id) \
                and review_state(store, video.video_id)[1] == "approved":
            report.approved.append(video.video_id)
        else:
            kept.append(video)
    return kept


def stored_video_id(text: str, store: Store) -> str:
    """The folder name under ``videos/`` of the video a URL or id names, or of the video in
    ``store`` whose page it is (``text`` itself when it names none): the commands about videos
    already in the output folder take either."""
    found = video_of_url(text)
    if found:
        return store_id(found[0].name, found[1])
    page = video_of_page(text)
    stored = store_id(page[0].name, page[1]) if page else None
    return stored if stored and store.has_video(stored) else text


def set_ignored(store: Store, video_ids: Sequence[str], ignored: bool) -> list[str]:
    """Mark videos as rejected by the reviewer (never fetched, summarized or written again), or
    take that back. Returns the ids that were not in the output folder."""
    unknown = []
    for video_id in (stored_video_id(text, store) for text in video_ids):
        if not store.has_video(video_id):
            if not ignored:
                unknown.append(video_id)
                continue
        store.update_status(video_id, ignored=ignored)
    return unknown
