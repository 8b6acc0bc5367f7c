"""The helm installer and the overlay generator that `make helm-*` runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helmlib import HELM_DIR, ROOT, VALUES, helm_bin, run_helm
from overlay import main as overlay_main

INSTALLER = HELM_DIR / "install-helm.sh"


def pin(name: str) -> str:
    found = re.search(rf'^{name}="([^"]*)"', INSTALLER.read_text(), re.M)
    assert found, name
    return found.group(1)


def test_installer_is_shellcheck_clean() -> None:
    shellcheck = Path(sys.executable).parent / "shellcheck"
    proc = subprocess.run([str(shellcheck), str(INSTALLER)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout


def test_installer_pins_everything() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", pin("NPM_VERSION"))
    assert pin("NPM_INTEGRITY").startswith("sha512-")
    assert re.fullmatch(r"[0-9a-f]{64}", pin("HELM_SHA256_LINUX_AMD64_LAYER"))
    assert re.fullmatch(r"v\d+\.\d+\.\d+", pin("HELM_VERSION"))


def test_helm_is_the_pinned_version() -> None:
    if helm_bin() != str(ROOT / ".tools" / "bin" / "helm"):
        pytest.skip(f"HELM={helm_bin()} is not the pinned binary")
    version = run_helm("version", "--template", "{{.Version}}").stdout.strip()
    assert version == pin("HELM_VERSION")


def test_overlay_sets_image_and_tag(tmp_path: Path) -> None:
    platform = VALUES / "caec-platform" / "example.platform.yaml"
    assert (
        overlay_main(["--platform", str(platform), "--out-dir", str(tmp_path), "--image-tag", "abc123"]) == 0
    )
    repo = yaml.safe_load(platform.read_text())["platform"]["imageRepo"]
    airflow = yaml.safe_load((tmp_path / "airflow.overlay.yaml").read_text())
    assert airflow == {"images": {"airflow": {"repository": f"{repo}/caec-airflow", "tag": "abc123"}}}
    ours = yaml.safe_load((tmp_path / "caec-platform.overlay.yaml").read_text())
    # No policy tag ids given (kind, example): an explicit empty map, not the previous release's value.
    assert ours == {"pipeline": {"imageTag": "abc123", "bqPolicyTags": {}}}


def test_overlay_repo_override_reaches_both_releases(tmp_path: Path) -> None:
    platform = VALUES / "caec-platform" / "kind.platform.yaml"
    overlay_main(
        ["--platform", str(platform), "--out-dir", str(tmp_path), "--image-repo", "localhost:5000/caec"]
    )
    assert yaml.safe_load((tmp_path / "caec-platform.overlay.yaml").read_text())["platform"] == {
        "imageRepo": "localhost:5000/caec"
    }


def test_overlay_names_the_fix_for_a_missing_platform_file(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="make platform-values ENV=<env>"):
        overlay_main(["--platform", str(tmp_path / "qa.platform.yaml"), "--out-dir", str(tmp_path)])
