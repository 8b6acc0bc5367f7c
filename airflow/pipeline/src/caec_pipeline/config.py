"""Typed pipeline configuration: the one place that reads the ``CAEC_*`` environment variables.

The same object drives the laptop run (``python -m caec_pipeline run``), the Airflow DAG in both its
local and kubernetes modes, and the dashboard build. Every variable has a local default (the embedded
profile, docs/platform-names.md), so an empty environment runs the laptop pipeline; on GKE the Helm
chart's ConfigMap ``caec-pipeline-config`` sets them. Validation happens once, at start-up, and every
problem names the variable and the fix, so a typo in a ConfigMap fails the first task, not the third.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from caec_pipeline.retention import parse_retention_days

log = logging.getLogger(__name__)

MODES = ("local", "kubernetes")
DBT_TARGETS = ("local", "bigquery")
INPUT_FORMATS = ("retailrocket", "rees46", "combined", "jsonl")
DEV_IDENTITY_SALT = "caec-dev-salt-not-for-production"

_ENV_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
_K8S_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_BQ_DATASET = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,1023}$")
_GCP_PROJECT = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_URI_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")
# Kubernetes label keys (optional DNS-subdomain prefix + '/' + name) and values (may be empty).
_LABEL_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_LABEL_KEY = re.compile(
    rf"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?{_LABEL_NAME}$"
)
_LABEL_VALUE = re.compile(rf"^({_LABEL_NAME})?$")
# Data Catalog policy tag resource names (Terraform output pii_policy_tag_ids) and their keys.
_POLICY_TAG = re.compile(r"^projects/[^/]+/locations/[^/]+/taxonomies/[^/]+/policyTags/[^/]+$")
_POLICY_TAG_KEY = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
TOLERATION_OPERATORS = ("Equal", "Exists")
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
_TOLERATION_FIELDS = ("key", "operator", "value", "effect", "tolerationSeconds")


class ConfigError(ValueError):
    """Raised with every configuration problem at once; each line names the variable and the fix."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "invalid CAEC pipeline configuration:\n"
            + "\n".join(f"  - {p}" for p in problems)
            + "\n(see docs/platform-names.md, 'Pipeline configuration')"
        )


def find_repo_root(start: Path | None = None) -> Path:
    """Find the CAEC checkout: the nearest ancestor with the root Makefile and the spark/ and dbt/ dirs.

    Searched from ``start`` (default: the current directory), then from this file (editable installs),
    so the local defaults work from any working directory inside the checkout. Falls back to ``start``
    or the current directory: in container images the data paths are set explicitly anyway.
    """
    candidates = [start or Path.cwd(), Path(__file__).resolve()]
    for base in candidates:
        for directory in [base, *base.parents]:
            if (
                (directory / "Makefile").is_file()
                and (directory / "spark").is_dir()
                and (directory / "dbt").is_dir()
            ):
                return directory.resolve()
    return (start or Path.cwd()).resolve()


def is_remote_uri(uri: str) -> bool:
    """True for object-store URIs (gs://, s3://...): those need a cloud client, not the local filesystem."""
    match = _URI_SCHEME.match(uri)
    return match is not None and match.group(1).lower() != "file"


def local_path(uri: str) -> Path:
    """The filesystem path of a local path or ``file://`` URI (raises ValueError for remote URIs)."""
    if is_remote_uri(uri):
        raise ValueError(f"{uri!r} is not a local path")
    return Path(uri[len("file://") :] if uri.startswith("file://") else uri)


def join_uri(base: str, *parts: str) -> str:
    """Join URI segments with '/' (works for gs:// and local paths alike; no os.path on URIs)."""
    out = base.rstrip("/")
    for part in parts:
        out = f"{out}/{part.strip('/')}"
    return out


@dataclass(frozen=True)
class Toleration:
    """A Kubernetes pod toleration (core/v1 ``Toleration``), e.g. of the Spark node pool's taint.

    Immutable so :class:`PipelineConfig` stays frozen and hashable; :meth:`to_k8s` gives the
    SparkApplication's spelling. ``effect=""`` tolerates every effect, as in Kubernetes.
    """

    key: str = ""
    operator: str = "Equal"
    value: str = ""
    effect: str = ""
    toleration_seconds: int | None = None

    def to_k8s(self) -> dict[str, Any]:
        """The Kubernetes object; empty optional fields are left out (the API's defaults apply)."""
        out: dict[str, Any] = {"key": self.key} if self.key else {}
        out["operator"] = self.operator
        if self.value:
            out["value"] = self.value
        if self.effect:
            out["effect"] = self.effect
        if self.toleration_seconds is not None:
            out["tolerationSeconds"] = self.toleration_seconds
        return out


def _load_json(name: str, raw: str, kind: type, what: str, fix: str) -> tuple[Any, list[str]]:
    """Decode a JSON-valued variable that must be ``what`` (of Python type ``kind``): value, problems."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        return None, [f"{name}={raw!r} is not valid JSON ({exc.msg}): {fix}"]
    if not isinstance(data, kind):
        return None, [f"{name}={raw!r} is not {what}: {fix}"]
    return data, []


def parse_node_selector(name: str, raw: str) -> tuple[tuple[tuple[str, str], ...], list[str]]:
    """``CAEC_SPARK_NODE_SELECTOR``: a JSON object of node labels -> sorted (key, value) pairs, problems.

    Empty means "no nodeSelector" (kind, laptops). Invalid label keys/values are reported here, at
    start-up, instead of as a rejected SparkApplication at run time.
    """
    if not raw:
        return (), []
    fix = f'set {name} to a JSON object of node labels, e.g. {{"caec.io/pool": "spark"}}, or leave it empty'
    data, problems = _load_json(name, raw, dict, "a JSON object", fix)
    if problems:
        return (), problems
    for key, value in data.items():
        if not _LABEL_KEY.match(key):
            problems.append(f"{name}: {key!r} is not a valid Kubernetes label key: {fix}")
        if not isinstance(value, str) or not _LABEL_VALUE.match(value):
            problems.append(f"{name}: the value of {key!r} ({value!r}) is not a valid label value: {fix}")
    if problems:
        return (), problems
    return tuple(sorted(data.items())), []


def _toleration(name: str, index: int, item: Any) -> tuple[Toleration | None, list[str]]:
    """One entry of ``CAEC_SPARK_TOLERATIONS`` checked against the Kubernetes Toleration rules."""
    where = f"{name}[{index}]"
    if not isinstance(item, dict):
        return None, [f"{where} is not a JSON object with key/operator/value/effect"]
    problems = [
        f"{where}: unknown field {k!r} (allowed: {', '.join(_TOLERATION_FIELDS)})"
        for k in item
        if k not in _TOLERATION_FIELDS
    ]
    key, operator, value, effect = (
        item.get(f, d) for f, d in (("key", ""), ("operator", "Equal"), ("value", ""), ("effect", ""))
    )
    seconds = item.get("tolerationSeconds")
    if not all(isinstance(v, str) for v in (key, operator, value, effect)):
        return None, [*problems, f"{where}: key, operator, value and effect must be strings"]
    if key and not _LABEL_KEY.match(key):
        problems.append(f"{where}: key {key!r} is not a valid taint key")
    if operator not in TOLERATION_OPERATORS:
        problems.append(f"{where}: operator {operator!r} is not one of {', '.join(TOLERATION_OPERATORS)}")
    elif operator == "Equal" and not key:
        problems.append(f"{where}: operator Equal needs a key (use operator Exists to tolerate every taint)")
    elif operator == "Exists" and value:
        problems.append(f"{where}: operator Exists takes no value (drop {value!r} or use operator Equal)")
    if value and not _LABEL_VALUE.match(value):
        problems.append(f"{where}: value {value!r} is not a valid taint value")
    if effect and effect not in TAINT_EFFECTS:
        problems.append(
            f"{where}: effect {effect!r} is not one of {', '.join(TAINT_EFFECTS)} (or empty for all)"
        )
    if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0):
        problems.append(f"{where}: tolerationSeconds {seconds!r} must be a non-negative integer")
    elif seconds is not None and effect != "NoExecute":
        problems.append(f"{where}: tolerationSeconds only applies to effect NoExecute")
    if problems:
        return None, problems
    return Toleration(key, operator, value, effect, seconds), []


def parse_tolerations(name: str, raw: str) -> tuple[tuple[Toleration, ...], list[str]]:
    """``CAEC_SPARK_TOLERATIONS``: a JSON list of Kubernetes tolerations -> Tolerations, problems.

    Empty means "no tolerations" (kind, laptops: there is no tainted Spark pool to reach).
    """
    if not raw:
        return (), []
    fix = (
        f"set {name} to a JSON list of tolerations, e.g. "
        '[{"key": "caec.io/pool", "operator": "Equal", "value": "spark", "effect": "NoSchedule"}], '
        "or leave it empty"
    )
    data, problems = _load_json(name, raw, list, "a JSON list", fix)
    if problems:
        return (), problems
    tolerations: list[Toleration] = []
    for index, item in enumerate(data):
        toleration, found = _toleration(name, index, item)
        problems.extend(found)
        if toleration is not None:
            tolerations.append(toleration)
    return (tuple(tolerations), []) if not problems else ((), problems)


def parse_policy_tags(name: str, raw: str) -> tuple[tuple[tuple[str, str], ...], list[str]]:
    """``CAEC_BQ_POLICY_TAGS``: JSON tag key -> policy tag resource name -> sorted pairs, problems.

    Empty means "no tags" (local, kind: DuckDB has no policy tags).
    """
    if not raw:
        return (), []
    fix = (
        f"set {name} to the env root's `terraform output -json pii_policy_tag_ids`, e.g. "
        '{"pseudonymous_id": "projects/P/locations/L/taxonomies/T/policyTags/N"}, or leave it empty'
    )
    data, problems = _load_json(name, raw, dict, "a JSON object", fix)
    if problems:
        return (), problems
    problems = [
        f"{name}: {key!r} -> {value!r} is not a tag key -> projects/.../policyTags/... name: {fix}"
        for key, value in data.items()
        if not _POLICY_TAG_KEY.match(key) or not isinstance(value, str) or not _POLICY_TAG.match(value)
    ]
    return ((), problems) if problems else (tuple(sorted(data.items())), [])


@dataclass(frozen=True)
class PipelineConfig:
    """Resolved pipeline configuration (every default applied). Build it with :meth:`from_env`."""

    repo_root: Path
    mode: str = "local"
    env: str = "local"
    data_dir: Path = field(default=Path("data"))
    raw_uri: str = ""
    input_format: str = "jsonl"
    staging_uri: str = ""
    quarantine_uri: str = ""
    dbt_target: str = "local"
    duckdb_path: Path = field(default=Path("data/warehouse/caec.duckdb"))
    gcp_project: str = ""
    bq_location: str = "EU"
    bq_staging_dataset: str = "caec_local_staging"
    bq_marts_dataset: str = "caec_local_marts"
    jobs_namespace: str = "caec-jobs"
    spark_service_account: str = "caec-spark"
    dbt_service_account: str = "caec-dbt"
    image_repo: str = "caec"
    image_tag: str = "dev"
    dq_max_quarantine_share: float = 0.05
    dq_max_bot_share: float = 0.5
    dq_max_late_share: float = 0.1
    shared_volume_claim: str = ""
    # Spark pods' placement (driver and executors): the Spark node pool's label and taint on GKE.
    spark_node_selector: tuple[tuple[str, str], ...] = ()
    spark_tolerations: tuple[Toleration, ...] = ()
    # PII policy tag ids (BigQuery column security) and retention days per layer, from Terraform.
    bq_policy_tags: tuple[tuple[str, str], ...] = ()
    retention_days: tuple[tuple[str, int], ...] = ()
    identity_salt: str = DEV_IDENTITY_SALT

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, repo_root: Path | None = None) -> PipelineConfig:
        """Read ``CAEC_*`` variables (default: ``os.environ``), apply local defaults, validate.

        Empty values count as unset, because Helm renders missing keys as empty strings.
        Raises :class:`ConfigError` listing every problem.
        """
        source = os.environ if env is None else env

        def get(name: str, default: str = "") -> str:
            value = source.get(name, "")
            return value.strip() if value and value.strip() else default

        problems: list[str] = []
        root = (repo_root or find_repo_root()).resolve()
        data_dir = Path(get("CAEC_DATA_DIR", str(root / "data")))
        if not data_dir.is_absolute():
            data_dir = (root / data_dir).resolve()
        staging = get("CAEC_STAGING_URI", str(data_dir / "staging"))
        salt = get("CAEC_IDENTITY_SALT")

        def share(name: str, default: float) -> float:
            raw = get(name, str(default))
            try:
                value = float(raw)
            except ValueError:
                problems.append(
                    f"{name}={raw!r} is not a number: set it to a share between 0 and 1, e.g. {default}"
                )
                return default
            if not 0.0 <= value <= 1.0:
                problems.append(
                    f"{name}={raw!r} is outside 0..1: set it to a share between 0 and 1, e.g. {default}"
                )
                return default
            return value

        node_selector, found = parse_node_selector(
            "CAEC_SPARK_NODE_SELECTOR", get("CAEC_SPARK_NODE_SELECTOR")
        )
        problems.extend(found)
        tolerations, found = parse_tolerations("CAEC_SPARK_TOLERATIONS", get("CAEC_SPARK_TOLERATIONS"))
        problems.extend(found)
        policy_tags, found = parse_policy_tags("CAEC_BQ_POLICY_TAGS", get("CAEC_BQ_POLICY_TAGS"))
        problems.extend(found)
        retention_days: tuple[tuple[str, int], ...] = ()
        try:
            # The parser of `make run`'s retention step (caec_pipeline.retention): one reading of the days.
            retention_days = tuple(sorted(parse_retention_days(get("CAEC_RETENTION_DAYS")).items()))
        except ValueError as exc:
            problems.append(str(exc))
        duckdb = Path(get("CAEC_DUCKDB_PATH", str(data_dir / "warehouse" / "caec.duckdb")))
        cfg_values: dict[str, Any] = {
            "repo_root": root,
            "mode": get("CAEC_MODE", "local").lower(),
            "env": get("CAEC_ENV", "local"),
            "data_dir": data_dir,
            "raw_uri": get("CAEC_RAW_URI", str(data_dir / "raw")),
            "input_format": get("CAEC_INPUT_FORMAT", "jsonl").lower(),
            "staging_uri": staging,
            "quarantine_uri": get("CAEC_QUARANTINE_URI", join_uri(staging, "quarantine")),
            "dbt_target": get("CAEC_DBT_TARGET", "local").lower(),
            "duckdb_path": duckdb if duckdb.is_absolute() else (root / duckdb).resolve(),
            "gcp_project": get("CAEC_GCP_PROJECT"),
            "bq_location": get("CAEC_BQ_LOCATION", "EU"),
            "bq_staging_dataset": get("CAEC_BQ_STAGING_DATASET", "caec_local_staging"),
            "bq_marts_dataset": get("CAEC_BQ_MARTS_DATASET", "caec_local_marts"),
            "jobs_namespace": get("CAEC_JOBS_NAMESPACE", "caec-jobs"),
            "spark_service_account": get("CAEC_SPARK_SERVICE_ACCOUNT", "caec-spark"),
            "dbt_service_account": get("CAEC_DBT_SERVICE_ACCOUNT", "caec-dbt"),
            "image_repo": get("CAEC_IMAGE_REPO", "caec").rstrip("/"),
            "image_tag": get("CAEC_IMAGE_TAG", "dev"),
            "dq_max_quarantine_share": share("CAEC_DQ_MAX_QUARANTINE_SHARE", 0.05),
            "dq_max_bot_share": share("CAEC_DQ_MAX_BOT_SHARE", 0.5),
            "dq_max_late_share": share("CAEC_DQ_MAX_LATE_SHARE", 0.1),
            "shared_volume_claim": get("CAEC_SHARED_VOLUME_CLAIM"),
            "spark_node_selector": node_selector,
            "spark_tolerations": tolerations,
            "bq_policy_tags": policy_tags,
            "retention_days": retention_days,
            "identity_salt": salt or DEV_IDENTITY_SALT,
        }
        problems.extend(validate(cfg_values))
        if problems:
            raise ConfigError(problems)
        if not salt:
            # Loud outside the laptop profile, where a known salt would make visitor keys reversible.
            shared = cfg_values["mode"] != "local" or cfg_values["env"] != "local"
            log.log(
                logging.WARNING if shared else logging.INFO,
                "CAEC_IDENTITY_SALT is not set: visitor keys use the fixed development salt "
                "(fine locally; set it from a Secret in any shared environment)",
            )
        return cls(**cfg_values)

    def to_env(self) -> dict[str, str]:
        """The ``CAEC_*`` variables that reproduce this config (passed to child processes and pods)."""
        return {
            "CAEC_MODE": self.mode,
            "CAEC_ENV": self.env,
            "CAEC_DATA_DIR": str(self.data_dir),
            "CAEC_RAW_URI": self.raw_uri,
            "CAEC_INPUT_FORMAT": self.input_format,
            "CAEC_STAGING_URI": self.staging_uri,
            "CAEC_QUARANTINE_URI": self.quarantine_uri,
            "CAEC_DBT_TARGET": self.dbt_target,
            "CAEC_DUCKDB_PATH": str(self.duckdb_path),
            "CAEC_GCP_PROJECT": self.gcp_project,
            "CAEC_BQ_LOCATION": self.bq_location,
            "CAEC_BQ_STAGING_DATASET": self.bq_staging_dataset,
            "CAEC_BQ_MARTS_DATASET": self.bq_marts_dataset,
            "CAEC_JOBS_NAMESPACE": self.jobs_namespace,
            "CAEC_SPARK_SERVICE_ACCOUNT": self.spark_service_account,
            "CAEC_DBT_SERVICE_ACCOUNT": self.dbt_service_account,
            "CAEC_IMAGE_REPO": self.image_repo,
            "CAEC_IMAGE_TAG": self.image_tag,
            "CAEC_DQ_MAX_QUARANTINE_SHARE": repr(self.dq_max_quarantine_share),
            "CAEC_DQ_MAX_BOT_SHARE": repr(self.dq_max_bot_share),
            "CAEC_DQ_MAX_LATE_SHARE": repr(self.dq_max_late_share),
            "CAEC_SHARED_VOLUME_CLAIM": self.shared_volume_claim,
            "CAEC_SPARK_NODE_SELECTOR": _json_or_empty(self.node_selector),
            "CAEC_SPARK_TOLERATIONS": _json_or_empty(self.tolerations),
            "CAEC_BQ_POLICY_TAGS": _json_or_empty(self.policy_tags),
            "CAEC_RETENTION_DAYS": _json_or_empty(self.retention),
            "CAEC_IDENTITY_SALT": self.identity_salt,
        }

    def describe(self) -> dict[str, str]:
        """Printable settings with the salt masked (for logs and ``--help``-style summaries)."""
        out = {f.name: str(getattr(self, f.name)) for f in fields(self)}
        out["spark_node_selector"] = _json_or_empty(self.node_selector)
        out["spark_tolerations"] = _json_or_empty(self.tolerations)
        out["bq_policy_tags"] = _json_or_empty(self.policy_tags)
        out["retention_days"] = _json_or_empty(self.retention)
        out["identity_salt"] = "(development salt)" if self.uses_dev_salt else "(set)"
        return out

    # ------------------------------------------------------------------ Spark pod placement
    @property
    def node_selector(self) -> dict[str, str]:
        """``nodeSelector`` of the Spark driver and executors; empty: no such field (schedule anywhere)."""
        return dict(self.spark_node_selector)

    @property
    def tolerations(self) -> list[dict[str, Any]]:
        """``tolerations`` of the Spark driver and executors; empty: no such field."""
        return [t.to_k8s() for t in self.spark_tolerations]

    @property
    def policy_tags(self) -> dict[str, str]:
        """PII policy tag resource names by tag key (dbt's policy_tags on BigQuery); empty: none."""
        return dict(self.bq_policy_tags)

    @property
    def retention(self) -> dict[str, int]:
        """Days kept per layer (raw, staging, quarantine, marts, audit; 0 = keep); empty: keep all."""
        return dict(self.retention_days)

    # ------------------------------------------------------------------ derived names
    @property
    def is_local(self) -> bool:
        """Tasks run the job and dbt in local virtual environments (the embedded default)."""
        return self.mode == "local"

    @property
    def uses_dev_salt(self) -> bool:
        return self.identity_salt == DEV_IDENTITY_SALT

    @property
    def events_uri(self) -> str:
        return join_uri(self.staging_uri, "events")

    @property
    def sessions_uri(self) -> str:
        return join_uri(self.staging_uri, "sessions")

    @property
    def manifests_uri(self) -> str:
        return join_uri(self.staging_uri, "manifests")

    @property
    def published_uri(self) -> str:
        """Where ``publish`` writes one marker per finished day (``dt=YYYY-MM-DD.json``)."""
        return join_uri(self.staging_uri, "_published")

    @property
    def logs_dir(self) -> Path:
        """Local stage logs of ``caec_pipeline run`` (full child output; the console shows a tail)."""
        return self.data_dir / "logs"

    @property
    def dashboard_path(self) -> Path:
        return self.data_dir / "dashboard.html"

    @property
    def dbt_project_dir(self) -> Path:
        return self.repo_root / "dbt"

    def raw_day_uri(self, day: str) -> str:
        """A day's raw files live under ``<raw>/dt=YYYY-MM-DD/`` (what the production sensor waits for)."""
        return join_uri(self.raw_uri, f"dt={day}")

    def venv_python(self, name: str) -> Path:
        """Interpreter of a component venv (``.venv/<name>``, made by ``make``'s ``$(VENV)/<name>/.synced``)."""
        return self.repo_root / ".venv" / name / "bin" / "python"

    def venv_bin(self, name: str, program: str) -> Path:
        return self.repo_root / ".venv" / name / "bin" / program

    def image(self, component: str) -> str:
        """Full image reference, e.g. ``<repo>/caec-spark:<tag>`` (component: spark, dbt, airflow)."""
        return f"{self.image_repo}/caec-{component}:{self.image_tag}"

    @property
    def spark_image(self) -> str:
        return self.image("spark")

    @property
    def dbt_image(self) -> str:
        return self.image("dbt")

    @property
    def airflow_image(self) -> str:
        return self.image("airflow")


def _json_or_empty(value: Mapping[str, Any] | list[dict[str, Any]]) -> str:
    """Compact JSON for a ConfigMap-style variable; empty string for an empty value (= unset)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":")) if value else ""


def validate(values: Mapping[str, Any]) -> list[str]:
    """Check resolved values; each message names the variable and how to fix it."""
    problems: list[str] = []
    mode = values["mode"]
    if mode not in MODES:
        problems.append(
            f"CAEC_MODE={mode!r} is not one of {', '.join(MODES)}: use 'local' on a laptop, 'kubernetes' on GKE/kind"
        )
    if not _ENV_NAME.match(values["env"]):
        problems.append(
            f"CAEC_ENV={values['env']!r} must be lowercase letters, digits and '-', starting with a letter (e.g. 'dev')"
        )
    if values["input_format"] not in INPUT_FORMATS:
        problems.append(
            f"CAEC_INPUT_FORMAT={values['input_format']!r} is not one of {', '.join(INPUT_FORMATS)}"
        )
    target = values["dbt_target"]
    if target not in DBT_TARGETS:
        problems.append(
            f"CAEC_DBT_TARGET={target!r} is not one of {', '.join(DBT_TARGETS)}: 'local' is DuckDB"
        )
    if target == "bigquery":
        if not values["gcp_project"]:
            problems.append(
                "CAEC_GCP_PROJECT is empty but CAEC_DBT_TARGET=bigquery: set the BigQuery project id"
            )
        elif not _GCP_PROJECT.match(values["gcp_project"]):
            problems.append(
                f"CAEC_GCP_PROJECT={values['gcp_project']!r} is not a valid GCP project id (6-30 chars, a-z0-9-)"
            )
    for var, key in (
        ("CAEC_BQ_STAGING_DATASET", "bq_staging_dataset"),
        ("CAEC_BQ_MARTS_DATASET", "bq_marts_dataset"),
    ):
        if not _BQ_DATASET.match(values[key]):
            problems.append(
                f"{var}={values[key]!r} is not a valid BigQuery dataset name (letters, digits, '_')"
            )
    for var, key in (
        ("CAEC_JOBS_NAMESPACE", "jobs_namespace"),
        ("CAEC_SPARK_SERVICE_ACCOUNT", "spark_service_account"),
        ("CAEC_DBT_SERVICE_ACCOUNT", "dbt_service_account"),
    ):
        if not _K8S_NAME.match(values[key]):
            problems.append(
                f"{var}={values[key]!r} is not a valid Kubernetes name (lowercase a-z0-9 and '-', max 63)"
            )
    if values["shared_volume_claim"] and not _K8S_NAME.match(values["shared_volume_claim"]):
        problems.append(f"CAEC_SHARED_VOLUME_CLAIM={values['shared_volume_claim']!r} is not a valid PVC name")
    if not values["image_tag"] or not re.match(r"^[\w][\w.-]{0,127}$", values["image_tag"]):
        problems.append(
            f"CAEC_IMAGE_TAG={values['image_tag']!r} is not a valid image tag ([A-Za-z0-9_.-], max 128)"
        )
    for var, key in (
        ("CAEC_RAW_URI", "raw_uri"),
        ("CAEC_STAGING_URI", "staging_uri"),
        ("CAEC_QUARANTINE_URI", "quarantine_uri"),
    ):
        uri = values[key]
        scheme = _URI_SCHEME.match(uri)
        if scheme and scheme.group(1).lower() not in ("gs", "file"):
            problems.append(f"{var}={uri!r}: only local paths, file:// and gs:// URIs are supported")
        if mode == "kubernetes" and not is_remote_uri(uri) and not values["shared_volume_claim"]:
            problems.append(
                f"{var}={uri!r} is a local path but CAEC_MODE=kubernetes: pods cannot see this machine's disk; "
                "use a gs:// URI, or set CAEC_SHARED_VOLUME_CLAIM to a PVC mounted at CAEC_DATA_DIR"
            )
    if mode == "local" and target == "local" and is_remote_uri(values["staging_uri"]):
        problems.append(
            f"CAEC_STAGING_URI={values['staging_uri']!r} is remote but dbt's local (DuckDB) target reads local "
            "Parquet: use a local path, or CAEC_DBT_TARGET=bigquery"
        )
    if mode == "kubernetes" and target == "local" and not values["shared_volume_claim"]:
        problems.append(
            "CAEC_DBT_TARGET=local with CAEC_MODE=kubernetes needs CAEC_SHARED_VOLUME_CLAIM (the DuckDB file lives "
            "on a shared volume); on GKE set CAEC_DBT_TARGET=bigquery"
        )
    return problems
