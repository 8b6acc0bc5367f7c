"""Static Dockerfile rules (hadolint-equivalent; hadolint itself cannot be installed here).

Each rule names the hadolint code it mirrors. The rules are checked on known-bad snippets too, so a
rule that silently stops matching fails its own test.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
from pathlib import Path

import pytest
from dockerfiles import IMAGE_NAMES, IMAGES_DIR, ROOT, Instruction, build_args, copy_sources, expand, parse

DOCKERFILES = {name: IMAGES_DIR / name / "Dockerfile" for name in IMAGE_NAMES}
OCI_LABELS = {"title", "description", "source", "revision", "created", "version", "licenses"}


def lint(instructions: list[Instruction]) -> list[str]:
    """Problems found by the hadolint-equivalent rules, as 'DLxxxx line N: message'."""
    problems: list[str] = []
    args = build_args(instructions)
    stages: set[str] = set()
    pipefail = False
    users: list[str] = []
    for ins in instructions:
        where = f"line {ins.line}"
        if ins.keyword == "FROM":
            words = ins.args.split()
            image = expand(words[0], args)
            untagged = ":" not in image.split("/")[-1] or image.endswith(":latest")
            if image.lower() not in stages and untagged:
                problems.append(f"DL3006/DL3007 {where}: base image '{image}' needs an exact tag")
            if len(words) == 3 and words[1].upper() == "AS":
                stages.add(words[2].lower())
            users = []  # USER and SHELL are per stage
            pipefail = False
        elif ins.keyword == "ADD":
            problems.append(f"DL3020 {where}: use COPY instead of ADD")
        elif ins.keyword == "SHELL":
            pipefail = "pipefail" in ins.args
        elif ins.keyword == "USER":
            users.append(ins.args)
        elif ins.keyword in {"CMD", "ENTRYPOINT"} and not ins.args.startswith("["):
            problems.append(f"DL3025 {where}: use the JSON form for {ins.keyword}")
        elif ins.keyword == "RUN":
            cmd = ins.args
            if "|" in cmd.replace("||", "") and not pipefail:
                problems.append(f"DL4006 {where}: set SHELL with -o pipefail before a RUN with a pipe")
            if re.search(r"(^|&&|;)\s*cd\s", cmd):
                problems.append(f"DL3003 {where}: use WORKDIR instead of cd")
            if re.search(r"\bsudo\b", cmd):
                problems.append(f"DL3004 {where}: do not use sudo")
            if re.search(r"\bapt-get\s+install\b", cmd) and "--no-install-recommends" not in cmd:
                problems.append(f"DL3015 {where}: apt-get install without --no-install-recommends")
            if re.search(r"\bapt-get\s+install\b", cmd) and "rm -rf /var/lib/apt/lists" not in cmd:
                problems.append(f"DL3009 {where}: delete the apt lists after apt-get install")
            for part in re.split(r"&&|;", cmd):
                problems += pip_problems(part, where)
    if not users:
        problems.append("DL3002: the final stage must set a non-root USER")
    elif users[-1].split(":")[0] in {"root", "0"}:
        problems.append(f"DL3002: the final USER is root ({users[-1]})")
    labels = " ".join(i.args for i in instructions if i.keyword == "LABEL")
    missing = {k for k in OCI_LABELS if f"org.opencontainers.image.{k}=" not in labels}
    if missing:
        problems.append(f"OCI labels missing: {sorted(missing)}")
    return problems


def pip_problems(command: str, where: str) -> list[str]:
    """DL3042 (no cache) and DL3013 (pinned) for one `pip install` command."""
    text = command.strip().replace("PIP_BREAK_SYSTEM_PACKAGES=1", "")
    try:
        words = shlex.split(text)
    except ValueError:  # a fragment of a quoted script split at `;`: plain words are enough here
        words = text.split()
    if "pip" not in words or "install" not in words:
        return []
    problems = []
    # `uv pip install` spells pip's --no-cache-dir as --no-cache.
    no_cache = (
        "--no-cache" if any(w.endswith("uv") for w in words[: words.index("pip")]) else "--no-cache-dir"
    )
    if no_cache not in words:
        problems.append(f"DL3042 {where}: pip install without {no_cache}")
    packages = [
        w for w in words[words.index("install") + 1 :] if not w.startswith("-") and not w.startswith("/")
    ]
    constrained = any(w in {"--constraint", "-c", "--no-deps", "-r"} for w in words)
    unpinned = [p for p in packages if "==" not in p and ".lock" not in p]
    if unpinned and not constrained:
        problems.append(f"DL3013 {where}: pin {unpinned} (== or --constraint <lock>)")
    return problems


@pytest.mark.parametrize("name", IMAGE_NAMES)
def test_dockerfile_passes_the_rules(name: str) -> None:
    assert lint(parse(DOCKERFILES[name])) == []


@pytest.mark.parametrize("name", IMAGE_NAMES)
def test_per_build_arguments_come_after_the_last_run(name: str) -> None:
    """VCS_REF and BUILD_DATE change with every build; an ARG in scope joins every later RUN's cache key, so
    declared before a RUN they rebuild the runtime stage each time (seen: ~45 s per cached build)."""
    final = parse(DOCKERFILES[name])
    final = final[max(i for i, ins in enumerate(final) if ins.keyword == "FROM") :]
    last_run = max(i for i, ins in enumerate(final) if ins.keyword == "RUN")
    volatile = [
        i
        for i, ins in enumerate(final)
        if ins.keyword == "ARG" and ins.args.startswith(("VCS_REF", "BUILD_DATE"))
    ]
    assert volatile and min(volatile) > last_run, [final[i] for i in volatile]


@pytest.mark.parametrize("name", IMAGE_NAMES)
def test_dockerfile_has_no_syntax_directive(name: str) -> None:
    """A `# syntax=` line makes BuildKit pull its frontend image from a registry before anything else, so
    no build works where none is reachable (make images-local); the built-in frontend has what we use."""
    first = DOCKERFILES[name].read_text().splitlines()[0]
    assert not re.match(r"#\s*syntax\s*=", first), first


@pytest.mark.parametrize(
    ("snippet", "code"),
    [
        ("FROM python\nUSER 1000\n", "DL3006"),
        ("FROM python:latest\nUSER 1000\n", "DL3007"),
        ("FROM python:3.11\nADD x /x\nUSER 1000\n", "DL3020"),
        ("FROM python:3.11\nUSER 1000\nUSER root\n", "DL3002"),
        ("FROM python:3.11\n", "DL3002"),
        ("FROM python:3.11\nRUN curl x | sh\nUSER 1\n", "DL4006"),
        ("FROM python:3.11\nRUN cd /x && make\nUSER 1\n", "DL3003"),
        ("FROM python:3.11\nRUN pip install --no-cache-dir requests\nUSER 1\n", "DL3013"),
        ("FROM python:3.11\nRUN pip install requests==2.0\nUSER 1\n", "DL3042"),
        ("FROM python:3.11\nRUN /opt/uv/bin/uv pip install --no-cache-dir requests==2.0\nUSER 1\n", "DL3042"),
        ("FROM python:3.11\nRUN apt-get install -y x\nUSER 1\n", "DL3015"),
        ("FROM python:3.11\nCMD python x.py\nUSER 1\n", "DL3025"),
        ("FROM python:3.11\nUSER 1\n", "OCI labels"),
    ],
)
def test_rules_catch_bad_dockerfiles(snippet: str, code: str, tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(snippet)
    assert any(p.startswith(code) or code in p for p in lint(parse(path))), lint(parse(path))


def ignored(path: str, patterns: list[str]) -> bool:
    """BuildKit .dockerignore semantics (last matching pattern wins, `!` re-includes, dirs cover children)."""
    result = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pat = pattern[1:] if negate else pattern
        pat = pat.rstrip("/")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatch(p, pat) or fnmatch.fnmatch(p, pat.replace("**/", "*/")) for p in prefixes) or (
            pat.startswith("**/") and any(fnmatch.fnmatch(part, pat[3:]) for part in parts)
        ):
            result = not negate
    return result


@pytest.mark.parametrize("name", IMAGE_NAMES)
def test_dockerignore_is_an_allowlist_that_keeps_every_copied_file(name: str) -> None:
    ignore = IMAGES_DIR / name / "Dockerfile.dockerignore"
    patterns = [ln.strip() for ln in ignore.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    assert patterns[0] == "*", "start from nothing, then re-include what the Dockerfile copies"
    instructions = parse(DOCKERFILES[name])
    args = build_args(instructions)
    sources = [expand(s, args) for ins in instructions for s in copy_sources(ins)]
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), f"COPY source {source} does not exist in the repository"
        assert included_files(source, patterns), f"{ignore.name} excludes everything of {source}"
    assert ignored("data/raw/x.jsonl", patterns) and ignored(".venv/bin/python", patterns)


def included_files(source: str, patterns: list[str]) -> list[str]:
    """Files of a COPY source (file or directory) that the .dockerignore lets into the context."""
    path = ROOT / source
    files = [path] if path.is_file() else [f for f in path.rglob("*") if f.is_file()]
    rels = [f.relative_to(ROOT).as_posix() for f in files]
    return [r for r in rels if not ignored(r, patterns)]


def test_dbt_context_is_the_project_only() -> None:
    ignore = IMAGES_DIR / "dbt" / "Dockerfile.dockerignore"
    patterns = [ln.strip() for ln in ignore.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    kept = included_files("dbt", patterns)
    assert "dbt/dbt_project.yml" in kept and "dbt/profiles.yml" in kept
    assert any(k.startswith("dbt/models/") and k.endswith(".sql") for k in kept)
    assert not [
        k for k in kept if k.startswith(("dbt/target/", "dbt/logs/", "dbt/dashboard")) or k.endswith(".py")
    ]


def test_spark_context_is_the_job_package_without_dev_tooling() -> None:
    ignore = IMAGES_DIR / "spark" / "Dockerfile.dockerignore"
    patterns = [ln.strip() for ln in ignore.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    kept = included_files("spark/src", patterns)
    assert "spark/src/caec_spark/__main__.py" in kept
    assert not [k for k in kept if not k.startswith("spark/src/caec_spark/")], kept
