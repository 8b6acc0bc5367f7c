"""Build the three images with a real Docker engine and run them (`make images-local`, `.ci/run`).

What each test proves is listed in images/README.md. The module needs no registry: the images are built
from the local debootstrap stand-in of their public base (images/scripts/local-base.sh), the sample data
is generated on the host, and every container runs with ``--network none``. It skips, saying why, only
when no Docker engine answers and none can be started (images/scripts/docker-engine.sh).

Not collected by ``make test-images`` (static checks only): ``make images-local`` runs it.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from caec_locks import lock_versions
from dockerfiles import IMAGE_NAMES, IMAGES_DIR, ROOT

SCRIPTS = IMAGES_DIR / "scripts"
DOCKER = os.environ.get("DOCKER", "docker")
REPO = "caec"
TAG = os.environ.get("CAEC_SMOKE_TAG", "smoke")
REPORT = Path(os.environ.get("CAEC_SMOKE_REPORT", str(ROOT / ".out" / "images" / "smoke.json")))
SPARK_PY = Path(os.environ.get("CAEC_SPARK_PYTHON", str(ROOT / ".venv" / "spark" / "bin" / "python")))
# The non-root users the pods run as (caec_airflow.security and the Airflow values; test_versions checks
# the Dockerfiles against them).
USERS = {"spark": "185", "dbt": "1000:1000", "airflow": "50000"}
# The sample: two generated days of the generator's default start, sessionized as one window.
START, END = "2026-11-01", "2026-11-03"
EVENTS = 3000
# A build stage may trust a TLS-intercepting network's CA; the runtime stages must not carry it.
BUILD_CA = "/usr/local/share/ca-certificates/build-network.crt"
# Private keys (a PEM header on its own line: API documents that merely mention one do not count) and
# credential files by name; CA certificates are public and stay.
SECRET_SCAN = r"""
set -u
grep -rlIs --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev -E '^-----BEGIN ([A-Z]+ )?PRIVATE KEY-----\s*$' / || true
find / \( -path /proc -o -path /sys -o -path /dev \) -prune -o -type f \( -name 'id_rsa*' -o -name 'id_ed25519*' \
  -o -name 'id_ecdsa*' -o -name '*.p12' -o -name '*.pfx' -o -name '.netrc' -o -name '.pypirc' \
  -o -name 'application_default_credentials.json' -o -name '*service-account*.json' -o -name '.dockercfg' \
  -o -path '*/.docker/config.json' \) -print
"""


def sh(
    *args: str, timeout: float = 600, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env)


def tail(proc: subprocess.CompletedProcess[str], lines: int = 40) -> str:
    return "\n".join((proc.stdout + proc.stderr).splitlines()[-lines:])


def image(name: str) -> str:
    return f"{REPO}/caec-{name}:{TAG}"


@pytest.fixture(scope="module")
def report() -> Iterator[dict[str, Any]]:
    facts: dict[str, Any] = {"builds_s": {}, "sizes_mb": {}, "bases": {}}
    yield facts
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(facts, indent=2, sort_keys=True) + "\n")


@pytest.fixture(scope="module")
def engine() -> Iterator[None]:
    """A Docker engine: the running one, else one started here (and stopped after the module)."""
    started = sh("bash", str(SCRIPTS / "docker-engine.sh"), "start", timeout=120)
    if started.returncode != 0:
        pytest.skip(f"image smoke tests skipped: {started.stderr.strip() or 'no Docker engine'}")
    yield
    if started.stdout.strip() == "started":
        sh("bash", str(SCRIPTS / "docker-engine.sh"), "stop", timeout=120)


def build_command() -> str:
    """BuildKit through buildx when the CLI has it, else through Debian's docker.io CLI (built-in BuildKit)."""
    if sh(DOCKER, "buildx", "version", timeout=60).returncode == 0:
        return f"{DOCKER} buildx build --load"
    debian_cli = Path("/usr/bin/docker")
    if not debian_cli.exists():
        pytest.fail(
            "no BuildKit-capable docker CLI: install the buildx plugin, or Debian's docker.io package"
        )
    return f"env DOCKER_BUILDKIT=1 {debian_cli} build"


@pytest.fixture(scope="module")
def images(engine: None, report: dict[str, Any]) -> dict[str, str]:
    """Build the three images with `make image-<name>` from the local base (or CAEC_BASE_IMAGE)."""
    base = os.environ.get("CAEC_BASE_IMAGE", "")
    if not base:
        t0 = time.monotonic()
        made = sh("bash", str(SCRIPTS / "local-base.sh"), timeout=1200)
        assert made.returncode == 0, f"local base image:\n{tail(made)}"
        base = made.stdout.strip()
        report["base_s"] = round(time.monotonic() - t0, 1)
    report["base_image"] = base
    ca_bundle = os.environ.get("SSL_CERT_FILE", "")
    for name in IMAGE_NAMES:
        t0 = time.monotonic()
        built = sh(
            "make",
            "-C",
            str(ROOT),
            f"image-{name}",
            f"IMAGE_REPO={REPO}",
            f"IMAGE_TAG={TAG}",
            f"BASE_IMAGE={base}",
            f"DOCKER={DOCKER}",
            f"DOCKER_BUILD={build_command()}",
            # The engine may have no bridge network (docker-engine.sh): package downloads use the host's.
            "IMAGE_BUILD_FLAGS=--network host",
            f"IMAGE_CA_BUNDLE={ca_bundle if Path(ca_bundle).is_file() else ''}",
            timeout=3600,
        )
        report["builds_s"][name] = round(time.monotonic() - t0, 1)
        assert built.returncode == 0, f"make image-{name} failed:\n{tail(built, 60)}"
    return {name: image(name) for name in IMAGE_NAMES}


def inspect(ref: str) -> dict[str, Any]:
    out = sh(DOCKER, "image", "inspect", ref, timeout=60)
    assert out.returncode == 0, out.stderr
    return dict(json.loads(out.stdout)[0])


def run(
    ref: str, *args: str, options: tuple[str, ...] = (), timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    """docker run with no network and a read-only root filesystem (scratch space: a tmpfs /tmp).

    The host name resolves to loopback, as a pod's does through the hosts file the kubelet writes
    (without it the JVM fails on InetAddress.getLocalHost when there is no network).
    """
    return sh(
        DOCKER,
        "run",
        "--rm",
        "--network",
        "none",
        "--hostname",
        "caec-smoke",
        "--add-host",
        "caec-smoke:127.0.0.1",
        "--read-only",
        "--tmpfs",
        "/tmp:rw,exec,size=1g",
        *options,
        ref,
        *args,
        timeout=timeout,
    )


@pytest.mark.parametrize("name", IMAGE_NAMES)
def test_image_runs_as_its_non_root_user_without_secrets(
    name: str, images: dict[str, str], report: dict[str, Any], tmp_path: Path
) -> None:
    meta = inspect(images[name])
    report["sizes_mb"][name] = round(meta["Size"] / 1e6)
    report["bases"][name] = meta["Config"]["Labels"].get("org.opencontainers.image.base.name")
    assert meta["Config"]["User"] == USERS[name] and not USERS[name].startswith("0")
    # The scan's control: a planted key and credential file, mounted, must be found (and only they there).
    planted = tmp_path / "planted"
    planted.mkdir()
    (planted / "key.txt").write_text(
        "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\n-----END RSA PRIVATE KEY-----\n"
    )
    (planted / ".netrc").write_text("machine example login x password y\n")
    # As root: the scan must see every file of the image, also those its user cannot read.
    scan = run(
        images[name],
        "-c",
        f"python3 --version; test ! -e {BUILD_CA} || echo 'build CA leaked: {BUILD_CA}'; {SECRET_SCAN}",
        options=("--entrypoint", "bash", "--user", "0", "-v", f"{planted}:/caec-scan-control:ro"),
    )
    assert scan.returncode == 0, tail(scan)
    python, *found = scan.stdout.splitlines()
    assert python.startswith("Python 3.11."), python
    control = {"/caec-scan-control/key.txt", "/caec-scan-control/.netrc"}
    assert control <= set(found), f"the scan missed its planted control files: {found}"
    findings = [f for f in found if f not in control]
    assert findings == [], f"private keys, credentials or the build CA in {images[name]}: {findings}"


# Counts the site-packages modules with and without this interpreter's cached bytecode.
_BYTECODE_PROBE = """
import importlib.util, pathlib, sysconfig
src = list(pathlib.Path(sysconfig.get_paths()["purelib"]).rglob("*.py"))
print(len(src), sum(not pathlib.Path(importlib.util.cache_from_source(str(p))).is_file() for p in src))
"""


@pytest.mark.parametrize("name", IMAGE_NAMES)
def test_image_ships_compiled_bytecode(name: str, images: dict[str, str]) -> None:
    """The images set PYTHONDONTWRITEBYTECODE and run read-only: without .pyc files in the image every
    process compiles each module it imports from source (dbt --version 5.1 s instead of 2.4 s)."""
    probe = run(images[name], "-c", _BYTECODE_PROBE, options=("--entrypoint", "/opt/venv/bin/python"))
    assert probe.returncode == 0, tail(probe)
    total, missing = map(int, probe.stdout.split())
    # a few files in some packages are not valid Python 3 (templates, test data) and never compile
    assert total > 1000 and missing <= total // 50, f"{name}: {missing} of {total} modules without bytecode"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generated raw logs on the host (the generator is dev tooling, not part of the job image)."""
    raw = tmp_path_factory.mktemp("raw")
    gen = sh(
        str(SPARK_PY), "-m", "caec_spark_dev", "generate", "--events", str(EVENTS), "--format", "jsonl",
        "--seed", "7", "--days", "2", "--start", START, "--output", str(raw),
        timeout=600,
    )  # fmt: skip
    assert gen.returncode == 0, tail(gen)
    for path in (raw, *raw.rglob("*")):  # readable by the container's user
        path.chmod(0o755 if path.is_dir() else 0o644)
    return raw


def input_records(raw: Path) -> int:
    import gzip

    total = 0
    for f in sorted(p for p in raw.rglob("*") if p.is_file() and p.suffix in {".jsonl", ".gz"}):
        opener = gzip.open if f.suffix == ".gz" else open
        with opener(f, "rt") as fh:
            total += sum(1 for line in fh if line.strip())
    return total


@pytest.fixture(scope="module")
def staging(images: dict[str, str], sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sessionize job run as a SparkApplication driver would start it, in local mode.

    Same arguments as Spark on Kubernetes gives the driver pod (`driver --properties-file
    /opt/spark/conf/spark.properties --class org.apache.spark.deploy.PythonRunner local:///...main.py
    <app args>`), the properties file mounted where the driver pod gets it, SPARK_DRIVER_BIND_ADDRESS set;
    only spark.master differs (local[2] instead of k8s://).
    """
    out = tmp_path_factory.mktemp("staging")
    conf = tmp_path_factory.mktemp("conf")
    (conf / "spark.properties").write_text(
        "spark.master=local[2]\nspark.app.name=caec-smoke\nspark.ui.enabled=false\nspark.driver.memory=1g\n"
    )
    conf.chmod(0o755)  # the container's uid 185 reads the properties file here
    out.chmod(0o777)  # and writes here
    started = time.monotonic()
    job = run(
        images["spark"],
        "driver",
        "--properties-file",
        "/opt/spark/conf/spark.properties",
        "--class",
        "org.apache.spark.deploy.PythonRunner",
        "local:///opt/caec/spark/main.py",
        "sessionize",
        "--input",
        "/data/raw",
        "--format",
        "jsonl",
        "--output",
        "/data/staging",
        "--start",
        START,
        "--end",
        END,
        options=(
            "--user",
            USERS["spark"],
            "-e",
            "SPARK_DRIVER_BIND_ADDRESS=127.0.0.1",
            "-e",
            "SPARK_CONF_DIR=/opt/spark/conf",
            "-v",
            f"{conf}:/opt/spark/conf:ro",
            "-v",
            f"{sample}:/data/raw:ro",
            "-v",
            f"{out}:/data/staging",
        ),
    )
    assert job.returncode == 0, f"sessionize in caec-spark failed:\n{tail(job, 80)}"
    print(f"sessionize in the container: {time.monotonic() - started:.0f}s")
    return out


def test_spark_driver_sessionizes_the_sample_and_reconciles(staging: Path, sample: Path) -> None:
    """The manifest's counts add up, and agree with the input and the generator's ground truth."""
    manifests = sorted((staging / "manifests").glob("*.json"))
    assert len(manifests) == 1, manifests
    manifest = json.loads(manifests[0].read_text())
    counts = manifest["counts"]
    truth = json.loads((sample / "_truth" / "summary.json").read_text())
    assert manifest["reconciled"] is True
    assert (manifest["window"]["start"], manifest["window"]["end"]) == (START, END)
    assert counts["read"] == input_records(sample) == truth["lines"]
    assert counts["read"] == counts["window_records"] + counts["quarantined"] + counts["filtered"]
    assert (counts["valid"], counts["quarantined"]) == (truth["events"], truth["malformed"])
    assert (counts["sessions"], counts["bot_sessions"]) == (truth["sessions"], truth["bot_sessions"])
    days = sorted(p.name for p in (staging / "events").iterdir() if p.is_dir())
    assert days == ["event_date=2026-11-01", "event_date=2026-11-02"]
    assert list((staging / "sessions").rglob("*.parquet"))


def test_spark_image_is_the_locked_spark_on_python_311(images: dict[str, str]) -> None:
    pyspark = lock_versions(ROOT / "spark" / "requirements.lock")["pyspark"]
    version = run(images["spark"], "spark-submit", "--version")
    assert version.returncode == 0, tail(version)
    assert f"version {pyspark}" in version.stdout + version.stderr


def test_spark_image_has_the_job_but_no_dev_tooling(images: dict[str, str]) -> None:
    """caec_spark_dev (generator, DuckDB twin, benchmark) stays on the host: the Dockerfile copies caec_spark only."""
    probe = run(
        images["spark"],
        "python",
        "-c",
        "import importlib.util as u; print(*(u.find_spec(m) is not None for m in ('caec_spark', 'caec_spark_dev')))",
    )
    assert probe.returncode == 0, tail(probe)
    assert probe.stdout.split() == ["True", "False"], probe.stdout


def test_spark_executor_starts_the_kubernetes_executor_backend(images: dict[str, str]) -> None:
    """`executor` with the variables a driver sets: the JVM runs KubernetesExecutorBackend with them.

    No driver listens (no network), so the backend must fail to reach the driver URL it was given; its
    log shows the class, executor id and driver URL came through.
    """
    env = {
        "SPARK_DRIVER_URL": "spark://CoarseGrainedScheduler@127.0.0.1:7078",
        "SPARK_EXECUTOR_ID": "7",
        "SPARK_EXECUTOR_CORES": "1",
        "SPARK_EXECUTOR_MEMORY": "512m",
        "SPARK_APPLICATION_ID": "spark-smoke",
        "SPARK_EXECUTOR_POD_IP": "127.0.0.1",
        "SPARK_EXECUTOR_POD_NAME": "caec-smoke-exec-7",
        "SPARK_RESOURCE_PROFILE_ID": "0",
        "SPARK_JAVA_OPT_0": "-Dspark.driver.port=7078",
    }
    options = tuple(x for k, v in env.items() for x in ("-e", f"{k}={v}"))
    executor = run(images["spark"], "executor", options=("--user", USERS["spark"], *options), timeout=300)
    log = executor.stdout + executor.stderr
    assert executor.returncode != 0, tail(executor)
    assert "KubernetesExecutorBackend: Started daemon" in log, tail(executor)
    assert "Failed to connect to /127.0.0.1:7078" in log, tail(executor)


def test_spark_executor_without_driver_variables_says_which(images: dict[str, str]) -> None:
    executor = run(images["spark"], "executor", options=("--user", USERS["spark"]), timeout=120)
    assert executor.returncode != 0
    assert "SPARK_EXECUTOR_MEMORY" in executor.stderr and "set by the driver" in executor.stderr


def test_dbt_builds_the_duckdb_marts_over_the_spark_output(
    images: dict[str, str], staging: Path, tmp_path: Path
) -> None:
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    warehouse.chmod(0o777)  # the container's uid 1000 writes the DuckDB file and run results here
    built = run(
        images["dbt"],
        "build",
        "--project-dir",
        "dbt",
        "--profiles-dir",
        "dbt",
        "--target",
        "local",
        "--vars",
        json.dumps({"start_date": START, "end_date": END}),
        options=(
            "--user",
            USERS["dbt"],
            "-e",
            "CAEC_STAGING_URI=/data/staging",
            "-e",
            "CAEC_DUCKDB_PATH=/data/warehouse/caec.duckdb",
            "-e",
            "DBT_TARGET_PATH=/data/warehouse/target",
            "-v",
            f"{staging}:/data/staging:ro",
            "-v",
            f"{warehouse}:/data/warehouse",
        ),
    )
    assert built.returncode == 0, f"dbt build in caec-dbt failed:\n{tail(built, 60)}"
    results = json.loads((warehouse / "target" / "run_results.json").read_text())["results"]
    statuses = {r["unique_id"]: r["status"] for r in results}
    assert any(uid.startswith("model.") for uid in statuses)
    assert any(uid.startswith("test.") for uid in statuses)
    assert {s for s in statuses.values()} <= {"success", "pass"}, {
        k: v for k, v in statuses.items() if v not in {"success", "pass"}
    }


def test_airflow_dag_folder_imports_and_lists_the_dags(images: dict[str, str]) -> None:
    # Through /entrypoint as the chart calls it: `bash -c ...`, then an Airflow subcommand without `airflow`.
    script = (
        "set -e; airflow db migrate >/dev/null 2>&1; "
        "python -c 'import json; from airflow.dag_processing.dagbag import DagBag; "
        'b = DagBag("/opt/airflow/dags"); '
        'print(json.dumps({"errors": {k: str(v) for k, v in b.import_errors.items()}, "dags": sorted(b.dag_ids)}))\'; '
        "/entrypoint dags list --local -o json"
    )
    listed = run(
        images["airflow"],
        "bash",
        "-c",
        script,
        options=(
            "--user",
            USERS["airflow"],
            "-e",
            "AIRFLOW_HOME=/tmp/airflow",
            "-e",
            "AIRFLOW__CORE__DAGS_FOLDER=/opt/airflow/dags",
        ),
        timeout=600,
    )
    assert listed.returncode == 0, tail(listed, 60)
    lines = [ln for ln in listed.stdout.splitlines() if ln.startswith(("{", "["))]
    dagbag = json.loads(lines[0])
    assert dagbag == {"errors": {}, "dags": ["clickstream_daily", "clickstream_erase"]}
    assert {"clickstream_daily", "clickstream_erase"} <= {d["dag_id"] for d in json.loads(lines[1])}
