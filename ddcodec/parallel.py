"""Encoding many images in worker processes: the CPU's way to encode a folder faster.

One fit does not keep several CPU cores busy on a small image, and a batched network gains
nothing on a CPU (RESULTS.md, "Performance"). Separate processes of one thread each do: two
single-thread encodes side by side finish more images per hour than one encode using both
cores, by how much depending on the image size (RESULTS.md, "Encoding a folder on a CPU").
Workers start with ``spawn``, so no OpenMP state is forked, and they ignore Ctrl-C: the
parent stops them itself, so an interrupt leaves no half-written file and no traceback.
"""
from __future__ import annotations

import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Iterator, Optional, Sequence, TypeVar, Union

from .errors import DdcError, DdcInputError, os_error_message
from .imageio import ImageLike

T, R = TypeVar("T"), TypeVar("R")
Outcome = Union[tuple[bytes, "EncodeResult"], DdcError]  # noqa: F821 (EncodeResult is torch-side)


def default_threads(jobs: int) -> int:
    """torch threads per worker: this process's torch threads (the cores, or OMP_NUM_THREADS)
    shared evenly, at least one each."""
    import torch

    return max(1, torch.get_num_threads() // jobs)


def _start_worker(threads: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import torch

    torch.set_num_threads(threads)


def _encode_one(task: tuple[int, ImageLike, dict]) -> tuple[int, Outcome]:
    index, image, options = task
    from . import codec

    try:
        return index, codec.encode(image, **options)
    except DdcError as exc:
        return index, exc
    except OSError as exc:  # an unreadable file: reported like any other bad input
        return index, DdcInputError(os_error_message(exc))


def run_in_processes(func: Callable[[T], R], tasks: Sequence[T], jobs: int,
                     threads: Optional[int] = None) -> Iterator[R]:
    """``func(task)`` for every task in ``jobs`` spawned worker processes, yielded as each finishes.

    ``func`` must be a module-level function and the tasks picklable. Each worker runs torch
    with ``threads`` threads (default: the cores shared evenly). Stopping the iteration early,
    or an interrupt, terminates the workers; a worker that dies (killed for memory, say)
    raises ``DdcError``. A script calling this must do so under ``if __name__ == "__main__":``,
    as with any spawning multiprocessing.
    """
    if not (isinstance(jobs, int) and jobs >= 1):
        raise DdcInputError(f"jobs must be a positive integer, got {jobs!r}")
    if not tasks:
        return
    threads = default_threads(jobs) if threads is None else threads
    pool = ProcessPoolExecutor(min(jobs, len(tasks)), multiprocessing.get_context("spawn"), _start_worker, (threads,))
    finished = False
    try:
        for future in as_completed([pool.submit(func, task) for task in tasks]):
            yield future.result()
        finished = True
    except BrokenProcessPool:
        raise DdcError("a worker process died (out of memory?); run fewer jobs at a time") from None
    finally:
        if not finished:  # an interrupt or an early stop: the running work must not go on
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)


def encode_in_processes(images: Sequence[ImageLike], jobs: int, threads: Optional[int] = None,
                        **options) -> Iterator[tuple[int, Outcome]]:
    """``encode(image, **options)`` for each image in ``jobs`` worker processes (``run_in_processes``).

    Yields ``(index, (bytes, EncodeResult))`` as each image finishes, in completion order, or
    ``(index, error)`` for an image that could not be encoded (the others still run). Paths
    are the cheapest thing to send; arrays and PIL images work too.
    """
    if options.get("progress") is not None:
        raise DdcInputError("progress callbacks do not reach worker processes; leave progress out")
    yield from run_in_processes(_encode_one, [(i, image, options) for i, image in enumerate(images)], jobs, threads)
