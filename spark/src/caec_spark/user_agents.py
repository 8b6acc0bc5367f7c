"""Crawler and device classification of one user agent, from maintained libraries (pure Python).

* Crawlers: the patterns of ``crawler-user-agents`` (~1,500 regexes, kept up to date by its community;
  first match in the list's order, case-sensitive as the list is written), then ua-parser's ``Spider``
  device, then a user agent that carries a contact URL (``+http://...``, the convention of crawlers,
  feed readers and archivers; browsers never do).
* Device: ua-parser (``ua-parser-builtins`` rules, the ``ua-parser-rs`` matcher) — the device for
  tablets and phones, the OS family for the rest.

The job calls :func:`classify_arrow` once per distinct user agent (Spark: ``mapInArrow`` over the
distinct values; the DuckDB twin: over its distinct values), so both engines use this one classifier.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import NamedTuple

import crawleruseragents
import pyarrow as pa
import ua_parser

# Spark's and DuckDB's schema of the classification (user_agent is the join key).
UA_CLASS_SCHEMA = "user_agent string, crawler string, device_type string"
UA_CLASS_ARROW = pa.schema(
    [("user_agent", pa.string()), ("crawler", pa.string()), ("device_type", pa.string())]
)

SPIDER = "ua-parser:Spider"
CONTACT_URL = "contact-url"
_CONTACT_URL_RE = re.compile(r"\+?https?://|@[\w-]+\.[a-z]{2,}\b|\bwww\.[\w-]+\.[a-z]{2,}\b", re.IGNORECASE)
# ua-parser has no device class: phones and tablets come from the device, desktops from the OS.
MOBILE_OS = frozenset(
    {
        "iOS",
        "Android",
        "Windows Phone",
        "BlackBerry OS",
        "Symbian OS",
        "KaiOS",
        "Firefox OS",
        "Tizen",
        "webOS",
    }
)
MOBILE_DEVICES = frozenset({"iPhone", "iPod", "Generic Smartphone", "Generic Feature Phone"})
TABLET_DEVICES = frozenset({"iPad", "Kindle", "Kindle Fire", "Generic Tablet", "Playbook"})


# Only this many leading characters are classified. Real user agents are well under 1 KB; a hostile one
# can be up to a line's limit (1 MiB), and some list patterns (``Current[\\s\\S]*RSS Reader``) scan
# quadratically in Python's regex engine: the cap keeps one record from stalling the run.
MAX_UA_CHARS = 2048


class UAClass(NamedTuple):
    crawler: str | None
    device_type: str


@lru_cache(maxsize=1)
def _crawler_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((d["pattern"], re.compile(d["pattern"])) for d in crawleruseragents.CRAWLER_USER_AGENTS_DATA)


@lru_cache(maxsize=1)
def _any_crawler() -> re.Pattern[str]:
    # One alternation as a pre-filter: most user agents are browsers and match nothing.
    return re.compile("|".join(f"(?:{p})" for p, _ in _crawler_patterns()))


def crawler_pattern(ua: str) -> str | None:
    """The first pattern of the crawler-user-agents list that matches ``ua``, else None."""
    if not _any_crawler().search(ua):
        return None
    return next((p for p, rx in _crawler_patterns() if rx.search(ua)), None)


def classify(ua: str | None) -> UAClass:
    """Crawler evidence (None for a browser) and device type: desktop, mobile, tablet, bot or unknown."""
    if not ua:
        return UAClass(None, "unknown")
    ua = ua[:MAX_UA_CHARS]
    parsed = ua_parser.parse(ua)
    device = parsed.device
    crawler = crawler_pattern(ua)
    if crawler is None and device is not None and device.family == "Spider":
        crawler = SPIDER
    if crawler is None and _CONTACT_URL_RE.search(ua):
        crawler = CONTACT_URL
    if crawler is not None:
        return UAClass(crawler, "bot")
    return UAClass(None, _device_type(parsed))


def _device_type(parsed: ua_parser.Result) -> str:
    device, os = parsed.device, parsed.os
    family = device.family if device else ""
    brand = (device.brand or "") if device else ""
    if family in TABLET_DEVICES or "tablet" in f"{family} {brand}".lower():
        return "tablet"
    if family in MOBILE_DEVICES or (os is not None and os.family in MOBILE_OS):
        return "mobile"
    if os is not None:
        return "desktop"
    return "unknown"


def classify_arrow(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Batches of distinct ``user_agent`` values -> the :data:`UA_CLASS_SCHEMA` columns."""
    for batch in batches:
        uas = batch.column("user_agent").to_pylist()
        classes = [classify(ua) for ua in uas]
        yield pa.RecordBatch.from_arrays(
            [
                pa.array(uas, pa.string()),
                pa.array([c.crawler for c in classes], pa.string()),
                pa.array([c.device_type for c in classes], pa.string()),
            ],
            schema=UA_CLASS_ARROW,
        )
