"""The soak run's processes on loopback: its database, gunicorn, Celery workers and beat.
Each child runs in its own session with its log in the run's folder, and is stopped or
killed by its own process group, never by name. (Its redis-server is the fault tests'
RedisServer: a free port, no persistence, killed by pid.)"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.support.services import wait_for

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def database_url(base: str, name: str) -> str:
    return urlunsplit(urlsplit(base)._replace(path=f"/{name}"))


def recreate_database(base: str, name: str) -> None:
    import psycopg

    with psycopg.connect(database_url(base, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(base: str, name: str) -> None:
    import psycopg

    with psycopg.connect(database_url(base, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def django_child(env: dict, *args: str, timeout: float = 600) -> str:
    """Run `python args...` in the project with `env`; return its stdout, or stop the run
    with its output if it failed."""
    done = subprocess.run(
        [sys.executable, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def celery_queues(env: dict) -> list[str]:
    """Every queue the settings route tasks to, and the default one: read from the Celery
    app as configured, so a queue added to task_routes (a `render` queue) is consumed too."""
    code = (
        "import json, django; django.setup()\n"
        "from lms.celery import app\n"
        "c = app.conf\n"
        "names = [c.task_default_queue or 'celery']\n"
        "names += [q.name for q in (c.task_queues or [])]\n"
        "routes = c.task_routes or {}\n"
        "routes = routes if isinstance(routes, (list, tuple)) else [routes]\n"
        "for r in routes:\n"
        "    if isinstance(r, dict):\n"
        "        names += [v['queue'] for v in r.values()\n"
        "                  if isinstance(v, dict) and 'queue' in v]\n"
        "print(json.dumps(sorted(set(names))))\n"
    )
    return json.loads(django_child(env, "-c", code).strip().splitlines()[-1])


class Child:
    """A long-running child process with its log file, in its own process group."""

    def __init__(self, name: str, argv: list[str], env: dict, log_dir: Path):
        self.name, self.argv, self.env = name, argv, env
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Child:
        self.log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_since_start(self) -> str:
        with open(self.log_path, "rb") as log:
            log.seek(self.log_offset)
            return log.read().decode("utf-8", "replace")

    def wait_for_log(self, text: str, timeout: float = 90) -> None:
        wait_for(
            lambda: text in self.log_since_start() or not self.alive(),
            timeout=timeout,
            what=f"{self.name} to log {text!r}",
            interval=0.2,
        )
        if not self.alive():
            raise SystemExit(f"{self.name} died:\n{self.log_since_start()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the whole group (a worker's main process and its pool), as the OOM
        killer would."""
        if self.alive():
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def gunicorn(env: dict, log_dir: Path, port: int, workers: int, config: str | None) -> Child:
    """gunicorn serving lms.wsgi with `config` when given; the command line sets what the
    run depends on (workers, bind, a plain access log with each request's duration), and
    gunicorn lets the command line override a config file."""
    argv = [str(BIN / "gunicorn"), "lms.wsgi"]
    if config:
        argv += ["--config", config]
    argv += [
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--logger-class",
        "gunicorn.glogging.Logger",
        "--access-logfile",
        str(log_dir / "access.log"),
        # method path status microseconds: parsed for server-side times and 5xx.
        "--access-logformat",
        "%(m)s %(U)s %(s)s %(D)s",
        "--error-logfile",
        str(log_dir / "gunicorn.log"),
    ]
    return Child("gunicorn-stdout", argv, env, log_dir)


def celery_worker(env: dict, log_dir: Path, name: str, queues: list[str]) -> Child:
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "lms",
        "worker",
        "--pool=prefork",
        "--concurrency=1",
        "--queues",
        ",".join(queues),
        f"--hostname={name}@%h",
        "--loglevel=INFO",
    ]
    return Child(name, argv, env, log_dir)


def celery_beat(env: dict, log_dir: Path) -> Child:
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "lms",
        "beat",
        "--schedule",
        str(log_dir / "beat-schedule"),
        "--loglevel=INFO",
    ]
    return Child("beat", argv, env, log_dir)


def wait_until_serving(port: int, server: Child, timeout: float = 60) -> None:
    import http.client

    def answers() -> bool:
        if not server.alive():
            raise SystemExit(f"gunicorn died:\n{server.log_since_start()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz", headers={"Host": "soak.credence.test"})
            return conn.getresponse().status == 200
        except OSError:
            return False

    wait_for(answers, timeout=timeout, what="gunicorn to answer /healthz", interval=0.3)
    time.sleep(0.1)
