"""``wmoe train``: train an SB3 / sb3-contrib agent with MoE or MLP networks, zoo style.

Hyperparameters come from ``hyperparams/<algo>.yml`` (keyed by env id), then ``--policy``,
``-n``, ``--env-kwargs`` and ``--hyperparams`` override them. A run writes the zoo's folder
layout (see :mod:`wmoe.agents.runs`), logs to stdout, CSV and TensorBoard, evaluates
periodically, writes atomic checkpoints, and on Ctrl-C or SIGTERM saves a checkpoint at the
step it reached. ``--resume`` continues the latest (or ``--exp-id``) run from its newest
checkpoint with the step counter, optimiser state, replay buffer and normalisation
statistics it had; an on-policy run loses only the unfinished rollout's transitions.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import gymnasium as gym
import yaml
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback, EvalCallback
from stable_baselines3.common.logger import configure
from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm
from stable_baselines3.common.vec_env import VecEnv, VecMonitor, VecNormalize

from wmoe.agents.checkpoints import (
    CheckpointCallback,
    SaveBestModelCallback,
    checkpoint_paths,
    latest_checkpoint,
    save_checkpoint,
    save_model,
    save_vecnormalize,
)
from wmoe.agents.hyperparams import algorithm_kwargs, load_defaults, merge_hyperparameters
from wmoe.agents.registry import AlgorithmEntry, check_action_space, get_algorithm
from wmoe.agents.runs import env_name, existing_run, run_folder, run_ids
from wmoe.agents.vec_env import make_sb3_vec_env
from wmoe.moe_policies.callback import MoELoggingCallback
from wmoe.moe_policies.fourier import features_extractor_kwargs
from wmoe.moe_policies.presets import resolve_network

EVAL_SEED_OFFSET = 10_000


@dataclass
class TrainArgs:
    """Settings of one ``wmoe train`` run (flag names follow rl-baselines3-zoo).

    Attributes:
        algo: Algorithm name (see :data:`wmoe.agents.registry.ALGORITHMS`).
        env: Registered env id.
        log_folder: Root log folder (``-f``).
        policy: Network preset; None keeps the hyperparameter file's.
        n_timesteps: Total steps (``-n``); None keeps the file's.
        seed: Seed of the algorithm and the training envs.
        env_kwargs: Overrides of the ``gym.make`` kwargs (merged one level deep).
        hyperparams: Overrides of the hyperparameters.
        eval_freq: Evaluate every this many steps (-1: never).
        eval_episodes: Episodes per evaluation.
        save_freq: Checkpoint every this many steps (-1: never).
        feature_stats_interval: Log each MoE expert's dormant-neuron fractions and feature
            rank at most once per this many steps (0: never).
        progress: Show a progress bar.
        verbose: 0 quiet, 1 log table on stdout.
        resume: Continue the run ``exp_id`` (latest when None).
        exp_id: Run to resume.
    """

    algo: str
    env: str
    log_folder: Path = Path("logs")
    policy: str | None = None
    n_timesteps: int | None = None
    seed: int = 0
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    hyperparams: dict[str, Any] = field(default_factory=dict)
    eval_freq: int = 10_000
    eval_episodes: int = 5
    save_freq: int = 10_000
    feature_stats_interval: int = 0
    progress: bool = False
    verbose: int = 1
    resume: bool = False
    exp_id: int | None = None


def check_env_id(env_id: str) -> None:
    """Raise a ValueError listing the suite's envs when ``env_id`` is not registered."""
    import wmoe  # noqa: F401  (registers the environments)
    from wmoe.envs.registration import ENV_TABLE

    if env_id not in gym.registry:
        valid = ", ".join(entry.env_id for entry in ENV_TABLE)
        raise ValueError(f"unknown environment {env_id!r}; wmoe environments: {valid}")


def resolve_hyperparameters(args: TrainArgs, entry: AlgorithmEntry) -> dict[str, Any]:
    """Hyperparameters of a new run: file defaults, then the command line's overrides."""
    defaults, found = load_defaults(entry, args.env, args.policy)
    if not found and args.verbose:
        print(f"no {entry.name} hyperparameters for {args.env}; using the algorithm defaults")
    overrides = dict(args.hyperparams)
    if args.env_kwargs:
        overrides["env_kwargs"] = args.env_kwargs
    if args.policy is not None:
        overrides["policy"] = args.policy
    if args.n_timesteps is not None:
        overrides["n_timesteps"] = args.n_timesteps
    hyperparameters = merge_hyperparameters(entry, defaults, overrides)
    resolve_network(hyperparameters["policy"])
    return hyperparameters


def make_training_env(
    env_id: str,
    hyperparameters: dict[str, Any],
    n_envs: int,
    seed: int,
    monitor_file: Path | None = None,
) -> VecEnv:
    """A monitored VecEnv of a run (monitor CSV written when ``monitor_file`` is given)."""
    venv = make_sb3_vec_env(
        env_id,
        n_envs,
        seed=seed,
        env_kwargs=hyperparameters["env_kwargs"],
        monitor=False,
    )
    return VecMonitor(venv, filename=str(monitor_file) if monitor_file else None)


def _normalize_kwargs(hyperparameters: dict[str, Any]) -> dict[str, Any] | None:
    normalize = hyperparameters["normalize"]
    if normalize is False or normalize is None:
        return None
    return {} if normalize is True else dict(normalize)


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C so an interrupted run still writes its checkpoint."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not in the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def new_model(
    entry: AlgorithmEntry, venv: VecEnv, hyperparameters: dict[str, Any], seed: int
) -> BaseAlgorithm:
    """A fresh model of ``entry`` on ``venv`` built from a run's hyperparameters."""
    policy_kwargs = features_extractor_kwargs(
        {"network": hyperparameters["policy"], **hyperparameters["policy_kwargs"]}
    )
    return entry.algorithm(
        entry.policy,
        venv,
        policy_kwargs=policy_kwargs,
        seed=seed,
        verbose=0,
        **algorithm_kwargs(hyperparameters),
    )


def _resumed_model(entry: AlgorithmEntry, folder: Path, steps: int, venv: VecEnv) -> BaseAlgorithm:
    paths = checkpoint_paths(folder, steps)
    model = entry.algorithm.load(paths["model"], env=venv)
    if isinstance(model, OffPolicyAlgorithm) and paths["replay_buffer"].exists():
        model.load_replay_buffer(paths["replay_buffer"])
    return model


def _callbacks(
    args: TrainArgs, entry: AlgorithmEntry, folder: Path, eval_env: VecEnv | None, n_envs: int
) -> list[BaseCallback]:
    callbacks: list[BaseCallback] = [MoELoggingCallback(args.feature_stats_interval)]
    if args.save_freq > 0:
        callbacks.append(CheckpointCallback(args.save_freq, folder))
    if eval_env is not None:
        eval_class: type[EvalCallback] = EvalCallback
        if entry.name == "ppo_mask":
            from sb3_contrib.common.maskable.callbacks import MaskableEvalCallback

            eval_class = MaskableEvalCallback
        callbacks.append(
            eval_class(
                eval_env,
                callback_on_new_best=SaveBestModelCallback(folder / "best_model.zip"),
                n_eval_episodes=args.eval_episodes,
                eval_freq=max(args.eval_freq // n_envs, 1),
                log_path=str(folder),
                deterministic=True,
                verbose=0,
            )
        )
    return callbacks


def train(args: TrainArgs) -> Path:
    """Train (or resume) one run; return its folder.

    Raises:
        ValueError: Unknown algorithm, env, policy preset or hyperparameter, or an action
            space the algorithm cannot handle (the message lists the valid choices).
        FileNotFoundError: ``resume`` without a run or checkpoint to resume.
    """
    entry = get_algorithm(args.algo)
    check_env_id(args.env)
    name = env_name(args.env)
    if args.resume:
        folder = existing_run(args.log_folder, entry.name, args.env, args.exp_id)
        saved = yaml.safe_load((folder / name / "config.yml").read_text())
        overrides = {} if args.n_timesteps is None else {"n_timesteps": args.n_timesteps}
        hyperparameters = merge_hyperparameters(entry, saved, overrides)
        resumed_steps = latest_checkpoint(folder)
        if resumed_steps is None:
            raise FileNotFoundError(f"no checkpoint to resume from in {folder}")
    else:
        resumed_steps = None
        hyperparameters = resolve_hyperparameters(args, entry)
        ids = run_ids(args.log_folder, entry.name, args.env)
        folder = run_folder(args.log_folder, entry.name, args.env, (ids[-1] if ids else 0) + 1)
        (folder / name).mkdir(parents=True)
        (folder / name / "config.yml").write_text(yaml.safe_dump(hyperparameters))
        args_dump = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(args).items()}
        (folder / name / "args.yml").write_text(yaml.safe_dump(args_dump))

    segment = f"resume_{resumed_steps}" if resumed_steps is not None else "0"
    n_envs = int(hyperparameters["n_envs"])
    venv = make_training_env(
        args.env, hyperparameters, n_envs, args.seed + (resumed_steps or 0), folder / segment
    )
    check_action_space(entry, args.env, venv.action_space)
    normalize = _normalize_kwargs(hyperparameters)
    eval_env = None
    if args.eval_freq > 0:
        eval_env = make_training_env(args.env, hyperparameters, 1, args.seed + EVAL_SEED_OFFSET)
    if resumed_steps is not None:
        vecnormalize_path = checkpoint_paths(folder, resumed_steps)["vecnormalize"]
        if normalize is not None:
            venv = VecNormalize.load(str(vecnormalize_path), venv)
        model = _resumed_model(entry, folder, resumed_steps, venv)
    else:
        if normalize is not None:
            venv = VecNormalize(venv, **normalize)
        model = new_model(entry, venv, hyperparameters, args.seed)
    if normalize is not None and eval_env is not None:
        eval_env = VecNormalize(eval_env, training=False, norm_reward=False)

    log_formats = ["csv", "tensorboard"] + (["stdout"] if args.verbose else [])
    model.set_logger(configure(str(folder / "log" / segment), log_formats))
    remaining = int(hyperparameters["n_timesteps"]) - model.num_timesteps
    try:
        with sigterm_as_interrupt():
            model.learn(
                max(remaining, 0),
                callback=_callbacks(args, entry, folder, eval_env, n_envs),
                reset_num_timesteps=resumed_steps is None,
                progress_bar=args.progress,
            )
    except KeyboardInterrupt:
        path = save_checkpoint(model, folder)
        print(
            f"interrupted at {model.num_timesteps} steps; checkpoint {path}\n"
            f"resume with: wmoe train --algo {entry.name} --env {args.env} "
            f"-f {args.log_folder} --resume --exp-id {folder.name.rsplit('_', 1)[1]}",
            file=sys.stderr,
        )
        raise
    finally:
        venv.close()
        if eval_env is not None:
            eval_env.close()
    save_model(model, folder / f"{name}.zip")
    vec_normalize = model.get_vec_normalize_env()
    if vec_normalize is not None:
        save_vecnormalize(vec_normalize, folder / name / "vecnormalize.pkl")
    return folder
