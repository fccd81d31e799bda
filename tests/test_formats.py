"""Every post format reads its own posts back: a post written, loaded and saved unchanged is
still the pipeline's; a reviewer's edit is kept on a rerun; the review desk edits, regenerates,
accepts and approves a post of each format (Hexo's and Jekyll's approval moves it), and
``status`` and ``review.site_dir`` follow it. Also: ``--format``, ``init --format``, and an
output folder refusing a second format."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from pipeline.config import Config, load_config
from pipeline.post.formats import FORMATS, get_format
from pipeline.review import posts
from pipeline.review.app import create_app
from pipeline.store import Store
from tests.conftest import CliResult, video_dir_with
from tests.review_desk import TOKEN, shown_version

BW = "bwRHIkYqYJo"
CSRF_FIELD = "csrf_token"
# Where each format's draft of the video is, inside the posts folder, and where it is once approved.
DRAFT = {"eleventy": "2021-07-20-trying-to-wheelie-without-the-rear-brake.md",
         "hugo": "content/posts/trying-to-wheelie-without-the-rear-brake.md",
         "hexo": "source/_drafts/trying-to-wheelie-without-the-rear-brake.md",
         "jekyll": "_drafts/trying-to-wheelie-without-the-rear-brake.md"}
APPROVED = {**DRAFT, "hexo": "source/_posts/trying-to-wheelie-without-the-rear-brake.md",
            "jekyll": "_posts/2021-07-20-trying-to-wheelie-without-the-rear-brake.md"}


def written(cli, tmp_path: Path, name: str, *extra: str) -> Path:
    videos = video_dir_with(tmp_path, BW)
    result = cli("run", "--format", name, str(videos / f"{BW}.info.json"), *extra)
    assert result.code == 0, result.stderr
    return tmp_path / "output"


def review(cli) -> str:
    result: CliResult = cli("status", "--json")
    return json.loads(result.stdout.splitlines()[0])["review"]


def unchanged_form(post: posts.PostFile) -> dict[str, str]:
    """The desk's edit form as its page fills it, sent back without a change."""
    form = {f"fm_{k}": (", ".join(v) if isinstance(v, list) else str(v)) for k, v in post.front.items()
            if not isinstance(v, bool)}
    return {**form, "body": post.body}


@pytest.mark.parametrize("name", list(FORMATS))
def test_a_post_loaded_and_saved_unchanged_is_no_edit(cli, fake_llm, tmp_path: Path, name: str) -> None:
    out = written(cli, tmp_path, name)
    path = out / "posts" / DRAFT[name]
    text = path.read_text(encoding="utf-8")
    post_format = get_format(name)
    loaded = post_format.loads(text)
    assert post_format.dumps(loaded.front, loaded.body) == text  # the format's own round trip
    assert post_format.is_draft(DRAFT[name], text) and loaded.source == f"https://www.youtube.com/watch?v={BW}"
    store = Store(out)
    shown = posts.find_post(store, BW)
    assert shown is not None and shown.draft and shown.path == path
    posts.save(store, BW, unchanged_form(shown), Config(), shown.version)  # the desk's save, nothing changed
    assert path.read_text(encoding="utf-8") == text
    assert review(cli) == "draft"
    again = cli("run", "--format", name, str(tmp_path / "videos" / f"{BW}.info.json"))
    assert again.code == 0 and "1 skipped" in again.stdout, again.stdout


@pytest.mark.parametrize("name", list(FORMATS))
def test_the_desk_says_a_save_without_a_change_leaves_the_draft_yt2posts(cli, fake_llm, tmp_path: Path,
                                                                          name: str) -> None:
    """A save that changed nothing is no edit: the desk must not tell the reviewer that no run
    will overwrite the post (the next run does)."""
    from urllib.parse import unquote

    from pipeline.review.security import csrf_token

    out = written(cli, tmp_path, name)
    app = create_app(out, Config(post={"format": name}), token=TOKEN, allowed_hosts={"127.0.0.1"})
    with TestClient(app, base_url="http://127.0.0.1:8765", follow_redirects=False) as client:
        assert client.get(f"/?token={TOKEN}").status_code == 303
        shown = posts.find_post(Store(out), BW)
        assert shown is not None
        form = {**unchanged_form(shown), CSRF_FIELD: csrf_token(TOKEN), "version": shown_version(client, BW)}
        answer = client.post(f"/video/{BW}/save", data=form)
        assert answer.status_code == 303
        said = unquote(answer.headers["location"])
        assert "no run will overwrite" not in said and "nothing changed" in said, said
        form = {**form, "fm_title": "审稿人的标题", "version": shown_version(client, BW)}
        said = unquote(client.post(f"/video/{BW}/save", data=form).headers["location"])
        assert "it is now your edit and no run will overwrite it" in said, said
        # The reviewer's edit saved again unchanged is still the reviewer's.
        edited = posts.find_post(Store(out), BW)
        assert edited is not None
        form = {**unchanged_form(edited), CSRF_FIELD: csrf_token(TOKEN), "version": shown_version(client, BW)}
        said = unquote(client.post(f"/video/{BW}/save", data=form).headers["location"])
        assert "it is now your edit and no run will overwrite it" in said, said
    assert review(cli) == "edited"

def _edit_form_of(page: str) -> dict[str, str]:
    """The edit form's fields as the browser would send them back unchanged."""
    import html
    import re

    form = re.search(r'<form method="post" action="/video/[^"]+/save".*?</form>', page, re.DOTALL)
    assert form is not None
    fields = {name: html.unescape(value) for name, value in re.findall(r'<input[^>]*name="([^"]+)" value="([^"]*)"', form.group(0))}
    fields |= {name: html.unescape(value) for name, value in
               re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', form.group(0), re.DOTALL)}
    fields |= {name: value for name, value in
               re.findall(r'<select name="([^"]+)">.*?<option value="([^"]*)" selected>', form.group(0), re.DOTALL)}
    return fields


@pytest.mark.parametrize("name", list(FORMATS))
def test_an_empty_field_a_reviewer_left_stays_empty_through_a_desk_save(cli, fake_llm, tmp_path: Path,
                                                                         name: str) -> None:
    """A field left without a value in a text editor (``guest:``, YAML's null) is shown empty on
    the desk and saved so, never as the word None."""
    from pipeline.review.security import csrf_token

    out = written(cli, tmp_path, name)
    path = out / "posts" / DRAFT[name]
    summary = get_format(name).summary_field if name in ("hexo", "jekyll") else "summary"
    text = path.read_text(encoding="utf-8").replace("guest: ''", "guest:")
    path.write_text("\n".join(f"{summary}:" if line.startswith(f"{summary}: ") else line
                              for line in text.split("\n")), encoding="utf-8")
    app = create_app(out, Config(post={"format": name}), token=TOKEN, allowed_hosts={"127.0.0.1"})
    with TestClient(app, base_url="http://127.0.0.1:8765", follow_redirects=False) as client:
        assert client.get(f"/?token={TOKEN}").status_code == 303
        form = _edit_form_of(client.get(f"/video/{BW}").text)
        assert form["fm_guest"] == "" and form[f"fm_{summary}"] == ""
        answer = client.post(f"/video/{BW}/save", data={**form, CSRF_FIELD: csrf_token(TOKEN)})
        assert answer.status_code == 303
    saved = get_format(name).loads(path.read_text(encoding="utf-8"))
    assert saved.front["guest"] in (None, "") and saved.front[summary] in (None, ""), saved.front

@pytest.mark.parametrize("name", list(FORMATS))
def test_a_reviewers_edit_is_kept_by_every_format_on_rerun(cli, fake_llm, tmp_path: Path, name: str) -> None:
    out = written(cli, tmp_path, name)
    path = out / "posts" / DRAFT[name]
    edited = path.read_text(encoding="utf-8").replace("\n### ", "\n审稿人加的一句。\n\n### ", 1)
    path.write_text(edited, encoding="utf-8")
    assert review(cli) == "edited"
    again = cli("run", "--force", "--format", name, str(tmp_path / "videos" / f"{BW}.info.json"))
    assert again.code == 0 and "1 kept (edited by a reviewer)" in again.stdout, again.stdout
    assert path.read_text(encoding="utf-8") == edited
    beside = path.with_name(get_format(name).beside(path.name, "regenerated"))
    assert beside.is_file() and "审稿人加的一句" not in beside.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", list(FORMATS))
def test_the_desk_edits_regenerates_accepts_and_approves_each_format(cli, fake_llm, tmp_path: Path, name: str) -> None:
    out = written(cli, tmp_path, name)
    site = tmp_path / "mysite"
    config = Config.model_validate({"llm": {"base_url": fake_llm.base_url}, "post": {"format": name},
                                    "review": {"site_dir": str(site)}})
    app = create_app(out, config, token=TOKEN, allowed_hosts={"127.0.0.1"})
    with TestClient(app, base_url="http://127.0.0.1:8765", follow_redirects=False) as client:
        assert client.get(f"/?token={TOKEN}").status_code == 303
        from pipeline.review.security import csrf_token

        csrf = {CSRF_FIELD: csrf_token(TOKEN)}
        shown = posts.find_post(Store(out), BW)
        assert shown is not None
        form = {**unchanged_form(shown), "fm_title": "审稿人的标题", **csrf, "version": shown_version(client, BW)}
        assert client.post(f"/video/{BW}/save", data=form).status_code == 303
        assert review(cli) == "edited"
        assert client.post(f"/video/{BW}/regenerate", data={**csrf, "instruction": "更简洁",
                                                             "version": shown_version(client, BW)}).status_code == 303
        job = app.starlette.state.jobs.get(BW)  # type: ignore[attr-defined]
        job.thread.join(timeout=60)
        assert job.state == "done", job.error
        assert client.post(f"/video/{BW}/candidate/accept",
                           data={**csrf, "version": shown_version(client, BW)}).status_code == 303
        accepted = posts.find_post(Store(out), BW)
        assert accepted is not None and accepted.front["title"] != "审稿人的标题" and accepted.draft
        assert 'id="approve" disabled' not in client.get(f"/video/{BW}").text
        assert client.post(f"/video/{BW}/approve", data={**csrf, "version": shown_version(client, BW)}).status_code == 303
        assert 'id="approve" disabled' in client.get(f"/video/{BW}").text
    approved = out / "posts" / APPROVED[name]
    assert approved.is_file() and (name in ("eleventy", "hugo") or not (out / "posts" / DRAFT[name]).exists())
    assert review(cli) == "approved"
    # review.site_dir: the approved post at its place in the site (Eleventy's: its posts folder).
    assert (site / APPROVED[name]).read_bytes() == approved.read_bytes()
    # An approved post is never regenerated: a forced run naming it keeps it.
    before = approved.read_bytes()
    again = cli("run", "--force", "--format", name, str(tmp_path / "videos" / f"{BW}.info.json"))
    assert again.code == 0 and "1 kept" in again.stdout, again.stdout
    assert approved.read_bytes() == before and review(cli) == "approved"


@pytest.mark.parametrize("name", ["hexo", "jekyll"])
def test_yt2post_approve_moves_a_draft_and_a_rerun_finds_it(cli, fake_llm, tmp_path: Path, name: str) -> None:
    out = written(cli, tmp_path, name)
    result = cli("approve", BW)
    assert result.code == 0 and f"approved {BW}: posts/{APPROVED[name]}" in result.stdout, result.stdout
    assert not (out / "posts" / DRAFT[name]).exists() and (out / "posts" / APPROVED[name]).is_file()
    assert review(cli) == "approved"
    again = cli("run", "--format", name, str(tmp_path / "videos" / f"{BW}.info.json"))
    assert again.code == 0 and "1 skipped" in again.stdout
    assert sorted(p.relative_to(out / "posts").as_posix() for p in (out / "posts").rglob("*.md")) == [APPROVED[name]]


@pytest.mark.parametrize(("name", "draft"), [("hugo", False), ("eleventy", True)])
def test_a_post_without_a_draft_line_is_as_its_generator_builds_it(cli, fake_llm, tmp_path: Path, name: str,
                                                                  draft: bool) -> None:
    out = written(cli, tmp_path, name)
    path = out / "posts" / DRAFT[name]
    path.write_text(path.read_text(encoding="utf-8").replace("draft: true\n", "", 1), encoding="utf-8")
    # Hugo publishes a page without ``draft:``; Eleventy's rule is as before (a draft).
    assert get_format(name).is_draft(DRAFT[name], path.read_text(encoding="utf-8")) is draft
    assert review(cli) == ("edited" if draft else "approved")


@pytest.mark.parametrize("name", ["hexo", "jekyll"])
def test_approve_finishes_a_move_a_kill_interrupted(cli, fake_llm, tmp_path: Path, name: str) -> None:
    out = written(cli, tmp_path, name)
    draft, published = out / "posts" / DRAFT[name], out / "posts" / APPROVED[name]
    published.parent.mkdir(parents=True, exist_ok=True)
    os.link(draft, published)  # where a kill after the approval's link, before its record, leaves the post
    result = cli("approve", BW)
    assert result.code == 0 and f"approved {BW}: posts/{APPROVED[name]}" in result.stdout, result.stderr
    assert not draft.exists() and published.is_file() and review(cli) == "approved"


@pytest.mark.parametrize("name", ["hexo", "jekyll"])
def test_a_rerun_finishes_a_move_a_kill_interrupted(cli, fake_llm, tmp_path: Path, name: str) -> None:
    out = written(cli, tmp_path, name)
    draft, published = out / "posts" / DRAFT[name], out / "posts" / APPROVED[name]
    published.parent.mkdir(parents=True, exist_ok=True)
    os.link(draft, published)  # where a kill after the approval's link, before its record, leaves the post
    # Published already (the generator builds it): status says so, and a forced rerun keeps it as
    # the reviewer's instead of writing a new draft beside the published copy.
    assert review(cli) == "approved"
    before = published.read_bytes()
    again = cli("run", "--force", "--format", name, str(tmp_path / "videos" / f"{BW}.info.json"))
    assert again.code == 0 and "1 kept" in again.stdout, again.stdout + again.stderr
    assert published.read_bytes() == before and not draft.exists() and review(cli) == "approved"
    assert sorted(p.relative_to(out / "posts").as_posix() for p in (out / "posts").rglob("*.md")) == [APPROVED[name]]
    result = cli("approve", BW)
    assert result.code == 0 and f"approved {BW}: posts/{APPROVED[name]}" in result.stdout, result.stderr


def test_approve_takes_a_videos_url_as_ignore_does(cli, fake_llm, tmp_path: Path) -> None:
    out = written(cli, tmp_path, "hexo")
    result = cli("approve", f"https://youtu.be/{BW}")
    assert result.code == 0 and f"approved {BW}: posts/{APPROVED['hexo']}" in result.stdout, result.stderr
    assert (out / "posts" / APPROVED["hexo"]).is_file() and review(cli) == "approved"


def test_approve_names_a_video_without_a_post(cli, fake_llm, tmp_path: Path) -> None:
    written(cli, tmp_path, "hexo")
    result = cli("approve", "gogEJyoSB9s")
    assert result.code == 1 and result.stderr.strip() == "error: gogEJyoSB9s: this video has no post yet"


def test_an_output_folder_keeps_one_format(cli, fake_llm, tmp_path: Path) -> None:
    out = written(cli, tmp_path, "eleventy")
    before = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    result = cli("run", "--format", "hugo", str(tmp_path / "videos" / f"{BW}.info.json"))
    assert result.code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {out.relative_to(tmp_path)}: its posts are eleventy posts ({BW}'s is); post.format is hugo: one "
        "output folder holds one format's posts, so give hugo posts another --out (or set post.format: eleventy)"]
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == before


def test_an_output_folder_refuses_another_format_for_a_new_video_too(cli, fake_llm, tmp_path: Path) -> None:
    out = written(cli, tmp_path, "eleventy")
    video_dir_with(tmp_path, "gogEJyoSB9s")
    before = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    result = cli("run", "--format", "hugo", str(tmp_path / "videos" / "gogEJyoSB9s.info.json"))
    assert result.code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {out.relative_to(tmp_path)}: its posts are eleventy posts ({BW}'s is); post.format is hugo: one "
        "output folder holds one format's posts, so give hugo posts another --out (or set post.format: eleventy)"]
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == before


def test_a_format_option_that_is_no_format_is_refused(cli, fake_llm, tmp_path: Path) -> None:
    result = cli("write", "--format", "wordpress", BW)
    assert result.code == 2
    assert result.stderr.strip() == "error: --format wordpress: not a post format; one of: eleventy, hugo, hexo, jekyll"


@pytest.mark.parametrize("name", list(FORMATS))
def test_init_writes_a_config_for_a_format(cli, tmp_path: Path, name: str) -> None:
    result = cli("init", "--format", name)
    assert result.code == 0 and result.stdout.strip() == f"wrote config.yaml for {name} posts"
    config = load_config(tmp_path / "config.yaml")
    assert config.post.format == name
    post_format = get_format(name)
    assert post_format.default_layout == {"eleventy": "post.njk", "hugo": "", "hexo": "post", "jekyll": "post"}[name]


def test_the_config_and_the_help_name_the_registrys_formats(cli) -> None:
    from typing import get_args

    from pipeline.config import PostConfig

    assert get_args(PostConfig.model_fields["format"].annotation) == tuple(FORMATS)
    named = "eleventy (default), " + ", ".join(list(FORMATS)[1:-1]) + f" or {list(FORMATS)[-1]}"
    for command in ("init", "run", "write"):
        shown = " ".join(cli(command, "--help").stdout.split())
        assert f"The site generator the posts are for: {named}" in shown, shown


def test_init_fails_loudly_when_the_shipped_config_has_no_format_line_to_set() -> None:
    from pipeline.cli.manage import with_post_format
    from pipeline.resources import builtin_config_file

    shipped = builtin_config_file().read_text(encoding="utf-8")
    assert load_config_text(with_post_format(shipped, "jekyll")).post.format == "jekyll"
    changed = shipped.replace("\n  format: eleventy\n", "\n  format: eleventy   # the default\n")
    with pytest.raises(AssertionError, match="post.format"):
        with_post_format(changed, "hugo")  # never a config.yaml silently for Eleventy


def load_config_text(text: str) -> Config:
    import yaml

    return Config.model_validate(yaml.safe_load(text))


@pytest.mark.parametrize(("name", "pair", "line"), [
    ("hexo", "draft=false", "error: --set draft: cannot be set: a Hexo draft is a file in source/_drafts/: "
                            "approve it to move it to source/_posts/"),
    ("jekyll", "draft=false", "error: --set draft: cannot be set: a Jekyll draft is a file in _drafts/: "
                              "approve it to move it to _posts/"),
    ("hexo", "video=x", "error: --set video: cannot be set: it is the video's address, which identifies the post"),
    ("hugo", "category=ai-ml", "error: --set category: not a front-matter field of the post; did you mean 'categories'?"),
])
def test_set_knows_each_formats_fields(cli, fake_llm, tmp_path: Path, name: str, pair: str, line: str) -> None:
    videos = video_dir_with(tmp_path, BW)
    result = cli("run", "--format", name, "--set", pair, str(videos / f"{BW}.info.json"))
    assert result.code == 2 and result.stderr.strip() == line



@pytest.mark.parametrize(("name", "folder"), [("hexo", "source/_drafts/"), ("jekyll", "_drafts/")])
def test_front_matter_draft_false_is_refused_where_a_draft_is_a_place(cli, fake_llm, tmp_path: Path, name: str,
                                                                      folder: str) -> None:
    """``front_matter.draft: false`` (posts published as written) cannot hold for a format whose
    drafts are a folder: refused as ``--set draft=false`` is, not a draft written silently."""
    videos = video_dir_with(tmp_path, BW)
    (tmp_path / "config.yaml").write_text("front_matter:\n  draft: false\n", encoding="utf-8")
    result = cli("run", "--format", name, str(videos / f"{BW}.info.json"))
    assert result.code == 2, result.stdout
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: front_matter.draft: false") and folder in result.stderr, result.stderr
    assert not (tmp_path / "output" / "posts").exists()
    assert cli("run", "--format", "hugo", str(videos / f"{BW}.info.json")).code == 0  # Hugo has a draft field

def test_the_readmes_example_posts_are_what_the_formats_write() -> None:
    import re

    from pipeline.artifacts import ArticleFile
    from pipeline.post.write import build_post, post_file_name
    from pipeline.shapes import Metadata
    from tests.conftest import ROOT

    article = ArticleFile.model_validate({
        "title": "不用后刹车能翘多久", "summary": "一位骑手试着不用后刹车翘孤轮，并解释后刹车为何是平衡的关键。",
        "sections": [{"heading": "规则", "body": "每次尝试只能用油门和身体控制平衡。"}],
        "tags": ["motorcycle", "wheelie"], "area": "society-culture", "category": "lifestyle-sports",
        "companies_orgs": [], "products_models": [], "guest": "", "insight": "后刹车比油门更能救命。",
        "created_at": "2025-11-02T09:30:00+00:00"})
    meta = Metadata(id=BW, title="Trying to Wheelie Without the Rear Brake", channel="Wheelie Rider",
                    upload_date="20210720", webpage_url=f"https://www.youtube.com/watch?v={BW}")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = re.findall(r"<summary>\w+: <code>output/posts/(\S+)</code></summary>.*?```markdown\n(.*?)\n```", readme, re.S)
    assert len(shown) == len(FORMATS)
    for name, (file_name, text) in zip(FORMATS, shown):
        config = Config.model_validate({"post": {"format": name}})
        assert file_name == post_file_name(meta, config)
        assert text + "\n" == build_post(article, meta, config).text


@pytest.mark.parametrize("name", ["hexo", "jekyll"])
def test_a_draft_moved_to_the_posts_folder_by_hand_is_approved_and_kept(cli, fake_llm, tmp_path: Path,
                                                                      name: str) -> None:
    out = written(cli, tmp_path, name)
    draft, published = out / "posts" / DRAFT[name], out / "posts" / APPROVED[name]
    published.parent.mkdir(parents=True, exist_ok=True)
    draft.rename(published)  # as `git mv` does: the bytes are still the pipeline's
    before = published.read_bytes()
    assert review(cli) == "approved"
    for _ in range(2):  # and stays so once a run has recorded where it now is
        again = cli("run", "--force", "--format", name, str(tmp_path / "videos" / f"{BW}.info.json"))
        assert again.code == 0 and "1 kept" in again.stdout, again.stdout
        assert published.read_bytes() == before and not draft.exists()
        assert review(cli) == "approved"


def test_approving_onto_another_posts_name_is_refused_and_moves_nothing(cli, fake_llm, tmp_path: Path) -> None:
    out = written(cli, tmp_path, "hexo")
    draft, taken = out / "posts" / DRAFT["hexo"], out / "posts" / APPROVED["hexo"]
    before = draft.read_bytes()
    taken.parent.mkdir(parents=True)
    taken.write_text("---\ntitle: another post\n---\n\nits own words\n", encoding="utf-8")
    result = cli("approve", BW)
    assert result.code == 1
    assert result.stderr.strip() == (f"error: {BW}: not approved: posts/{APPROVED['hexo']} is another post's "
                                     "name; rename one of them")
    assert draft.read_bytes() == before and "its own words" in taken.read_text(encoding="utf-8")
    assert review(cli) == "draft"


def test_two_hugo_posts_of_one_title_get_two_slugs(cli, fake_llm, tmp_path: Path) -> None:
    videos = video_dir_with(tmp_path, BW)
    seed = json.loads((videos / f"{BW}.info.json").read_text(encoding="utf-8"))
    other = "SameTitle01"
    copy = dict(seed, id=other, display_id=other, webpage_url=f"https://www.youtube.com/watch?v={other}")
    (videos / f"{other}.info.json").write_text(json.dumps(copy), encoding="utf-8")
    for video_id in (BW, other):
        assert cli("run", "--format", "hugo", str(videos / f"{video_id}.info.json")).code == 0
    hugo = get_format("hugo")
    posts_dir = tmp_path / "output" / "posts" / "content" / "posts"
    slugs = {path.stem: hugo.loads(path.read_text(encoding="utf-8")).front["slug"] for path in posts_dir.glob("*.md")}
    # Hugo takes a page's URL from its slug: each is its file's, so neither page hides the other.
    assert slugs == {"trying-to-wheelie-without-the-rear-brake": "trying-to-wheelie-without-the-rear-brake",
                     f"trying-to-wheelie-without-the-rear-brake-{other}": f"trying-to-wheelie-without-the-rear-brake-{other}"}


@pytest.mark.parametrize("name", ["hexo", "jekyll"])
def test_a_draft_never_takes_the_name_of_a_published_post(cli, fake_llm, tmp_path: Path, name: str) -> None:
    videos = video_dir_with(tmp_path, BW)
    seed = json.loads((videos / f"{BW}.info.json").read_text(encoding="utf-8"))
    other = "SameTitle01"
    (videos / f"{other}.info.json").write_text(json.dumps(dict(
        seed, id=other, display_id=other, webpage_url=f"https://www.youtube.com/watch?v={other}")), encoding="utf-8")
    assert cli("run", "--format", name, str(videos / f"{BW}.info.json")).code == 0
    assert cli("approve", BW).code == 0
    assert cli("run", "--format", name, str(videos / f"{other}.info.json")).code == 0
    approved = cli("approve", other)  # a weekly show's second "Q&A": its own name, in drafts and once published
    assert approved.code == 0, approved.stderr
    published = sorted(p.name for p in (tmp_path / "output" / "posts" / APPROVED[name]).parent.glob("*.md"))
    stem = Path(APPROVED[name]).stem
    assert published == sorted([f"{stem}.md", f"{stem}-{other}.md"])


@pytest.mark.parametrize("name", list(FORMATS))
def test_an_approved_post_overwritten_is_a_draft_again_in_every_format(cli, fake_llm, tmp_path: Path,
                                                                      name: str) -> None:
    out = written(cli, tmp_path, name)
    assert cli("approve", BW).code == 0
    approved = out / "posts" / APPROVED[name]
    reviewers = approved.read_text(encoding="utf-8").replace("\n### ", "\n审稿人加的一句。\n\n### ", 1)
    approved.write_text(reviewers, encoding="utf-8")
    result = cli("write", "--format", name, "--overwrite-edited", BW)
    assert result.code == 0, result.stderr
    # The regenerated text is unreviewed: a draft in the generator's draft place, nothing of it live.
    posts_dir = out / "posts"
    live = [p for p in posts_dir.rglob("*.md") if not get_format(name).is_draft(
        p.relative_to(posts_dir).as_posix(), p.read_text(encoding="utf-8"))]
    assert live == [] and review(cli) == "draft"
    draft = posts_dir / DRAFT[name]
    assert draft.is_file() and "审稿人加的一句" not in draft.read_text(encoding="utf-8")
    backups = list(posts_dir.rglob("*.md.bak-*"))  # the reviewer's version, kept where no generator reads it
    assert [p.read_text(encoding="utf-8") for p in backups] == [reviewers]
