"""Erasing a data subject from staging, and the erasure list the daily job consults.

A request names a visitor by raw keys as the formats define them (docs/formats.md): a user or cookie id,
or an IP plus user agent. They become ``visitor_id`` s with the job's own hash
(:func:`caec_spark.transforms.enrich.visitor_hash`, evaluated by Spark, so there is one implementation).
Only those hashes are kept: in the erasure ledger ``<output>/_erasure/ledger.jsonl`` (one JSON object per
request, docs/privacy.md), which is also the suppression list every later sessionize run reads.

Staging is rewritten through the publish pointer (:mod:`caec_spark.publish`): each published partition of
events, sessions, visitor state and quarantine that holds the visitor is written again without it as a new
version ``v=<run_id>``, and one new pointer naming those versions is written last, so readers see the
partition before or after the erasure, never a mix.

Quarantine rows have no ``visitor_id`` (the record did not parse), so they are matched on their raw text:
a row belongs to an erased visitor when one of its tokens (split at whitespace and JSON/CSV punctuation),
hashed as any id kind, is an erased ``visitor_id``. The daily job uses the same test, so a re-run of an old
day cannot bring such a row back, and neither needs the clear key. IP + user agent keys cannot be found
this way: quarantine text has every IP masked (``mask_ips``), so what is left of such a key (a user agent)
no longer identifies anyone (docs/privacy.md).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pyspark.sql import Column, SparkSession
from pyspark.sql import functions as F

from caec_spark import io
from caec_spark import publish as pub
from caec_spark.config import FORMATS, RunConfig, join_uri
from caec_spark.log import progress
from caec_spark.pointer import Pointer
from caec_spark.transforms.enrich import visitor_hash

LEDGER = "_erasure/ledger.jsonl"
FILTER_REASON = "erased_visitor"
# Key kinds each format builds (formats/*.py): an id kind per format, IP + user agent where there is one.
ID_KIND = {"jsonl": "id", "combined": "user", "retailrocket": "rr", "rees46": "rees46"}
IPUA_FORMATS = ("jsonl", "combined")
IPUA_KIND = "ipua"
# Token separators of quarantine raw text: whitespace and the punctuation of JSON, CSV and query strings.
# ':' is not one, so an id containing it stays one token (JSON "key":"value" is split by the quotes).
TOKEN_SEPARATORS = r"""[\s,;"'{}\[\]=&?()]+"""


@dataclass(frozen=True)
class Request:
    """Raw keys of one data subject. ``formats``: where to look (default every format)."""

    ids: tuple[str, ...] = ()
    ip: str | None = None
    user_agent: str | None = None
    formats: tuple[str, ...] = FORMATS

    def __post_init__(self) -> None:
        unknown = sorted(set(self.formats) - set(FORMATS))
        if unknown:
            raise ValueError(f"unknown format(s) {unknown}; choose from {', '.join(FORMATS)}")
        if (self.ip is None) != (self.user_agent is None):
            raise ValueError("give --ip and --user-agent together: the key is the pair (docs/privacy.md)")
        if not self.ids and self.ip is None:
            raise ValueError("nothing to erase: give a user id, a cookie id, or an IP with its user agent")
        if any(not i.strip() for i in self.ids):
            raise ValueError("an empty id erases nobody; give the id as the logs spell it")
        if self.ip is not None and not set(self.formats) & set(IPUA_FORMATS):
            raise ValueError(f"IP + user agent keys exist only in {', '.join(IPUA_FORMATS)} logs")


def raw_keys(request: Request) -> list[str]:
    """The ``<kind>:<raw key>`` strings the parsers hash for this subject (formats/*.py), sorted."""
    keys = {f"{ID_KIND[f]}:{i}" for f in request.formats for i in request.ids}
    if request.ip is not None and set(request.formats) & set(IPUA_FORMATS):
        keys.add(f"{IPUA_KIND}:{request.ip}|{request.user_agent or ''}")
    return sorted(keys)


def key_kinds(keys: Iterable[str]) -> list[str]:
    """The kinds of the keys (what the ledger may say about a request: never the keys themselves)."""
    return sorted({k.split(":", 1)[0] for k in keys})


def hash_keys(spark: SparkSession, keys: Sequence[str], salt: str) -> list[str]:
    """``visitor_id`` of each key, computed by Spark with the job's own expression."""
    if not keys:
        return []
    df = spark.createDataFrame([(k,) for k in keys], "key string")
    return sorted({r[0] for r in df.select(visitor_hash(F.col("key"), salt)).collect()})


def raw_mentions(raw: Column, ids: Sequence[str], salt: str) -> Column:
    """True when a token of ``raw``, hashed as any id kind, is one of ``ids`` (quarantine matching)."""
    tokens = F.split(F.coalesce(raw, F.lit("")), TOKEN_SEPARATORS)
    kinds = sorted(set(ID_KIND.values()))

    def hit(token: Column) -> Column:
        hashes = [visitor_hash(F.concat(F.lit(f"{kind}:"), token), salt).isin(list(ids)) for kind in kinds]
        out = hashes[0]
        for h in hashes[1:]:
            out = out | h
        return (token != "") & out

    return F.exists(tokens, hit)


def erased_record(ids: Sequence[str], salt: str) -> Column | None:
    """The daily job's suppression test on a parsed record (None when nothing was ever erased).

    A record whose visitor key hashes to an erased id, or a record bound for quarantine whose raw text
    mentions one (:func:`raw_mentions`; a broken record may have no parsed key).
    """
    if not ids:
        return None
    by_key = F.coalesce(visitor_hash(F.col("visitor_key"), salt).isin(list(ids)), F.lit(False))
    by_text = F.col("reason").isNotNull() & raw_mentions(F.col("raw"), ids, salt)
    return by_key | by_text


# ---------------------------------------------------------------------------------------------- ledger


def ledger_uri(output_uri: str) -> str:
    return join_uri(output_uri, LEDGER)


def parse_ledger(text: str | None) -> list[dict[str, Any]]:
    """The ledger's requests in file order (an absent file is an empty ledger)."""
    return [json.loads(line) for line in (text or "").splitlines() if line.strip()]


def erased_ids(entries: Iterable[dict[str, Any]]) -> list[str]:
    """Every hashed id ever erased: the suppression list."""
    return sorted({str(i) for e in entries for i in e.get("visitor_ids", [])})


def upsert(entries: list[dict[str, Any]], entry: dict[str, Any]) -> list[dict[str, Any]]:
    """``entries`` with ``entry`` replacing the one of the same request id (appended if new)."""
    out = [e for e in entries if e.get("request_id") != entry["request_id"]]
    return [*out, entry]


def ledger_text(entries: Iterable[dict[str, Any]]) -> str:
    return "".join(json.dumps(e, sort_keys=True) + "\n" for e in entries)


def write_entry(spark: SparkSession, output_uri: str, entry: dict[str, Any]) -> None:
    """Record ``entry`` in the ledger (the file is replaced whole and atomically, io.write_text)."""
    uri = ledger_uri(output_uri)
    entries = upsert(parse_ledger(io.read_text(spark, uri)), entry)
    io.write_text(spark, uri, ledger_text(entries))


def load_erased_ids(spark: SparkSession, output_uri: str) -> list[str]:
    return erased_ids(parse_ledger(io.read_text(spark, ledger_uri(output_uri))))


# ----------------------------------------------------------------------------------------- erase staging


class ConcurrentPublishError(RuntimeError):
    """Another run published a partition this erasure rewrote; nothing of the erasure was published."""


def _match(name: str, ids: Sequence[str], salt: str) -> Column:
    """Rows of dataset ``name`` that belong to the erased visitors (never null)."""
    if name == "quarantine":
        return F.coalesce(raw_mentions(F.col("raw"), ids, salt), F.lit(False))
    return F.coalesce(F.col("visitor_id").isin(list(ids)), F.lit(False))


def erase_staging(
    spark: SparkSession, cfg: RunConfig, ids: Sequence[str], now: dt.datetime
) -> dict[str, dict[str, int]]:
    """Rewrite every published partition holding ``ids`` without them; publish; rows removed per
    dataset and partition. Nothing to remove: nothing is written (erasing twice changes nothing).
    """
    pointer = pub.load_pointer(spark, cfg.output_uri)
    stage_root = join_uri(cfg.output_uri, "_tmp", cfg.run_id)
    removed: dict[str, dict[str, int]] = {}
    staged: dict[str, list[str]] = {}
    for name, ds in pub.datasets(cfg).items():
        df = pub.read_published(spark, cfg.output_uri, name, cfg.quarantine_uri)
        if df is None:
            continue
        match = _match(name, ids, cfg.salt)
        counts = {
            r[0].isoformat(): int(r[1])
            for r in df.where(match).groupBy(ds.column).agg(F.count(F.lit(1))).collect()
        }
        for key in sorted(counts):
            version = pointer.version(name, key)
            src = pub.version_uri(ds, key, version or "")
            kept = spark.read.parquet(src).where(~match)
            pub.without_dictionary(kept.write.mode("overwrite"), name).parquet(
                join_uri(stage_root, name, f"{ds.column}={key}")
            )
        if counts:
            removed[name] = dict(sorted(counts.items()))
            staged[name] = [join_uri(stage_root, name)]
        progress("erase", f"{name}: {sum(counts.values())} row(s) in {len(counts)} partition(s)")
    if not staged:
        return removed
    _, entries = pub.move_versions(spark, cfg, staged)

    def refuse_if_moved(latest: Pointer) -> None:
        moved = [e for e in entries if latest.version(e.dataset, e.key) != pointer.version(e.dataset, e.key)]
        if moved:
            # The versions just written were filtered from what this erasure read: publishing them would
            # undo the other run's publish of those partitions. Its versions are left for garbage collection.
            io.delete(spark, stage_root)
            raise ConcurrentPublishError(
                f"{len(moved)} partition(s) were published by run {latest.writer} while erasing "
                f"(e.g. {moved[0].dataset} {moved[0].key}); nothing was published: run the erasure again"
            )

    latest, new = pub.write_next_pointer(spark, cfg, entries, refuse_if_moved)
    progress("publish", f"published generation {new.generation} without the erased visitor(s)")
    pub.collect_garbage(spark, cfg, latest, new, now)
    # Unlike a run's, the versions this erasure replaced are deleted now, not one publish later: they
    # hold the erased visitor. A reader that resolved the previous pointer fails and retries on this one.
    roots = pub.datasets(cfg)
    for e in new.retired:
        io.delete(spark, pub.version_uri(roots[e.dataset], e.key, e.version))
    io.delete(spark, stage_root)
    return removed


def ledger_entry(
    request_id: str,
    requested_by: str,
    requested_at: str,
    kinds: list[str],
    ids: list[str],
    removed: dict[str, dict[str, int]] | None,
) -> dict[str, Any]:
    """One ledger object (docs/privacy.md "The erasure ledger"); ``removed`` None: not yet erased."""
    rows = [
        {"dataset": name, "day": key, "rows_removed": n}
        for name, parts in sorted((removed or {}).items())
        for key, n in parts.items()
    ]
    return {
        "request_id": request_id,
        "requested_by": requested_by,
        "requested_at": requested_at,
        "key_kinds": kinds,
        "visitor_ids": ids,
        "status": "requested" if removed is None else "staging_erased",
        "staging": rows,
        "rows_removed": sum(r["rows_removed"] for r in rows),
    }


def run_erasure(
    spark: SparkSession,
    cfg: RunConfig,
    request: Request,
    request_id: str,
    requested_by: str,
    now: dt.datetime,
) -> dict[str, Any]:
    """Hash the keys, record the request (the daily job suppresses from then on), erase staging, record
    what was removed. Returns the final ledger entry."""
    keys = raw_keys(request)
    ids = hash_keys(spark, keys, cfg.salt)
    at = now.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    # Recorded first: a daily run starting from now on already filters the visitor out.
    write_entry(spark, cfg.output_uri, ledger_entry(request_id, requested_by, at, key_kinds(keys), ids, None))
    removed = erase_staging(spark, cfg, ids, now)
    entry = ledger_entry(request_id, requested_by, at, key_kinds(keys), ids, removed)
    write_entry(spark, cfg.output_uri, entry)
    return entry
