"""Benchmark suites: YAML files (shipped ones under ``suites/`` or a user's path), validated.

A suite file::

    name: quick
    description: what the suite answers
    budget: the estimated cost, in words (cell-hours on 2 cores)
    seeds:
      train: [0, 1]              # training seeds, one cell each
      validation: [900, 901]     # the only seeds tuning may look at; never used by the runner
      test: {first: 1000000, episodes: 20}   # fixed test episodes, seeds first ... first+n-1
    training: {n_timesteps: 20000, curve_points: 10}
    matched_plain: mlp-matched   # plain preset the MoE presets are compared with
    envs:
      wmoe/MultiBSReception-v0:
        env_kwargs: {config: {precoder_selection: expert}}   # the task (agents and baselines)
        train_env_kwargs: {}     # training only (e.g. config.split: train)
        test_env_kwargs: {}      # test episodes only (e.g. config.split: test)
        variants: {default: {}}  # named task variants: env kwargs over env_kwargs
        reference: oracle        # baseline giving R_ref, or ``best`` (best baseline)
        n_timesteps: 20000       # optional, over training.n_timesteps
    agents:
      - algo: ppo
        presets: [mlp, mlp-matched, moe-top2]
        envs: [wmoe/MultiBSReception-v0]   # optional, default: every env of the suite
        hyperparams: {}          # optional overrides of hyperparams/<algo>.yml
        n_timesteps: 20000       # optional, over the env's and the suite's budget

:func:`load_suite` parses with ``yaml.safe_load`` and checks every key, env id, algorithm,
preset and baseline, raising :class:`SuiteError` with the valid choices. Checks that need the
merged hyperparameters or a built env (action spaces, seed overlaps) are in
:func:`wmoe.benchmarks.cells.check_cells`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from wmoe.agents.evaluate import UPPER_BOUND, upper_bound_of
from wmoe.agents.registry import get_algorithm
from wmoe.envs.registration import ENV_TABLE, env_entry
from wmoe.moe_policies.presets import resolve_network

BEST_BASELINE = "best"
"""``reference`` value meaning: the baseline with the best mean return on the test episodes."""
RANDOM_BASELINE = "random"
"""The baseline whose mean return is R_random of the normalised score."""

_SUITE_KEYS = (
    "name",
    "description",
    "budget",
    "seeds",
    "training",
    "matched_plain",
    "envs",
    "agents",
)
_SEED_KEYS = ("train", "validation", "test")
_TEST_KEYS = ("first", "episodes")
_TRAINING_KEYS = ("n_timesteps", "curve_points")
_ENV_KEYS = (
    "env_kwargs",
    "train_env_kwargs",
    "test_env_kwargs",
    "variants",
    "reference",
    "n_timesteps",
)
_AGENT_KEYS = ("algo", "presets", "envs", "hyperparams", "n_timesteps")


class SuiteError(ValueError):
    """A suite file is malformed; the message names the place and the valid choices."""


@dataclass(frozen=True)
class SeedSplits:
    """The protocol's seed splits.

    Attributes:
        train: Training seeds (one cell per seed).
        validation: Seeds reserved for tuning; the runner never uses them.
        test_first: Seed of the first test episode.
        test_episodes: Number of test episodes (seeds ``test_first + i``).
    """

    train: tuple[int, ...]
    validation: tuple[int, ...]
    test_first: int
    test_episodes: int

    @property
    def test(self) -> range:
        """The test episode seeds."""
        return range(self.test_first, self.test_first + self.test_episodes)


@dataclass(frozen=True)
class EnvSetting:
    """One env of a suite.

    Attributes:
        env_id: Registered wmoe env id.
        env_kwargs: ``gym.make`` kwargs defining the task (agents and baselines).
        train_env_kwargs: Kwargs over ``env_kwargs`` for training only.
        test_env_kwargs: Kwargs over ``env_kwargs`` for the test episodes only.
        variants: Task variant name -> kwargs over ``env_kwargs``.
        reference: Baseline giving R_ref, or :data:`BEST_BASELINE`.
        n_timesteps: Training budget of this env [env steps], or None for the suite's.
    """

    env_id: str
    env_kwargs: dict[str, Any]
    train_env_kwargs: dict[str, Any]
    test_env_kwargs: dict[str, Any]
    variants: dict[str, dict[str, Any]]
    reference: str
    n_timesteps: int | None = None


@dataclass(frozen=True)
class AgentSetting:
    """One algorithm with its network presets.

    Attributes:
        algo: Canonical algorithm name (:data:`wmoe.agents.registry.ALGORITHMS`).
        presets: Network presets, one cell each.
        envs: Env ids it runs on.
        hyperparams: Overrides of ``hyperparams/<algo>.yml``.
        n_timesteps: Training budget [env steps], or None for the env's or suite's.
    """

    algo: str
    presets: tuple[str, ...]
    envs: tuple[str, ...]
    hyperparams: dict[str, Any] = field(default_factory=dict)
    n_timesteps: int | None = None


@dataclass(frozen=True)
class Suite:
    """A validated benchmark suite.

    Attributes:
        name: Suite name (names its default store).
        description: What the suite answers.
        budget: Its estimated cost, in words.
        seeds: Training, validation and test seeds.
        n_timesteps: Default training budget per cell [env steps].
        curve_points: Points of each learning curve.
        matched_plain: Plain preset the MoE presets are compared with, or None.
        envs: The envs.
        agents: The agents.
        source: Where the suite came from (a path or ``package:<name>``).
    """

    name: str
    description: str
    budget: str
    seeds: SeedSplits
    n_timesteps: int
    curve_points: int
    matched_plain: str | None
    envs: tuple[EnvSetting, ...]
    agents: tuple[AgentSetting, ...]
    source: str

    def env(self, env_id: str) -> EnvSetting:
        """The setting of ``env_id``."""
        return next(setting for setting in self.envs if setting.env_id == env_id)


def shipped_suites() -> list[str]:
    """Names of the suites shipped with wmoe."""
    folder = resources.files("wmoe.benchmarks").joinpath("suites")
    return sorted(p.name.removesuffix(".yml") for p in folder.iterdir() if p.name.endswith(".yml"))


def load_suite(source: str | Path) -> Suite:
    """Load a shipped suite by name, or a suite file by path, and validate it.

    Raises:
        SuiteError: Unknown suite name, malformed file, unknown key, env, algorithm, preset
            or baseline (the message names the place and the valid choices).
        FileNotFoundError: A path that does not exist.
    """
    text_source = str(source)
    if text_source in shipped_suites():
        resource = resources.files("wmoe.benchmarks").joinpath("suites", f"{text_source}.yml")
        return parse_suite(resource.read_text(), f"package:{text_source}")
    path = Path(source)
    if path.suffix in (".yml", ".yaml") or path.exists():
        if not path.is_file():
            raise FileNotFoundError(f"suite file {path} does not exist")
        return parse_suite(path.read_text(), str(path))
    raise SuiteError(
        f"unknown suite {text_source!r}; shipped suites: {', '.join(shipped_suites())} "
        "(or give the path of a .yml suite file)"
    )


def parse_suite(text: str, source: str = "<string>") -> Suite:
    """Parse and validate the YAML text of a suite.

    Raises:
        SuiteError: On any problem (see :func:`load_suite`).
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise SuiteError(f"{source}: not valid YAML: {error}") from error
    where = f"suite {source}"
    data = _mapping(data, where)
    _check_keys(data, _SUITE_KEYS, where)
    for key in ("name", "seeds", "envs", "agents"):
        if key not in data:
            raise SuiteError(f"{where}: missing key {key!r}")
    name = str(data["name"])
    where = f"suite {name!r}"
    training = _mapping(data.get("training", {}), f"{where}: training")
    _check_keys(training, _TRAINING_KEYS, f"{where}: training")
    envs = tuple(_env_setting(env_id, value, where) for env_id, value in _env_items(data, where))
    env_ids = tuple(setting.env_id for setting in envs)
    agents = tuple(
        _agent_setting(value, f"{where}: agents[{index}]", env_ids)
        for index, value in enumerate(_sequence(data["agents"], f"{where}: agents"))
    )
    if not agents:
        raise SuiteError(f"{where}: agents is empty; give at least one algorithm")
    matched_plain = data.get("matched_plain")
    if matched_plain is not None:
        _check_matched_plain(str(matched_plain), agents, where)
    return Suite(
        name=name,
        description=str(data.get("description", "")).strip(),
        budget=str(data.get("budget", "")).strip(),
        seeds=_seed_splits(data["seeds"], f"{where}: seeds"),
        n_timesteps=_positive_int(training.get("n_timesteps", 10_000), f"{where}: n_timesteps"),
        curve_points=_positive_int(training.get("curve_points", 10), f"{where}: curve_points"),
        matched_plain=None if matched_plain is None else str(matched_plain),
        envs=envs,
        agents=agents,
        source=source,
    )


def baseline_names(env_id: str) -> tuple[str, ...]:
    """Names of the baselines of a wmoe env and its upper bound, where it has one.

    The baselines are those of ``EnvSpecEntry.baselines``; the bound is reported as
    :data:`~wmoe.agents.evaluate.UPPER_BOUND`.
    """
    entry = env_entry(env_id)
    if entry is None or entry.baselines is None:
        return ()
    names = tuple(importlib.import_module(entry.baselines).BASELINES)
    return (*names, UPPER_BOUND) if upper_bound_of(env_id) is not None else names


def _env_items(data: Mapping[str, Any], where: str) -> list[tuple[str, Any]]:
    envs = _mapping(data["envs"], f"{where}: envs")
    if not envs:
        raise SuiteError(f"{where}: envs is empty; give at least one env")
    return list(envs.items())


def _env_setting(env_id: str, value: Any, where: str) -> EnvSetting:
    valid = [entry.env_id for entry in ENV_TABLE]
    if env_id not in valid:
        raise SuiteError(f"{where}: unknown env {env_id!r}; valid: {', '.join(valid)}")
    where = f"{where}: envs.{env_id}"
    value = _mapping(value if value is not None else {}, where)
    _check_keys(value, _ENV_KEYS, where)
    baselines = baseline_names(env_id)
    if RANDOM_BASELINE not in baselines:
        raise SuiteError(f"{where}: the env has no {RANDOM_BASELINE!r} baseline to normalise")
    if "reference" not in value:
        raise SuiteError(
            f"{where}: missing key 'reference' (the baseline giving R_ref); valid: "
            f"{', '.join((*baselines, BEST_BASELINE))}"
        )
    reference = str(value["reference"])
    if reference not in (*baselines, BEST_BASELINE) or reference == RANDOM_BASELINE:
        choices = [name for name in baselines if name != RANDOM_BASELINE] + [BEST_BASELINE]
        raise SuiteError(f"{where}: unknown reference {reference!r}; valid: {', '.join(choices)}")
    variants = _mapping(value.get("variants", {"default": {}}), f"{where}.variants")
    if not variants:
        raise SuiteError(f"{where}.variants is empty; omit it for one default variant")
    for variant, kwargs in variants.items():
        if not str(variant).isidentifier():
            raise SuiteError(f"{where}.variants: name {variant!r} must be an identifier")
        _mapping(kwargs if kwargs is not None else {}, f"{where}.variants.{variant}")
    n_timesteps = value.get("n_timesteps")
    return EnvSetting(
        env_id=env_id,
        env_kwargs=_mapping(value.get("env_kwargs", {}), f"{where}.env_kwargs"),
        train_env_kwargs=_mapping(value.get("train_env_kwargs", {}), f"{where}.train_env_kwargs"),
        test_env_kwargs=_mapping(value.get("test_env_kwargs", {}), f"{where}.test_env_kwargs"),
        variants={str(k): dict(v or {}) for k, v in variants.items()},
        reference=reference,
        n_timesteps=None if n_timesteps is None else _positive_int(n_timesteps, where),
    )


def _agent_setting(value: Any, where: str, env_ids: tuple[str, ...]) -> AgentSetting:
    value = _mapping(value, where)
    _check_keys(value, _AGENT_KEYS, where)
    if "algo" not in value or "presets" not in value:
        raise SuiteError(f"{where}: an agent needs 'algo' and 'presets'")
    try:
        algo = get_algorithm(str(value["algo"])).name
    except ValueError as error:
        raise SuiteError(f"{where}: {error}") from error
    presets = tuple(str(p) for p in _sequence(value["presets"], f"{where}.presets"))
    if not presets:
        raise SuiteError(f"{where}.presets is empty")
    for preset in presets:
        try:
            resolve_network(preset)
        except ValueError as error:
            raise SuiteError(f"{where} ({algo}): {error}") from error
    envs = tuple(str(e) for e in _sequence(value.get("envs", list(env_ids)), f"{where}.envs"))
    unknown = [env for env in envs if env not in env_ids]
    if unknown:
        raise SuiteError(
            f"{where} ({algo}): env(s) {unknown} are not in the suite's envs; valid: "
            f"{', '.join(env_ids)}"
        )
    n_timesteps = value.get("n_timesteps")
    return AgentSetting(
        algo=algo,
        presets=presets,
        envs=envs,
        hyperparams=_mapping(value.get("hyperparams", {}), f"{where}.hyperparams"),
        n_timesteps=None if n_timesteps is None else _positive_int(n_timesteps, where),
    )


def _check_matched_plain(preset: str, agents: tuple[AgentSetting, ...], where: str) -> None:
    try:
        spec = resolve_network(preset)
    except ValueError as error:
        raise SuiteError(f"{where}: matched_plain: {error}") from error
    if spec.is_moe:
        raise SuiteError(f"{where}: matched_plain {preset!r} is an MoE; name a plain preset")
    if not any(preset in agent.presets for agent in agents):
        raise SuiteError(f"{where}: matched_plain {preset!r} is not among any agent's presets")


def _seed_splits(value: Any, where: str) -> SeedSplits:
    value = _mapping(value, where)
    _check_keys(value, _SEED_KEYS, where)
    for key in _SEED_KEYS:
        if key not in value:
            raise SuiteError(f"{where}: missing key {key!r}")
    test = _mapping(value["test"], f"{where}.test")
    _check_keys(test, _TEST_KEYS, f"{where}.test")
    train = tuple(_int(s, f"{where}.train") for s in _sequence(value["train"], f"{where}.train"))
    validation = tuple(
        _int(s, f"{where}.validation")
        for s in _sequence(value["validation"], f"{where}.validation")
    )
    if not train:
        raise SuiteError(f"{where}.train is empty; give at least one training seed")
    if len(set(train)) != len(train):
        raise SuiteError(f"{where}.train has repeated seeds: {list(train)}")
    return SeedSplits(
        train=train,
        validation=validation,
        test_first=_int(test.get("first"), f"{where}.test.first"),
        test_episodes=_positive_int(test.get("episodes"), f"{where}.test.episodes"),
    )


def _check_keys(data: Mapping[str, Any], valid: Sequence[str], where: str) -> None:
    unknown = sorted(str(key) for key in set(data) - set(valid))
    if unknown:
        raise SuiteError(f"{where}: unknown key(s) {unknown}; valid: {', '.join(valid)}")


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise SuiteError(f"{where}: expected a mapping, got {value!r}")
    return {str(key): item for key, item in value.items()}


def _sequence(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise SuiteError(f"{where}: expected a list, got {value!r}")
    return value


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SuiteError(f"{where}: expected an integer, got {value!r}")
    return value


def _positive_int(value: Any, where: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    number = _int(value, where)
    if number < 1:
        raise SuiteError(f"{where}: expected an integer >= 1, got {number}")
    return number
