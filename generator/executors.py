"""Where a build's independent partitions run: here, in a process pool, or on a Dask cluster.

A stage with independent partitions (the drop's files, record-page chunks …) takes a
`concurrent.futures.Executor` and maps a module-level function over them; results come
back in input order, so the output does not depend on where or in which order the
partitions ran. The executor is chosen by the `--executor` option:

- `inline` (default for small drops): no executor, every partition in this process;
- `process`: a local process pool (`--workers`);
- `dask://HOST:PORT`: a running Dask scheduler (`distributed.Client(...).get_executor()`,
  the same interface); workers need the generator installed and the data and work folders
  on a shared file system;
- `dask-local`: a `distributed.LocalCluster` on this machine, `--workers` processes (what
  the tests use to prove a cluster build equals a single-process one).

We never schedule anything ourselves: the executor does.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")
INLINE, PROCESS, DASK_LOCAL, DASK = "inline", "process", "dask-local", "dask://"


class ExecutorError(Exception):
    """The executor named on the command line cannot be used (exit 2)."""


def valid(spec: str) -> bool:
    return spec in (INLINE, PROCESS, DASK_LOCAL) or (spec.startswith(DASK) and len(spec) > 7)


@contextmanager
def executor(spec: str | None, workers: int | None = None) -> Iterator[Executor | None]:
    """The executor `spec` names, open for the block; None for `inline`."""
    spec = spec or INLINE
    if spec == INLINE:
        yield None
    elif spec == PROCESS:
        ctx = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(max_workers=workers or 2, mp_context=ctx) as pool:
            yield pool
    elif spec == DASK_LOCAL or spec.startswith(DASK):
        with _dask(spec, workers) as pool:
            yield pool
    else:
        raise ExecutorError(
            f"--executor 应为 inline、process、dask-local 或 dask://主机:端口，实际为“{spec}”"
        )


@contextmanager
def _dask(spec: str, workers: int | None) -> Iterator[Executor]:
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - the cluster extra is not installed
        raise ExecutorError("使用 Dask 需要先安装：pip install 'xinyong-xx[cluster]'") from exc
    if spec == DASK_LOCAL:
        cluster = LocalCluster(
            n_workers=workers or 2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        client = Client(cluster)
    else:
        address = spec.removeprefix(DASK)
        try:
            cluster, client = None, Client(address, timeout=30)
        except (OSError, TimeoutError) as exc:
            raise ExecutorError(f"无法连接 Dask 调度器 {address}：{exc}") from exc
    try:
        yield client.get_executor()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def map_ordered(
    pool: Executor | None, fn: Callable[..., R], items: Iterable[T], *common: Any
) -> list[R]:
    """fn(item, *common) for each item, in input order, on `pool` (or here when None)."""
    items = list(items)
    if pool is None or len(items) <= 1:
        return [fn(item, *common) for item in items]
    futures = [pool.submit(fn, item, *common) for item in items]
    return [f.result() for f in futures]
