"""Data-quality gate over the Spark job's run manifests (docs/data-contract.md, "manifests").

The gate is the last line of defence before a day is published: it fails when a manifest does not
reconcile (``read == valid + quarantined + filtered`` and ``valid == human + bot``) or when the
quarantine, bot or late shares exceed the configured thresholds. Evaluation is a pure function of
the manifests, so the DAG's gate task, ``caec_pipeline dq-gate`` and ``run`` share one verdict.

Shares are taken over the records the run was responsible for (``valid + quarantined``; ``filtered``
records are look-back context or outside the window and belong to other runs):
quarantine share = quarantined / (valid + quarantined), bot share = bot / valid, late share = late / valid.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from caec_pipeline.config import SETTINGS_BY_NAME, PipelineConfig, is_remote_uri, join_uri, local_path
from caec_pipeline.pointer import POINTER_NAME, PointerError, load_published, read_text
from caec_pipeline.window import DayWindow

COUNT_KEYS = ("read", "valid", "quarantined", "filtered", "human", "bot", "late", "sessions")


@dataclass(frozen=True)
class DQThresholds:
    """Maximum acceptable shares (0..1); from ``CAEC_DQ_MAX_*`` via :meth:`from_config`.

    The defaults are the settings' declared local defaults (caec_pipeline.config), not restated here.
    """

    max_quarantine_share: float = SETTINGS_BY_NAME["dq_max_quarantine_share"].default_value
    max_bot_share: float = SETTINGS_BY_NAME["dq_max_bot_share"].default_value
    max_late_share: float = SETTINGS_BY_NAME["dq_max_late_share"].default_value

    @classmethod
    def from_config(cls, cfg: PipelineConfig) -> DQThresholds:
        return cls(cfg.dq_max_quarantine_share, cfg.dq_max_bot_share, cfg.dq_max_late_share)


@dataclass(frozen=True)
class DQResult:
    """Verdict of the gate: ``passed``, one line per failure, and the summed counts for reporting."""

    passed: bool
    failures: list[str]
    totals: dict[str, int]
    shares: dict[str, float]
    run_ids: list[str] = field(default_factory=list)
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    filtered_by_reason: dict[str, int] = field(default_factory=dict)
    # The quarantine rule's failure, if any: ``run`` stops before dbt on it (nothing sound to build).
    quarantine_failure: str | None = None

    @property
    def nothing_to_build(self) -> bool:
        """No valid event: marts cannot be built whatever the thresholds say."""
        return self.totals.get("valid", 0) == 0

    @property
    def message(self) -> str:
        """Human-readable verdict; on failure every problem on its own line."""
        runs = ", ".join(self.run_ids) or "no runs"
        if self.passed:
            return f"data-quality gate passed ({runs}): " + ", ".join(
                f"{k} share {v:.2%}" for k, v in self.shares.items()
            )
        return f"data-quality gate FAILED ({runs}):\n" + "\n".join(f"  - {f}" for f in self.failures)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "failures": self.failures,
            "totals": self.totals,
            "shares": self.shares,
            "run_ids": self.run_ids,
            "quarantined_by_reason": self.quarantined_by_reason,
            "filtered_by_reason": self.filtered_by_reason,
            "quarantine_failure": self.quarantine_failure,
        }


class ManifestError(RuntimeError):
    """Manifests missing or unreadable: the gate cannot give a verdict."""


def _count(counts: Mapping[str, Any], key: str) -> int:
    value = counts.get(key, 0)
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _share(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def check_manifest(manifest: Mapping[str, Any]) -> list[str]:
    """Reconciliation problems of one manifest (empty list when it adds up)."""
    run = manifest.get("run_id", "?")
    counts = manifest.get("counts")
    if not isinstance(counts, Mapping):
        return [f"run {run}: manifest has no 'counts' object (not a caec_spark manifest?)"]
    missing = [k for k in ("read", "valid", "quarantined", "filtered", "human", "bot") if k not in counts]
    if missing:
        return [f"run {run}: manifest counts lack {', '.join(missing)}"]
    c = {k: _count(counts, k) for k in COUNT_KEYS}
    problems = []
    if manifest.get("reconciled") is not True:
        problems.append(f"run {run}: the job marked the manifest as not reconciled")
    if c["read"] != c["valid"] + c["quarantined"] + c["filtered"]:
        problems.append(
            f"run {run}: read {c['read']} != valid {c['valid']} + quarantined {c['quarantined']} "
            f"+ filtered {c['filtered']} (records lost or double-counted)"
        )
    if c["valid"] != c["human"] + c["bot"]:
        problems.append(f"run {run}: valid {c['valid']} != human {c['human']} + bot {c['bot']}")
    by_reason = counts.get("quarantined_by_reason")
    if (
        isinstance(by_reason, Mapping)
        and by_reason
        and sum(_count(by_reason, k) for k in by_reason) != c["quarantined"]
    ):
        problems.append(f"run {run}: quarantined_by_reason does not sum to quarantined {c['quarantined']}")
    return problems


def evaluate_manifests(manifests: list[dict[str, Any]], thresholds: DQThresholds) -> DQResult:
    """Gate verdict over the runs of a window: reconciliation of each, thresholds over their sum."""
    failures: list[str] = []
    totals = dict.fromkeys(COUNT_KEYS, 0)
    if not manifests:
        failures.append(
            "no run manifest found for the window: did the sessionize step run and write manifests/?"
        )
    for manifest in manifests:
        failures.extend(check_manifest(manifest))
        raw_counts = manifest.get("counts")
        counts: Mapping[str, Any] = raw_counts if isinstance(raw_counts, Mapping) else {}
        for key in COUNT_KEYS:
            totals[key] += _count(counts, key)
    in_scope = totals["valid"] + totals["quarantined"]
    shares = {
        "quarantine": _share(totals["quarantined"], in_scope),
        "bot": _share(totals["bot"], totals["valid"]),
        "late": _share(totals["late"], totals["valid"]),
    }
    if manifests and in_scope == 0:
        failures.append("the runs read no records inside the window: is the raw data for these days present?")
    reasons = _sum_by_reason(manifests, "quarantined_by_reason")
    quarantine = quarantine_failure(totals["quarantined"], in_scope, reasons, thresholds.max_quarantine_share)
    if quarantine:
        failures.append(quarantine)
    limits = {
        "bot": (thresholds.max_bot_share, "CAEC_DQ_MAX_BOT_SHARE"),
        "late": (thresholds.max_late_share, "CAEC_DQ_MAX_LATE_SHARE"),
    }
    for name, (limit, variable) in limits.items():
        if shares[name] > limit:
            failures.append(
                f"{name} share {shares[name]:.2%} exceeds the threshold {limit:.2%} ({variable}); "
                f"investigate the input or raise {variable} if this is expected"
            )
    return DQResult(
        passed=not failures,
        failures=failures,
        totals=totals,
        shares=shares,
        run_ids=[str(m.get("run_id", "?")) for m in manifests],
        quarantined_by_reason=reasons,
        filtered_by_reason=_sum_by_reason(manifests, "filtered_by_reason"),
        quarantine_failure=quarantine,
    )


def _sum_by_reason(manifests: list[dict[str, Any]], key: str) -> dict[str, int]:
    """A per-reason breakdown of the manifests' counts summed over runs, largest first."""
    total: dict[str, int] = {}
    for manifest in manifests:
        counts = manifest.get("counts")
        reasons = counts.get(key) if isinstance(counts, Mapping) else None
        if isinstance(reasons, Mapping):
            for reason in reasons:
                total[str(reason)] = total.get(str(reason), 0) + _count(reasons, reason)
    return dict(sorted(total.items(), key=lambda kv: -kv[1]))


FORMAT_HINT = "is the input format right (make run FORMAT=..., --format, CAEC_INPUT_FORMAT)?"


def quarantine_failure(
    quarantined: int, in_scope: int, by_reason: Mapping[str, int], max_share: float
) -> str | None:
    """The quarantine rule (one place for the DAG gate, ``run`` and ``dq-gate``): the failure, or None.

    Fails above ``max_share`` of the records in scope, and always when every record was quarantined
    (even with the threshold at 1: there is then nothing to build). The message carries the breakdown
    by reason, because "parse_error 10,000" says "wrong format" where a share alone does not.
    """
    share = _share(quarantined, in_scope)
    if quarantined == 0 or (share <= max_share and quarantined < in_scope):
        return None
    breakdown = ", ".join(f"{reason} {n:,}" for reason, n in by_reason.items()) or "no reasons recorded"
    if quarantined == in_scope:
        return f"all {in_scope:,} records were quarantined: {breakdown}; {FORMAT_HINT}"
    return (
        f"quarantine share {share:.2%} exceeds the threshold {max_share:.2%} (CAEC_DQ_MAX_QUARANTINE_SHARE): "
        f"{quarantined:,} of {in_scope:,} records were quarantined: {breakdown}; {FORMAT_HINT} "
        "Raise CAEC_DQ_MAX_QUARANTINE_SHARE if this is expected."
    )


# ---------------------------------------------------------------------------- loading


def _window(manifest: Mapping[str, Any]) -> DayWindow | None:
    window = manifest.get("window")
    if not isinstance(window, Mapping):
        return None
    try:
        return DayWindow.parse(str(window["start"]), str(window["end"]))
    except (KeyError, ValueError):
        return None


def select_manifests(manifests: Iterable[dict[str, Any]], window: DayWindow) -> list[dict[str, Any]]:
    """The runs that count for ``window``: windows overlapping it, the latest run per window.

    A re-run of a day replaces that day's partitions, so only its newest manifest describes what is
    published; older manifests of the same window are history.
    """
    latest: dict[DayWindow, dict[str, Any]] = {}
    for manifest in manifests:
        run = _window(manifest)
        if run is None or not (run.start < window.end and window.start < run.end):
            continue
        current = latest.get(run)
        if current is None or str(manifest.get("finished_at", "")) >= str(current.get("finished_at", "")):
            latest[run] = manifest
    return [latest[w] for w in sorted(latest, key=lambda w: (w.start, w.end))]


def load_manifests(staging_uri: str, window: DayWindow) -> list[dict[str, Any]]:
    """Published manifests that count for ``window`` (see select_manifests).

    Published means named by the Spark job's pointer ``<staging>/_current.jsonl``
    (:mod:`caec_pipeline.pointer`): the manifest of a run killed while publishing exists but is not
    named, and its data is not what readers see, so the gate must not judge it either.
    """
    try:
        state = load_published(staging_uri)
        if state is None:
            if _has_local_manifests(staging_uri):
                raise ManifestError(
                    f"{staging_uri} has manifests but no {POINTER_NAME}: it was written before versioned "
                    "publishing; re-run the days into a new staging root (docs/data-contract.md)"
                )
            return []
        parsed = []
        for run_id in state.keys("manifests"):
            name = f"run_id={run_id}.json"
            text = read_text(join_uri(staging_uri, "manifests", name))
            if text is None:
                # The pointer names every manifest ever published; the bucket's retention (lifecycle
                # deletion by age) may have removed old ones. A missing manifest of this window still
                # fails the gate ("no run manifest found").
                continue
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ManifestError(
                    f"manifest {name} under {staging_uri}/manifests is not valid JSON: {exc}"
                ) from exc
            if isinstance(data, dict):
                parsed.append(data)
    except PointerError as exc:
        raise ManifestError(str(exc)) from exc
    return select_manifests(parsed, window)


def _has_local_manifests(staging_uri: str) -> bool:
    """Manifests without a pointer (the earlier layout); checked locally, where old roots live."""
    if is_remote_uri(staging_uri):
        return False
    directory = local_path(join_uri(staging_uri, "manifests"))
    return directory.is_dir() and any(directory.glob("*.json"))
