"""The ``wmoe`` command line: environments, scenario data, baselines and the demo."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from wmoe.paths import default_data_dir

INTERRUPTED_STATUS = 130
"""Exit status after Ctrl-C or SIGTERM (128 + SIGINT, the shell's convention)."""


def parse_key_values(items: Sequence[str] | None) -> dict[str, Any]:
    """Parse ``key:value`` strings into a dict; values are YAML scalars or flow collections.

    ``a.b:3`` nests as ``{"a": {"b": 3}}``. Parsing uses ``yaml.safe_load`` (never ``eval``).

    Raises:
        ValueError: If an item has no ``:`` or its value is not valid YAML.
    """
    result: dict[str, Any] = {}
    for item in items or ():
        key, sep, raw = item.partition(":")
        if not sep or not key:
            raise ValueError(f"expected key:value, got {item!r} (e.g. num_cooperating_bs:2)")
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError as error:
            raise ValueError(f"value of {key!r} is not valid YAML: {raw!r}") from error
        node = result
        *parents, leaf = key.split(".")
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value
    return result


def _cmd_envs(args: argparse.Namespace) -> int:
    from wmoe.config import markdown_table, text_table
    from wmoe.envs.config_docs import sync_readme
    from wmoe.envs.registration import ENV_TABLE, config_schema

    if args.sync_readme:
        changed = sync_readme(Path(args.sync_readme))
        print(f"{args.sync_readme}: config tables {'updated' if changed else 'already current'}")
        return 0
    if args.describe:
        schema = config_schema(args.describe)
        print(markdown_table(schema) if args.markdown else text_table(schema))
        return 0
    width = max(len(entry.env_id) for entry in ENV_TABLE)
    for entry in ENV_TABLE:
        print(f"{entry.env_id:<{width}}  {entry.summary}")
    return 0


def _scenarios_dir(args: argparse.Namespace) -> Path:
    return Path(args.scenarios_dir or default_data_dir() / "deepmimo_scenarios").expanduser()


def _cmd_scenario_generate(args: argparse.Namespace) -> int:
    if args.tracer == "sionna":
        return _generate_with_sionna(args)
    from wmoe.scenarios.synthetic_o1 import LAYOUTS, write_synthetic_o1

    kind = LAYOUTS[args.layout]
    config = kind(
        name=args.name or kind.name,
        row_stride=args.row_stride,
        user_stride=args.user_stride,
        max_wall_order=kind.max_wall_order if args.max_wall_order is None else args.max_wall_order,
        seed=args.seed,
    )
    start = time.perf_counter()
    folder = write_synthetic_o1(_scenarios_dir(args), config, overwrite=args.overwrite)
    layout = "O1's published geometry" if args.layout == "o1-geometry" else "O1-like"
    print(f"wrote SYNTHETIC scenario {folder} ({layout}) in {time.perf_counter() - start:.1f} s")
    return 0


def _generate_with_sionna(args: argparse.Namespace) -> int:
    from wmoe.scenarios.sionna_trace import (
        SionnaO1Config,
        SionnaUnavailableError,
        write_sionna_o1,
    )

    config = SionnaO1Config(
        name=args.name or SionnaO1Config.name,
        row_stride=args.row_stride,
        user_stride=args.user_stride,
        bs_indices=None if args.bs is None else tuple(sorted(b - 1 for b in args.bs)),
        max_depth=(2 if args.max_wall_order is None else args.max_wall_order) + 1,
        diffraction=not args.no_diffraction,
        samples_per_src=args.samples_per_bs,
        num_threads=args.num_threads,
    )
    start = time.perf_counter()
    try:
        folder = write_sionna_o1(_scenarios_dir(args), config, overwrite=args.overwrite)
    except SionnaUnavailableError as error:
        print(f"wmoe: error: {error}", file=sys.stderr)
        return 2
    print(
        f"wrote Sionna RT trace of the SYNTHETIC O1-like layout {folder} in "
        f"{time.perf_counter() - start:.1f} s"
    )
    return 0


def _cmd_scenario_info(args: argparse.Namespace) -> int:
    from wmoe.scenarios.deepmimo_loader import read_scenario_info

    info = read_scenario_info(_scenarios_dir(args) / args.name)
    kind = f"SYNTHETIC ({info.tracer})" if info.synthetic else "ray-traced"
    print(f"scenario   {info.folder} [{kind}]")
    print(f"carrier    {info.frequency_hz / 1e9:.2f} GHz")
    ports = [sorted({tx_set for tx_set, _ in port}) for port in info.bs_ports]
    print(f"BSs        {info.num_bs} (TX sets per polarisation port: {ports})")
    grids = ", ".join(f"{s}: {n}" for s, n in zip(info.user_sets, info.users_per_set, strict=True))
    print(f"users      {info.num_users} (per RX set {grids})")
    return 0


def _cmd_scenario_plot(args: argparse.Namespace) -> int:
    import numpy as np

    from wmoe.scenarios.plot import plot_scenario

    env = _reception_env({"scenarios_dir": str(_scenarios_dir(args)), "scenario": args.name})
    core = env.core
    rx_power_dbm = env.config["tx_power_dbm"] + np.where(
        core.reachable, core.channels.mean_gain_db, -np.inf
    )
    kind = "SYNTHETIC O1-like" if core.data.synthetic else "ray-traced"
    title = f"{args.name} ({kind}): {core.num_bs} BSs, {core.num_users} users"
    output = args.output or f"{args.name}.png"
    path = plot_scenario(
        output,
        core.data.user_positions,
        core.data.bs_positions,
        rx_power_dbm,
        core.data.synthetic,
        title,
    )
    print(f"written {path}")
    return 0


def _reception_env(env_kwargs: dict[str, Any]) -> Any:
    import gymnasium as gym

    import wmoe  # noqa: F401  (registers the environments)

    return gym.make("wmoe/MultiBSReception-v0", config=env_kwargs).unwrapped


def _cmd_baselines(args: argparse.Namespace) -> int:
    from wmoe.envs.multi_bs_reception.baselines import evaluate_baselines

    env = _reception_env(parse_key_values(args.env_kwargs))
    start = time.perf_counter()
    result = evaluate_baselines(env.core, args.num_users, args.seed)
    print(f"sum rate [bit/s/Hz] over {args.num_users} users (seed {args.seed}):")
    print(result.table())
    print(f"({time.perf_counter() - start:.1f} s)")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from wmoe.demo import run_demo

    return run_demo(
        timesteps=args.timesteps,
        num_users=args.num_users,
        seed=args.seed,
        num_threads=args.num_threads,
    )


def _cmd_train(args: argparse.Namespace) -> int:
    import torch

    from wmoe.agents.train import TrainArgs, train

    torch.set_num_threads(args.num_threads)
    folder = train(
        TrainArgs(
            algo=args.algo,
            env=args.env,
            log_folder=Path(args.log_folder),
            policy=args.policy,
            n_timesteps=args.n_timesteps,
            seed=args.seed,
            env_kwargs=parse_key_values(args.env_kwargs),
            hyperparams=parse_key_values(args.hyperparams),
            eval_freq=args.eval_freq,
            eval_episodes=args.eval_episodes,
            save_freq=args.save_freq,
            feature_stats_interval=args.feature_stats_interval,
            progress=args.progress,
            verbose=args.verbose,
            resume=args.resume,
            exp_id=args.exp_id,
        )
    )
    print(f"run folder: {folder}")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    import torch

    from wmoe.agents.evaluate import evaluate_splits, load_run, split_summary

    torch.set_num_threads(args.num_threads)
    if args.video_baseline and not args.video:
        raise ValueError("--video-baseline needs --video DIR (where the videos go)")
    if args.video:
        from wmoe.agents.videos import check_video_dependency

        check_video_dependency()
    reports = evaluate_splits(
        args.algo,
        args.env,
        Path(args.log_folder),
        exp_id=args.exp_id,
        n_episodes=args.n_episodes,
        seed=args.seed,
        load=args.load,
        with_baselines=not args.no_baselines,
        split=args.split,
        env_kwargs=parse_key_values(args.env_kwargs),
    )
    print(f"model: {reports[0].model_path}")
    for report in reports:
        if report.split is not None:
            print(f"{report.heading()}:")
        print(
            f"return over {args.n_episodes} episodes (seeds {args.seed}..."
            f"{args.seed + args.n_episodes - 1}, mean length {report.episode_length:.1f} steps):"
        )
        print(report.table())
    if len(reports) > 1:
        print(split_summary(reports))
    if not (args.video or args.expert_map):
        return 0
    run = load_run(args.algo, args.env, Path(args.log_folder), args.exp_id, args.load)
    if args.video:
        from wmoe.agents.videos import baseline_policy, record_videos

        policies = {"agent": run.policy()}
        if args.video_baseline:
            policies[args.video_baseline] = baseline_policy(
                args.env, args.video_baseline, args.seed
            )
        first = reports[0]
        for path in record_videos(
            args.env, first.env_kwargs, policies, Path(args.video), args.video_episodes, args.seed
        ):
            print(f"video {path}" + (f" (split {first.split})" if first.split else ""))
    if args.expert_map:
        from wmoe.agents.expert_map import save_expert_map

        print(f"expert map {save_expert_map(run, args.env, args.expert_map)}")
    return 0


def _cmd_reproduce_case_study(args: argparse.Namespace) -> int:
    from dataclasses import replace

    import torch

    from wmoe.agents.case_study import (
        CaseStudySettings,
        format_table,
        run_case_study,
        write_report,
    )

    torch.set_num_threads(args.num_threads)
    settings = CaseStudySettings(
        seeds=tuple(args.seeds),
        n_timesteps=args.n_timesteps,
        curve_window=args.curve_window,
        eval_episodes=args.eval_episodes,
        critic_network=args.critic,
        env_config=parse_key_values(args.env_config),
    )
    if args.networks:
        settings = replace(settings, networks=tuple(args.networks))
    result = run_case_study(settings, maps_folder=Path(args.output) if args.output else None)
    print(format_table(result))
    if args.output:
        command = "wmoe " + " ".join(sys.argv[1:]) if sys.argv[1:] else "wmoe reproduce"
        for path in write_report(result, Path(args.output), command):
            print(f"written {path}")
    return 0


def _cmd_reproduce_channel_aware(args: argparse.Namespace) -> int:
    import torch

    from wmoe.classification.reproduce import Table2Settings, format_table2, reproduce_table2
    from wmoe.classification.training import TrainingConfig

    torch.set_num_threads(args.num_threads)
    settings = Table2Settings(
        dataset=args.dataset,
        backbones=tuple(args.backbones),
        num_experts=args.experts,
        training=TrainingConfig(
            stage1_epochs=args.stage1_epochs, stage2_epochs=args.stage2_epochs, seed=args.seed
        ),
        eval_seed=args.seed,
        data_root=args.data_root,
    )
    rows = reproduce_table2(settings)
    table = format_table2(rows, settings)
    print(table)
    if args.output:
        output = Path(args.output)
        output.mkdir(parents=True, exist_ok=True)
        path = output / f"table2_{args.dataset}.md"
        command = "wmoe " + " ".join(sys.argv[1:]) if sys.argv[1:] else "wmoe reproduce"
        timings = ", ".join(f"{r.backbone} {r.train_seconds:.0f} s" for r in rows[::2])
        path.write_text(
            f"# Channel-aware gating, Table II layout ({args.dataset}, K = {args.experts})\n\n"
            f"Command: `{command}`\n\nSettings: {settings}\n\n"
            f"Training or loading time: {timings}\n\n{table}\n"
        )
        print(f"written to {path}")
    return 0


def _cmd_tune(args: argparse.Namespace) -> int:
    import torch

    from wmoe.agents.tuning import TuneArgs, best_entry, tune

    torch.set_num_threads(args.num_threads)
    for policy in args.policy:
        settings = TuneArgs(
            algo=args.algo,
            env=args.env,
            policy=policy,
            n_trials=args.n_trials,
            n_timesteps=args.n_timesteps,
            evaluations=args.evaluations,
            eval_episodes=args.eval_episodes,
            storage=args.storage,
            study_name=args.study_name if len(args.policy) == 1 else None,
            seed=args.seed,
            env_kwargs=parse_key_values(args.env_kwargs),
        )
        if args.backend == "ray":
            from wmoe.agents.tuning_ray import tune_on_ray

            study = tune_on_ray(settings, args.ray_address, args.workers)
        else:
            study = tune(settings)
        finished = sum(t.state.name == "COMPLETE" for t in study.trials)
        print(f"study {study.study_name}: {len(study.trials)} trials, {finished} completed")
        print(best_entry(study, settings))
    return 0


def _add_run_arguments(parser: argparse.ArgumentParser) -> None:
    from wmoe.agents.registry import ALGORITHMS

    parser.add_argument("--algo", required=True, help=f"one of: {', '.join(ALGORITHMS)}")
    parser.add_argument("--env", required=True, help="env id, e.g. wmoe/MultiBSReception-v0")
    parser.add_argument("-f", "--log-folder", default="logs", help="log folder (default logs)")
    parser.add_argument("--exp-id", type=int, default=None, help="run id (default: latest)")
    parser.add_argument("--seed", type=int, default=0, help="seed (default 0)")


def build_parser() -> argparse.ArgumentParser:
    """Return the ``wmoe`` argument parser."""
    parser = argparse.ArgumentParser(prog="wmoe", description=__doc__)
    parser.add_argument("--num-threads", type=int, default=1, help="torch threads (default 1)")
    sub = parser.add_subparsers(dest="command", required=True)

    envs = sub.add_parser("envs", help="list the registered environments or describe one")
    envs.add_argument(
        "--describe",
        metavar="ENV_ID",
        help="print the env's config table (key, default, type, unit, valid range, meaning)",
    )
    envs.add_argument("--markdown", action="store_true", help="with --describe: as Markdown")
    envs.add_argument(
        "--sync-readme",
        metavar="PATH",
        help="rewrite the generated config tables of a README between their markers",
    )
    envs.set_defaults(func=_cmd_envs)

    scenario = sub.add_parser("scenario", help="scenario data")
    scenario_sub = scenario.add_subparsers(dest="scenario_command", required=True)
    generate = scenario_sub.add_parser(
        "generate", help="write a SYNTHETIC scenario (O1-like or O1 geometry) in DeepMIMO v4 format"
    )
    info = scenario_sub.add_parser("info", help="describe a DeepMIMO v4 scenario folder")
    plot = scenario_sub.add_parser(
        "plot", help="draw a scenario: buildings, BSs, users, best-server and coverage maps"
    )
    for p in (generate, info, plot):
        p.add_argument(
            "--scenarios-dir",
            default=None,
            help="DeepMIMO scenarios folder (default: $WMOE_DATA_DIR or ~/.cache/wmoe, "
            "+ /deepmimo_scenarios)",
        )
        p.add_argument("--name", default="o1_synthetic_3p5", help="scenario folder name")
    generate.set_defaults(name=None)  # per tracer and layout: o1_synthetic_3p5, ...
    generate.add_argument(
        "--tracer",
        choices=("wmoe", "sionna"),
        default="wmoe",
        help="wmoe: our image-method tracer (default, scenario o1_synthetic_3p5); sionna: the "
        "same layout traced by Sionna RT as a reference (scenario o1_sionna_3p5; needs "
        "`make sionna-rt`, and DRJIT_LIBLLVM_PATH if Dr.Jit finds an LLVM older than 17)",
    )
    generate.add_argument("--row-stride", type=int, default=5, help="keep every k-th 0.2 m row")
    generate.add_argument("--user-stride", type=int, default=5, help="keep every k-th user")
    generate.add_argument(
        "--layout",
        choices=("o1-like", "o1-geometry"),
        default="o1-like",
        help="--tracer wmoe: o1-like (default, o1_synthetic_3p5, v0's default scenario) or "
        "o1-geometry (O1's published geometry with UG1-UG3, o1_geometry_3p5, the v1 reception "
        "ids' default)",
    )
    generate.add_argument(
        "--max-wall-order",
        type=int,
        default=None,
        help="facade reflections (default: 2; 3 with --layout o1-geometry; sionna: max path "
        "depth = this + 1, the ground bounce)",
    )
    generate.add_argument("--seed", type=int, default=0, help="seed of polarisation draws")
    generate.add_argument("--overwrite", action="store_true", help="replace an existing one")
    sionna_only = generate.add_argument_group("--tracer sionna only")
    sionna_only.add_argument(
        "--bs", type=int, nargs="+", default=None, help="trace only these BSs (1-18; default all)"
    )
    sionna_only.add_argument(
        "--no-diffraction", action="store_true", help="specular paths only, as wmoe's tracer"
    )
    sionna_only.add_argument("--samples-per-bs", type=int, default=100_000, help="rays shot per BS")
    sionna_only.add_argument("--num-threads", type=int, default=1, help="Dr.Jit CPU threads")
    generate.set_defaults(func=_cmd_scenario_generate)
    info.set_defaults(func=_cmd_scenario_info)
    plot.add_argument(
        "-o", "--output", default=None, help="image file (default <name>.png; .pdf, .svg work)"
    )
    plot.set_defaults(func=_cmd_scenario_plot)

    baselines = sub.add_parser("baselines", help="rates of the reception env's baselines")
    baselines.add_argument(
        "--env-kwargs", nargs="*", default=[], help="config overrides as key:value"
    )
    baselines.add_argument("--num-users", type=int, default=300, help="users to evaluate")
    baselines.add_argument("--seed", type=int, default=0, help="seed of the user draws")
    baselines.set_defaults(func=_cmd_baselines)

    from wmoe.moe_policies.presets import PRESETS

    train = sub.add_parser(
        "train",
        help="train an agent (rl-baselines3-zoo flags and log layout)",
        description="Train an SB3/sb3-contrib agent; hyperparameters from "
        "hyperparams/<algo>.yml keyed by env id, overridden by the flags.",
    )
    _add_run_arguments(train)
    train.add_argument(
        "--policy", default=None, help=f"network preset, one of: {', '.join(PRESETS)}"
    )
    train.add_argument("-n", "--n-timesteps", type=int, default=None, help="training steps")
    train.add_argument(
        "--env-kwargs",
        nargs="*",
        default=[],
        help="gym.make kwargs as key:value (dotted keys nest: config.action_type:continuous)",
    )
    train.add_argument(
        "-params", "--hyperparams", nargs="*", default=[], help="hyperparameters as key:value"
    )
    train.add_argument("--eval-freq", type=int, default=10_000, help="steps between evals")
    train.add_argument("--eval-episodes", type=int, default=5, help="episodes per eval")
    train.add_argument("--save-freq", type=int, default=10_000, help="steps between checkpoints")
    train.add_argument(
        "--feature-stats-interval",
        type=int,
        default=0,
        help="log each MoE expert's dormant neurons and feature rank every this many steps "
        "(default 0: never)",
    )
    train.add_argument("-P", "--progress", action="store_true", help="show a progress bar")
    train.add_argument("--verbose", type=int, default=1, help="0: quiet, 1: log table")
    train.add_argument(
        "--resume", action="store_true", help="continue run --exp-id (default latest)"
    )
    train.set_defaults(func=_cmd_train)

    evaluate = sub.add_parser(
        "evaluate",
        help="mean/std return of a trained run beside the env's baselines",
        description="Play seeded episodes with a trained run and the env's baselines. An env "
        "whose config has a data split (config key 'split') is scored on the held-out test "
        "split by default, with the training run's split (in-sample) beside it; --split, or "
        "config.split in --env-kwargs, scores that split alone.",
    )
    _add_run_arguments(evaluate)
    evaluate.add_argument("--n-episodes", type=int, default=10, help="episodes (default 10)")
    evaluate.add_argument(
        "--split",
        default=None,
        help="data split to score alone (train, validation or test), for envs whose config "
        "has a 'split' key; default: test, and the training run's split beside it",
    )
    evaluate.add_argument(
        "--env-kwargs",
        nargs="*",
        default=[],
        help="gym.make kwargs as key:value over the run's own (config.split:test picks the "
        "split and wins over the default)",
    )
    evaluate.add_argument(
        "--load", choices=["final", "best", "checkpoint"], default="final", help="which model"
    )
    evaluate.add_argument("--no-baselines", action="store_true", help="skip the baselines")
    evaluate.add_argument(
        "--video",
        metavar="DIR",
        default=None,
        help="also record episodes of the agent as MP4 (RecordVideo; needs wmoe[video])",
    )
    evaluate.add_argument(
        "--video-baseline", metavar="NAME", default=None, help="with --video: also this baseline"
    )
    evaluate.add_argument(
        "--video-episodes", type=int, default=1, help="episodes per video policy (default 1)"
    )
    evaluate.add_argument(
        "--expert-map",
        metavar="FILE",
        default=None,
        help="also draw the expert the MoE router picks at each user location (reception env)",
    )
    evaluate.set_defaults(func=_cmd_evaluate)

    tune_parser = sub.add_parser(
        "tune",
        help="Optuna search of an algorithm's hyperparameters on validation seeds",
        description="Each trial trains with a sample of hyperparams/search_spaces.yml and is "
        "scored on validation episodes (pruned by the median rule). Processes sharing "
        "--storage and the study name share the trials. --backend ray runs the same trials "
        "as Ray Tune trials (OptunaSearch with TPE, median stopping rule), --workers at a "
        "time, on a local Ray bound to 127.0.0.1 or the cluster at --ray-address; Ray has no "
        "authentication to rely on: anyone who can reach its ports can run code on its nodes.",
    )
    tune_parser.add_argument("--algo", required=True, help="algorithm, e.g. ppo")
    tune_parser.add_argument("--env", required=True, help="env id")
    tune_parser.add_argument(
        "--policy",
        nargs="+",
        default=["mlp"],
        help="network preset(s); several get one study each with the same budget "
        "(e.g. moe-top2 mlp-matched)",
    )
    tune_parser.add_argument("--n-trials", type=int, default=20, help="trials of this process")
    tune_parser.add_argument(
        "-n", "--n-timesteps", type=int, default=50_000, help="training steps per trial"
    )
    tune_parser.add_argument(
        "--evaluations", type=int, default=4, help="pruning checkpoints per trial"
    )
    tune_parser.add_argument(
        "--eval-episodes", type=int, default=5, help="validation episodes per checkpoint"
    )
    tune_parser.add_argument(
        "--storage",
        default="sqlite:///wmoe-tune.db",
        help="Optuna storage URL shared by workers (default sqlite:///wmoe-tune.db)",
    )
    tune_parser.add_argument("--study-name", default=None, help="default <algo>-<env>-<policy>")
    tune_parser.add_argument("--seed", type=int, default=0, help="sampler and training seed")
    tune_parser.add_argument("--env-kwargs", nargs="*", help="key:value gym.make overrides")
    tune_parser.add_argument(
        "--backend",
        choices=("optuna", "ray"),
        default="optuna",
        help="optuna: trials in this process (default); ray: Ray Tune trials, one CPU each",
    )
    tune_parser.add_argument(
        "--workers", type=int, default=1, help="ray backend: trials at once (default 1)"
    )
    tune_parser.add_argument(
        "--ray-address",
        default=None,
        help="ray backend: cluster to join (auto or host:port); default: a local Ray on "
        "127.0.0.1 with --workers CPUs. Ray has no authentication: keep it off open networks",
    )
    tune_parser.set_defaults(func=_cmd_tune)

    reproduce = sub.add_parser("reproduce", help="reproduce a paper's result table")
    reproduce_sub = reproduce.add_subparsers(dest="paper", required=True)
    channel_aware = reproduce_sub.add_parser(
        "channel-aware",
        help="Table II of the channel-aware gating paper: perfect / naive / channel-aware",
    )
    channel_aware.add_argument("--dataset", default="fashion-mnist", help="dataset name")
    channel_aware.add_argument("--data-root", default=None, help="dataset folder")
    channel_aware.add_argument(
        "--backbones", nargs="+", default=["lenet5", "resnet18"], help="lenet5, resnet18, vit"
    )
    channel_aware.add_argument("--experts", type=int, default=8, help="K (default 8)")
    channel_aware.add_argument("--stage1-epochs", type=int, default=10, help="stage-1 epochs")
    channel_aware.add_argument("--stage2-epochs", type=int, default=10, help="stage-2 epochs")
    channel_aware.add_argument("--seed", type=int, default=0, help="training and link seed")
    channel_aware.add_argument(
        "--output", default="benchmarks/channel-aware", help="folder of the table ('' skips)"
    )
    channel_aware.set_defaults(func=_cmd_reproduce_channel_aware)

    case_study = reproduce_sub.add_parser(
        "case-study",
        help="the survey's case study: Table VII denoisers in diffusion-SAC, learning curves",
    )
    case_study.add_argument(
        "--networks", nargs="+", default=None, help="denoiser presets (default: Table VII's)"
    )
    case_study.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2], help="seeds")
    case_study.add_argument(
        "-n", "--n-timesteps", type=int, default=None, help="env steps per run (default: yml)"
    )
    case_study.add_argument("--curve-window", type=int, default=1000, help="steps per point")
    case_study.add_argument("--eval-episodes", type=int, default=10, help="evaluation episodes")
    case_study.add_argument("--critic", default="mlp", help="critic preset shared by all runs")
    case_study.add_argument(
        "--env-config", nargs="*", default=[], help="env config overrides as key:value"
    )
    case_study.add_argument("--num-threads", type=int, default=1, help="torch threads")
    case_study.add_argument(
        "--output", default="benchmarks/case-study", help="folder of the report ('' skips)"
    )
    case_study.set_defaults(func=_cmd_reproduce_case_study)

    demo = sub.add_parser("demo", help="the main job on the built-in synthetic scenario")
    demo.add_argument("--timesteps", type=int, default=30_000, help="PPO training steps")
    demo.add_argument("--num-users", type=int, default=300, help="users for evaluation")
    demo.add_argument("--seed", type=int, default=0, help="seed")
    demo.set_defaults(func=_cmd_demo)

    from wmoe.benchmarks.cli import add_benchmark_parser

    add_benchmark_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``wmoe`` command line; return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.func(args)
    except (ValueError, FileNotFoundError, FileExistsError) as error:
        print(f"wmoe: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("wmoe: interrupted", file=sys.stderr)
        return INTERRUPTED_STATUS
    return status


if __name__ == "__main__":
    sys.exit(main())
