"""How a run's steps execute, chosen when the code location loads (env SIPPET_DAGSTER_EXECUTOR).

- `in_process` (default): every step in the run's own process. On a DuckDB file the pool
  serializes the warehouse steps anyway, so a process per step would only add start-up time.
- `multiprocess`: a child process per step on the run's machine (with a lake, streams then
  sync at the same time in separate processes).
- `celery`: each step is a Celery task, run by `dagster-celery worker` processes on any machine
  that shares the instance (Postgres storage, docs/dagster-postgres.yaml), the code and the
  warehouse. Broker and result backend: SIPPET_CELERY_BROKER / SIPPET_CELERY_BACKEND (default
  the local Redis); SIPPET_CELERY_KEY_PREFIX keeps one deployment's queues apart from
  others on a shared Redis. Workers must be started with the same (docs/scaling.md).
"""

import os

import dagster as dg

EXECUTOR_ENV = "SIPPET_DAGSTER_EXECUTOR"
BROKER_ENV = "SIPPET_CELERY_BROKER"
BACKEND_ENV = "SIPPET_CELERY_BACKEND"
KEY_PREFIX_ENV = "SIPPET_CELERY_KEY_PREFIX"
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
EXECUTORS = ("in_process", "multiprocess", "celery")


def celery_config() -> dict[str, object]:
    """The Celery executor's config: broker and backend from the environment (read here, when
    the code location loads, by the run and by every worker alike)."""
    broker = os.environ.get(BROKER_ENV) or DEFAULT_BROKER
    config: dict[str, object] = {
        "broker": broker,
        "backend": os.environ.get(BACKEND_ENV) or broker,
    }
    prefix = os.environ.get(KEY_PREFIX_ENV)
    if prefix:
        from dagster_celery.defaults import broker_transport_options

        options = {**broker_transport_options, "global_keyprefix": prefix}
        config["config_source"] = {
            "broker_transport_options": options,
            "result_backend_transport_options": {"global_keyprefix": prefix},
        }
    return config


def build_executor(name: str | None = None) -> dg.ExecutorDefinition:
    """The executor called `name`, else $SIPPET_DAGSTER_EXECUTOR, else in-process."""
    name = name or os.environ.get(EXECUTOR_ENV) or "in_process"
    if name == "in_process":
        return dg.in_process_executor
    if name == "multiprocess":
        return dg.multiprocess_executor
    if name == "celery":
        # imported here: the extra `scale` (dagster-celery) is needed only by this executor
        from dagster_celery import celery_executor

        return celery_executor.configured(celery_config(), name="celery")
    raise ValueError(f"{EXECUTOR_ENV}={name!r}: expected one of {', '.join(EXECUTORS)}")
