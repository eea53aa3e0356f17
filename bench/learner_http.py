"""The learner path over HTTP under production settings, against the floor in the same run.

Shared by bench_pages.py (module pages, dashboard) and bench_quiz.py (quiz submissions):
a fresh PostgreSQL database (BENCH_DB, dropped and made again), the Redis at REDIS_URL as
the cache, gunicorn with 2 sync workers (BENCH_WORKERS), wrk with 16 connections
(BENCH_CONNECTIONS) for BENCH_DURATION (10s) after a 2 s warm-up. Each endpoint runs
BENCH_ROUNDS times (3), each right after the floor (bench/floor_urls.py: a bare view,
same server, same cookies and body); the median ratio is held against its target.
"""

from __future__ import annotations

import json
import os
import statistics
import sys

from bench import http_load

DURATION = os.environ.get("BENCH_DURATION", "10s")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


def ready(name: str) -> tuple[str, str]:
    """wrk and the PostgreSQL URL, or a SKIP line and exit 0 when either is missing."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres") or not os.environ.get("REDIS_URL"):
        http_load.skip(name, "set DATABASE_URL=postgres://... and REDIS_URL (production settings)")
    return http_load.ensure_wrk(name), base


def prepare(base: str, db_name: str) -> dict:
    env = http_load.bench_env(http_load.recreate_database(base, db_name))
    http_load.migrate(env)
    http_load.django_child(env, "from django.core.cache import cache; cache.clear()")
    return env


def child_json(env: dict, call: str):
    return json.loads(http_load.django_child(env, f"from bench import learner_seed\n{call}"))


def queries(env: dict, method: str, line: dict) -> int:
    args = ", ".join(repr(v) for v in (method, line["path"], line["cookie"], line.get("body", "")))
    return int(
        http_load.django_child(
            env, f"from bench import learner_seed\nlearner_seed.count_queries({args})"
        )
    )


def rounds(wrk: str, env: dict, endpoints: dict[str, tuple[str, str, str | None]]) -> dict:
    """endpoints: name -> (requests file, floor requests file, warm-up file or None). With
    a warm-up file the run sends each line once (submissions), after warming on the other
    file; without, it picks lines at random. Returns name -> [(floor, result), ...]."""
    port = http_load.free_port()
    server = http_load.serve(env, port)
    results: dict[str, list[tuple[dict, dict]]] = {}
    try:
        for number in range(ROUNDS):
            for name, (requests, floor, warmup) in endpoints.items():
                once = warmup is not None
                bare = http_load.measure(wrk, port, floor, duration=DURATION)
                if once:
                    http_load.run_wrk(wrk, port, warmup[number], duration="2s", once=True)
                    result = http_load.run_wrk(
                        wrk, port, requests[number], duration=DURATION, once=True
                    )
                else:
                    result = http_load.measure(wrk, port, requests, duration=DURATION)
                results.setdefault(name, []).append((bare, result))
                print(
                    f"  round {number + 1} {name:15} {result['rps']:7.1f} req/s p99 "
                    f"{result['p99']:7.2f} ms | floor {bare['rps']:7.1f} req/s p99 "
                    f"{bare['p99']:6.2f} ms | errors {result['errors'] + result['bad']} | "
                    f"load {http_load.load()}",
                    flush=True,
                )
    finally:
        server.terminate()
        server.wait(timeout=20)
    return results


def report(results: dict, targets: dict, counts: dict) -> int:
    """Print each figure with its target; return 1 if any is missed."""
    checks = []
    for name, pairs in results.items():
        ratio = statistics.median(r["rps"] / b["rps"] for b, r in pairs)
        p99 = statistics.median(r["p99"] for _, r in pairs)
        p99_floor = statistics.median(b["p99"] for b, _ in pairs)
        errors = sum(r["errors"] + r["bad"] + b["errors"] + b["bad"] for b, r in pairs)
        kind, target = targets[name]
        if kind == "rps":
            checks.append((f"{name} requests/s vs floor", ratio, ratio >= target, f">= {target}"))
        else:  # a cost: time per request against the floor's, i.e. the inverse ratio
            checks.append(
                (
                    f"{name} cost vs floor (floor rps / rps)",
                    1 / ratio,
                    1 / ratio <= target,
                    f"<= {target}",
                )
            )
        checks.append((f"{name} p99 ms (floor {p99_floor:.2f})", p99, True, "reported"))
        checks.append((f"{name} errors and non-2xx/3xx", errors, errors == 0, "== 0"))
    for name, (values, limit) in counts.items():
        same = len(set(values)) == 1
        checks.append(
            (
                f"{name} queries {values}",
                max(values),
                same and max(values) <= limit,
                f"<= {limit}, equal",
            )
        )
    for label, value, ok, target in checks:
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        print(f"{'ok  ' if ok else 'MISS'} {label}: {shown} (target {target})")
    print(f"load average at the end: {http_load.load()}")
    return 0 if all(ok for _, _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit("run bench_pages.py or bench_quiz.py")
