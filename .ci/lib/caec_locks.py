"""Read pins: `uv pip compile` lock files and KEY=VALUE pin files, one implementation for every component's tests.

Stdlib only, imported by path (`sys.path`) from helm/tests and images/tests, whose venvs differ.
"""

from __future__ import annotations

from pathlib import Path


def lock_versions(lock: Path) -> dict[str, str]:
    """Lower-cased package name -> pinned version of each top-level `name==version` line.

    Comment lines (`#`) and the indented `# via` lines are skipped; an environment marker
    (`; python_version < "3.12"`) is not part of the version.
    """
    versions: dict[str, str] = {}
    for line in lock.read_text().splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            name, _, version = line.partition("==")
            versions[name.strip().lower()] = version.split(";")[0].strip()
    return versions


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a pin file (helm/charts.env, images/pins.env); comments and blank lines skipped."""
    pairs: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs
