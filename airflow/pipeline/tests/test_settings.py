"""The CAEC_* declarations (caec_pipeline.config.SETTINGS) and everything generated or checked from them."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from caec_pipeline import config
from caec_pipeline.config import SETTINGS, SETTINGS_BY_ENV, Derived, PipelineConfig
from caec_pipeline.dq import DQThresholds

ROOT = Path(__file__).resolve().parents[3]


def load_generator() -> ModuleType:
    path = ROOT / "airflow" / "pipeline" / "scripts" / "generate_settings.py"
    spec = importlib.util.spec_from_file_location("generate_settings", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


generate = load_generator()


def test_every_field_but_the_root_is_a_declared_setting() -> None:
    names = [f.name for f in dataclasses.fields(PipelineConfig)]
    assert names == ["repo_root", *(s.name for s in SETTINGS)]
    assert all(s.env.startswith("CAEC_") and s.doc for s in SETTINGS)
    assert len(SETTINGS_BY_ENV) == len(SETTINGS)


def test_to_env_writes_exactly_the_declared_variables() -> None:
    env = PipelineConfig.from_env({}, repo_root=ROOT).to_env()
    assert list(env) == [s.env for s in SETTINGS]


def test_derived_defaults_name_declared_settings_declared_before_them() -> None:
    seen: set[str] = set()
    for spec in SETTINGS:
        if isinstance(spec.default, Derived) and spec.default.base is not None:
            assert spec.default.base in seen, spec.env
        seen.add(spec.env)


def test_dq_threshold_defaults_are_the_declared_ones() -> None:
    """DQThresholds() (tests, dq-gate without a config) uses the same numbers as an empty environment."""
    cfg = PipelineConfig.from_env({}, repo_root=ROOT)
    assert DQThresholds() == DQThresholds.from_config(cfg)


def test_generated_files_are_up_to_date() -> None:
    """The chart's ConfigMap keys, its DQ defaults and docs/configuration.md match the declarations."""
    stale = [str(p.relative_to(ROOT)) for p in generate.stale()]
    assert not stale, f"out of date: {stale}; run `make settings`"


def test_the_drift_check_sees_a_changed_declaration(monkeypatch: pytest.MonkeyPatch) -> None:
    """Changing a declaration (here a DQ default) makes the chart values and the docs table stale."""
    spec = SETTINGS_BY_ENV["CAEC_DQ_MAX_BOT_SHARE"]
    changed = tuple(dataclasses.replace(s, default="0.4") if s is spec else s for s in SETTINGS)
    monkeypatch.setattr(generate, "SETTINGS", changed)
    assert set(generate.stale()) == {generate.VALUES_FILE, generate.DOCS_FILE}


def test_configmap_keys_are_the_settings_a_deployment_sets() -> None:
    """files/pipeline-config.yaml (what the ConfigMap ranges over): every setting but the Secret's."""
    text = generate.CHART_FILE.read_text(encoding="utf-8")
    keys = re.findall(r"^(CAEC_[A-Z_]+): ", text, flags=re.M)
    assert keys == [s.env for s in SETTINGS if s.env != "CAEC_IDENTITY_SALT"]
    # The salt is declared as coming from a Secret, so no template can put it into the ConfigMap.
    assert SETTINGS_BY_ENV["CAEC_IDENTITY_SALT"].helm_expr() is None


def test_docs_table_lists_every_setting() -> None:
    text = generate.DOCS_FILE.read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(CAEC_[A-Z_]+)` \|", text, flags=re.M)
    assert rows == [s.env for s in SETTINGS]


def test_chart_schema_allows_exactly_the_declared_choices() -> None:
    """values.schema.json's enums of the pipeline values are the choices from_env accepts."""
    schema = json.loads((ROOT / "helm" / "caec-platform" / "values.schema.json").read_text())
    pipeline = schema["properties"]["pipeline"]["properties"]
    assert set(pipeline["mode"]["enum"]) == set(config.MODES)
    assert set(pipeline["inputFormat"]["enum"]) == set(config.INPUT_FORMATS)
    assert set(pipeline["dbtTarget"]["enum"]) == set(config.DBT_TARGETS)


# Defaults outside the package, in code that runs where caec_pipeline is not installed (the dbt venv
# and image, the dashboard venv). The runner and the pods give them every variable (to_env, the
# ConfigMap); these defaults only serve direct runs (`make dbt-build`, `make dashboard`, the dbt tests).
OUTSIDE = [
    *sorted((ROOT / "dbt").glob("*.yml")),
    *sorted((ROOT / "dbt" / "models").rglob("*.yml")),
    *sorted((ROOT / "dbt" / "macros").rglob("*.sql")),
    *sorted((ROOT / "dbt" / "dashboard" / "src").rglob("*.py")),
    ROOT / "dbt" / "dbt.mk",
]
# Values that only make offline use possible and that no run with the settings ever sees.
OFFLINE_PLACEHOLDERS = {
    # dbt's BigQuery profile needs some project to compile offline (target bigquery_offline).
    ("CAEC_GCP_PROJECT", "caec-offline"),
    # dbt's fromjson needs a JSON object: `{}` is the declared empty value (no tags).
    ("CAEC_BQ_POLICY_TAGS", "{}"),
}
# A default read from the environment: dbt's env_var('X', 'default') or Python's os.environ.get("X", "d").
DEFAULT_READ = re.compile(
    r"""env_var\('(?P<dbt>CAEC_[A-Z_]+)',\s*'(?P<dbt_default>[^']*)'\)"""
    r"""|os\.environ\.get\("(?P<py>CAEC_[A-Z_]+)",\s*"(?P<py_default>[^"]*)"\)"""
)
# A path derived from CAEC_DATA_DIR's default: `... 'data') ~ '/staging'`, `... "data")) / "a" / "b"`
# or make's `$(CAEC_DATA_DIR)/staging`.
DATA_DIR_SUFFIX = re.compile(
    r"""env_var\('CAEC_DATA_DIR',\s*'[^']*'\)\s*~\s*'/(?P<dbt>[^']+)'"""
    r"""|os\.environ\.get\("CAEC_DATA_DIR",\s*"[^"]*"\)\)(?P<py>(?:\s*/\s*"[^"]+")+)"""
    r"""|\$\(CAEC_DATA_DIR\)/(?P<mk>[\w./-]+)"""
)


def literal_default(env: str) -> str:
    default = SETTINGS_BY_ENV[env].default
    if isinstance(default, Derived):
        # Relative to the repository root: dbt and the dashboard resolve it against their working dir.
        assert default.base is None, f"{env}'s default is derived from {default.base}; read that instead"
        return "/".join(default.parts)
    return default


def outside_defaults() -> list[tuple[str, str, str]]:
    """(file, variable, default) of every environment default read outside the package."""
    found = []
    for path in OUTSIDE:
        for match in DEFAULT_READ.finditer(path.read_text(encoding="utf-8")):
            env = match["dbt"] or match["py"]
            default = match["dbt_default"] if match["dbt"] else match["py_default"]
            found.append((str(path.relative_to(ROOT)), env, default))
    return found


def test_outside_defaults_are_found() -> None:
    """The scan sees the profile's, the models' and the dashboard's defaults (it is not vacuous)."""
    files = {f for f, _, _ in outside_defaults()}
    assert {"dbt/profiles.yml", "dbt/dashboard/src/caec_dashboard/backends.py"} <= files
    assert "dbt/models/staging/caec/_caec__sources.yml" in files


def test_dbt_and_dashboard_defaults_are_the_declared_ones() -> None:
    """Where dbt and the dashboard fall back to a default, it is the declared local default (or empty,
    meaning "unset": fall back further), so a direct run sees what `make run` gives them."""
    wrong = [
        f"{file}: {env} defaults to {default!r}, declared {literal_default(env)!r}"
        for file, env, default in outside_defaults()
        if default and default != literal_default(env) and (env, default) not in OFFLINE_PLACEHOLDERS
    ]
    assert not wrong, "\n".join(wrong)


def test_paths_under_the_data_dir_are_the_declared_ones() -> None:
    """`<data>/staging`, `<data>/warehouse/caec.duckdb` as dbt and the dashboard derive them."""
    declared = {
        "/".join(s.default.parts)
        for s in SETTINGS
        if isinstance(s.default, Derived) and s.default.base == "CAEC_DATA_DIR"
    }
    seen = []
    for path in OUTSIDE:
        for match in DATA_DIR_SUFFIX.finditer(path.read_text(encoding="utf-8")):
            suffix = match["dbt"] or match["mk"] or "/".join(re.findall(r'"([^"]+)"', match["py"]))
            seen.append(suffix)
            assert suffix in declared, f"{path.relative_to(ROOT)}: <CAEC_DATA_DIR>/{suffix} is not declared"
    assert {"staging", "warehouse/caec.duckdb"} <= set(seen)
    make_default = re.search(
        r"^CAEC_DATA_DIR \?= \$\(ROOT\)/(\S+)$", (ROOT / "dbt" / "dbt.mk").read_text(), re.M
    )
    assert make_default and make_default[1] == literal_default("CAEC_DATA_DIR")


def test_declared_defaults_parse() -> None:
    """Every literal default is accepted by its own parser (an empty environment is valid)."""
    for spec in SETTINGS:
        if not isinstance(spec.default, Derived):
            _, problems = spec.parse(spec, spec.default, ROOT)
            assert not problems, (spec.env, problems)


def test_module_has_no_third_party_imports() -> None:
    """config.py stays stdlib only: `make run` imports it with the base Python."""
    text = Path(config.__file__).read_text(encoding="utf-8")
    imports = {m.split(".")[0] for m in re.findall(r"^(?:from|import) ([\w.]+)", text, flags=re.M)}
    assert imports <= {
        "__future__",
        "json",
        "logging",
        "os",
        "re",
        "dataclasses",
        "collections",
        "pathlib",
        "typing",
        "caec_pipeline",
    }, imports
