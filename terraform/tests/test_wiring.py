"""What `terraform validate` would catch in the wiring, checked offline (the provider cannot be had here).

Module arguments are declared variables, required variables are passed, every `module.X.Y` names an
output of X, and every `var.`/`local.` reference inside a directory is declared there. Resource
attributes are left to `terraform validate` in GitHub CI.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tfcontract import (
    ENVS,
    MODULES_DIR,
    ROOT_MODULE,
    TF_DIR,
    load_hcl,
    platform_input,
    terraform_binary,
    tfvars_path,
    unwrap,
)

ROOTS = sorted([*(p for p in MODULES_DIR.iterdir() if p.is_dir()), ROOT_MODULE])
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


def without_block(text: str, header: str) -> str:
    """`text` without the block that starts with `header` (up to its matching closing brace)."""
    start = text.index(header)
    depth, i = 0, text.index("{", start)
    while True:
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[:start] + text[i + 1 :]
        i += 1


@pytest.mark.parametrize("env", ENVS)
def test_the_root_gives_modules_platform_the_env_values_and_its_defaults(env: str, tmp_path: Path) -> None:
    """Real terraform, offline: terraform/root's variables and module call applied with
    envs/<env>/terraform.tfvars, against a provider-free stand-in of modules/platform with its very
    variables (types, validations, nullable) that outputs what it received. Every input is the tfvars
    value, else the module's default (a null from the root included), which is what `make
    platform-values` and the governance doc assume (tfcontract.platform_input)."""
    root, module = tmp_path / "root", tmp_path / "modules" / "platform"
    root.mkdir(parents=True)
    module.mkdir(parents=True)
    shutil.copy(ROOT_MODULE / "variables.tf", root / "variables.tf")
    main = without_block((ROOT_MODULE / "main.tf").read_text(encoding="utf-8"), 'provider "google"')
    (root / "main.tf").write_text(
        main + '\noutput "inputs" {\n  value = module.platform.inputs\n}\n', encoding="utf-8"
    )
    shutil.copy(MODULES_DIR / "platform" / "variables.tf", module / "variables.tf")
    names = sorted(blocks(MODULES_DIR / "platform", "variable"))
    received = "\n".join(f"    {n} = var.{n}" for n in names)
    (module / "outputs.tf").write_text(
        f'output "inputs" {{\n  value = {{\n{received}\n  }}\n}}\n', encoding="utf-8"
    )
    env_vars = {
        **os.environ,
        "TF_DATA_DIR": str(tmp_path / ".terraform"),
        "CHECKPOINT_DISABLE": "1",
        "TF_INPUT": "0",
    }
    state = tmp_path / "stand-in.tfstate"

    def terraform(*args: str) -> str:
        proc = subprocess.run(
            [terraform_binary(), *args, "-no-color"], cwd=root, env=env_vars, capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout

    terraform("init", "-input=false")
    terraform("apply", "-auto-approve", "-input=false", f"-state={state}", f"-var-file={tfvars_path(env)}")
    got = json.loads(terraform("output", "-json", f"-state={state}", "inputs"))
    assert got == {name: platform_input(env, name) for name in names}
