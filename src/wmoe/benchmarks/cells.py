"""Cells: the units of work of a suite, and the checks that need built envs.

A suite expands into one *baselines cell* per task (env x variant: every baseline of the env
on the test episodes) and one *agent cell* per env x variant x algorithm x preset x training
seed. A cell's key is a hash of everything that defines its result, so a changed suite (a
new budget, other kwargs) makes new cells and never counts a stale row.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym

from wmoe.agents.hyperparams import load_defaults
from wmoe.agents.registry import ALGORITHMS, check_action_space, get_algorithm
from wmoe.agents.train import EVAL_SEED_OFFSET, TrainArgs, resolve_hyperparameters
from wmoe.benchmarks.suite import Suite, SuiteError
from wmoe.config import deep_merge
from wmoe.moe_policies.presets import resolve_network

BASELINES = "baselines"
FEATURE_STATS_PER_RUN = 10
"""An agent cell records its MoE experts' dormant neurons and feature rank this many times."""
"""The ``algo`` label of a baselines cell in names and tables."""


@dataclass(frozen=True)
class Cell:
    """One unit of work: an agent trained with one seed, or the baselines of a task.

    Attributes:
        suite: Suite name.
        env_id: Env id.
        variant: Task variant name.
        algo: Algorithm name, or None for the baselines cell.
        preset: Network preset, or None for the baselines cell.
        seed: Training seed, or None for the baselines cell.
        n_timesteps: Training budget [env steps] (0 for the baselines cell).
        env_kwargs: ``gym.make`` kwargs of the task (env kwargs with the variant's).
        train_env_kwargs: Kwargs over ``env_kwargs`` in training.
        test_env_kwargs: Kwargs over ``env_kwargs`` on the test episodes.
        hyperparams: Overrides of the algorithm's hyperparameter file.
        test_first: Seed of the first test episode.
        test_episodes: Number of test episodes.
        curve_points: Points of the learning curve.
    """

    suite: str
    env_id: str
    variant: str
    algo: str | None
    preset: str | None
    seed: int | None
    n_timesteps: int
    env_kwargs: dict[str, Any]
    train_env_kwargs: dict[str, Any]
    test_env_kwargs: dict[str, Any]
    hyperparams: dict[str, Any] = field(default_factory=dict)
    test_first: int = 0
    test_episodes: int = 1
    curve_points: int = 10

    @property
    def is_baselines(self) -> bool:
        """Whether this is the baselines cell of its task."""
        return self.algo is None

    @property
    def task(self) -> str:
        """The task: ``<env name>/<variant>`` (env id without the ``wmoe/`` namespace)."""
        return f"{self.env_id.split('/')[-1]}/{self.variant}"

    @property
    def agent(self) -> str:
        """The agent label, ``<algo> <preset>``, or ``baselines``."""
        return BASELINES if self.is_baselines else f"{self.algo} {self.preset}"

    @property
    def name(self) -> str:
        """A readable name, e.g. ``MultiBSReception-v0/default/ppo/moe-top2/seed0``."""
        if self.is_baselines:
            return f"{self.task}/{BASELINES}"
        return f"{self.task}/{self.algo}/{self.preset}/seed{self.seed}"

    @property
    def key(self) -> str:
        """Hash of everything that defines the cell's result (the store's primary key).

        Besides the cell's fields, the key holds what its names stand for today: the network
        preset's full spec and the algorithm's packaged hyperparameters for the env. Editing a
        preset or a ``hyperparams/*.yml`` entry therefore makes its cells unfinished again
        instead of leaving stale results counted.
        """
        config = self.to_dict()
        config.pop("suite")
        if self.preset is not None:
            config["network_spec"] = resolve_network(self.preset).fingerprint()
        if self.algo is not None:
            config["packaged_hyperparameters"] = load_defaults(
                get_algorithm(self.algo), self.env_id, self.preset
            )[0]
        text = json.dumps(config, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:20]

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (stored with the result)."""
        return asdict(self)

    def train_args(self, log_folder: Path) -> TrainArgs:
        """The ``wmoe train`` settings of an agent cell (no checkpoints or periodic evals)."""
        if self.algo is None or self.seed is None:
            raise ValueError(f"{self.name} is a baselines cell; it does not train")
        return TrainArgs(
            algo=self.algo,
            env=self.env_id,
            log_folder=log_folder,
            policy=self.preset,
            n_timesteps=self.n_timesteps,
            seed=self.seed,
            env_kwargs=deep_merge(self.env_kwargs, self.train_env_kwargs),
            hyperparams=dict(self.hyperparams),
            eval_freq=-1,
            save_freq=-1,
            feature_stats_interval=max(self.n_timesteps // FEATURE_STATS_PER_RUN, 1),
            verbose=0,
        )

    def test_kwargs(self, env_kwargs: dict[str, Any] | None = None) -> dict[str, Any]:
        """``gym.make`` kwargs of the test episodes (over ``env_kwargs`` when given)."""
        base = self.env_kwargs if env_kwargs is None else env_kwargs
        return deep_merge(base, self.test_env_kwargs)


def expand_cells(suite: Suite) -> list[Cell]:
    """Every cell of ``suite``: per task its baselines cell, then its agent cells."""
    cells = []
    for env in suite.envs:
        for variant, variant_kwargs in env.variants.items():
            task: dict[str, Any] = {
                "suite": suite.name,
                "env_id": env.env_id,
                "variant": variant,
                "env_kwargs": deep_merge(env.env_kwargs, variant_kwargs),
                "train_env_kwargs": env.train_env_kwargs,
                "test_env_kwargs": env.test_env_kwargs,
                "test_first": suite.seeds.test_first,
                "test_episodes": suite.seeds.test_episodes,
                "curve_points": suite.curve_points,
            }
            cells.append(Cell(algo=None, preset=None, seed=None, n_timesteps=0, **task))
            for agent in suite.agents:
                if env.env_id not in agent.envs:
                    continue
                budget = agent.n_timesteps or env.n_timesteps or suite.n_timesteps
                for preset in agent.presets:
                    for seed in suite.seeds.train:
                        cells.append(
                            Cell(
                                algo=agent.algo,
                                preset=preset,
                                seed=seed,
                                n_timesteps=budget,
                                hyperparams=agent.hyperparams,
                                **task,
                            )
                        )
    return cells


def check_cells(suite: Suite, cells: list[Cell]) -> None:
    """Check what needs merged hyperparameters or built envs, before anything trains.

    For each env x variant x algorithm: the hyperparameters merge (no unknown key), the
    algorithm can act in the env's action space, and the training env seeds, the validation
    seeds and the test episode seeds are disjoint.

    Raises:
        SuiteError: Naming the cell and the valid choices.
    """
    checked: set[tuple[str, str, str]] = set()
    for cell in cells:
        if cell.algo is None or (cell.env_id, cell.variant, cell.algo) in checked:
            continue
        checked.add((cell.env_id, cell.variant, cell.algo))
        where = f"suite {suite.name!r}, cell {cell.name}"
        entry = get_algorithm(cell.algo)
        try:
            hyperparameters = resolve_hyperparameters(cell.train_args(Path()), entry)
        except ValueError as error:
            raise SuiteError(f"{where}: {error}") from error
        env = gym.make(cell.env_id, **hyperparameters["env_kwargs"])
        space = env.action_space
        env.close()
        try:
            check_action_space(entry, cell.env_id, space)
        except ValueError as error:
            valid = [a.name for a in ALGORITHMS.values() if isinstance(space, a.action_spaces)]
            raise SuiteError(
                f"{where}: {error}; algorithms that can act in {space}: {', '.join(valid)}"
            ) from error
        _check_seed_overlap(suite, int(hyperparameters["n_envs"]), where)


def _check_seed_overlap(suite: Suite, n_envs: int, where: str) -> None:
    seeds = suite.seeds
    train = {s + i for s in seeds.train for i in range(n_envs)}
    train |= {s + EVAL_SEED_OFFSET for s in seeds.train}
    splits = {"training env": train, "validation": set(seeds.validation), "test": set(seeds.test)}
    names = list(splits)
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            common = sorted(splits[first] & splits[second])
            if common:
                raise SuiteError(
                    f"{where}: {first} seeds and {second} seeds overlap at {common[:5]} "
                    f"(training envs use seed + 0..{n_envs - 1}); move the test or "
                    "validation seeds away"
                )
