"""Versions inside the images agree with the component locks (one source of truth)."""

from __future__ import annotations

import re

import pytest
from caec_locks import lock_versions, read_env_file
from dockerfiles import IMAGES_DIR, ROOT, build_args, parse

LOCKS = {
    "spark": ROOT / "spark" / "requirements.lock",
    "dbt": ROOT / "dbt" / "requirements.lock",
    "airflow": ROOT / "airflow" / "requirements.lock",
}


def lock(name: str) -> dict[str, str]:
    path = LOCKS[name]
    if not path.exists():
        pytest.fail(f"{path} is missing: the {name} image installs from it")
    return lock_versions(path)


def dockerfile_args(name: str) -> dict[str, str]:
    return build_args(parse(IMAGES_DIR / name / "Dockerfile"))


def test_spark_image_is_the_locked_pyspark() -> None:
    """Spark is the pyspark distribution synced from the lock; the build fails if its version differs."""
    args = dockerfile_args("spark")
    assert args["SPARK_VERSION"] == lock("spark")["pyspark"]
    text = (IMAGES_DIR / "spark" / "Dockerfile").read_text()
    assert (
        "uv pip sync --no-cache --compile-bytecode --python /opt/venv/bin/python /build/requirements.lock"
        in text
    )
    assert 'print(pyspark.__version__)\')" = "${SPARK_VERSION}"' in text


@pytest.mark.parametrize("name", ["spark", "dbt", "airflow"])
def test_every_image_builds_on_the_one_base_argument(name: str) -> None:
    """Each stage that is not the Maven download starts FROM ${BASE_IMAGE} (public or local stand-in), whose
    default is the Debian suite that images/scripts/local-base.sh makes by default (Python 3.11, JDK 17)."""
    instructions = parse(IMAGES_DIR / name / "Dockerfile")
    froms = [i.args.split()[0] for i in instructions if i.keyword == "FROM"]
    assert froms[-1] == "${BASE_IMAGE}"
    assert {f for f in froms if not f.startswith(("maven:", "gcs-connector-"))} == {"${BASE_IMAGE}"}
    suite = re.search(
        r'^suite="\$\{1:-(\w+)\}"', (IMAGES_DIR / "scripts" / "local-base.sh").read_text(), re.M
    )
    assert suite and dockerfile_args(name)["BASE_IMAGE"] == f"debian:{suite.group(1)}-slim"


def test_spark_connector_pin_matches_pins_env() -> None:
    pins = read_env_file(IMAGES_DIR / "pins.env")
    assert dockerfile_args("spark")["GCS_CONNECTOR_VERSION"] == pins["GCS_CONNECTOR_VERSION"]
    sha = pins["GCS_CONNECTOR_SHA256"]
    assert sha == "" or re.fullmatch(r"[0-9a-f]{64}", sha), "GCS_CONNECTOR_SHA256 must be a sha256 hex digest"
    text = (IMAGES_DIR / "spark" / "Dockerfile").read_text()
    assert "sha256sum -c -" in text and "--strict-checksums" in text


def test_spark_image_runs_the_main_file_the_dag_submits() -> None:
    spark_app = (ROOT / "airflow" / "src" / "caec_airflow" / "spark_app.py").read_text()
    main_file = re.search(r'SPARK_MAIN_FILE = "local://(.+?)"', spark_app)
    assert main_file, "airflow/src/caec_airflow/spark_app.py no longer defines SPARK_MAIN_FILE"
    assert f"images/spark/main.py {main_file.group(1)}" in (IMAGES_DIR / "spark" / "Dockerfile").read_text()
    assert re.search(r'SPARK_VERSION = "(.+?)"', spark_app).group(1) == lock("spark")["pyspark"]  # type: ignore[union-attr]


def test_dbt_image_installs_the_dbt_lock() -> None:
    versions = lock("dbt")
    assert {"dbt-core", "dbt-bigquery", "dbt-duckdb"} <= set(versions)
    assert dockerfile_args("dbt")["DBT_CORE_VERSION"] == versions["dbt-core"]
    text = (IMAGES_DIR / "dbt" / "Dockerfile").read_text()
    assert "uv pip sync" in text and "dbt/requirements.lock" in text


def test_dbt_image_uv_matches_the_makefile() -> None:
    makefile = (ROOT / "Makefile").read_text()
    uv = re.search(r"^UV_VERSION := (\S+)", makefile, re.M)
    assert uv and dockerfile_args("dbt")["UV_VERSION"] == uv.group(1)


def test_airflow_base_image_is_the_locked_airflow() -> None:
    versions = lock("airflow")
    args = dockerfile_args("airflow")
    assert args["AIRFLOW_VERSION"] == versions["apache-airflow"]
    text = (IMAGES_DIR / "airflow" / "Dockerfile").read_text()
    assert (
        "uv pip sync --no-cache --compile-bytecode --python /opt/venv/bin/python /build/requirements.lock"
        in text
    )
    for provider in ("apache-airflow-providers-cncf-kubernetes", "apache-airflow-providers-standard"):
        assert provider in versions


def test_airflow_image_extras_are_not_in_the_lock() -> None:
    """images/airflow/image-extras.lock only adds what the lock lacks (it must not fight the lock)."""
    extras = lock_versions(IMAGES_DIR / "airflow" / "image-extras.lock")
    assert extras and not set(extras) & set(lock("airflow"))


def test_airflow_helm_values_run_the_same_airflow() -> None:
    import yaml

    values = yaml.safe_load((ROOT / "helm" / "values" / "airflow" / "base.yaml").read_text())
    assert values["airflowVersion"] == dockerfile_args("airflow")["AIRFLOW_VERSION"]


def test_image_uids_match_the_pod_security_contexts() -> None:
    security = (ROOT / "airflow" / "src" / "caec_airflow" / "security.py").read_text()
    uids = dict(re.findall(r"^(SPARK_UID|DBT_UID) = (\d+)", security, re.M))
    finals = {}
    for name in ("spark", "dbt"):
        users = [i.args for i in parse(IMAGES_DIR / name / "Dockerfile") if i.keyword == "USER"]
        finals[name] = users[-1].split(":")[0]
    assert finals == {"spark": uids["SPARK_UID"], "dbt": uids["DBT_UID"]}


def test_build_stages_share_their_first_layers() -> None:
    """The three `build` stages start with the same instructions on purpose (Dockerfiles cannot include a
    common file): identical text is what lets BuildKit build that layer once for all three images."""
    heads = []
    for name in ("spark", "dbt", "airflow"):
        instructions = parse(IMAGES_DIR / name / "Dockerfile")
        start = next(
            i for i, ins in enumerate(instructions) if ins.keyword == "FROM" and ins.args.endswith("AS build")
        )
        stage = instructions[start:]
        end = next(i for i, ins in enumerate(stage) if ins.keyword == "COPY")
        heads.append([(ins.keyword, ins.args) for ins in stage[:end]])
    assert heads[0] == heads[1] == heads[2]
    assert any(k == "RUN" and "uv==${UV_VERSION}" in a for k, a in heads[0])
