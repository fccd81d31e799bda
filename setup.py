"""Ships the top-level ``prompts/`` and ``config.yaml`` inside the package.

They stay at the top of the checkout, where people edit them; a wheel can only carry files
inside its packages, so building copies them to ``pipeline/_defaults/`` in the build tree
(``pipeline.resources`` finds either place). Everything else is in ``pyproject.toml``.
"""

from pathlib import Path
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithDefaults(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "pipeline" / "_defaults"
        for template in sorted((ROOT / "prompts").rglob("*.md")):  # the English set is in prompts/en/
            copy = target / "prompts" / template.relative_to(ROOT / "prompts")
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(template, copy)
        shutil.copyfile(ROOT / "config.yaml", target / "config.yaml")


setup(cmdclass={"build_py": BuildWithDefaults})
