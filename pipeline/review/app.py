"""The review desk's web application: the desk (every video), a video page, and the reviewer's
actions. ``create_app`` builds it over an output folder; ``pipeline.review.serve`` runs it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from pipeline.llm.chunking import format_timestamp
from pipeline.config import Config
from pipeline.errors import Yt2PostError
from pipeline.language import source_language
from pipeline.artifacts import ArticleFile, Artifact, CandidateFile, FlagsFile, MetadataFile, TranscriptFile
from pipeline.review import posts
from pipeline.review.index import STATES, DeskIndex
from pipeline.review.jobs import CANDIDATE, MAX_INSTRUCTION, Jobs
from pipeline.review.render import Evidence, PostSection, diff_lines, evidence, post_sections, video_link
from pipeline.review.security import CSRF_FIELD, Guard, csrf_token, state_changing
from pipeline.redact import install as install_redactor
from pipeline.redact import redact
from pipeline.store import Store
from pipeline.post.write import canonical_source, section_links_url

STATIC = Path(__file__).resolve().parent / "static"


def _templates() -> Environment:
    env = Environment(loader=PackageLoader("pipeline.review", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    env.filters["ts"] = lambda s: format_timestamp(s) if isinstance(s, (int, float)) else ""
    env.filters["cost"] = lambda c: f"${c:.4f}" if isinstance(c, (int, float)) else "–"
    return env


def _page(request: Request, name: str, **context: Any) -> HTMLResponse:
    app = request.app
    html = app.state.templates.get_template(name).render(csrf=app.state.csrf, csrf_field=CSRF_FIELD, **context)
    return HTMLResponse(html)


def _video_id(request: Request) -> str | None:
    """The path's video id, when it is a video of this output folder."""
    video_id = request.path_params["video_id"]
    store: Store = request.app.state.store
    try:
        return video_id if store.video_dir(video_id).is_dir() else None
    except Yt2PostError:
        return None


def _back(video_id: str, message: str = "") -> RedirectResponse:
    from urllib.parse import quote

    return RedirectResponse(f"/video/{video_id}" + (f"?msg={quote(message)}" if message else ""), status_code=303)


# Pages are plain functions: Starlette runs them in its thread pool, so file reads never block
# the event loop.
def desk(request: Request) -> Response:
    index: DeskIndex = request.app.state.index
    state = request.query_params.get("state", "")
    search = request.query_params.get("q", "")
    try:
        page_number = int(request.query_params.get("page", "1"))
    except ValueError:
        page_number = 1
    page = index.query(state if state in STATES else "", search, page_number)
    return _page(request, "desk.html", page=page, state=state, q=search, states=STATES,
                 out=str(request.app.state.store.root), post_language=request.app.state.config.post.language)


def video(request: Request) -> Response:
    video_id = _video_id(request)
    if video_id is None:
        return PlainTextResponse("404: no such video in this output folder", status_code=404)
    return _video_page(request, video_id)


def _video_page(request: Request, video_id: str, changed: posts.PostChanged | None = None) -> HTMLResponse:
    """The video page; after an action refused because the post changed (``changed``), with
    that refusal and its diff on top, answered with 409."""
    app = request.app
    store: Store = app.state.store
    config: Config = app.state.config
    row = app.state.index.row(video_id)
    # The page shows what can be read, as plain dicts for the templates.
    meta_file = store.load_readable(video_id, MetadataFile)
    meta = meta_file.model_dump(mode="json") if meta_file else {}
    article = _dump(store.load_readable(video_id, ArticleFile))
    transcript = _dump(store.load_readable(video_id, TranscriptFile))
    flags = _dump(store.load_readable(video_id, FlagsFile)).get("flags") or []
    paragraphs = transcript.get("paragraphs") or []
    problems = []
    try:
        post = posts.find_post(store, video_id)
    except Yt2PostError as exc:  # a post broken by hand is shown as a problem, not a crash
        post, problems = None, [str(exc)]
    source = canonical_source(meta_file) if meta_file else ""
    prelude: Markup | str = ""
    sections: list[PostSection] = []
    proofs: list[Evidence] = []
    if post is not None:
        app.state.shown.remember(post)
        prelude, sections = post_sections(post.body, list(article.get("sections") or []), flags)
        proofs = evidence(flags, sections, paragraphs)
    candidate_file = store.load_readable(video_id, CandidateFile)
    candidate = candidate_file.model_dump(mode="json") if candidate_file else None
    diff = []
    if candidate_file and candidate_file.state == "done" and post is not None:
        try:
            # As Accept would write it: with the section links, when they are on.
            diff = diff_lines(post.text, posts.candidate_text(post, candidate_file, section_links_url(source, config)))
        except (KeyError, ValueError, TypeError, Yt2PostError) as exc:
            candidate = dict(candidate, state="failed", error=f"cannot apply this candidate: {exc}")
    job = app.state.jobs.get(video_id)
    page = _page(
        request, "video.html", video_id=video_id, row=row, meta=meta, article=article, transcript=transcript,
        paragraphs=paragraphs, post=post, prelude=prelude, sections=sections, evidence=proofs, flags=flags,
        candidate=candidate, diff=diff, job=job.public() if job else None, source=source,
        link=lambda seconds: video_link(source, seconds), taxonomy=config.taxonomy,
        front=post.front if post else {}, message=request.query_params.get("msg", ""),
        warnings=problems + list(article.get("warnings") or []) + list(transcript.get("notes") or []),
        status=store.status(video_id), version=post.version if post else "",
        conflict=_conflict(app, changed) if changed else None,
        # The browser picks the glyphs of Han characters by the text's language: a zh-Hant post
        # marked as the desk's zh-CN is drawn in Simplified forms.
        post_language=config.post.language, transcript_language=_tag(transcript.get("language")),
    )
    if changed:
        page.status_code = 409
    return page


def _tag(language: str | None) -> str:
    """The BCP-47 tag of a transcript's language as sites write it (``ai-zh``, ``en-orig``);
    empty when it names none."""
    found = source_language(language)
    return found.tag if found else ""


def _conflict(app: Any, changed: posts.PostChanged) -> dict[str, Any]:
    """What the page shows of a refused action: the reason, where the desk's text is kept, and
    the diff of the two versions: the file against the desk's text, else the text the page had
    shown (while the desk still has it) against the file."""
    if changed.theirs is not None:
        old, new, label = changed.current, changed.theirs, "− on disk now, + yours"
    else:
        old = app.state.shown.text(changed.shown) if changed.shown else None
        new, label = changed.current, "− as the page showed it, + on disk now"
    diff = diff_lines(old, new) if old is not None else []
    return {"message": str(changed), "kept": changed.kept.name if changed.kept else "", "diff": diff,
            "label": label if diff else ""}


def _dump(artifact: Artifact | None) -> dict[str, Any]:
    return artifact.model_dump(mode="json") if artifact is not None else {}


def job_status(request: Request) -> Response:
    video_id = _video_id(request)
    if video_id is None:
        return JSONResponse({"error": "no such video"}, status_code=404)
    job = request.app.state.jobs.get(video_id)
    return JSONResponse(job.public() if job else {"state": "none"})


def _action(func: Any) -> Any:
    """A POST on one video: CSRF-checked, then ``func(request, video_id, form)``; errors go back
    to the page as a message."""

    @state_changing
    async def handler(request: Request, form: FormData) -> Response:
        video_id = _video_id(request)
        if video_id is None:
            return PlainTextResponse("404: no such video in this output folder", status_code=404)
        try:
            message = await run_in_threadpool(func, request.app, video_id, {k: str(v) for k, v in form.items()})
        except posts.PostChanged as exc:
            request.app.state.index.forget(video_id)
            return await run_in_threadpool(_video_page, request, video_id, exc)
        except (Yt2PostError, ValueError, OSError) as exc:
            message = redact(f"not done: {exc}")
        request.app.state.index.forget(video_id)
        return _back(video_id, message or "")

    handler.__name__ = func.__name__
    return handler


def _save(app: Any, video_id: str, form: dict[str, str]) -> str:
    path, reviewers = posts.save(app.state.store, video_id, form, app.state.config, form.get("version"))
    if not reviewers:
        return f"saved {path.name}: nothing changed, so it is not your edit (a run may still rewrite it)"
    return f"saved {path.name}; it is now your edit and no run will overwrite it"


def _approve(app: Any, video_id: str, form: dict[str, str]) -> str:
    path = posts.approve(app.state.store, video_id, app.state.config, form.get("version"))
    site = app.state.config.review.site_dir
    return f"approved {path.name}" + (f" and copied into {site}" if site else "")


def _ignore(app: Any, video_id: str, form: dict[str, str]) -> str:
    ignored = form.get("ignored", "1") == "1"
    app.state.store.update_status(video_id, ignored=ignored)
    return "ignored: runs will leave this video alone" if ignored else "no longer ignored"


def _retry(app: Any, video_id: str, form: dict[str, str]) -> str:
    if app.state.jobs.start(video_id, "retry", app.state.jobs.retry) is None:
        return "not started: this video already has work running"
    return "retry started"


def _regenerate(app: Any, video_id: str, form: dict[str, str]) -> str:
    jobs: Jobs = app.state.jobs
    if jobs.running(video_id):
        return "not started: this video already has work running"
    instruction = form.get("instruction", "").strip()[:MAX_INSTRUCTION]
    # A regeneration writes nothing yet, but the section it rewrites, and the text its candidate
    # will be shown against, must be the ones the reviewer saw.
    post = posts.find_post(app.state.store, video_id)
    posts.check_version(app.state.store, video_id, post, form.get("version"))

    def remove_old_candidate() -> None:
        # Before the job starts (a quick job's result must not be removed) and under the jobs'
        # lock with the check (a double click must not remove the first job's result).
        app.state.store.path(video_id, CANDIDATE).unlink(missing_ok=True)

    number = int(form.get("section") or 0)
    if number:
        if post is None:
            raise ValueError("this video has no post yet")
        article = _dump(app.state.store.load_readable(video_id, ArticleFile))
        _, sections = post_sections(post.body, list(article.get("sections") or []), [])
        if not 1 <= number <= len(sections):
            raise ValueError(f"the post has no section {number}")
        s = sections[number - 1]
        started = jobs.start(video_id, "section", jobs.regenerate_section, number, s.heading, s.body, s.start,
                             s.end, instruction, prepare=remove_old_candidate)
    else:
        started = jobs.start(video_id, "article", jobs.regenerate_article, instruction, prepare=remove_old_candidate)
    if started is None:
        return "not started: this video already has work running"
    return "regenerating in the background; the candidate appears here when it is ready"


def _accept(app: Any, video_id: str, form: dict[str, str]) -> str:
    candidate = app.state.store.load(video_id, CandidateFile)
    if candidate.state != "done":
        raise ValueError("there is no finished candidate to accept")
    path = posts.accept(app.state.store, video_id, candidate, app.state.config, form.get("version"))
    return f"candidate accepted into {path.name}"


def _discard(app: Any, video_id: str, form: dict[str, str]) -> str:
    app.state.store.path(video_id, CANDIDATE).unlink(missing_ok=True)
    return "candidate discarded"


ACTIONS = {"save": _save, "approve": _approve, "ignore": _ignore, "retry": _retry, "regenerate": _regenerate,
           "candidate/accept": _accept, "candidate/discard": _discard}


def create_app(out: Path | str, config: Config, *, token: str, allowed_hosts: set[str],
               allow_ip_hosts: bool = False) -> Guard:
    """The desk over the output folder ``out``, answering only with ``token`` and to ``allowed_hosts``."""
    install_redactor(config)  # job errors and messages carry no key or password from the config
    store = Store(out)
    routes = [
        Route("/", desk),
        Route("/video/{video_id}", video),
        Route("/video/{video_id}/job", job_status),
        *(Route(f"/video/{{video_id}}/{name}", _action(func), methods=["POST"]) for name, func in ACTIONS.items()),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.store = store
    app.state.config = config
    app.state.index = DeskIndex(store)
    app.state.jobs = Jobs(config, store)
    app.state.shown = posts.ShownPosts()
    app.state.templates = _templates()
    app.state.csrf = csrf_token(token)
    guarded = Guard(app, token=token, allowed_hosts=allowed_hosts, allow_ip_hosts=allow_ip_hosts)
    guarded.starlette = app  # type: ignore[attr-defined]  # for tests and the benchmark
    return guarded
