"""Building posts with the example Eleventy site (examples/site), installed from its lock file."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from filelock import FileLock

SITE = Path(__file__).resolve().parent.parent / "examples" / "site"


def node_available() -> bool:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        return False
    try:
        version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return version.startswith("v") and int(version[1:].split(".")[0]) >= 18


def ensure_site_installed(site: Path = SITE, binary: str = "eleventy") -> None:
    """``npm ci`` from the committed lock file, once per lock file (``binary``: the one it installs).

    Test workers build in parallel, so one installs while the others wait on a file lock; a
    marker naming the lock file's hash, written only after ``npm ci`` succeeded, says the
    install is whole (``node_modules/.bin/<binary>`` appears long before npm has finished)."""
    lock_file = site / "package-lock.json"
    wanted = hashlib.sha256(lock_file.read_bytes()).hexdigest()
    marker = site / "node_modules" / ".yt2post-installed"
    with FileLock(str(site / ".npm-install.lock"), timeout=900):
        if (site / "node_modules" / ".bin" / binary).exists() and marker.exists() \
                and marker.read_text() == wanted:
            return
        result = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=site, capture_output=True,
                                text=True, timeout=600)
        if result.returncode != 0:
            raise RuntimeError(f"npm ci failed in {site}:\n{result.stdout}\n{result.stderr}")
        marker.write_text(wanted)


def build_site(posts: list[Path], workdir: Path, *, show_drafts: bool = True) -> Path:
    """Copy the site (its node_modules linked), put ``posts`` in it, build; returns ``_site``."""
    ensure_site_installed()
    site = workdir / "site"
    shutil.copytree(SITE, site, ignore=shutil.ignore_patterns("node_modules", ".npm-install.lock", "_site"))
    (site / "node_modules").symlink_to(SITE / "node_modules", target_is_directory=True)
    for post in posts:
        shutil.copy(post, site / "posts" / post.name)
    env = dict(os.environ, YT2POST_SHOW_DRAFTS="1" if show_drafts else "0")
    result = subprocess.run([str(site / "node_modules" / ".bin" / "eleventy")], cwd=site, env=env,
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"eleventy failed:\n{result.stdout}\n{result.stderr}")
    return site / "_site"
