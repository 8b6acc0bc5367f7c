"""What `terraform validate` would catch in the wiring, checked offline (the provider cannot be had here).

Module arguments are declared variables, required variables are passed, every `module.X.Y` names an
output of X, and every `var.`/`local.` reference inside a directory is declared there. Resource
attributes are left to `terraform validate` in GitHub CI.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from tfcontract import ENVS_DIR, MODULES_DIR, TF_DIR, load_hcl, unwrap

ROOTS = sorted(
    [
        *(p for p in MODULES_DIR.iterdir() if p.is_dir()),
        *(p for p in ENVS_DIR.iterdir() if p.is_dir()),
        TF_DIR / "platform",
    ]
)
META_ARGS = {"source", "version", "depends_on", "providers", "count", "for_each"}


def blocks(directory: Path, kind: str) -> dict[str, Any]:
    """All blocks of one kind (variable, output, module, locals) across a directory's .tf files."""
    out: dict[str, Any] = {}
    for path in sorted(directory.glob("*.tf")):
        for block in load_hcl(path).get(kind, []):
            out.update(block)
    return out


def text_of(directory: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.tf")))


def without_comments(text: str) -> str:
    return "\n".join(
        line.split("#", 1)[0] if not line.lstrip().startswith("#") else "" for line in text.splitlines()
    )


def without_moved_blocks(text: str) -> str:
    """Drop `moved` blocks: their addresses (module.platform.module.gke) are state paths, not outputs."""
    return re.sub(r"^moved \{\n.*?^\}\n", "", text, flags=re.S | re.M)


@pytest.mark.parametrize("root", ROOTS, ids=lambda p: str(p.relative_to(TF_DIR)))
def test_module_calls_match_module_interfaces(root: Path) -> None:
    for name, call in blocks(root, "module").items():
        source = (root / unwrap(call["source"])).resolve()
        variables = blocks(source, "variable")
        args = set(call) - META_ARGS - {"__start_line__", "__end_line__"}
        unknown = args - set(variables)
        assert not unknown, f"{root.name}: module {name} passes undeclared {sorted(unknown)}"
        required = {v for v, body in variables.items() if "default" not in body}
        missing = required - args
        assert not missing, f"{root.name}: module {name} lacks required {sorted(missing)}"


@pytest.mark.parametrize("root", ROOTS, ids=lambda p: str(p.relative_to(TF_DIR)))
def test_module_output_references_exist(root: Path) -> None:
    calls = blocks(root, "module")
    text = without_moved_blocks(without_comments(text_of(root)))
    for module, output in set(re.findall(r"\bmodule\.([a-z_]+)\.([a-z_]+)", text)):
        assert module in calls, f"{root.name}: module.{module} is not declared"
        source = (root / unwrap(calls[module]["source"])).resolve()
        assert output in blocks(source, "output"), f"{root.name}: module.{module} has no output {output}"


@pytest.mark.parametrize("root", ROOTS, ids=lambda p: str(p.relative_to(TF_DIR)))
def test_var_and_local_references_are_declared(root: Path) -> None:
    text = without_comments(text_of(root))
    variables = set(blocks(root, "variable"))
    locals_ = set(blocks(root, "locals"))
    used_vars = set(re.findall(r"\bvar\.([a-z_][a-z0-9_]*)", text))
    used_locals = set(re.findall(r"\blocal\.([a-z_][a-z0-9_]*)", text))
    assert used_vars <= variables, f"{root.name}: undeclared variables {sorted(used_vars - variables)}"
    assert used_locals <= locals_, f"{root.name}: undeclared locals {sorted(used_locals - locals_)}"
    unused = variables - used_vars
    assert not unused, f"{root.name}: declared but unused variables {sorted(unused)}"
