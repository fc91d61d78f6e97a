"""What staff read: form, step and rule texts without the citations process owners keep in them.

Form descriptions, help texts and step instructions carry the manual line they come from — `(003:605 備考)`,
`001_0406baf8f7838dc8.txt:26-59`, `DOMAIN.md §5.4 [N]` — so a process owner can check them against the manual.
Those sources stay in the files (and on the owners' pages); `staff_text` is the one place that takes them out of
what the task page, the document page and the printed 帳票 show.
"""

from __future__ import annotations

import re

_LINES = r"\d+(?:\s*[-–〜~]\s*\d+)?(?:\s*[,、]\s*\d+(?:\s*[-–〜~]\s*\d+)?)*"
_SEED = r"\d{3}(?:_[0-9a-f]{6,}\.txt)?:" + _LINES
_CITATION = rf"(?:{_SEED}|\d{{3}}_[0-9a-f]{{6,}}\.txt|DOMAIN\.md|§)"

CITING_PARENTHESES = re.compile(rf"\s*[(（][^()（）]*{_CITATION}[^()（）]*[)）]")
"""A parenthesis that cites a source, whatever else it says: `(000:26-28, 280-282)`, `(003:605 備考)`."""
BARE_CITATIONS = (
    re.compile(r"出典\s*[:：]\s*[^\s。、]+"),
    re.compile(rf"\s*{_SEED}(?:\s*[;；]\s*{_SEED})*(?:\s*備考)?"),
    re.compile(r"\s*\d{3}_[0-9a-f]{6,}\.txt"),
    re.compile(r"\s*DOMAIN\.md\s*(?:§\s*[\d.]+(?:\s+\d+)?)?"),
    re.compile(r"\s*§\s*[\d.]+"),
    re.compile(r"\s*\[[NIAD]\]"),
)
INTERNAL_ID = re.compile(r"[(（][a-z][a-z0-9]{2,}(?:_[a-z0-9]+)*[)）]")
"""A program's name for a value, after its Japanese label: 委託するかどうか(delegated)."""
EMPTY_PARENTHESES = re.compile(r"[(（]\s*[;；,、]?\s*[)）]")


def staff_text(text: object) -> str:
    """The text without source citations and internal ids; spacing and punctuation tidied where they were."""
    if text is None:
        return ""
    result = str(text)
    result = CITING_PARENTHESES.sub("", result)
    for pattern in BARE_CITATIONS:
        result = pattern.sub("", result)
    result = INTERNAL_ID.sub("", result)
    result = EMPTY_PARENTHESES.sub("", result)
    result = re.sub(r"\s+([。、,)）])", r"\1", result)
    result = re.sub(r"[;；]\s*([)）])", r"\1", result)
    result = re.sub(r"。{2,}", "。", result)
    result = re.sub(r"[ \t]{2,}", " ", result)
    return result.strip()
