"""``--set KEY=VALUE``: front-matter values of a post, checked against its format's fields."""

from __future__ import annotations

from typing import Any

from pipeline.config import Taxonomy, suggest
from pipeline.errors import UsageError
from pipeline.post.formats import PostFormat


def parse_overrides(pairs: list[str], post_format: PostFormat, taxonomy: Taxonomy | None = None) -> dict[str, Any]:
    """Parse ``--set KEY=VALUE`` options into front-matter values of the right type.

    Only fields of the format's posts can be set, ``area``/``category`` only to a taxonomy
    value: a typo would otherwise end up in every post of the run."""
    overrides: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            raise UsageError(f"--set {pair!r}: expected KEY=VALUE")
        if key not in post_format.fields:
            settable = [field for field in post_format.fields if field not in post_format.not_settable]
            raise UsageError(f"--set {key}: not a front-matter field of the post{suggest(key, settable)}")
        if key in post_format.not_settable:
            raise UsageError(f"--set {key}: cannot be set: {post_format.not_settable[key]}")
        if key in post_format.list_fields:
            overrides[key] = [item.strip() for item in value.split(",") if item.strip()]
            if taxonomy is not None and key == "categories" and "area" not in post_format.fields:
                _check_categories(pair, overrides[key], taxonomy)
        elif key in post_format.bool_fields:
            lowered = value.lower()
            if lowered not in {"true", "false", "yes", "no", "1", "0"}:
                raise UsageError(f"--set {key}={value}: expected true or false")
            overrides[key] = lowered in {"true", "yes", "1"}
        else:
            if not value and key in post_format.required_fields:
                raise UsageError(f"--set {key}=: the post needs a {key}; give a value")
            if taxonomy is not None and key in ("area", "category"):
                _in_taxonomy(taxonomy, "areas" if key == "area" else "categories", value, f"--set {key}={value}:")
            overrides[key] = value
    return overrides


def _check_categories(pair: str, values: list[str], taxonomy: Taxonomy) -> None:
    """Hugo's, Hexo's and Jekyll's ``categories`` is the area, then the category: each held to the
    taxonomy as ``area`` and ``category`` are."""
    for value, listed in zip(values, ("areas", "categories"), strict=False):
        _in_taxonomy(taxonomy, listed, value, f"--set {pair}: {value!r}", " (categories: the area, then the category)")
    if len(values) > 2:
        raise UsageError(f"--set {pair}: categories is the area, then the category: two values at most")


def _in_taxonomy(taxonomy: Taxonomy, listed: str, value: str, what: str, note: str = "") -> None:
    allowed = getattr(taxonomy, listed)
    if value not in allowed:
        raise UsageError(f"{what} not in taxonomy.{listed}{note}{suggest(value, allowed)}")
