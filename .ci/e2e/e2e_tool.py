"""Small, typed helpers behind .ci/e2e/e2e-kind.sh.

The shell script drives docker/kind/kubectl/helm; everything that is logic (rendering the manifests it
applies, validating them offline, finding the generated day, deciding whether the run's outputs are
right) lives here so it is unit-tested by `make test-ci` on a machine with no Docker engine.

Subcommands (each exits non-zero with a message that says what is wrong):
  render TEMPLATE... --out-dir DIR --var KEY=VALUE ...
                                            substitute ${KEY} placeholders (a missing value is an error)
                                            and write each template to DIR under its own name
  validate FILE ... [--k8s-version V]       kind Cluster config checks + Kubernetes OpenAPI validation
  check-pipeline-config FILE --claim NAME   the rendered platform chart's pipeline ConfigMap runs the DAG
    [--pipeline-src DIR]                    in kubernetes mode on the shared claim with dbt on DuckDB, and
                                            the DAG's own typed config (caec_pipeline) accepts it
  day RAW_DIR                               the single generated day under RAW_DIR/dt=YYYY-MM-DD
  check-outputs --data-dir DIR --day DAY    the run's manifest reconciles and every mart has rows
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import string
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

KIND_API_VERSION = "kind.x-k8s.io/v1alpha4"
PIPELINE_CONFIGMAP = "caec-pipeline-config"
DAY_DIR = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")


class E2EError(Exception):
    """A check failed; the message names the problem and the fix."""


# ---------------------------------------------------------------------------------------------- render
def parse_vars(pairs: Iterable[str]) -> dict[str, str]:
    """Turn KEY=VALUE arguments into a mapping (a value may itself contain '=')."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise E2EError(f"--var expects KEY=VALUE, got {pair!r}")
        out[key] = value
    return out


def render(template: str, variables: Mapping[str, str]) -> str:
    """Substitute ${KEY} placeholders strictly: a placeholder without a value is an error, not ''.

    Strict because a silently empty hostPath or claim name yields a manifest that applies fine and then
    fails minutes later inside a pod.
    """
    try:
        return string.Template(template).substitute(variables)
    except KeyError as exc:
        raise E2EError(f"template placeholder ${{{exc.args[0]}}} has no value (pass --var)") from exc
    except ValueError as exc:
        raise E2EError(f"bad placeholder in template: {exc}") from exc


# -------------------------------------------------------------------------------------------- validate
def load_documents(text: str) -> list[dict[str, Any]]:
    """All non-empty YAML documents of a multi-document stream (helm template output has empty ones)."""
    docs = [d for d in yaml.safe_load_all(text) if d]
    for doc in docs:
        if not isinstance(doc, dict):
            raise E2EError(f"not a Kubernetes object (a YAML mapping): {doc!r:.80}")
    return docs


def check_kind_cluster(doc: Mapping[str, Any]) -> list[str]:
    """Problems with a kind Cluster config: kind has no OpenAPI schema, so check what we rely on."""
    problems: list[str] = []
    if doc.get("apiVersion") != KIND_API_VERSION:
        problems.append(f"kind Cluster apiVersion must be {KIND_API_VERSION}")
    nodes = doc.get("nodes") or []
    if not nodes:
        problems.append("kind Cluster has no nodes")
    for i, node in enumerate(nodes):
        for mount in node.get("extraMounts") or []:
            host = str(mount.get("hostPath", ""))
            if not host.startswith("/"):
                problems.append(f"node {i}: extraMounts hostPath {host!r} must be absolute (kind needs it)")
            if not str(mount.get("containerPath", "")).startswith("/"):
                problems.append(f"node {i}: extraMounts containerPath must be absolute")
    return problems


def validate_k8s_object(doc: dict[str, Any], k8s_version: str) -> list[str]:
    """Validate one object against the Kubernetes OpenAPI schemas (offline, strict: no unknown keys)."""
    import kubernetes_validate  # imported lazily: it loads schemas on first use

    name = f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"
    try:
        kubernetes_validate.validate(doc, k8s_version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return [f"{name}: {exc.message}"]
    except kubernetes_validate.SchemaNotFoundError:
        # Custom resources (SparkApplication, ...) have no built-in schema; the chart tests cover them.
        return []
    return []


def validate_documents(docs: Sequence[dict[str, Any]], k8s_version: str) -> list[str]:
    """Problems across a set of documents: kind configs checked by hand, the rest by schema."""
    problems: list[str] = []
    for doc in docs:
        if doc.get("kind") == "Cluster" and str(doc.get("apiVersion", "")).startswith("kind.x-k8s.io"):
            problems += check_kind_cluster(doc)
        else:
            problems += validate_k8s_object(doc, k8s_version)
    return problems


# ------------------------------------------------------------------------------------- pipeline config
@dataclass(frozen=True)
class PipelineExpectation:
    """What the e2e run needs from the pipeline ConfigMap the platform chart renders for `kind`."""

    claim: str
    data_dir: str | None = None


def check_pipeline_config(docs: Sequence[Mapping[str, Any]], want: PipelineExpectation) -> list[str]:
    """Problems with the pipeline ConfigMap: kubernetes mode, the shared claim, dbt on DuckDB."""
    maps = [
        d for d in docs if d.get("kind") == "ConfigMap" and d["metadata"].get("name") == PIPELINE_CONFIGMAP
    ]
    if len(maps) != 1:
        return [f"expected exactly one ConfigMap {PIPELINE_CONFIGMAP}, found {len(maps)}"]
    data: Mapping[str, str] = maps[0].get("data") or {}
    expected = {
        "CAEC_MODE": "kubernetes",
        "CAEC_SHARED_VOLUME_CLAIM": want.claim,
        "CAEC_DBT_TARGET": "local",
    }
    if want.data_dir is not None:
        expected["CAEC_DATA_DIR"] = want.data_dir
    return [
        f"{PIPELINE_CONFIGMAP}: {key} is {data.get(key)!r}, the kind e2e run needs {value!r}"
        for key, value in expected.items()
        if data.get(key) != value
    ]


def dag_config_problems(docs: Sequence[Mapping[str, Any]], pipeline_src: Path) -> list[str]:
    """Problems the DAG itself would report: feed the ConfigMap to caec_pipeline's PipelineConfig.

    The DAG reads exactly these variables through `PipelineConfig.from_env` (stdlib-only package), so
    this runs the DAG's own validation of the kind configuration instead of restating its rules here.
    """
    maps = [
        d for d in docs if d.get("kind") == "ConfigMap" and d["metadata"].get("name") == PIPELINE_CONFIGMAP
    ]
    if len(maps) != 1:
        return [f"expected exactly one ConfigMap {PIPELINE_CONFIGMAP}, found {len(maps)}"]
    if not (pipeline_src / "caec_pipeline" / "config.py").is_file():
        raise E2EError(f"no caec_pipeline package under {pipeline_src}")
    sys.path.insert(0, str(pipeline_src))
    try:
        from caec_pipeline.config import ConfigError, PipelineConfig
    finally:
        sys.path.remove(str(pipeline_src))
    env = {str(k): str(v) for k, v in (maps[0].get("data") or {}).items()}
    try:
        config = PipelineConfig.from_env(env, repo_root=pipeline_src)
    except ConfigError as exc:
        return [f"caec_pipeline rejects the kind ConfigMap: {exc}"]
    if config.mode != "kubernetes":
        return [f"caec_pipeline resolved mode {config.mode!r}, expected 'kubernetes'"]
    return []


# ----------------------------------------------------------------------------------------------- day
def generated_day(raw_dir: Path) -> str:
    """The one day the generator wrote (raw layout `<raw>/dt=YYYY-MM-DD/`, docs/platform-names.md)."""
    if not raw_dir.is_dir():
        raise E2EError(f"no raw data directory at {raw_dir}: did the generator run?")
    days = sorted(m.group(1) for p in raw_dir.iterdir() if p.is_dir() and (m := DAY_DIR.match(p.name)))
    if not days:
        raise E2EError(f"no dt=YYYY-MM-DD partitions under {raw_dir}")
    for day in days:
        dt.date.fromisoformat(day)  # a malformed name is a generator bug: fail loudly
    return days[0]


# ------------------------------------------------------------------------------------------- outputs
def manifest_problems(manifest: Mapping[str, Any]) -> list[str]:
    """Reconciliation invariants of docs/data-contract.md, checked again outside the job."""
    counts = manifest.get("counts") or {}
    problems: list[str] = []
    if manifest.get("reconciled") is not True:
        problems.append("manifest says reconciled != true")
    try:
        read, valid = int(counts["read"]), int(counts["valid"])
        if read != valid + int(counts["quarantined"]) + int(counts["filtered"]):
            problems.append(f"read {read} != valid + quarantined + filtered ({counts})")
        if valid != int(counts["human"]) + int(counts["bot"]):
            problems.append(f"valid {valid} != human + bot ({counts})")
        if read == 0:
            problems.append("the run read 0 records: the generated day did not reach the job")
    except KeyError as exc:
        problems.append(f"manifest counts lack {exc.args[0]!r}")
    return problems


def find_manifest(staging: Path, day: str) -> dict[str, Any]:
    """The newest manifest whose window covers `day` (re-runs leave older manifests beside it)."""
    files = sorted((staging / "manifests").glob("run_id=*.json"), key=lambda p: p.stat().st_mtime)
    covering = []
    for path in files:
        manifest = json.loads(path.read_text())
        window = manifest.get("window") or {}
        if window.get("start", day) <= day <= window.get("end", day):
            covering.append(manifest)
    if not covering:
        raise E2EError(f"no run manifest covering {day} under {staging / 'manifests'}")
    return covering[-1]


def mart_row_counts(duckdb_path: Path) -> dict[str, int]:
    """Row count of every table/view in a schema whose name contains 'marts'."""
    import duckdb

    if not duckdb_path.is_file():
        raise E2EError(f"no DuckDB warehouse at {duckdb_path}: did the dbt pods run?")
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        rows = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema like '%marts%' order by 1, 2"
        ).fetchall()
        counts: dict[str, int] = {}
        for schema, table in rows:
            result = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()
            counts[f"{schema}.{table}"] = int(result[0]) if result else 0
        return counts
    finally:
        con.close()


def output_problems(data_dir: Path, day: str, duckdb_path: Path | None = None) -> list[str]:
    """Everything wrong with what the pipeline left on the shared volume for `day`."""
    problems = manifest_problems(find_manifest(data_dir / "staging", day))
    counts = mart_row_counts(duckdb_path or data_dir / "warehouse" / "caec.duckdb")
    if not counts:
        problems.append("no mart tables found (schemas matching '%marts%')")
    problems += [f"mart {name} is empty" for name, n in counts.items() if n == 0]
    return problems


# ------------------------------------------------------------------------------------------------ cli
def _read(path: str) -> str:
    return sys.stdin.read() if path == "-" else Path(path).read_text()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="e2e_tool", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("render", help="substitute ${KEY} placeholders in templates")
    p.add_argument("templates", nargs="+", type=Path)
    p.add_argument("--out-dir", type=Path, required=True)
    p.add_argument("--var", action="append", default=[], metavar="KEY=VALUE")
    p = sub.add_parser("validate", help="validate manifests offline (kind config + Kubernetes schemas)")
    p.add_argument("files", nargs="+")
    p.add_argument("--k8s-version", default="1.35.0")
    p = sub.add_parser("check-pipeline-config", help="check the rendered pipeline ConfigMap for kind")
    p.add_argument("file")
    p.add_argument("--claim", required=True)
    p.add_argument("--data-dir")
    p.add_argument(
        "--pipeline-src", type=Path, help="airflow/pipeline/src: also validate with PipelineConfig"
    )
    p = sub.add_parser("day", help="print the generated day under a raw directory")
    p.add_argument("raw_dir", type=Path)
    p = sub.add_parser("check-outputs", help="assert the manifest reconciles and marts are non-empty")
    p.add_argument("--data-dir", type=Path, required=True)
    p.add_argument("--day", required=True)
    p.add_argument("--duckdb", type=Path)
    args = parser.parse_args(argv)

    try:
        if args.cmd == "render":
            variables = parse_vars(args.var)
            args.out_dir.mkdir(parents=True, exist_ok=True)
            for template in args.templates:
                (args.out_dir / template.name).write_text(render(template.read_text(), variables))
                print(f"    rendered {args.out_dir / template.name}")
            return 0
        if args.cmd == "day":
            print(generated_day(args.raw_dir))
            return 0
        if args.cmd == "validate":
            docs = [d for f in args.files for d in load_documents(_read(f))]
            problems = validate_documents(docs, args.k8s_version)
            ok_msg = f"{len(docs)} objects valid (Kubernetes {args.k8s_version})"
        elif args.cmd == "check-pipeline-config":
            want = PipelineExpectation(claim=args.claim, data_dir=args.data_dir)
            docs = load_documents(_read(args.file))
            problems = check_pipeline_config(docs, want)
            ok_msg = f"{PIPELINE_CONFIGMAP}: kubernetes mode on claim {args.claim}, dbt on DuckDB"
            if args.pipeline_src is not None:
                problems += dag_config_problems(docs, args.pipeline_src)
                ok_msg += "; accepted by caec_pipeline.PipelineConfig"
        else:
            problems = output_problems(args.data_dir, args.day, args.duckdb)
            ok_msg = f"manifest for {args.day} reconciles and every mart has rows"
    except E2EError as exc:
        print(f"e2e: {exc}", file=sys.stderr)
        return 1
    for problem in problems:
        print(f"e2e: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"ok: {ok_msg}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
