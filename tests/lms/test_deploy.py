"""deploy/compose.yaml and deploy/gunicorn.conf.py: every service's command refers to things
that exist, and every app process gets the variables the production settings need.

`docker compose config` is used too where the tool is installed; without it this reads the
file itself: YAML anchors and merges as Compose resolves them, `${VAR}` interpolated with
the defaults the file gives or, for the variables it requires, values from a test .env.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
APP_SERVICES = {"migrate", "web", "worker", "render-worker", "beat"}
# What an operator puts in deploy/.env: the variables the file requires (`${VAR:?...}`).
OPERATOR_ENV = {
    "DJANGO_SECRET_KEY": "k" * 30 + "Q3w9-Zx81_vB" * 3,
    "POSTGRES_PASSWORD": "pg-secret",
    "SITE_URL": "https://badges.example.org",
    "DJANGO_ALLOWED_HOSTS": "badges.example.org",
    "MINIO_ROOT_USER": "credence",
    "MINIO_ROOT_PASSWORD": "minio-secret",
}
INTERPOLATION = re.compile(r"\$\{([A-Z0-9_]+)(?:(:?[-?])([^}]*))?\}")


def interpolate(value, env: dict[str, str]):
    """Compose's `${VAR}`, `${VAR:-default}`, `${VAR:?error}` and `$$`, recursively."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match) -> str:
        name, kind, rest = match.groups()
        if env.get(name):
            return env[name]
        if kind and kind.endswith("?"):
            raise AssertionError(f"compose requires {name}: {rest}")
        return rest if kind else ""

    return INTERPOLATION.sub(one, value.replace("$$", "\0")).replace("\0", "$")


def required_variables() -> set[str]:
    return {
        m.group(1)
        for m in INTERPOLATION.finditer(COMPOSE.read_text())
        if (m.group(2) or "").endswith("?")
    }


@pytest.fixture(scope="module")
def compose() -> dict:
    return interpolate(yaml.safe_load(COMPOSE.read_text()), OPERATOR_ENV)


def command_of(service: dict) -> list[str]:
    command = service.get("command") or service.get("entrypoint")
    return shlex.split(command) if isinstance(command, str) else list(command)


def option(command: list[str], *names: str) -> str | None:
    for index, arg in enumerate(command):
        if arg in names:
            return command[index + 1]
    return None


def run_with(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """A command run from the repository with exactly `env` (plus PATH): a variable the
    compose file forgets is missing here too."""
    return subprocess.run(
        args,
        env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", **env},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_one_host_layout_has_every_process_and_service(compose):
    assert set(compose["services"]) == APP_SERVICES | {
        "postgres",
        "redis",
        "minio",
        "createbucket",
    }
    for name, service in compose["services"].items():
        for needed in service.get("depends_on", {}):
            assert needed in compose["services"], (name, needed)


def test_every_required_variable_is_in_the_example_env_file():
    example = (DEPLOY / "env.example").read_text()
    listed = set(re.findall(r"^([A-Z0-9_]+)=", example, re.MULTILINE))
    assert required_variables() == set(OPERATOR_ENV)
    assert required_variables() <= listed


def test_the_app_processes_reach_the_services_of_this_file(compose):
    services = compose["services"]
    for name in APP_SERVICES:
        env = services[name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "lms.settings.production", name
        assert "@postgres:5432/" in env["DATABASE_URL"], name
        assert env["REDIS_URL"].startswith("redis://redis:6379/"), name
        assert env["DJANGO_AWS_S3_ENDPOINT_URL"] == "http://minio:9000", name
        # The app's S3 credentials are MinIO's, and the bucket is the one made for it.
        assert (
            env["DJANGO_AWS_ACCESS_KEY_ID"] == services["minio"]["environment"]["MINIO_ROOT_USER"]
        )
        bucket = env["DJANGO_AWS_STORAGE_BUCKET_NAME"]
        assert f"mc mb --ignore-existing media/{bucket}" in command_of(services["createbucket"])[2]
        assert f"mc anonymous set none media/{bucket}" in command_of(services["createbucket"])[2]
        assert "/run/credence" in env["DJANGO_ISSUER_KEYS_FILE"]
        assert any(v.endswith(":/run/credence") for v in services[name]["volumes"]), name
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == "pg-secret"


# ids not equal to a service marker's name ("worker"), which would skip the test.
@pytest.mark.parametrize("name", sorted(APP_SERVICES), ids=lambda name: f"{name}-service")
def test_each_app_process_starts_on_production_settings_with_only_its_compose_variables(
    compose, name
):
    # `check --deploy` as CI runs it, with nothing but what compose gives this process:
    # a variable the production settings require and the file forgot fails here.
    env = {key: str(value) for key, value in compose["services"][name]["environment"].items()}
    result = run_with(
        env, sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_web_runs_gunicorn_with_the_config_file_and_the_wsgi_app(compose):
    web = compose["services"]["web"]
    command = command_of(web)
    assert command[:2] == ["gunicorn", "lms.wsgi"]
    config = option(command, "-c", "--config")
    assert (REPO / config).is_file()
    # gunicorn's own check: loads the config file and imports the app, with web's variables.
    env = {key: str(value) for key, value in web["environment"].items()}
    result = run_with(
        env, str(Path(sys.executable).parent / "gunicorn"), "--check-config", *command[1:]
    )
    assert result.returncode == 0, result.stderr[-2000:]
    # The container port gunicorn binds is the one compose publishes.
    assert env["GUNICORN_BIND"].endswith(":8000")
    assert any(port.endswith(":8000") for port in web["ports"])


def test_the_gunicorn_config_reads_its_settings_from_the_environment():
    code = (
        "import runpy; c = runpy.run_path('deploy/gunicorn.conf.py'); "
        "print(c['bind'], c['workers'], c['timeout'], c['max_requests'], c['accesslog'], "
        "c['logconfig_dict']['formatters']['main'])"
    )
    defaults = run_with({}, sys.executable, "-c", code).stdout.split(maxsplit=5)
    assert defaults[:5] == ["0.0.0.0:8000", "2", "30", "2000", "None"]
    assert "JsonFormatter" in defaults[5]
    tuned = run_with(
        {"GUNICORN_BIND": "127.0.0.1:9001", "WEB_CONCURRENCY": "5", "GUNICORN_TIMEOUT": "12"},
        sys.executable,
        "-c",
        code,
    ).stdout.split()
    assert tuned[:3] == ["127.0.0.1:9001", "5", "12"]


def test_the_workers_consume_every_queue_the_task_routes_name(compose):
    services = compose["services"]
    declared = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    consumed = {}
    for name in ("worker", "render-worker"):
        command = command_of(services[name])
        assert command[:4] == ["celery", "-A", "lms", "worker"], name
        queues = option(command, "-Q", "--queues").split(",")
        assert set(queues) <= declared, name
        consumed.update(dict.fromkeys(queues, name))
        assert int(option(command, "--concurrency", "-c")) >= 1
    assert routed | {settings.CELERY_TASK_DEFAULT_QUEUE} <= set(consumed)
    assert set(consumed) == declared
    assert consumed["render"] == "render-worker"
    # The render task is routed to the render queue, the rest to the default queue.
    from lms.celery import app

    assert app.amqp.router.route({}, "certificates.tasks.render_badge_task")["queue"].name == (
        "render"
    )
    assert app.amqp.router.route({}, "certificates.tasks.send_expiry_reminders_task")[
        "queue"
    ].name == ("celery")


def test_the_worker_settings_recycle_processes_and_reserve_one_task_at_a_time():
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    assert settings.CELERY_WORKER_MAX_TASKS_PER_CHILD == 200
    assert settings.CELERY_TASK_ACKS_LATE is True


def test_beat_runs_once_with_its_schedule_on_a_volume(compose):
    beat = compose["services"]["beat"]
    command = command_of(beat)
    assert command[:4] == ["celery", "-A", "lms", "beat"]
    schedule = option(command, "--schedule", "-s")
    assert any(schedule.startswith(v.split(":")[1] + "/") for v in beat["volumes"])
    assert "replicas" not in beat.get("deploy", {})


def test_the_migrate_step_runs_commands_that_exist(compose):
    script = command_of(compose["services"]["migrate"])[2]
    commands = set(re.findall(r"manage\.py (\w+)", script))
    assert commands == {"migrate", "issuer_keys"}
    assert commands <= set(get_commands())
    for name in ("web", "worker", "render-worker", "beat"):
        after = compose["services"][name]["depends_on"]["migrate"]
        assert after == {"condition": "service_completed_successfully"}


def test_the_image_runs_what_the_web_service_runs(compose):
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    assert cmd and yaml.safe_load(cmd.group(1)) == command_of(compose["services"]["web"])
    for library in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0"):
        assert library in dockerfile  # WeasyPrint's, as `make syslibs`


@pytest.mark.skipif(
    shutil.which("docker") is None
    or subprocess.run(
        ["docker", "compose", "version"], capture_output=True, check=False
    ).returncode,
    reason="docker compose is not installed: the file is checked by the tests above",
)
def test_docker_compose_accepts_the_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in OPERATOR_ENV.items()))
    result = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE), "--env-file", str(env_file), "config", "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
