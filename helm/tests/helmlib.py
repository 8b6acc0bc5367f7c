"""Helpers shared by the Helm tests: running the pinned helm, Helm-style values merging, pins.

Why a module and not fixtures only: the same merge rules (later files win, `null` deletes a key) must
be applied when we validate upstream values, exactly as `helm` applies them to `-f a -f b`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

# .ci/lib holds the pin readers shared with the image tests (another venv): imported by path.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / ".ci" / "lib"))
from caec_locks import read_env_file

HELM_DIR = Path(__file__).resolve().parent.parent
ROOT = HELM_DIR.parent
CHART = HELM_DIR / "caec-platform"
VALUES = HELM_DIR / "values"
SHARED = ROOT.parent / "shared"
ENVS = ("base", "dev", "prod", "kind")


def helm_bin() -> str:
    """The helm binary: $HELM (make passes it) or the pinned one in .tools/bin."""
    return os.environ.get("HELM") or str(ROOT / ".tools" / "bin" / "helm")


def kube_version() -> str:
    """Kubernetes version we render for: $KUBE_VERSION (make) or the pin in helm/charts.env."""
    return os.environ.get("KUBE_VERSION") or read_pins()["KUBE_VERSION"]


def read_pins(path: Path = HELM_DIR / "charts.env") -> dict[str, str]:
    """KEY=VALUE lines of helm/charts.env."""
    return read_env_file(path)


def run_helm(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run helm with captured output; raise with helm's own message when `check` and it fails."""
    proc = subprocess.run([helm_bin(), *args], capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"helm {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def platform_envs() -> list[str]:
    """Every environment with a platform file (Terraform-written dev/prod, hand-written example/kind)."""
    return sorted(
        p.name.removesuffix(".platform.yaml") for p in (VALUES / "caec-platform").glob("*.platform.yaml")
    )


def platform_value_files(env: str) -> list[Path]:
    """-f files for caec-platform in `env`: the platform object, then the env's switches if any."""
    files = [VALUES / "caec-platform" / f"{env}.platform.yaml"]
    extra = VALUES / "caec-platform" / f"{env}.yaml"
    return [*files, extra] if extra.exists() else files


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def merge_values(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Helm's coalescing of values files: maps merge recursively, other values replace, null deletes."""
    out = dict(base)
    for key, value in override.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_values(out[key], value)
        else:
            out[key] = value
    return out


def merged(paths: Iterable[Path]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for path in paths:
        result = merge_values(result, load_yaml(path) or {})
    return result


def upstream_values(chart: str, env: str) -> dict[str, Any]:
    """base.yaml + <env>.yaml of an upstream chart (env 'base' = base alone)."""
    paths = [VALUES / chart / "base.yaml"]
    if env != "base":
        paths.append(VALUES / chart / f"{env}.yaml")
    return merged(paths)


def render_platform(env: str, *extra: str) -> list[dict[str, Any]]:
    """`helm template` of caec-platform for `env`; the list of rendered objects."""
    args = ["template", "caec-platform", str(CHART), "-n", "caec-airflow", "--kube-version", kube_version()]
    for f in platform_value_files(env):
        args += ["-f", str(f)]
    out = run_helm(*args, *extra).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]
