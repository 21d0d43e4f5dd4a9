"""A Ray session for a block of work: joined at an address, or started locally on 127.0.0.1.

Ray has no authentication to rely on: a local Ray binds to 127.0.0.1 only, and a cluster
address given by the user is theirs to secure (see Ray's security documentation).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def ray_session(address: str | None, workers: int) -> Iterator[None]:
    """Ray for the block: joined at ``address``, or local on 127.0.0.1, or as initialised.

    Args:
        address: Ray cluster to join (``auto`` or ``host:port``); None starts a local Ray
            with ``workers`` CPUs, bound to 127.0.0.1, unless one is already initialised.
        workers: CPUs of a local Ray.
    """
    import ray

    started_here = not ray.is_initialized()
    if started_here and address:
        ray.init(address=address)
    elif started_here:
        ray.init(num_cpus=workers, include_dashboard=False, _node_ip_address="127.0.0.1")
    try:
        yield
    finally:
        if started_here:
            ray.shutdown()
