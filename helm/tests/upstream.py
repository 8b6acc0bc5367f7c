"""The three releases exactly as `make helm-upgrade ENV=<env>` installs them, rendered offline.

Why parse `make -n helm-upgrade`: the value files (base -> env -> generated overlay), release names and
namespaces then come from helm/helm.mk itself, so a test cannot drift from what the deploy runs. Only
the chart references are replaced by local archives: the pinned ones pulled into .tools/charts (`make
helm-pull-charts`, where the chart repos are reachable) or else the packaged charts of ../shared/charts.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from helmlib import ROOT, SHARED, helm_bin, kube_version, read_pins, run_helm

SHARED_CHARTS = SHARED / "charts"
PULLED_CHARTS = ROOT / ".tools" / "charts"
# A fixed tag keeps renders reproducible (make would use the git sha).
TEST_IMAGE_TAG = "0123abcd"
AIRFLOW_PYTHON = ROOT / ".venv" / "airflow" / "bin" / "python"
# Policy tag ids exist only in a Terraform state; the render tests give environments with a Terraform root
# these (shaped like google_data_catalog_policy_tag ids) through the make override POLICY_TAGS_JSON.
TEST_POLICY_TAGS = {
    "pseudonymous_id": "projects/my-project/locations/eu/taxonomies/1234567890/policyTags/111",
    "raw_record": "projects/my-project/locations/eu/taxonomies/1234567890/policyTags/222",
}


@dataclass(frozen=True)
class Release:
    """One `helm upgrade --install` of `make helm-upgrade`."""

    name: str
    chart: str
    namespace: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class ChartArchive:
    path: Path
    name: str
    version: str
    app_version: str


def chart_meta(path: Path) -> ChartArchive:
    """Name and versions from the archive's own Chart.yaml (what was really rendered)."""
    with tarfile.open(path) as tar:
        member = next(
            m for m in tar.getmembers() if m.name.count("/") == 1 and m.name.endswith("/Chart.yaml")
        )
        handle = tar.extractfile(member)
        assert handle is not None
        meta = yaml.safe_load(handle.read())
    return ChartArchive(path, meta["name"], str(meta["version"]), str(meta.get("appVersion", "")))


def archive_file(archive: ChartArchive, relpath: str) -> str:
    """One file of the chart inside its archive (e.g. values.yaml, values.schema.json), as text."""
    with tarfile.open(archive.path) as tar:
        handle = tar.extractfile(f"{archive.name}/{relpath}")
        assert handle is not None, f"{relpath} is not a file in {archive.path}"
        return handle.read().decode("utf-8")


def find_archive(name: str, pinned: str) -> ChartArchive | None:
    """The pinned archive when present (pulled or shared), else the newest shared one, else None."""
    for folder in (PULLED_CHARTS, SHARED_CHARTS):
        exact = folder / f"{name}-{pinned}.tgz"
        if exact.exists():
            return chart_meta(exact)
    candidates = sorted(SHARED_CHARTS.glob(f"{name}-[0-9]*.tgz")) if SHARED_CHARTS.is_dir() else []
    return chart_meta(candidates[-1]) if candidates else None


def upstream_archives() -> dict[str, ChartArchive | None]:
    """Release name -> the archive its chart is rendered from (None: absent on this machine)."""
    pins = read_pins()
    return {
        "airflow": find_archive(pins["AIRFLOW_CHART_NAME"], pins["AIRFLOW_CHART_VERSION"]),
        "spark-operator": find_archive(
            pins["SPARK_OPERATOR_CHART_NAME"], pins["SPARK_OPERATOR_CHART_VERSION"]
        ),
    }


def _make(*args: str) -> str:
    """Run our Makefile (outside any calling make's jobserver) and return stdout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    proc = subprocess.run(
        ["make", "-s", "--no-print-directory", "-C", str(ROOT), *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=300,
    )
    if proc.returncode != 0:
        raise AssertionError(f"make {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc.stdout


def parse_upgrades(dry_run: str) -> list[Release]:
    """The `helm upgrade --install` commands of `make -n helm-upgrade` output, in order."""
    joined = re.sub(r"\\\n\s*", " ", dry_run)
    releases = []
    for line in joined.splitlines():
        words = shlex.split(line)
        if len(words) < 4 or words[1:3] != ["upgrade", "--install"]:
            continue
        args = [w for w in words[3:] if w]
        if args[0] == "--kube-context":
            args = args[2:]
        values = tuple(args[i + 1] for i, w in enumerate(args) if w == "-f")
        namespace = args[args.index("-n") + 1]
        releases.append(Release(args[0], args[1], namespace, values))
    return releases


def policy_tags_override(env: str) -> list[str]:
    """POLICY_TAGS_JSON=... for envs with a Terraform root (make reads their state otherwise)."""
    if (ROOT / "terraform" / "envs" / env).is_dir():
        return [f"POLICY_TAGS_JSON={json.dumps(TEST_POLICY_TAGS)}"]
    return []


def helm_upgrade_releases(env: str, archives: dict[str, ChartArchive]) -> list[Release]:
    """What `make helm-upgrade ENV=env` would install, with the upstream charts taken from `archives`."""
    _make("helm-overlays", f"ENV={env}", f"IMAGE_TAG={TEST_IMAGE_TAG}", *policy_tags_override(env))
    dry = _make(
        "-n",
        "helm-upgrade",
        f"ENV={env}",
        f"IMAGE_TAG={TEST_IMAGE_TAG}",
        *policy_tags_override(env),
        f"HELM={helm_bin()}",
        f"AIRFLOW_CHART_REF={archives['airflow'].path}",
        f"SPARK_OPERATOR_CHART_REF={archives['spark-operator'].path}",
    )
    releases = parse_upgrades(dry)
    assert [r.name for r in releases] == ["caec-platform", "spark-operator", "airflow"], dry
    return releases


def render_release(release: Release) -> list[dict[str, Any]]:
    """`helm template` with the release's own values; CRDs included (helm upgrade installs them too)."""
    args = [
        "template",
        release.name,
        release.chart,
        "-n",
        release.namespace,
        "--kube-version",
        kube_version(),
    ]
    args += ["--include-crds"]
    for f in release.values:
        args += ["-f", f]
    return [d for d in yaml.safe_load_all(run_helm(*args).stdout) if d]


@functools.cache
def rendered_releases(env: str) -> dict[str, list[dict[str, Any]]]:
    """Release name -> rendered objects of `make helm-upgrade ENV=env` (rendered once per session)."""
    archives = upstream_archives()
    missing = [name for name, archive in archives.items() if archive is None]
    if missing:
        raise LookupError(f"no packaged chart for {missing} in ../shared/charts or .tools/charts")
    present = {name: archive for name, archive in archives.items() if archive is not None}
    return {r.name: render_release(r) for r in helm_upgrade_releases(env, present)}


@functools.cache
def pipeline_objects(env: str) -> dict[str, dict[str, Any]]:
    """SparkApplication and dbt Pod that the DAG's tasks build with `env`'s rendered ConfigMaps."""
    if not AIRFLOW_PYTHON.exists():
        raise FileNotFoundError(
            f"{AIRFLOW_PYTHON} missing: `make test-helm` creates it (or run `make setup`)"
        )
    platform = rendered_releases(env)["caec-platform"]
    data: dict[str, str] = {}
    for doc in platform:
        if doc["kind"] == "ConfigMap" and doc["metadata"]["name"] in {
            "caec-pipeline-config",
            "caec-spark-sizing",
        }:
            data.update(doc["data"])
    with tempfile.TemporaryDirectory(prefix="caec-airflow-home-") as home:
        run_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,
            "AIRFLOW_HOME": home,
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "DO_NOT_TRACK": "1",
            "SCARF_ANALYTICS": "false",
            **data,
        }
        out = Path(home) / "objects.yaml"
        window = ["--start", "2026-11-02", "--end", "2026-11-03"]
        command = [str(AIRFLOW_PYTHON), "-m", "caec_airflow.k8s_operators"]
        proc = subprocess.run(
            [*command, *window, "--out", str(out)],
            capture_output=True,
            text=True,
            check=False,
            env=run_env,
            timeout=300,
        )
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
        return {doc["kind"]: doc for doc in yaml.safe_load_all(out.read_text())}
