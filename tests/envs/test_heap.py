"""settle_heap: a native vector env's megabyte temporaries stop faulting pages in each step."""

from __future__ import annotations

import json
import os
import pickle
import platform
import subprocess
import sys

import gymnasium as gym
import pytest

import wmoe  # noqa: F401
from wmoe.envs.heap import user_set_allocator

needs_glibc = pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="glibc's adaptive thresholds only"
)

# Steps a 256-env SatelliteBeamforming-v1 (its couplings are ~1.3 MiB per array) and prints the
# minor page faults per step after a warm-up. ``sys.argv[1] == "off"`` marks the heap as
# settled before the env is built, which leaves glibc's thresholds where they start.
_STEP_FAULTS = """
import json, resource, sys
import gymnasium as gym
import wmoe, wmoe.envs.heap as heap
if sys.argv[1] == "off":
    heap._settled = True
env = gym.make_vec("wmoe/SatelliteBeamforming-v1", num_envs=256,
                   vectorization_mode="vector_entry_point")
env.reset(seed=0)
env.action_space.seed(0)
actions = env.action_space.sample()
for _ in range(3):
    env.step(actions)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(5):
    env.step(actions)
after = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
print(json.dumps({"faults_per_step": (after - before) / 5}))
"""


def _environ_without_allocator_settings() -> dict[str, str]:
    """This process's environment less any glibc allocator setting (the subprocesses' base)."""
    return {k: v for k, v in os.environ.items() if not user_set_allocator({k: v})}


def _faults_per_step(mode: str) -> float:
    result = subprocess.run(
        [sys.executable, "-c", _STEP_FAULTS, mode],
        capture_output=True,
        text=True,
        check=True,
        env=_environ_without_allocator_settings(),
        timeout=300,
    )
    return float(json.loads(result.stdout.strip().splitlines()[-1])["faults_per_step"])


@needs_glibc
def test_a_native_env_stops_faulting_its_temporaries_in() -> None:
    unsettled = _faults_per_step("off")
    settled = _faults_per_step("on")
    assert unsettled > 300, f"the measurement sees glibc's churn without settling: {unsettled}"
    assert settled < 20, f"{settled} page faults per step after settle_heap"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, False),
        ({"PATH": "/usr/bin"}, False),
        ({"MALLOC_MMAP_THRESHOLD_": "131072"}, True),
        ({"MALLOC_TRIM_THRESHOLD_": "268435456"}, True),
        ({"MALLOC_TOP_PAD_": "0"}, True),
        ({"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=131072"}, True),
        ({"GLIBC_TUNABLES": "glibc.rtld.optional_static_tls=512"}, False),
    ],
)
def test_user_set_allocator(environ: dict[str, str], expected: bool) -> None:
    assert user_set_allocator(environ) is expected


_SETTLE_TWICE = """
import json, wmoe.envs.heap as heap
print(json.dumps([heap.settle_heap(), heap.settle_heap()]))
"""


@needs_glibc
@pytest.mark.parametrize(
    ("extra", "expected"),
    [({}, [True, False]), ({"MALLOC_MMAP_THRESHOLD_": "131072"}, [False, False])],
)
def test_settle_heap_runs_once_and_leaves_a_users_settings(
    extra: dict[str, str], expected: list[bool]
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _SETTLE_TWICE],
        capture_output=True,
        text=True,
        check=True,
        env={**_environ_without_allocator_settings(), **extra},
    )
    assert json.loads(result.stdout) == expected


_UNPICKLE = """
import json, pickle, sys
import wmoe.envs.heap as heap
before = heap._settled
env = pickle.loads(sys.stdin.buffer.read())
print(json.dumps([before, heap._settled, env.num_envs]))
"""


@needs_glibc
def test_an_unpickled_native_env_settles_its_process() -> None:
    env = gym.make_vec("wmoe/MultiAccess-v1", num_envs=2, vectorization_mode="vector_entry_point")
    result = subprocess.run(
        [sys.executable, "-c", _UNPICKLE],
        input=pickle.dumps(env.unwrapped),
        capture_output=True,
        check=True,
        env=_environ_without_allocator_settings(),
    )
    assert json.loads(result.stdout) == [False, True, 2]
