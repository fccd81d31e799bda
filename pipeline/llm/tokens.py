"""Token estimates that need no network.

tiktoken downloads its tables on first use, which fails on offline machines, so the default
is an estimate per script: about one token per CJK character, about four characters per token
for Latin text. It errs on the high side, which is the safe side for context budgets.
"""

from __future__ import annotations

import math
import re

# CJK ideographs, kana, hangul, full-width forms and CJK punctuation: ~1 token each.
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
# Cyrillic, Greek, Arabic, Hebrew, Thai, Devanagari: tokenised more finely than Latin.
_OTHER = re.compile(r"[\u0370-\u03ff\u0400-\u052f\u0590-\u06ff\u0900-\u097f\u0e00-\u0e7f]")
MARGIN = 1.1
MESSAGE_OVERHEAD = 4


def estimate_tokens(text: str) -> int:
    if not text:
        return 0
    cjk = len(_CJK.findall(text))
    other = len(_OTHER.findall(text))
    spaces = len(text) - len("".join(text.split()))
    latin = len(text) - cjk - other - spaces
    # Latin text: ~4 characters per token counting the spaces that tokens absorb.
    latin_tokens = (latin + spaces) / 4.0
    return math.ceil((cjk + other / 2.5 + latin_tokens) * MARGIN)


def estimate_messages_tokens(messages: list[dict[str, str]]) -> int:
    return sum(estimate_tokens(str(m.get("content") or "")) + MESSAGE_OVERHEAD for m in messages)
