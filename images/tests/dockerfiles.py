"""A small Dockerfile reader for the lint rules and the version tests (no Docker engine needed)."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

IMAGES_DIR = Path(__file__).resolve().parent.parent
ROOT = IMAGES_DIR.parent
IMAGE_NAMES = ("spark", "dbt", "airflow")


@dataclass(frozen=True)
class Instruction:
    line: int
    keyword: str
    args: str


def parse(path: Path) -> list[Instruction]:
    """Instructions with continuation lines joined and comments dropped (keyword upper-cased)."""
    out: list[Instruction] = []
    buf, start = "", 0
    for n, raw in enumerate(path.read_text().splitlines(), 1):
        stripped = raw.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if buf and stripped.startswith("#"):
            continue
        if not buf:
            start = n
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        buf += stripped
        keyword, _, args = buf.partition(" ")
        out.append(Instruction(start, keyword.upper(), args.strip()))
        buf = ""
    return out


def build_args(instructions: list[Instruction]) -> dict[str, str]:
    """Default values of ARG instructions (first definition wins, like a global ARG)."""
    args: dict[str, str] = {}
    for ins in instructions:
        if ins.keyword == "ARG" and "=" in ins.args:
            key, _, value = ins.args.partition("=")
            args.setdefault(key.strip(), value.strip().strip('"'))
    return args


def expand(text: str, args: dict[str, str]) -> str:
    """${NAME} / $NAME substitution with ARG defaults."""
    return re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: args.get(m.group(1), m.group(0)), text)


def copy_sources(ins: Instruction) -> list[str]:
    """Source paths of a COPY from the build context (not --from), flags removed."""
    words = [w for w in shlex.split(ins.args) if not w.startswith("--")]
    if ins.keyword != "COPY" or "--from=" in ins.args:
        return []
    return words[:-1]
