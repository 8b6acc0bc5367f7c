"""Structural rules every workflow must follow: least privilege, pinned actions, concurrency, caching,
and that every make target a workflow calls exists in `make help` (the e2e driver's targets: test_e2e.py)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, WORKFLOWS_DIR, workflow_files

EXPECTED_WORKFLOWS = {"ci.yml", "images.yml", "e2e-kind.yml", "terraform.yml", "deploy.yml"}
SHA_PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"#\s*v\d+\.\d+\.\d+\b")
# Actions whose release commit could not be verified offline: pinned to an exact release tag instead of
# a SHA (say so in docs/ci.md). Anything not listed here must be SHA-pinned.
TAG_PINNED = {"helm/kind-action": "v1.14.0", "google-github-actions/get-gke-credentials": "v3.0.0"}
# Which fragment will define a target a workflow calls: while that fragment does not exist yet (another
# component still in progress) the check skips with a message; once it exists the target must be there.
TARGET_OWNERS = {
    "images": "images/images.mk",
    "images-local": "images/images.mk",
    "push": "images/images.mk",
    "test-helm": "helm/helm.mk",
    "helm-upgrade": "helm/helm.mk",
    "helm-template": "helm/helm.mk",
    "test-dbt": "dbt/dbt.mk",
}


def jobs(wf: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return wf["jobs"]


def steps_of(wf: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for j in jobs(wf).values() for s in j.get("steps", [])]


def uses_lines() -> list[tuple[str, int, str]]:
    """(file, line number, raw line) of every `uses:` (steps and reusable-workflow jobs)."""
    out = []
    for path in workflow_files():
        for no, line in enumerate(path.read_text().splitlines(), 1):
            if re.match(r"^\s*(-\s+)?uses:\s", line):
                out.append((path.name, no, line))
    return out


def test_expected_workflows_exist() -> None:
    assert {p.name for p in workflow_files()} >= EXPECTED_WORKFLOWS


def test_top_level_permissions_are_read_only(workflows: dict[str, dict[str, Any]]) -> None:
    for name, wf in workflows.items():
        assert "permissions" in wf, f"{name}: no top-level permissions"
        perms = wf["permissions"]
        assert perms in ({}, {"contents": "read"}), f"{name}: top-level permissions {perms} are not read-only"


def test_every_job_declares_its_permissions(workflows: dict[str, dict[str, Any]]) -> None:
    for name, wf in workflows.items():
        for job_id, job in jobs(wf).items():
            assert "permissions" in job, f"{name}:{job_id} has no permissions block"
            perms = job["permissions"]
            assert perms != "write-all" and perms != "read-all", f"{name}:{job_id}: {perms}"
            writes = {k for k, v in perms.items() if v == "write"}
            allowed = {"id-token", "pull-requests"}
            assert writes <= allowed, f"{name}:{job_id} asks for write on {writes - allowed}"


def test_id_token_only_where_gcp_auth_happens(workflows: dict[str, dict[str, Any]]) -> None:
    """Workload Identity Federation needs id-token: write; nothing else should hold it."""
    for name, wf in workflows.items():
        for job_id, job in jobs(wf).items():
            wants = job["permissions"].get("id-token") == "write"
            auths = any("google-github-actions/auth@" in str(s.get("uses", "")) for s in job.get("steps", []))
            calls_deploy = str(job.get("uses", "")).endswith("deploy.yml")
            assert wants == (auths or calls_deploy), (
                f"{name}:{job_id}: id-token={wants}, authenticates={auths}"
            )


def test_every_action_is_pinned() -> None:
    lines = uses_lines()
    assert lines
    for file, no, line in lines:
        ref = line.split("uses:", 1)[1].split("#", 1)[0].strip().strip("'\"")
        where = f"{file}:{no}: {ref}"
        if ref.startswith("./"):
            assert (ROOT / ref).is_file(), f"{where}: local workflow missing"
            continue
        assert not ref.startswith("docker://") or "@sha256:" in ref, (
            f"{where}: docker image not digest-pinned"
        )
        action, _, version = ref.partition("@")
        if action in TAG_PINNED:
            assert version == TAG_PINNED[action], f"{where}: expected exact tag {TAG_PINNED[action]}"
            continue
        assert SHA_PIN.match(ref), f"{where}: not pinned to a full commit SHA"
        assert VERSION_COMMENT.search(line), f"{where}: SHA pin without a '# vX.Y.Z' comment"


def test_same_action_same_pin() -> None:
    """One version of each action across all workflows (a bump touches every use)."""
    pins: dict[str, set[str]] = {}
    for _, _, line in uses_lines():
        ref = line.split("uses:", 1)[1].split("#", 1)[0].strip()
        action, _, version = ref.partition("@")
        pins.setdefault(action, set()).add(version)
    assert {a: v for a, v in pins.items() if len(v) > 1} == {}


def test_kind_action_is_the_pinned_release(workflows: dict[str, dict[str, Any]]) -> None:
    uses = [s.get("uses", "") for s in steps_of(workflows["e2e-kind.yml"])]
    assert "helm/kind-action@v1.14.0" in uses


def test_concurrency_everywhere(workflows: dict[str, dict[str, Any]]) -> None:
    for name, wf in workflows.items():
        conc = wf.get("concurrency")
        assert isinstance(conc, dict) and conc.get("group"), f"{name}: no concurrency group"
    # never cancel an apply or a rollout half-way
    for name in ("terraform.yml", "deploy.yml"):
        assert workflows[name]["concurrency"]["cancel-in-progress"] is False, name


def test_jobs_have_timeouts(workflows: dict[str, dict[str, Any]]) -> None:
    for name, wf in workflows.items():
        for job_id, job in jobs(wf).items():
            if "uses" in job:  # reusable workflow call: its own jobs carry the timeout
                continue
            assert isinstance(job.get("timeout-minutes"), int), f"{name}:{job_id}: no timeout-minutes"


def test_python_jobs_cache_uv_and_pip(workflows: dict[str, dict[str, Any]]) -> None:
    """Every job that runs make (and so uv) restores the uv cache keyed on the lock files, and pip's."""
    for name, wf in workflows.items():
        for job_id, job in jobs(wf).items():
            runs = " ".join(str(s.get("run", "")) for s in job.get("steps", []))
            if not re.search(r"\bmake\b", runs):
                continue
            steps = job["steps"]
            uv = [s for s in steps if str(s.get("uses", "")).startswith("astral-sh/setup-uv@")]
            assert uv and uv[0]["with"].get("enable-cache") is True, f"{name}:{job_id}: no uv cache"
            assert "requirements.lock" in uv[0]["with"].get("cache-dependency-glob", ""), f"{name}:{job_id}"
            py = [s for s in steps if str(s.get("uses", "")).startswith("actions/setup-python@")]
            assert py and py[0]["with"].get("cache") == "pip", f"{name}:{job_id}: no pip cache"


def test_uv_version_matches_the_makefile(workflows: dict[str, dict[str, Any]]) -> None:
    makefile_uv = re.search(r"^UV_VERSION := (\S+)", (ROOT / "Makefile").read_text(), re.M)
    assert makefile_uv
    for name, wf in workflows.items():
        for step in steps_of(wf):
            if str(step.get("uses", "")).startswith("astral-sh/setup-uv@"):
                version = str(step["with"]["version"])
                if version.startswith("${{"):
                    version = str(wf["env"]["UV_VERSION"])
                assert version == makefile_uv.group(1), f"{name}: setup-uv {version} != Makefile"


def test_no_long_lived_keys(workflows: dict[str, dict[str, Any]]) -> None:
    """GCP auth is Workload Identity Federation only: never a credentials_json key."""
    for name in workflows:
        text = (WORKFLOWS_DIR / name).read_text()
        assert "credentials_json" not in text, name
    for name, wf in workflows.items():
        for step in steps_of(wf):
            if str(step.get("uses", "")).startswith("google-github-actions/auth@"):
                assert set(step["with"]) >= {"workload_identity_provider", "service_account"}, name


def test_images_push_only_from_main_and_tag_with_sha(workflows: dict[str, dict[str, Any]]) -> None:
    wf = workflows["images.yml"]
    build, publish = jobs(wf)["build"], jobs(wf)["publish"]
    assert "pull_request" in build["if"] and "id-token" not in build["permissions"]
    only_main_and_tags = "(github.ref == 'refs/heads/main' || startsWith(github.ref, 'refs/tags/v'))"
    assert publish["if"] == f"github.event_name != 'pull_request' && {only_main_and_tags}"
    assert jobs(wf)["deploy"]["if"] == publish["if"]
    runs = " ".join(str(s.get("run", "")) for s in publish["steps"])
    assert "make images push" in runs
    envs = [s.get("env", {}) for s in publish["steps"]]
    assert any(e.get("IMAGE_TAG") == "${{ github.sha }}" for e in envs)
    assert any(str(s.get("uses", "")).startswith("docker/setup-buildx-action@") for s in publish["steps"])


def test_terraform_plan_comment_and_gated_apply(workflows: dict[str, dict[str, Any]]) -> None:
    wf = workflows["terraform.yml"]
    plan = jobs(wf)["plan"]
    assert plan["permissions"].get("pull-requests") == "write"
    assert plan["environment"] == "${{ matrix.env }}-plan"  # no reviewers; never the apply environment
    assert plan["strategy"]["matrix"]["env"] == ["dev", "prod"]
    assert any(str(s.get("uses", "")).startswith("actions/github-script@") for s in plan["steps"])
    assert jobs(wf)["apply-dev"]["environment"] == "dev"
    assert jobs(wf)["apply-prod"]["environment"] == "prod"
    assert jobs(wf)["apply-prod"]["needs"] == "apply-dev"
    for job_id in ("apply-dev", "apply-prod"):
        assert "refs/heads/main" in jobs(wf)[job_id]["if"]


def test_deploy_dev_on_main_prod_on_release_tags(workflows: dict[str, dict[str, Any]]) -> None:
    """images.yml publishes then calls deploy.yml: dev for main, prod for a vX.Y.Z tag (approval = env)."""
    images = workflows["images.yml"]
    assert images["on"]["push"] == {"branches": ["main"], "tags": ["v[0-9]+.[0-9]+.[0-9]+"]}
    publish = jobs(images)["publish"]
    choose = "${{ startsWith(github.ref, 'refs/tags/v') && 'prod' || 'dev' }}"
    assert publish["environment"] == choose and publish["env"]["DEPLOY_ENV"] == choose
    caller = jobs(images)["deploy"]
    assert caller["uses"] == "./.github/workflows/deploy.yml" and caller["needs"] == "publish"
    assert caller["with"]["environment"] == choose and caller["with"]["image-tag"] == "${{ github.sha }}"
    deploy = workflows["deploy.yml"]
    assert set(deploy["on"]) == {"workflow_call", "workflow_dispatch"}
    job = jobs(deploy)["helm-upgrade"]
    assert job["environment"] == "${{ inputs.environment }}"
    assert any(str(s.get("run", "")).startswith("make helm-upgrade ENV=") for s in job["steps"])


# ------------------------------------------------------------------------------------- make targets
def make_targets_called(wf: dict[str, Any]) -> set[str]:
    """Targets named on `make ...` lines of run steps; `$TARGETS` expands to the matrix entries."""
    targets: set[str] = set()
    for job in jobs(wf).values():
        matrix_targets = [
            t
            for entry in (job.get("strategy", {}).get("matrix", {}).get("include", []) or [])
            for t in str(entry.get("targets", "")).split()
        ]
        for step in job.get("steps", []):
            for line in str(step.get("run", "")).splitlines():
                m = re.search(r"(?:^|[;&|]\s*)make\s+(.*)$", line.strip())
                if not m:
                    continue
                for word in shlex.split(m.group(1), comments=True):
                    if word == "$TARGETS":
                        targets.update(matrix_targets)
                    elif "=" in word or word.startswith("-"):
                        continue
                    else:
                        targets.add(word)
    return targets


def all_called_targets(workflows: dict[str, dict[str, Any]]) -> list[str]:
    called: set[str] = set()
    for wf in workflows.values():
        called |= make_targets_called(wf)
    return sorted(called)


def test_workflows_call_the_local_targets(workflows: dict[str, dict[str, Any]]) -> None:
    called = all_called_targets(workflows)
    for target in (
        "lint",
        "test",
        "lint-terraform",
        "tf-validate",
        "test-helm",
        "test-dbt",
        "actionlint",
        "images",
        "push",
        "helm-upgrade",
        "e2e-kind",
    ):
        assert target in called, f"no workflow runs `make {target}`"


# Every target a workflow runs (test_every_called_target_is_covered keeps this complete).
CHECKED_TARGETS = [
    "lint",
    "test",
    "e2e-kind",
    "e2e-kind-dry-run",
    "actionlint",
    "shellcheck",
    "lint-terraform",
    "tf-validate",
    "tf-test",
    *TARGET_OWNERS,
]


@pytest.mark.parametrize("target", CHECKED_TARGETS)
def test_called_target_is_in_make_help(target: str, make_help: str) -> None:
    owner = TARGET_OWNERS.get(target)
    present = re.search(rf"^\s+{re.escape(target)}\s", make_help, re.M) is not None
    if not present and owner and not (ROOT / owner).exists():
        pytest.skip(f"`make {target}` comes with {owner}, which does not exist yet")
    assert present, f"workflows call `make {target}` but `make help` does not list it"


def test_every_called_target_is_covered(workflows: dict[str, dict[str, Any]]) -> None:
    """Keep CHECKED_TARGETS complete: a new `make X` in a workflow must be checked too."""
    assert set(all_called_targets(workflows)) <= set(CHECKED_TARGETS)


def test_workflow_files_are_in_git_ignored_free_places() -> None:
    """Workflows live only in .github/workflows (GitHub ignores subfolders there)."""
    nested = [p for p in WORKFLOWS_DIR.rglob("*.y*ml") if p.parent != WORKFLOWS_DIR]
    assert nested == []


def test_no_registry_hosts_in_ci_files() -> None:
    """House rule: no package-registry host names written into the repository."""
    banned = ("pypi." + "org", "registry." + "npmjs", "files.python" + "hosted")
    for path in [*workflow_files(), *Path(ROOT / ".ci").rglob("*")]:
        if path.is_file() and path.suffix in {
            ".yml",
            ".yaml",
            ".sh",
            ".py",
            ".mk",
            ".cjs",
            ".in",
            ".lock",
            ".md",
        }:
            text = path.read_text(errors="replace")
            assert not any(b in text for b in banned), path
