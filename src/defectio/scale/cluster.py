# dask and distributed ship no type hints: calls into them are untyped.
# mypy: disable-error-code="no-untyped-call"
"""The Dask cluster a batch job runs on: a ``LocalCluster`` of worker processes by default, or
an existing cluster joined by its scheduler's address."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from distributed import Client, LocalCluster

from defectio.errors import InputError

CONNECT_TIMEOUT = "30s"


def default_workers() -> int:
    """One worker process per core this process may use."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


@contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None) -> Iterator[Client]:
    """A client for the job. Local workers are processes with one thread each (the coder is
    single-threaded Python); language detection is kept to that thread too."""
    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        try:
            yield client
        finally:
            client.close()
        return
    n = workers or default_workers()
    if n < 1:
        raise InputError(f"--workers must be at least 1, not {n}")
    with (
        tempfile.TemporaryDirectory(prefix="defectio-dask-") as scratch,
        LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # any free port: never clash with another cluster's
            local_directory=scratch,
            silence_logs=logging.ERROR,
            env={"RAYON_NUM_THREADS": "1"},
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client
