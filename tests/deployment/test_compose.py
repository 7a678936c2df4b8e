"""The production deployment: docker-compose.yaml, Dockerfile, .dockerignore and .env.example,
checked by parsing them (no Docker engine needed) and against the installed Airflow: its CLI,
its configuration options and the pipeline's own settings."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from inclusion_data.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_TEXT = (ROOT / "docker-compose.yaml").read_text()
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
SERVICES = COMPOSE["services"]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
ENV_EXAMPLE = (ROOT / ".env.example").read_text()

AIRFLOW_LONG_RUNNING = {
    "airflow-apiserver": ["airflow", "api-server"],
    "airflow-scheduler": ["airflow", "scheduler"],
    "airflow-dag-processor": ["airflow", "dag-processor"],
    "airflow-triggerer": ["airflow", "triggerer"],
    "airflow-worker": ["airflow", "celery", "worker"],
}
AIRFLOW_SERVICES = {*AIRFLOW_LONG_RUNNING, "airflow-init"}
BACKING_SERVICES = {"redis", "postgres-airflow", "postgres-warehouse"}
PORTAL = "portal"
LONG_RUNNING = {*AIRFLOW_LONG_RUNNING, *BACKING_SERVICES, PORTAL}
PIPELINE_FOLDERS = ["inbox", "archive", "rejected", "held", "reports", "published"]

# ${NAME}, ${NAME:-default}, ${NAME:?message}, ${NAME-x}, ${NAME?x} and bare $NAME; `$$` is a
# literal dollar left for the container's shell (e.g. $${HOSTNAME}).
_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


def _without_escapes(text: str) -> str:
    return text.replace("$$", "")


def _strings(node) -> list[str]:
    """Every string value of the parsed compose file (compose interpolates values, not comments)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return []


def _interpolations() -> list[re.Match]:
    return [match for value in _strings(COMPOSE) for match in _VARIABLE.finditer(_without_escapes(value))]


def compose_variables() -> dict[str, set[str]]:
    """Every variable the compose file interpolates, with the operators it is used with."""
    found: dict[str, set[str]] = {}
    for match in _interpolations():
        name = match.group(1) or match.group(4)
        found.setdefault(name, set()).add(match.group(2) or "")
    return found


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's interpolation, enough for this file: defaults, required values, `$$`."""

    def replace(match: re.Match) -> str:
        name = match.group(1) or match.group(4)
        operator, argument = match.group(2), match.group(3)
        current = env.get(name, "")
        if operator == ":?" and not current:
            raise KeyError(f"{name}: {argument}")
        if operator == ":-" and not current:
            return argument
        return current

    parts = value.split("$$")
    return "$".join(_VARIABLE.sub(replace, part) for part in parts)


def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, sep, value = line.partition("=")
            assert sep, f".env.example: not NAME=value: {line!r}"
            values[name.strip()] = value.strip()
    return values


def environment(service: str) -> dict[str, str]:
    env = SERVICES[service].get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {name: str(value) for name, value in env.items()}


def command(service: str) -> list[str]:
    cmd = SERVICES[service]["command"]
    return shlex.split(cmd) if isinstance(cmd, str) else list(cmd)


def healthcheck_command(service: str) -> str:
    test = SERVICES[service]["healthcheck"]["test"]
    if isinstance(test, str):
        return test
    kind, *rest = test
    return rest[0] if kind == "CMD-SHELL" else shlex.join(rest)


def mounts(service: str) -> dict[str, str]:
    """target -> source of a service's volume mounts (short syntax)."""
    result = {}
    for volume in SERVICES[service].get("volumes", []):
        assert isinstance(volume, str), f"{service}: unexpected volume entry {volume!r}"
        source, target, *_ = volume.split(":")
        result[target] = source
    return result


FAKE_ENV = {name: f"{name.lower().replace('_', '')}value" for name in compose_variables()}


def resolved_environment(service: str) -> dict[str, str]:
    return {name: interpolate(value, FAKE_ENV) for name, value in environment(service).items()}


# --- services and commands ---------------------------------------------------------------


def test_expected_services_exist():
    assert set(SERVICES) == AIRFLOW_SERVICES | BACKING_SERVICES | {PORTAL}


@pytest.mark.parametrize("service", sorted(AIRFLOW_LONG_RUNNING))
def test_airflow_service_commands(service):
    assert command(service) == AIRFLOW_LONG_RUNNING[service]


def test_init_migrates_airflow_and_the_warehouse():
    script = " ".join(command("airflow-init"))
    assert "airflow db migrate" in script
    assert "from inclusion_data.warehouse.engine import migrate" in script
    assert "migrate(os.environ['WAREHOUSE_URL'])" in script
    # one-off: a restart policy would run the migrations in a loop
    assert SERVICES["airflow-init"].get("restart") == "no"
    assert "healthcheck" not in SERVICES["airflow-init"]


def test_init_warehouse_migration_runs(tmp_path):
    """The init service's Python line, as it is in the compose file, migrates a warehouse."""
    script = " ".join(command("airflow-init"))
    snippet = re.search(r'python -c "([^"]+)"', script).group(1)
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    result = subprocess.run(
        [sys.executable, "-c", snippet],
        env={"WAREHOUSE_URL": url, "PATH": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    from sqlalchemy import create_engine, inspect

    engine = create_engine(url)
    assert {"alembic_version", "submissions", "beneficiaries"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def _airflow_invocations() -> list[list[str]]:
    """Every `airflow ...` command line in the compose file: services, init and health checks."""
    invocations = [command(service)[1:] for service in AIRFLOW_LONG_RUNNING]
    init = " ".join(command("airflow-init"))
    invocations += [shlex.split(m) for m in re.findall(r"\bairflow ([a-z][a-z -]*?)(?=\s*&&|$)", init)]
    for service in LONG_RUNNING:
        check = healthcheck_command(service)
        if check.startswith("airflow "):
            invocations.append(shlex.split(check)[1:])
    return invocations


def test_airflow_commands_parse_with_the_installed_airflow(tmp_path):
    """The installed Airflow's own CLI parser (with the Celery provider's commands) accepts every
    command the compose file runs, e.g. the job types of `airflow jobs check`; Celery finds the
    app the worker's health check pings."""
    invocations = _airflow_invocations()
    assert ["db", "migrate"] in invocations
    assert ["celery", "worker"] in invocations
    program = (
        "import json, sys\n"
        "from airflow.cli.cli_parser import get_parser\n"
        "parser = get_parser()\n"
        "for argv in json.loads(sys.argv[1]):\n"
        "    try:\n"
        "        parser.parse_args(argv)\n"
        "    except SystemExit:\n"
        "        sys.exit(f'airflow does not accept: {argv}')\n"
        "from celery import Celery\n"
        "from celery.app.utils import find_app\n"
        "assert isinstance(find_app(sys.argv[2]), Celery), sys.argv[2]\n"
    )
    env = {
        "AIRFLOW_HOME": str(tmp_path),
        "PATH": str(Path(sys.executable).parent),
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }
    worker_app = re.search(r"--app (\S+)", healthcheck_command("airflow-worker")).group(1)
    result = subprocess.run(
        [sys.executable, "-c", program, json.dumps(invocations), worker_app],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]


# --- health checks ---------------------------------------------------------------------------


@pytest.mark.parametrize("service", sorted(LONG_RUNNING))
def test_long_running_services_have_a_healthcheck(service):
    check = SERVICES[service].get("healthcheck")
    assert check and not check.get("disable")
    assert check["test"] and check["test"][0] in {"CMD", "CMD-SHELL"} and check["test"] != ["NONE"]
    assert healthcheck_command(service).strip()
    for setting in ("interval", "timeout", "retries"):
        assert setting in check, f"{service}: healthcheck without {setting}"


def test_healthcheck_commands():
    assert (
        healthcheck_command("airflow-apiserver") == "curl --fail http://localhost:8080/api/v2/monitor/health"
    )
    assert healthcheck_command("airflow-scheduler") == "curl --fail http://localhost:8974/health"
    # the scheduler serves /health on 8974 only when asked to
    assert environment("airflow-scheduler")["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"] == "True"
    assert (
        healthcheck_command("airflow-dag-processor")
        == "airflow jobs check --job-type DagProcessorJob --local"
    )
    assert healthcheck_command("airflow-triggerer") == "airflow jobs check --job-type TriggererJob --local"
    worker = healthcheck_command("airflow-worker")
    assert worker.startswith(
        "celery --app airflow.providers.celery.executors.celery_executor.app inspect ping"
    )
    # $$ so that the container's shell, not compose, expands HOSTNAME: the worker's own node
    assert '-d "celery@$${HOSTNAME}"' in worker
    for database in ("postgres-airflow", "postgres-warehouse"):
        assert healthcheck_command(database).startswith("pg_isready")
    assert "redis-cli ping" in healthcheck_command("redis")


# --- scaling, ports, dependencies -------------------------------------------------------------


def test_worker_scales():
    worker = SERVICES["airflow-worker"]
    for fixed in ("container_name", "ports", "hostname"):
        assert fixed not in worker, f"airflow-worker sets {fixed}: it could not be scaled"


def test_only_the_api_server_and_the_portal_are_published_on_this_machine():
    published = {name for name, service in SERVICES.items() if service.get("ports")}
    assert published == {"airflow-apiserver", PORTAL}
    assert SERVICES["airflow-apiserver"]["ports"] == [
        "${AIRFLOW_API_BIND:-127.0.0.1}:${AIRFLOW_API_PORT:-8080}:8080"
    ]
    assert SERVICES[PORTAL]["ports"] == ["${PORTAL_BIND:-127.0.0.1}:${PORTAL_PORT:-8000}:8000"]
    assert not any("container_name" in service for service in SERVICES.values())


@pytest.mark.parametrize("service", sorted(AIRFLOW_LONG_RUNNING))
def test_airflow_services_wait_for_init_and_healthy_backends(service):
    depends = SERVICES[service]["depends_on"]
    assert depends["airflow-init"]["condition"] == "service_completed_successfully"
    for backend in BACKING_SERVICES:
        assert depends[backend]["condition"] == "service_healthy", f"{service} -> {backend}"


@pytest.mark.parametrize("service", ["airflow-worker", "airflow-triggerer"])
def test_task_runners_wait_for_the_execution_api(service):
    assert SERVICES[service]["depends_on"]["airflow-apiserver"]["condition"] == "service_healthy"


def test_init_waits_for_the_databases_only():
    depends = SERVICES["airflow-init"]["depends_on"]
    assert set(depends) == {"postgres-airflow", "postgres-warehouse"}
    assert all(d["condition"] == "service_healthy" for d in depends.values())


# --- volumes -------------------------------------------------------------------------------


def test_pipeline_volumes_are_declared_and_mounted_under_inclusion_home():
    declared = set(COMPOSE["volumes"])
    home = environment("airflow-worker")["INCLUSION_HOME"]
    settings = Settings(home=Path(home), warehouse_url="unused")
    expected = {str(getattr(settings, folder)): folder for folder in PIPELINE_FOLDERS}
    assert set(PIPELINE_FOLDERS) <= declared
    for service in AIRFLOW_SERVICES:
        assert environment(service)["INCLUSION_HOME"] == home
        service_mounts = mounts(service)
        for target, volume in expected.items():
            assert service_mounts.get(target) == volume, f"{service}: {volume} not at {target}"


def test_every_mounted_volume_is_declared_and_every_declared_volume_used():
    declared = set(COMPOSE["volumes"])
    used = {source for service in SERVICES for source in mounts(service).values()}
    assert used == declared


def test_databases_keep_their_data_on_volumes():
    for database in ("postgres-airflow", "postgres-warehouse"):
        assert "/var/lib/postgresql/data" in mounts(database)
    assert mounts("postgres-airflow") != mounts("postgres-warehouse")


def test_mount_points_exist_in_the_image_owned_by_its_user():
    """New named volumes take the ownership of the image's folder they are mounted on."""
    targets = {target for service in AIRFLOW_SERVICES for target in mounts(service)}
    for target in targets:
        assert target in DOCKERFILE, f"{target} is not created in the Dockerfile"


# --- environment and configuration ----------------------------------------------------------


@pytest.mark.parametrize("service", sorted(AIRFLOW_SERVICES))
def test_airflow_environment(service):
    env = environment(service)
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
    for name in (
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
        "AIRFLOW__CELERY__BROKER_URL",
        "AIRFLOW__CELERY__RESULT_BACKEND",
        "AIRFLOW__CORE__FERNET_KEY",
        "AIRFLOW__API_AUTH__JWT_SECRET",
        "AIRFLOW__API__SECRET_KEY",
        "AIRFLOW_CONN_WAREHOUSE",
        "INCLUSION_HOME",
        "WAREHOUSE_URL",
        "INCLUSION_PSEUDONYM_KEY",
        "INCLUSION_SETTLE_SECONDS",
    ):
        assert env.get(name), f"{service}: {name} not set"
    assert env == environment("airflow-scheduler"), "Airflow services must share one environment"
    assert SERVICES[service]["image"] == SERVICES["airflow-scheduler"]["image"]
    assert SERVICES[service]["build"] == {"context": ".", "dockerfile": "Dockerfile"}


def test_workers_use_the_warm_up_the_end_to_end_test_runs(tmp_path):
    """The Celery settings compose names are the ones the end-to-end Celery test runs with
    (``tests/airflow_stack.py``): with them Airflow's Celery app keeps Airflow's own settings,
    the warm-up waits on ``worker_init``, and importing them (as the scheduler does) loads
    neither the pipeline nor GX."""
    from airflow_stack import CELERY_CONFIG

    named = environment("airflow-worker")["AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS"]
    assert named == CELERY_CONFIG
    program = (
        "import sys\n"
        "from airflow.providers.celery.executors import celery_executor_utils as utils\n"
        "from celery.signals import worker_init\n"
        "assert 'inclusion_data.orchestration.celery_worker' in sys.modules  # Airflow loaded it\n"
        "from inclusion_data.orchestration import celery_worker\n"
        "assert utils.app.conf.worker_concurrency == 7, utils.app.conf.worker_concurrency\n"
        "assert worker_init._live_receivers(None) == [celery_worker.warm_up]\n"
        "assert not {'great_expectations', 'inclusion_data.orchestration.tasks'} & set(sys.modules)\n"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")},
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": named,
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "7",
    }
    result = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_connections_point_at_the_right_services():
    env = resolved_environment("airflow-worker")
    metadata = urlsplit(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    assert (metadata.scheme, metadata.hostname, metadata.port) == (
        "postgresql+psycopg",
        "postgres-airflow",
        5432,
    )
    assert urlsplit(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"]).hostname == "postgres-airflow"
    result = urlsplit(env["AIRFLOW__CELERY__RESULT_BACKEND"])
    assert (result.scheme, result.hostname) == ("db+postgresql+psycopg", "postgres-airflow")
    broker = urlsplit(env["AIRFLOW__CELERY__BROKER_URL"])
    assert (broker.scheme, broker.hostname, broker.port) == ("redis", "redis", 6379)
    assert broker.password == FAKE_ENV["REDIS_PASSWORD"]
    warehouse = urlsplit(env["WAREHOUSE_URL"])
    assert (warehouse.scheme, warehouse.hostname, warehouse.port) == (
        "postgresql+psycopg",
        "postgres-warehouse",
        5432,
    )
    connection = urlsplit(env["AIRFLOW_CONN_WAREHOUSE"])
    assert (connection.scheme, connection.hostname, connection.path) == (
        "postgresql",
        "postgres-warehouse",
        warehouse.path,
    )
    assert (connection.username, connection.password) == (warehouse.username, warehouse.password)
    # the databases are created with the credentials the URLs use
    for service, url in (("postgres-airflow", metadata), ("postgres-warehouse", warehouse)):
        db = resolved_environment(service)
        assert (db["POSTGRES_USER"], db["POSTGRES_PASSWORD"], "/" + db["POSTGRES_DB"]) == (
            url.username,
            url.password,
            url.path,
        )
    assert resolved_environment("redis")["REDIS_PASSWORD"] == broker.password


def test_airflow_connection_parses():
    from airflow.models.connection import Connection

    uri = resolved_environment("airflow-worker")["AIRFLOW_CONN_WAREHOUSE"]
    conn = Connection(conn_id="warehouse", uri=uri)
    assert (conn.conn_type, conn.host, conn.port, conn.schema) == (
        "postgres",
        "postgres-warehouse",
        5432,
        FAKE_ENV["WAREHOUSE_DB_NAME"],
    )


def _airflow_options() -> set[tuple[str, str]]:
    """(section, option) pairs of Airflow core and of the Celery provider."""
    import airflow
    from airflow.providers.celery.get_provider_info import get_provider_info

    core = yaml.safe_load((Path(airflow.__file__).parent / "config_templates" / "config.yml").read_text())
    options = {(section, option) for section, body in core.items() for option in body.get("options", {})}
    for section, body in get_provider_info().get("config", {}).items():
        options |= {(section, option) for option in body.get("options", {})}
    return options


def test_airflow_config_variables_name_real_options():
    """AIRFLOW__SECTION__OPTION variables that Airflow 3.3 would silently ignore if misspelt."""
    options = _airflow_options()
    names = set(environment("airflow-scheduler")) | set(re.findall(r"AIRFLOW__\w+", DOCKERFILE))
    for name in sorted(n for n in names if n.startswith("AIRFLOW__")):
        section, option = name.removeprefix("AIRFLOW__").lower().split("__", 1)
        assert (section, option) in options, f"{name}: no option [{section}] {option} in Airflow"


def test_secrets_are_required_and_have_no_default():
    variables = compose_variables()
    for secret in (
        "PORTAL_SECRET_KEY",
        "FERNET_KEY",
        "JWT_SECRET",
        "API_SECRET_KEY",
        "AIRFLOW_DB_PASSWORD",
        "WAREHOUSE_DB_PASSWORD",
        "REDIS_PASSWORD",
        "INCLUSION_PSEUDONYM_KEY",
    ):
        assert variables.get(secret) == {":?"}, f"{secret} must be used as ${{{secret}:?...}} only"


def test_missing_secret_stops_compose():
    with pytest.raises(KeyError, match="FERNET_KEY"):
        interpolate(environment("airflow-worker")["AIRFLOW__CORE__FERNET_KEY"], {})


# --- .env.example --------------------------------------------------------------------------


def test_every_compose_variable_is_documented_in_env_example():
    documented = set(env_example())
    used = set(compose_variables())
    assert used - documented == set(), "used in docker-compose.yaml, missing from .env.example"
    assert documented - used == set(), "in .env.example, unused by docker-compose.yaml"


def test_every_env_example_variable_has_a_comment():
    lines = ENV_EXAMPLE.splitlines()
    for index, line in enumerate(lines):
        if line.strip() and not line.startswith("#"):
            assert index > 0 and lines[index - 1].startswith("#"), f"no comment above {line!r}"


def test_env_example_holds_no_secrets():
    values = env_example()
    for name, operators in compose_variables().items():
        if ":?" in operators:
            assert values[name] == "", f".env.example must leave {name} empty"
    assert "Fernet.generate_key()" in ENV_EXAMPLE
    assert "secrets.token_hex" in ENV_EXAMPLE


def test_env_example_defaults_match_compose():
    values = env_example()
    for match in _interpolations():
        name, operator, default = match.group(1), match.group(2), match.group(3)
        if operator == ":-":
            assert values[name] == default, f"{name}: .env.example says {values[name]!r}, compose {default!r}"


def test_env_is_ignored_by_git_and_docker():
    assert ".env" in (ROOT / ".gitignore").read_text().split()
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    rules = [line for line in ignore if line.strip() and not line.startswith("#")]
    assert rules[0] == "*", ".dockerignore must exclude everything, then allow what the image needs"
    assert not any(
        rule.lstrip("!").rstrip("/") in {".env", "var", ".venv", ".git"} and rule.startswith("!")
        for rule in rules
    )


# --- Dockerfile -----------------------------------------------------------------------------


def _instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    result = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def test_dockerfile_base_and_uv():
    instructions = _instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    runs = [rest for keyword, rest in instructions if keyword == "RUN"]
    make_uv = re.search(r"^UV_VERSION := (\S+)", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert any(f"pip install --no-cache-dir uv=={make_uv}" in run for run in runs), (
        "uv version as in the Makefile"
    )
    syncs = [run for run in runs if "uv sync" in run]
    assert syncs and all("--frozen" in run and "--no-dev" in run for run in syncs)
    assert "--no-install-project" not in syncs[-1], "the last sync installs the project itself"
    assert any("curl" in run and "apt-get install" in run for run in runs)


def test_dockerfile_copies_the_project():
    copies = [rest for keyword, rest in _instructions() if keyword == "COPY"]
    sources = {source.rstrip("/") for copy in copies for source in copy.split()[:-1]}
    for needed in (
        "pyproject.toml",
        "uv.lock",
        "README.md",
        "alembic.ini",
        "include",
        "dags",
        "plugins",
        "expectations",
    ):
        assert needed in sources, f"Dockerfile does not copy {needed}"
        assert (ROOT / needed).exists()
    allowed = {
        line[1:].rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    assert sources <= allowed, ".dockerignore must let the copied files in"


def test_dockerfile_environment_and_user():
    envs = " ".join(rest for keyword, rest in _instructions() if keyword == "ENV")
    assert "UV_PROJECT_ENVIRONMENT=/opt/inclusion/.venv" in envs
    assert "PATH=/opt/inclusion/.venv/bin:$PATH" in envs
    assert "AIRFLOW__CORE__DAGS_FOLDER=/opt/inclusion/dags" in envs
    assert "AIRFLOW__CORE__PLUGINS_FOLDER=/opt/inclusion/plugins" in envs
    users = [rest for keyword, rest in _instructions() if keyword == "USER"]
    assert users and users[-1] not in {"root", "0"}


# --- dependencies ----------------------------------------------------------------------------


def test_celery_provider_is_a_locked_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert any(
        dep.startswith("apache-airflow-providers-celery") for dep in project["project"]["dependencies"]
    )
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    locked = {package["name"] for package in lock["package"]}
    assert {"apache-airflow-providers-celery", "celery", "redis"} <= locked


# --- the portal ----------------------------------------------------------------------------


def test_the_portal_runs_the_package_module_and_serves_its_health_check():
    import importlib.util

    assert command(PORTAL) == ["python", "-m", "inclusion_data.portal"]
    assert importlib.util.find_spec("inclusion_data.portal.__main__") is not None
    assert healthcheck_command(PORTAL) == "curl --fail http://localhost:8000/health"
    from inclusion_data.portal import app

    assert '"/health"' in Path(app.__file__).read_text()
    assert SERVICES[PORTAL]["image"] == SERVICES["airflow-scheduler"]["image"]
    assert SERVICES[PORTAL]["build"] == {"context": ".", "dockerfile": "Dockerfile"}


def test_the_portal_shares_the_pipelines_folders_and_warehouse():
    worker, portal = resolved_environment("airflow-worker"), resolved_environment(PORTAL)
    for name in ("INCLUSION_HOME", "WAREHOUSE_URL", "INCLUSION_SETTLE_SECONDS", "INCLUSION_PORTAL_URL"):
        assert portal[name] == worker[name], name
    for name in [n for n in worker if n.startswith("INCLUSION_SMTP_")]:
        assert portal[name] == worker[name], name
    worker_mounts = mounts("airflow-worker")
    for folder in ("inbox", "archive", "rejected", "held", "published"):
        target = f"{portal['INCLUSION_HOME']}/{folder}"
        assert mounts(PORTAL)[target] == worker_mounts[target] == folder
    assert mounts(PORTAL)[f"{portal['INCLUSION_HOME']}/portal"] == "portal"
    assert f"{portal['INCLUSION_HOME']}/portal" in DOCKERFILE
    depends = SERVICES[PORTAL]["depends_on"]
    assert depends["airflow-init"]["condition"] == "service_completed_successfully"
    assert depends["postgres-warehouse"]["condition"] == "service_healthy"


def test_the_portal_binds_every_address_in_its_container_with_secure_cookies():
    env = environment(PORTAL)
    assert env["INCLUSION_PORTAL_HOST"] == "0.0.0.0" and env["INCLUSION_PORTAL_PORT"] == "8000"
    assert env["INCLUSION_PORTAL_SECURE_COOKIES"] == "true"
    from inclusion_data.portal.config import PortalConfig
    from inclusion_data.settings import Settings

    resolved = resolved_environment(PORTAL)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in resolved.items():
            patch.setenv(name, value)
        config = PortalConfig.from_env(Settings(home=Path("/nonexistent"), warehouse_url="unused"))
    assert config.secure_cookies and config.secret_key == FAKE_ENV["PORTAL_SECRET_KEY"]
