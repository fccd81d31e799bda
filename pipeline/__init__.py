"""yt2post: turn YouTube videos into reviewable Chinese draft posts.

Each stage is a plain function over the artifact store::

    from pipeline import Store, load_config, fetch, summarize, write
"""

from pipeline.config import Config, load_config
from pipeline.fetch import fetch
from pipeline.store import Store
from pipeline.summarize import summarize
from pipeline.write import write

__all__ = ["Config", "Store", "fetch", "load_config", "summarize", "write"]
__version__ = "0.1.0"
