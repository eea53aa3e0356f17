"""Celery settings, star-imported by base.py."""

from kombu import Queue

from .base import REDIS_URL, env

# Without Redis (the embedded default), tasks run in-process so `make run` needs nothing else.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
# Results are not used by the app; benchmarks set one to time round trips.
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
# A message is acknowledged only after its task finishes, so a worker killed mid-task
# leaves it to be redelivered; tasks are idempotent for exactly that reason.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One message reserved per process: a long render never holds a short task hostage behind it.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A pool process is replaced after this many tasks, so memory a render leaves behind (fonts,
# Pango's caches, a large artwork) is given back instead of growing for the worker's life.
CELERY_WORKER_MAX_TASKS_PER_CHILD = env.int("CELERY_WORKER_MAX_TASKS_PER_CHILD", default=200)
# Two queues: renders (WeasyPrint, seconds of CPU each) on their own, so a burst of
# completions never delays e-mails, status changes or bulk jobs. A worker started without
# -Q consumes both (development, tests); production runs one worker per queue
# (deploy/compose.yaml: `-Q celery` and `-Q render`).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [Queue(name, routing_key=name) for name in ("celery", "render")]
RENDER_TASKS = (
    "certificates.tasks.render_badge_task",
    "certificates.tasks.rerender_badge_task",
    "certificates.tasks.resign_badge_task",
)
CELERY_TASK_ROUTES = {name: {"queue": "render"} for name in RENDER_TASKS}
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=600),
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
}
# Publishing must give up quickly when Redis is down: the outbox row and the sweeper
# deliver the work later, and the fellow's request must not hang.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "sweep-stuck-badges": {"task": "certificates.tasks.sweep_stuck_badges_task", "schedule": 60.0},
    "badge-expiry-reminders": {
        "task": "certificates.tasks.send_expiry_reminders_task",
        "schedule": 60.0 * 60 * 6,
    },
    # Renewal deadlines are days: a badge turns out of date within 15 minutes of its deadline.
    "badge-renewals": {"task": "certificates.tasks.renewal_job_task", "schedule": 60.0 * 15},
}
