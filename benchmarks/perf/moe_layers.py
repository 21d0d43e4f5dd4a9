"""Cost of MoE bodies vs an MLP: layer forward+backward time and PPO training throughput.

Run from the repository root (the PPO part uses the default synthetic scenario of
``wmoe/MultiBSReception-v0``, written on first use)::

    .venv/bin/python benchmarks/perf/moe_layers.py [--widths 256 256] [--part both|breakdown]

Table 1 times one training step's forward and backward (``loss = output.square().mean()``,
training mode, aux losses carried as in training) of a plain MLP ``in_dim -> widths`` and of
MoE bodies with 4 experts of the same widths each, routed top-1, top-2 and dense, at several
batch sizes. Table 2 trains PPO (``MoEActorCriticPolicy``) on ``wmoe/MultiBSReception-v0``
through ``make_sb3_vec_env`` with the ``mlp`` and ``moe-*`` presets and reports env-steps per
second. ``--part breakdown`` times the top-1 layer built up stage by stage (experts alone,
then the combine, the router and the aux losses) at batch 256. Every variant is measured in
this one run, round-robin (the starting variant rotates from round to round), and the median
over rounds is reported with its ratio to the MLP.
"""

from __future__ import annotations

import argparse
import functools
import math
import statistics
import time
from collections.abc import Callable, Sequence

import torch
from stable_baselines3 import PPO
from torch import Tensor, nn

import wmoe  # noqa: F401  (registers the envs)
from wmoe.agents.vec_env import make_sb3_vec_env
from wmoe.moe_policies import MoEActorCriticPolicy, MoELayer, NetworkSpec, RouterSpec, build_body
from wmoe.moe_policies.dispatch import combine, group_by_expert

ENV_ID = "wmoe/MultiBSReception-v0"
NUM_EXPERTS = 4
PPO_POLICIES = ("mlp", "moe-top1", "moe-top2", "moe-dense", "moe-soft")


def layer_variants(
    widths: Sequence[int], in_dim: int, compiled: bool = False
) -> dict[str, nn.Module]:
    """The MLP body and the MoE bodies (4 experts of ``widths`` each), in training mode.

    With ``compiled``, also the top-1 body through ``torch.compile`` (inductor's CPU kernels,
    generated at the first calls; the warm-up pays for them).
    """
    experts = tuple(widths)
    specs = {
        "mlp": NetworkSpec(stem=experts),
        "moe top-1": NetworkSpec(
            stem=(), experts=experts, router=RouterSpec(num_experts=NUM_EXPERTS, top_k=1)
        ),
        "moe top-2": NetworkSpec(
            stem=(), experts=experts, router=RouterSpec(num_experts=NUM_EXPERTS, top_k=2)
        ),
        "moe dense": NetworkSpec(
            stem=(), experts=experts, router=RouterSpec(kind="dense", num_experts=NUM_EXPERTS)
        ),
    }
    bodies = {name: build_body(spec, in_dim, nn.ReLU).train() for name, spec in specs.items()}
    if compiled:
        bodies["moe top-1 compiled"] = torch.compile(bodies["moe top-1"])  # type: ignore[assignment]
    return bodies


def train_step(module: nn.Module, x: Tensor) -> None:
    """One forward and backward pass, as in training (gradients cleared first)."""
    module.zero_grad(set_to_none=True)
    module(x).square().mean().backward()


def seconds_per_call(fn: Callable[[], None], calls: int) -> float:
    """Mean wall time [s] of ``calls`` calls of ``fn``."""
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def round_robin(names: Sequence[str], rounds: int) -> list[list[str]]:
    """``rounds`` orders of ``names``, each starting one further along."""
    return [list(names[r % len(names) :]) + list(names[: r % len(names)]) for r in range(rounds)]


def time_layers(
    widths: Sequence[int],
    in_dim: int,
    batch_sizes: Sequence[int],
    repeats: int,
    target_s: float,
    compiled: bool = False,
) -> dict[int, dict[str, float]]:
    """Median forward+backward time [ms] of each body variant at each batch size.

    Each repeat times ``calls`` training steps per variant, where ``calls`` is chosen so
    that the MLP takes about ``target_s`` seconds.
    """
    torch.manual_seed(0)
    results: dict[int, dict[str, float]] = {}
    for batch in batch_sizes:
        variants = layer_variants(widths, in_dim, compiled)
        x = torch.randn(batch, in_dim)
        for module in variants.values():  # warm-up
            for _ in range(3):
                train_step(module, x)
        mlp_s = seconds_per_call(functools.partial(train_step, variants["mlp"], x), 5)
        calls = max(3, math.ceil(target_s / mlp_s))
        samples: dict[str, list[float]] = {name: [] for name in variants}
        for order in round_robin(list(variants), repeats):
            for name in order:
                step = functools.partial(train_step, variants[name], x)
                samples[name].append(1000 * seconds_per_call(step, calls))
        results[batch] = {name: statistics.median(v) for name, v in samples.items()}
    return results


def top1_breakdown(
    widths: Sequence[int], in_dim: int, batch: int, repeats: int, target_s: float
) -> dict[str, float]:
    """Median forward+backward time [ms] of the top-1 layer built up stage by stage.

    Stages: the MLP; the experts alone on the layer's own routing (fixed, no gradient to the
    router), grouped by expert; the same mixed back into sample order by ``combine``; with
    the router in the graph (aux losses off); the whole layer (aux losses carried).
    """
    torch.manual_seed(0)
    mlp = build_body(NetworkSpec(stem=tuple(widths)), in_dim, nn.ReLU).train()
    spec = NetworkSpec(stem=(), experts=tuple(widths), router=RouterSpec(top_k=1))
    body = build_body(spec, in_dim, nn.ReLU).train()
    layer = body[0]
    assert isinstance(layer, MoELayer)
    x = torch.randn(batch, in_dim)
    fixed = layer.router(x)
    assert fixed.expert_index is not None
    fixed_index, fixed_weight = fixed.expert_index, fixed.expert_weight.detach()

    def experts_only() -> Tensor:
        groups = group_by_expert(fixed_index, fixed_weight, NUM_EXPERTS)
        return layer.experts.grouped(x.index_select(0, groups.samples), groups.counts)

    def with_combine() -> Tensor:
        groups = group_by_expert(fixed_index, fixed_weight, NUM_EXPERTS)
        grouped = layer.experts.grouped(x.index_select(0, groups.samples), groups.counts)
        return combine(grouped, groups, batch)

    def with_router() -> Tensor:
        layer.aux_mode = "off"
        try:
            return body(x)
        finally:
            layer.aux_mode = "carry"

    stages: dict[str, Callable[[], Tensor]] = {
        "mlp": lambda: mlp(x),
        "experts (grouped)": experts_only,
        "+ combine": with_combine,
        "+ router": with_router,
        "+ aux losses (layer)": lambda: body(x),
    }

    def step(forward: Callable[[], Tensor]) -> None:
        mlp.zero_grad(set_to_none=True)
        body.zero_grad(set_to_none=True)
        forward().square().mean().backward()

    for forward in stages.values():
        step(forward)
    calls = max(3, math.ceil(target_s / seconds_per_call(lambda: step(stages["mlp"]), 5)))
    samples: dict[str, list[float]] = {name: [] for name in stages}
    for order in round_robin(list(stages), repeats):
        for name in order:
            timed = functools.partial(step, stages[name])
            samples[name].append(1000 * seconds_per_call(timed, calls))
    return {name: statistics.median(v) for name, v in samples.items()}


def ppo_fps(policies: Sequence[str], total_timesteps: int, rounds: int) -> dict[str, float]:
    """Median PPO training env-steps/s of each preset on ``wmoe/MultiBSReception-v0``."""
    env = make_sb3_vec_env(
        ENV_ID, num_envs=8, seed=0, env_kwargs={"config": {"precoder_selection": "expert"}}
    )
    samples: dict[str, list[float]] = {name: [] for name in policies}
    for r, order in enumerate(round_robin(list(policies), rounds)):
        for name in order:
            model = PPO(
                MoEActorCriticPolicy,
                env,
                n_steps=256,
                batch_size=256,
                policy_kwargs={"network": name},
                seed=r,
                device="cpu",
                verbose=0,
            )
            start = time.perf_counter()
            model.learn(total_timesteps=total_timesteps)
            samples[name].append(model.num_timesteps / (time.perf_counter() - start))
    env.close()
    return {name: statistics.median(v) for name, v in samples.items()}


def print_layer_table(
    results: dict[int, dict[str, float]], widths: Sequence[int], in_dim: int
) -> None:
    print(
        f"Forward+backward of one body (training mode, aux losses on), {in_dim} -> "
        f"{list(widths)}; MoE: {NUM_EXPERTS} experts of that size each. Median ms."
    )
    names = list(next(iter(results.values())))
    header = f"{'batch':>6} " + " ".join(f"{name:>11}" for name in names)
    print(header + "  " + " ".join(f"{name + ' / mlp':>15}" for name in names[1:]))
    for batch, row in results.items():
        times = " ".join(f"{row[name]:11.3f}" for name in names)
        ratios = " ".join(f"{row[name] / row['mlp']:14.2f}x" for name in names[1:])
        print(f"{batch:>6} {times}  {ratios}")


def print_breakdown(times: dict[str, float], widths: Sequence[int], batch: int) -> None:
    print(f"Top-1 layer built up stage by stage, {list(widths)} wide, batch {batch}. Median ms.")
    print(f"{'stage':<22} {'ms':>8} {'/ mlp':>7}")
    for name, value in times.items():
        print(f"{name:<22} {value:8.3f} {value / times['mlp']:6.2f}x")


def print_ppo_table(fps: dict[str, float], total_timesteps: int, rounds: int) -> None:
    print(
        f"PPO on {ENV_ID} (precoder_selection=expert, 8 envs, n_steps 256, batch 256), "
        f"{total_timesteps} steps per run, median of {rounds} rounds"
    )
    print(f"{'policy':<10} {'env-steps/s':>12} {'this / mlp':>11}")
    for name, value in fps.items():
        print(f"{name:<10} {value:12,.0f} {value / fps['mlp']:10.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("layers", "breakdown", "ppo", "both"), default="both")
    parser.add_argument("--widths", type=int, nargs="+", default=[256, 256])
    parser.add_argument("--in-dim", type=int, default=32)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 256, 2048])
    parser.add_argument("--repeats", type=int, default=7, help="layer timing rounds")
    parser.add_argument(
        "--target-s", type=float, default=0.1, help="seconds of MLP steps per layer sample"
    )
    parser.add_argument("--ppo-steps", type=int, default=16384, help="timesteps per PPO run")
    parser.add_argument("--rounds", type=int, default=3, help="PPO rounds")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument(
        "--compile", action="store_true", help="also time the top-1 body under torch.compile"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    if args.part in ("layers", "both"):
        results = time_layers(
            args.widths, args.in_dim, args.batch_sizes, args.repeats, args.target_s, args.compile
        )
        print_layer_table(results, args.widths, args.in_dim)
    if args.part == "breakdown":
        times = top1_breakdown(args.widths, args.in_dim, 256, args.repeats, args.target_s)
        print_breakdown(times, args.widths, 256)
    if args.part == "both":
        print()
    if args.part in ("ppo", "both"):
        fps = ppo_fps(PPO_POLICIES, args.ppo_steps, args.rounds)
        print_ppo_table(fps, args.ppo_steps, args.rounds)


if __name__ == "__main__":
    main()
