"""Find every shell script in the repository (by extension or shebang) and optionally shellcheck them.

Used by `make shellcheck` and by the tests, so "every shell script" means the same thing in both.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Generated or third-party trees: virtual environments, npm installs, caches, run outputs, data.
SKIP_DIRS = {
    ".git",
    ".venv",
    ".tools",
    "node_modules",
    ".out",
    "data",
    "target",
    "dbt_packages",
    ".terraform",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    "logs",
}
SHELLS = ("sh", "bash", "dash", "ksh")


def is_shell_script(path: Path) -> bool:
    """A `.sh`/`.bash` file, or an extension-less file whose shebang names a POSIX shell or bash."""
    if path.suffix in {".sh", ".bash"}:
        return True
    if path.suffix:
        return False
    try:
        with path.open("rb") as fh:
            first = fh.readline(200).decode("utf-8", "replace").strip()
    except OSError:
        return False
    if not first.startswith("#!"):
        return False
    words = first[2:].split()
    if not words:
        return False
    prog = words[1] if Path(words[0]).name == "env" and len(words) > 1 else words[0]
    return Path(prog).name in SHELLS


def shell_scripts(root: Path = ROOT) -> Iterator[Path]:
    """Shell scripts under root, in a stable order; generated trees are pruned, not walked (venvs are big)."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
        found += [Path(dirpath, f) for f in filenames if is_shell_script(Path(dirpath, f))]
    yield from sorted(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--run", metavar="SHELLCHECK", help="shellcheck binary to run over the scripts")
    args = parser.parse_args(argv)
    scripts = list(shell_scripts())
    if not args.run:
        print("\n".join(str(p.relative_to(ROOT)) for p in scripts))
        return 0
    if not scripts:
        print("shellcheck: no shell scripts found", file=sys.stderr)
        return 1
    rc = subprocess.run([args.run, "--external-sources", *map(str, scripts)], check=False).returncode
    print(f"shellcheck: {len(scripts)} scripts, {'clean' if rc == 0 else 'problems found'}")
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
