"""No code finds the read-only ../shared folder by an absolute path (issue 15, finding 5).

CI lays shared/ beside the clone, wherever the clone is; a fixed root such as `/<dir>/shared/...` works
on one machine only and makes the tests that need it skip (or fail) everywhere else. Code must locate it
from the repository root (`<repo root>/../shared`).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT

# An absolute path whose segment is `shared`: '/x/shared', "/x/y/shared/...". Relative forms
# (../shared, ROOT.parent / "shared") do not match: the slash must start the string literal or path.
ABSOLUTE_SHARED = re.compile(r"""(?:^|["'\s=(])(/[\w.-]+)+/shared(?:/|\b)""")
CODE_SUFFIXES = {".py", ".sh", ".mk", ".yml", ".yaml", ".cfg", ".toml", ".ini", ".cjs"}
# This file: its pattern test holds absolute examples on purpose.
SELF = ".ci/tests/test_shared_paths.py"


def tracked_code() -> list[str]:
    names = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    code = [n for n in names if Path(n).suffix in CODE_SUFFIXES or n in {"Makefile", ".ci/run"}]
    return sorted(n for n in code if n != SELF)


def absolute_shared_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if ABSOLUTE_SHARED.search(line)]


def test_pattern_finds_absolute_and_ignores_relative_paths() -> None:
    assert absolute_shared_lines('CRD = Path("/work/shared/schemas/x.yaml")')
    assert absolute_shared_lines("DATASETS=/srv/ci/shared/datasets make test")
    assert not absolute_shared_lines('SHARED = ROOT.parent / "shared"')
    assert not absolute_shared_lines("see ../shared/charts/README.md")
    assert not absolute_shared_lines("CAEC_SHARED_VOLUME_CLAIM: caec-data")


@pytest.mark.parametrize(
    "name",
    tracked_code(),
)
def test_no_absolute_path_to_shared(name: str) -> None:
    path = ROOT / name
    if not path.is_file():
        pytest.skip(f"{name} is tracked but not checked out")
    assert absolute_shared_lines(path.read_text(encoding="utf-8", errors="replace")) == []
