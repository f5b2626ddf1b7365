"""The worker process: `run_worker(settings)` runs jobs from Redis, assembled from the runtime
the way `create_app` assembles the server."""

from __future__ import annotations

from switchboard.app import tune_gc
from switchboard.db.engine import make_job_engine
from switchboard.jobs.leader import RedisLeader
from switchboard.jobs.queue import RQQueue
from switchboard.jobs.scheduler import SchedulerThread
from switchboard.jobs.worker import Worker, work_until_stopped
from switchboard.observability.exposition import serve_worker_metrics
from switchboard.observability.logging import configure
from switchboard.retention.runner import PrunerThread
from switchboard.runtime import RQ_SOCKET_TIMEOUT, build_runtime, redis_client
from switchboard.settings import Settings


def run_worker(settings: Settings, *, burst: bool = False, metrics_port: int | None = None) -> None:
    """Work RQ jobs (and, while this worker leads, the scheduler; and the pruner, in turns)
    until SIGTERM, or until the queue is empty with `burst`.

    `metrics_port` serves /metrics (default: SWITCHBOARD_WORKER_METRICS_PORT, else none).
    Needs SWITCHBOARD_REDIS_URL: without Redis, `serve` runs the jobs itself."""
    if not settings.redis_url:
        raise ValueError("the worker needs SWITCHBOARD_REDIS_URL")
    configure(settings)
    runtime = build_runtime(settings, engine=make_job_engine(settings.database_url))
    jobs = runtime.jobs
    assert isinstance(runtime.queue, RQQueue)
    assert runtime.redis is not None
    # The scheduler's lease, the pruner and the metrics share the runtime's short-timeout
    # client; RQ's blocking dequeue gets a connection of its own with a timeout longer than
    # its wait.
    rq_connection = redis_client(settings.redis_url, socket_timeout=RQ_SOCKET_TIMEOUT)
    leader = RedisLeader(runtime.redis, tick=settings.scheduler_tick_seconds)
    scheduler = SchedulerThread(jobs, should_run=leader)
    pruner = PrunerThread(runtime.engine, settings, runtime.redis)
    port = metrics_port or settings.worker_metrics_port
    metrics_server = (
        serve_worker_metrics(runtime.metrics, runtime.engine, runtime.redis, port) if port else None
    )
    scheduler.start()
    pruner.start()
    try:
        # Deliver jobs decode thousands of payload dicts a second; with Python's default
        # collector thresholds its passes took a sixth of a worker's CPU (bench/e2e profile).
        tune_gc(settings.gc_gen0_threshold)
        # RQ logs two lines per job at INFO: hundreds a second under load.
        rq_level = {"DEBUG": "INFO", "INFO": "WARNING"}.get(settings.log_level, settings.log_level)
        queues = [runtime.queue.queue]
        work_until_stopped(
            lambda: Worker(queues, connection=rq_connection, context=jobs),
            jobs.stopping,
            burst=burst,
            logging_level=rq_level,
        )
    finally:
        jobs.stopping.set()
        pruner.stop()
        scheduler.stop()
        leader.release()  # another worker's scheduler takes over now, not in 5 s
        if metrics_server is not None:
            metrics_server.shutdown()
        runtime.close()
        rq_connection.close()
