"""Typed pipeline configuration: the one place that declares and reads the ``CAEC_*`` environment variables.

The same object drives the laptop run (``python -m caec_pipeline run``), the Airflow DAG in both its
local and kubernetes modes, and the dashboard build. Every variable is declared once, as a field of
:class:`PipelineConfig` (its :class:`Setting`); every one has a local default (the embedded profile,
docs/configuration.md), so an empty environment runs the laptop pipeline; on GKE the Helm chart's
ConfigMap ``caec-pipeline-config`` (generated keys) sets them. Validation happens once, at start-up, and every
problem names the variable and the fix, so a typo in a ConfigMap fails the first task, not the third.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
from collections.abc import Callable, Mapping
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
            + "\n(see docs/configuration.md)"
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


# ---------------------------------------------------------------------------------------------------
# The declarations. Each CAEC_* setting is stated once, as a field of PipelineConfig below: its variable,
# local default, parser, how to_env writes it back, where a deployment takes it from and what it means.
# from_env, to_env, describe, the chart's ConfigMap keys (helm/caec-platform/files/pipeline-config.yaml),
# the chart's DQ defaults (values.yaml) and the table of docs/configuration.md all come from them
# (`make settings` writes the generated files; airflow/pipeline/tests/test_settings.py fails on drift).
# Plain dataclass fields, not pydantic-settings: the package is stdlib only because `make run` runs it
# with the base Python and it is installed without dependencies next to Airflow's own pins.

SETTING = "caec_setting"  # the field metadata key that carries a field's Setting


@dataclass(frozen=True)
class Derived:
    """A default made from another setting's resolved value: ``join_uri(<base>, *parts)``.

    ``base=None`` is the repository root (the checkout :func:`find_repo_root` finds).
    """

    base: str | None
    parts: tuple[str, ...]

    def resolve(self, resolved: Mapping[str, str], root: Path) -> str:
        return join_uri(str(root) if self.base is None else resolved[self.base], *self.parts)

    def __str__(self) -> str:
        return "/".join([f"<{self.base}>" if self.base else "<repo>", *self.parts])


@dataclass(frozen=True)
class Deploy:
    """Where a deployment's value comes from.

    ``origin`` says it for readers (docs/configuration.md); ``expr`` is the Helm template the
    ConfigMap ``caec-pipeline-config`` renders for the variable (``tpl`` over the chart's values);
    ``None``: not in the ConfigMap (a Secret, or derived from another setting's expression).
    ``chart_default``: the chart's values.yaml default is the local default (generated there).
    """

    origin: str
    expr: str | None = None
    value_path: str = ""
    chart_default: bool = False


def from_platform(path: str) -> Deploy:
    """A name in Terraform's ``platform`` object (``make platform-values`` writes it into the chart values)."""
    return Deploy(f"Terraform: `platform.{path}`", f"{{{{ .Values.platform.{path} }}}}")


def from_value(path: str, note: str = "", chart_default: bool = False) -> Deploy:
    """A caec-platform chart value under ``pipeline``."""
    origin = f"Helm value `pipeline.{path}`" + (f" ({note})" if note else "")
    return Deploy(origin, f"{{{{ .Values.pipeline.{path} }}}}", f"pipeline.{path}", chart_default)


def as_json(origin: str, path: str) -> Deploy:
    """A chart value rendered as compact JSON; empty when the value is empty."""
    return Deploy(origin, f"{{{{ if .Values.{path} }}}}{{{{ toJson .Values.{path} }}}}{{{{ end }}}}")


Parser = Callable[["Setting", str, Path], tuple[Any, list[str]]]


@dataclass(frozen=True)
class Setting:
    """One ``CAEC_*`` variable, declared as the PipelineConfig field ``name``; its variable ``env`` is
    ``CAEC_`` + the field name in capitals (both filled in from the class, so neither is written twice)."""

    default: str | Derived
    parse: Parser
    render: Callable[[Any], str]
    deploy: Deploy
    gke: bool
    doc: str
    doc_default: str = ""
    name: str = ""
    env: str = ""

    @property
    def shown_default(self) -> str:
        """The local default as the docs show it."""
        if self.doc_default:
            return self.doc_default
        return f"`{self.default}`" if str(self.default) else "empty"

    @property
    def default_value(self) -> Any:
        """The parsed local default of a literal default (DQThresholds' defaults come from here)."""
        if isinstance(self.default, Derived):
            raise TypeError(f"{self.env}'s default depends on other settings")
        value, problems = self.parse(self, self.default, Path("."))
        assert not problems, problems
        return value

    def helm_expr(self) -> str | None:
        """The ConfigMap template of this variable; a derived default follows its base's expression."""
        if self.deploy.expr is not None or not isinstance(self.default, Derived):
            return self.deploy.expr
        base = self.default.base and SETTINGS_BY_ENV[self.default.base].helm_expr()
        return "/".join([base, *self.default.parts]) if base else None


def setting(
    default: str | Derived,
    doc: str,
    deploy: Deploy,
    *,
    gke: bool = False,
    parse: Parser | None = None,
    render: Callable[[Any], str] = str,
    doc_default: str = "",
) -> Any:
    """A PipelineConfig field declared as a ``CAEC_*`` setting (see :class:`Setting`)."""
    spec = Setting(default, parse or _text, render, deploy, gke, doc, doc_default)
    return field(metadata={SETTING: spec})


def dq_share(default: str, share: str, key: str) -> Any:
    """A data-quality gate threshold (a share, 0..1); the chart's ``pipeline.dq`` default is the local one."""
    doc = f"data-quality gate: the run fails above this share of {share}"
    deploy = from_value(f"dq.{key}", chart_default=True)
    return setting(default, doc, deploy, parse=_share, render=repr)


def json_setting(doc: str, deploy: Deploy, parse: Parser, render: Callable[[Any], str], empty: str) -> Any:
    """A JSON-valued setting a GKE deployment sets; its local default, empty, means ``empty``."""
    return setting("", doc, deploy, gke=True, parse=parse, render=render, doc_default=f"empty ({empty})")


def derived(base: str | None, *parts: str) -> Derived:
    return Derived(base, parts)


def _text(spec: Setting, raw: str, root: Path) -> tuple[Any, list[str]]:
    return raw, []


def _lower(spec: Setting, raw: str, root: Path) -> tuple[Any, list[str]]:
    return raw.lower(), []


def _no_trailing_slash(spec: Setting, raw: str, root: Path) -> tuple[Any, list[str]]:
    return raw.rstrip("/"), []


def _path(spec: Setting, raw: str, root: Path) -> tuple[Any, list[str]]:
    """A local path; relative ones resolve against the repository root."""
    path = Path(raw)
    return (path if path.is_absolute() else (root / path).resolve()), []


def _share(spec: Setting, raw: str, root: Path) -> tuple[Any, list[str]]:
    fix = f"set it to a share between 0 and 1, e.g. {spec.default}"
    try:
        value = float(raw)
    except ValueError:
        return None, [f"{spec.env}={raw!r} is not a number: {fix}"]
    if not 0.0 <= value <= 1.0:
        return None, [f"{spec.env}={raw!r} is outside 0..1: {fix}"]
    return value, []


def _retention(spec: Setting, raw: str, root: Path) -> tuple[Any, list[str]]:
    try:
        # The parser of `make run`'s retention step (caec_pipeline.retention): one reading of the days.
        return tuple(sorted(parse_retention_days(raw).items())), []
    except ValueError as exc:
        return (), [str(exc)]


def _json_parser(parse: Callable[[str, str], tuple[Any, list[str]]]) -> Parser:
    return lambda spec, raw, root: parse(spec.env, raw)


def _pairs_json(value: tuple[tuple[str, Any], ...]) -> str:
    return _json_or_empty(dict(value))


def _tolerations_json(value: tuple[Toleration, ...]) -> str:
    return _json_or_empty([t.to_k8s() for t in value])


@dataclass(frozen=True)
class PipelineConfig:
    """Resolved pipeline configuration (every default applied). Build it with :meth:`from_env`."""

    repo_root: Path
    mode: str = setting(
        "local",
        "`local` (tasks run the job and dbt in local venvs) or `kubernetes` (SparkApplication + pods)",
        from_value("mode"),
        gke=True,
        parse=_lower,
    )
    env: str = setting("local", "environment name", from_platform("env"), gke=True)
    data_dir: Path = setting(  # noqa: RUF009 (a field() with metadata, evaluated once on purpose)
        derived(None, "data"),
        "local data root; relative paths resolve against the repository root",
        from_value("dataDir", "with storage=sharedVolume the PVC is mounted there"),
        parse=_path,
    )
    raw_uri: str = setting(
        derived("CAEC_DATA_DIR", "raw"),
        "raw logs root; a day's files are under `<raw>/dt=YYYY-MM-DD/`",
        Deploy(
            "Terraform: `gs://<platform.buckets.raw>` (storage=sharedVolume: `<dataDir>/raw`)",
            '{{ include "caec-platform.dataUri" (list . "raw") }}',
        ),
        gke=True,
    )
    input_format: str = setting(
        "jsonl", f"raw log format ({', '.join(INPUT_FORMATS)})", from_value("inputFormat"), parse=_lower
    )
    staging_uri: str = setting(
        derived("CAEC_DATA_DIR", "staging"),
        "Spark output root (events/, sessions/, manifests/, the publish pointer)",
        Deploy(
            "Terraform: `gs://<platform.buckets.staging>` (storage=sharedVolume: `<dataDir>/staging`)",
            '{{ include "caec-platform.dataUri" (list . "staging") }}',
        ),
        gke=True,
    )
    quarantine_uri: str = setting(
        derived("CAEC_STAGING_URI", "quarantine"),
        "quarantine output",
        Deploy(
            "Terraform: `gs://<platform.buckets.quarantine>` "
            "(storage=sharedVolume: `<dataDir>/staging/quarantine`)",
            '{{ include "caec-platform.dataUri" (list . "quarantine") }}',
        ),
        gke=True,
    )
    dbt_target: str = setting(
        "local", "dbt target: `local` (DuckDB) or `bigquery`", from_value("dbtTarget"), gke=True, parse=_lower
    )
    duckdb_path: Path = setting(  # noqa: RUF009 (as data_dir)
        derived("CAEC_DATA_DIR", "warehouse", "caec.duckdb"),
        "DuckDB file of the local target",
        Deploy("as locally, under `CAEC_DATA_DIR`"),
        parse=_path,
    )
    gcp_project: str = setting(
        "",
        "BigQuery project (required with `CAEC_DBT_TARGET=bigquery`)",
        from_platform("projectId"),
        gke=True,
    )
    bq_location: str = setting("EU", "BigQuery location", from_platform("bigqueryLocation"))
    bq_staging_dataset: str = setting(
        "caec_local_staging",
        "BigQuery dataset of the staging external tables",
        from_platform("datasets.staging"),
        gke=True,
    )
    bq_marts_dataset: str = setting(
        "caec_local_marts", "BigQuery dataset of the marts", from_platform("datasets.marts"), gke=True
    )
    jobs_namespace: str = setting(
        "caec-jobs", "where SparkApplications and dbt pods run", from_platform("namespaces.jobs")
    )
    spark_service_account: str = setting(
        "caec-spark", "KSA of the Spark driver and executors", from_platform("serviceAccounts.spark.name")
    )
    dbt_service_account: str = setting(
        "caec-dbt", "KSA of dbt pods", from_platform("serviceAccounts.dbt.name")
    )
    image_repo: str = setting(
        "caec",
        "image registry path of `caec-spark`, `caec-dbt`, `caec-airflow`",
        from_platform("imageRepo"),
        gke=True,
        parse=_no_trailing_slash,
    )
    image_tag: str = setting(
        "dev", "image tag", from_value("imageTag", "`make helm-upgrade` sets the git sha"), gke=True
    )
    dq_max_quarantine_share: float = dq_share(
        "0.05", "quarantined / (valid + quarantined)", "maxQuarantineShare"
    )
    dq_max_bot_share: float = dq_share("0.5", "bot / valid", "maxBotShare")
    dq_max_late_share: float = dq_share("0.1", "late / valid", "maxLateShare")
    shared_volume_claim: str = setting(
        "",
        "kubernetes mode without GCS (kind e2e): PVC mounted at `CAEC_DATA_DIR` in Spark and dbt pods",
        Deploy(
            "Helm value `pipeline.sharedVolume.claimName` when `pipeline.storage=sharedVolume`",
            '{{ ternary .Values.pipeline.sharedVolume.claimName "" '
            '(eq .Values.pipeline.storage "sharedVolume") }}',
        ),
        doc_default="empty (unused)",
    )
    # Spark pods' placement (driver and executors): the Spark node pool's label and taint on GKE.
    spark_node_selector: tuple[tuple[str, str], ...] = json_setting(
        "JSON object of node labels: `nodeSelector` of the Spark driver and executors",
        as_json("Terraform: `platform.sparkPool.nodeSelector` as JSON", "platform.sparkPool.nodeSelector"),
        _json_parser(parse_node_selector),
        _pairs_json,
        "no `nodeSelector`",
    )
    spark_tolerations: tuple[Toleration, ...] = json_setting(
        "JSON list of Kubernetes tolerations: `tolerations` of the Spark driver and executors",
        as_json("Terraform: `platform.sparkPool.tolerations` as JSON", "platform.sparkPool.tolerations"),
        _json_parser(parse_tolerations),
        _tolerations_json,
        "no `tolerations`",
    )
    # PII policy tag ids (BigQuery column security) and retention days per layer, from Terraform.
    bq_policy_tags: tuple[tuple[str, str], ...] = json_setting(
        "JSON object PII tag key -> policy tag resource name (`projects/.../policyTags/...`): dbt attaches "
        "them to the visitor/session key columns on BigQuery",
        as_json(
            "Terraform output `pii_policy_tag_ids`, read by `make helm-upgrade` (and `helm-template`, `helm-diff`) "
            "into the Helm value `pipeline.bqPolicyTags` at deploy time (`POLICY_TAGS_JSON` overrides)",
            "pipeline.bqPolicyTags",
        ),
        _json_parser(parse_policy_tags),
        _pairs_json,
        "no tags; dbt gets `{}`",
    )
    retention_days: tuple[tuple[str, int], ...] = json_setting(
        "JSON object of days kept per layer (`raw`, `staging`, `quarantine`, `marts`, `audit`; 0 = keep), "
        "docs/privacy.md; `make run` deletes local partitions past it",
        Deploy(
            "Terraform: `platform.retentionDays` as JSON (`retention_days`)",
            "{{ toJson .Values.platform.retentionDays }}",
        ),
        _retention,
        _pairs_json,
        "keep everything",
    )
    identity_salt: str = setting(
        DEV_IDENTITY_SALT,
        "salt of the pseudonymous visitor keys",
        Deploy("Secret `caec-pipeline-secrets` (docs/deployment.md); never in the ConfigMap"),
        gke=True,
        doc_default="a fixed development salt, with a warning",
    )

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, repo_root: Path | None = None) -> PipelineConfig:
        """Read ``CAEC_*`` variables (default: ``os.environ``), apply local defaults, validate.

        Empty values count as unset, because Helm renders missing keys as empty strings.
        Raises :class:`ConfigError` listing every problem.
        """
        source = os.environ if env is None else env
        root = (repo_root or find_repo_root()).resolve()
        problems: list[str] = []
        resolved: dict[str, str] = {}  # each variable's value as text, for the derived defaults
        cfg_values: dict[str, Any] = {"repo_root": root}
        for spec in SETTINGS:
            raw = (source.get(spec.env) or "").strip()
            if not raw:
                default = spec.default
                raw = default.resolve(resolved, root) if isinstance(default, Derived) else default
            value, found = spec.parse(spec, raw, root)
            problems.extend(found)
            cfg_values[spec.name] = value
            resolved[spec.env] = raw if found else spec.render(value)
        problems.extend(validate(cfg_values))
        if problems:
            raise ConfigError(problems)
        if not (source.get("CAEC_IDENTITY_SALT") or "").strip():
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
        return {spec.env: spec.render(getattr(self, spec.name)) for spec in SETTINGS}

    def describe(self) -> dict[str, str]:
        """Printable settings with the salt masked (for logs and ``--help``-style summaries)."""
        out = {"repo_root": str(self.repo_root)}
        out.update((spec.name, spec.render(getattr(self, spec.name))) for spec in SETTINGS)
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


SETTINGS: tuple[Setting, ...] = tuple(
    dataclasses.replace(f.metadata[SETTING], name=f.name, env=f"CAEC_{f.name.upper()}")
    for f in fields(PipelineConfig)
    if SETTING in f.metadata
)
SETTINGS_BY_ENV: dict[str, Setting] = {spec.env: spec for spec in SETTINGS}
SETTINGS_BY_NAME: dict[str, Setting] = {spec.name: spec for spec in SETTINGS}


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
