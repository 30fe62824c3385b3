"""Large evaluations on Ray: shards of people as Ray tasks, merged into the serial result.

``RayRunner(address, workers)`` is a ``runner`` for ``adaptation.evaluate.evaluate``: each
``Job`` (people ``[start, stop)``, every controller) runs as one Ray task. Because every
person draws from their own seed stream (``adaptation.streams``), the merged result is the
serial one exactly, however the people are cut.

- No address: a local Ray on this machine with ``workers`` CPUs (``ray.init(num_cpus=…)``).
- An address (``HOST:PORT`` of a running cluster's head, ``ray://HOST:10001`` for Ray
  Client, or ``auto``): ``ray.init(address=…)``. A ``HOST:PORT`` is first tried with a plain
  TCP connection (``CONNECT_TIMEOUT_S``), so an address that does not answer is one clear
  error naming it, not Ray's long retry loop.
- A task that fails (a worker process died, a node was lost) is retried ``retries`` times
  (a shard is deterministic, so a retry gives the same numbers); if it still fails the whole
  evaluation fails with ``EvaluationError`` naming the shard — no partial result is returned.

Ray is optional (``pip install 'vrex[scale]'``); nothing else in vrex imports it.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from typing import Any

from .errors import AdaptationError
from .evaluate import Job, run_job

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5.0
INSTALL = "install it with: pip install 'vrex[scale]' (or pip install 'ray[default]')"


class EvaluationError(AdaptationError):
    """A distributed evaluation could not start or did not finish; nothing partial is reported."""


def _check_reachable(address: str) -> None:
    """A ``HOST:PORT`` (optionally ``ray://``) that refuses or times out: one clear error."""
    target = address.removeprefix("ray://")
    if address in ("auto", "local") or ":" not in target:
        return
    host, _, port = target.rpartition(":")
    try:
        port_number = int(port)
    except ValueError:
        raise EvaluationError(
            f"--ray {address}: port {port!r} is not a number; write HOST:PORT, e.g. 10.0.0.5:6379"
        ) from None
    try:
        with socket.create_connection((host.strip("[]"), port_number), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as exc:
        raise EvaluationError(
            f"--ray {address}: no Ray cluster answers there ({exc.strerror or exc}); start one with "
            f"'ray start --head --port {port_number}' on {host} or check the address"
        ) from None


class RayRunner:
    """Runs ``Job``s as Ray tasks (see the module docstring); use as ``evaluate(runner=…)``."""

    def __init__(
        self,
        address: str | None = None,
        workers: int = 2,
        retries: int = 1,
        task: Callable[[Job], Any] = run_job,
    ):
        try:
            import ray
        except ImportError:
            raise EvaluationError(f"--ray needs Ray, which is not installed; {INSTALL}") from None
        self.ray = ray
        self.address = address
        self.retries = retries
        self.task = task
        self._started = False
        if ray.is_initialized():
            ray.shutdown()
        if address:
            _check_reachable(address)
            try:
                ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
            except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError …
                raise EvaluationError(f"--ray {address}: could not join the Ray cluster there: {exc}") from None
        else:
            ray.init(num_cpus=workers, include_dashboard=False, logging_level=logging.WARNING, log_to_driver=False)
        self._started = True
        self.workers = int(ray.cluster_resources().get("CPU", workers))
        log.info("Ray: %s, %d CPUs", address or "local", self.workers)

    def __call__(self, jobs: list[Job]) -> list:
        ray = self.ray
        remote = ray.remote(num_cpus=1, max_retries=self.retries)(self.task)
        refs = [remote.remote(job) for job in jobs]
        try:
            return ray.get(refs)
        except Exception as exc:  # a dead worker, a lost node, an error inside the task
            failed = next((j for j, r in zip(jobs, refs) if _failed(ray, r)), None)
            for ref in refs:  # the rest would be thrown away: stop them
                ray.cancel(ref, force=True)
            where = f"people {failed.start}–{failed.stop - 1}" if failed else "a shard"
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise EvaluationError(
                f"Ray evaluation failed on {where} after {self.retries} retr{'y' if self.retries == 1 else 'ies'} "
                f"({type(exc).__name__}: {first}); no result was kept — run it again"
            ) from None

    def close(self) -> None:
        if self._started:
            self.ray.shutdown()
            self._started = False

    def __enter__(self) -> RayRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _failed(ray: Any, ref: Any) -> bool:
    ready, _ = ray.wait([ref], timeout=0)
    if not ready:
        return False
    try:
        ray.get(ref, timeout=0)
        return False
    except Exception:
        return True
