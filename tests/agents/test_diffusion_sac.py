"""DiffusionSAC: both action kinds learn and round-trip, the expert buffer, imitation, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium import spaces

from wmoe.agents.diffusion_sac import (
    DiffusionActor,
    DiffusionSAC,
    DiffusionSACPolicy,
    ExpertReplayBuffer,
)
from wmoe.agents.diffusion_sac.policies import inference_step_subsequence
from wmoe.agents.vec_env import make_sb3_vec_env
from wmoe.envs.core_env import EXPERT_ACTION_KEY
from wmoe.moe_policies.presets import resolve_network
from wmoe.moe_policies.sb3_policies import routed_layers

ENV_ID = "wmoe/MultiBSReception-v0"
KINDS: dict[str, dict[str, Any]] = {
    # 816 BS sets, the env applies the expert precoder (no expert action in info).
    "discrete": {"action_type": "discrete", "precoder_selection": "expert"},
    # BS and codeword scores; info carries the expert action (chosen set, best codeword).
    "continuous": {"action_type": "continuous"},
}


def _model(kind: str, config: dict[str, Any], seed: int, **kwargs: Any) -> DiffusionSAC:
    env_config = {**config, **KINDS[kind], "episode_length": 16}
    env = make_sb3_vec_env(ENV_ID, 2, seed=seed, env_kwargs={"config": env_config})
    settings: dict[str, Any] = {"learning_starts": 32, "batch_size": 32, "train_freq": 4}
    settings.update(kwargs)
    return DiffusionSAC("MlpPolicy", env, seed=seed, **settings)


def _observations(model: DiffusionSAC) -> np.ndarray:
    space = model.observation_space
    space.seed(5)
    return np.stack([space.sample() for _ in range(16)])


@pytest.mark.parametrize("kind", list(KINDS))
def test_learn_save_load_and_seeding(
    kind: str, reception_config: dict[str, Any], tmp_path: Path
) -> None:
    policy_kwargs = {"network": "moe-top2"}
    model = _model(kind, reception_config, seed=1, policy_kwargs=policy_kwargs).learn(160)
    logged = model.logger.name_to_value
    assert np.isfinite(logged["train/critic_loss"])
    assert ("train/imitation_loss" in logged) == (kind == "continuous")
    if kind == "discrete":
        assert 0 < logged["train/entropy"] <= np.log(816) + 1e-6
    obs = _observations(model)
    actions = model.predict(obs, deterministic=True)[0]
    assert model.action_space.contains(actions[0])

    model.save(tmp_path / "model.zip")
    loaded = DiffusionSAC.load(tmp_path / "model.zip", env=model.get_env())
    assert loaded.policy.network == resolve_network("moe-top2")
    np.testing.assert_array_equal(loaded.predict(obs, deterministic=True)[0], actions)
    for (key, a), (_, b) in zip(
        model.policy.state_dict().items(), loaded.policy.state_dict().items(), strict=True
    ):
        assert torch.equal(a, b), key
    loaded.learn(64, reset_num_timesteps=False)  # optimisers and alpha came back too

    again = _model(kind, reception_config, seed=1, policy_kwargs=policy_kwargs).learn(160)
    np.testing.assert_array_equal(again.predict(obs, deterministic=True)[0], actions)


def test_sampling_is_seeded_and_deterministic_prediction_repeats(
    reception_config: dict[str, Any],
) -> None:
    model = _model("continuous", reception_config, seed=0)
    obs = _observations(model)
    first = model.predict(obs, deterministic=True)[0]
    np.testing.assert_array_equal(model.predict(obs, deterministic=True)[0], first)
    features = torch.as_tensor(obs)
    draws = []
    for _ in range(2):
        generator = torch.Generator().manual_seed(7)
        draws.append(model.actor.sample_x0(features, generator=generator))
    torch.testing.assert_close(draws[0], draws[1], rtol=0, atol=0)
    other = model.actor.sample_x0(features, generator=torch.Generator().manual_seed(8))
    assert not torch.equal(draws[0], other)
    assert draws[0].abs().max() <= 1.0


def _actor(action_space: spaces.Space[Any], network: str = "mlp", **kwargs: Any) -> DiffusionActor:
    observation_space = spaces.Box(-1, 1, (3,), dtype=np.float32)
    policy = DiffusionSACPolicy(
        observation_space, action_space, lambda _: 3e-3, network=network, **kwargs
    )
    return policy.actor


def test_cross_entropy_through_the_chain_makes_the_expert_action_the_mode() -> None:
    torch.manual_seed(0)
    actor = _actor(spaces.Discrete(6))
    state = torch.zeros(64, 3)
    expert = torch.full((64,), 4)
    for _ in range(150):
        log_pi = actor.log_probs(actor.sample_x0(state))
        loss = torch.nn.functional.nll_loss(log_pi, expert)
        actor.optimizer.zero_grad()
        loss.backward()
        actor.optimizer.step()
    actor.set_training_mode(False)
    with torch.no_grad():
        probs = actor.log_probs(actor.infer_x0(state[:1])).exp()
    assert int(actor(state[:1], deterministic=True)) == 4
    assert float(probs[0, 4]) > 0.9


def test_categorical_prediction_learns_a_class_per_state_by_cross_entropy() -> None:
    torch.manual_seed(0)
    actor = _actor(spaces.Discrete(6), prediction="categorical")
    states = torch.eye(3).repeat(22, 1)  # three states, 66 rows
    classes = torch.tensor([4, 0, 2]).repeat(22)
    x0 = 2.0 * torch.nn.functional.one_hot(classes, 6).float() - 1.0
    t = torch.tensor([1, 3])
    noisy = torch.randn(2, 6)
    # The loss is the cross-entropy of the denoiser's logits, and the implied noise is the one
    # that the expected one-hot score 2 p - 1 leaves in x_t.
    logits = actor.denoiser(noisy, t, states[:2])
    implied = actor.schedule.noise_from_x0(noisy, t, 2.0 * logits.softmax(-1) - 1.0)
    torch.testing.assert_close(actor.predict_noise(noisy, t, states[:2]), implied)
    for _ in range(200):
        loss = actor.denoising_loss(states, x0)
        actor.optimizer.zero_grad()
        loss.backward()
        actor.optimizer.step()
    actor.set_training_mode(False)
    with torch.no_grad():
        assert actor(torch.eye(3), deterministic=True).tolist() == [4, 0, 2]
        sampled = torch.stack([actor(torch.eye(3)) for _ in range(20)])
    assert (sampled == torch.tensor([4, 0, 2])).float().mean() > 0.9


def test_expert_replay_buffer_keeps_expert_actions_with_their_transitions() -> None:
    box = spaces.Box(np.array([0, -2], np.float32), np.array([4, 2], np.float32))
    observation_space = spaces.Box(-np.inf, np.inf, (1,), dtype=np.float32)
    buffer = ExpertReplayBuffer(32, observation_space, box, device="cpu", n_envs=2)
    for step in range(10):
        obs = np.array([[step], [100 + step]], dtype=np.float32)
        infos: list[dict[str, Any]] = [
            {EXPERT_ACTION_KEY: np.array([step % 5, 1.0])} if step % 2 else {},
            {},
        ]
        action = np.zeros((2, 2), dtype=np.float32)
        buffer.add(obs, obs, action, np.zeros(2), np.zeros(2), infos)
    np.random.seed(0)
    data = buffer.sample(200)
    obs = data.observations[:, 0].numpy()
    has = data.has_expert.numpy()
    np.testing.assert_array_equal(has, (obs < 100) & (obs % 2 == 1))
    expected = np.stack([2 * (obs % 5) / 4 - 1, np.full_like(obs, 0.5)], axis=1)
    np.testing.assert_allclose(data.expert_actions.numpy()[has], expected[has], rtol=1e-6)
    assert not data.expert_actions.numpy()[~has].any()
    assert has.any() and not has.all()


def test_noise_conditioned_routing_routes_on_noise_level_and_state() -> None:
    actor = _actor(spaces.Box(-1, 1, (2,)), network="moe-top2", noise_conditioned_routing=True)
    (layer,) = routed_layers(actor.denoiser)
    router_in = actor.denoiser.time_embedding[-1].out_features + actor.features_dim
    weights = [p for p in layer.parameters() if p.ndim == 2 and p.shape[-1] == router_in]
    assert weights, "the router reads [emb(t), s]"
    actor.denoising_loss(torch.randn(8, 3), torch.rand(8, 2) * 2 - 1).backward()
    assert all(w.grad is not None and w.grad.abs().sum() > 0 for w in weights)


def test_inference_steps_pick_an_even_subsequence_ending_at_the_last_step() -> None:
    assert inference_step_subsequence(5, 5) == [0, 1, 2, 3, 4]
    assert inference_step_subsequence(5, 2) == [0, 4]
    assert inference_step_subsequence(5, 1) == [4]
    actor = _actor(spaces.Box(-1, 1, (2,)), inference_steps=2)
    assert actor(torch.zeros(4, 3)).shape == (4, 2)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (
            lambda: _actor(spaces.MultiDiscrete([2, 3])),
            r"acts in Box or Discrete action spaces",
        ),
        (lambda: _actor(spaces.Box(-1, 1, (2,)), inference_steps=6), r"inference_steps must"),
        (
            lambda: _actor(spaces.Box(-1, 1, (2,)), noise_conditioned_routing=True),
            r"noise_conditioned_routing needs an MoE network",
        ),
        (lambda: _actor(spaces.Discrete(3), logit_scale=0.0), r"logit_scale must be > 0"),
        (
            lambda: _actor(spaces.Box(-1, 1, (2,)), prediction="categorical"),
            r"prediction='categorical' needs a Discrete action space",
        ),
        (lambda: _actor(spaces.Discrete(3), prediction="x0"), r"prediction must be one of"),
        (
            lambda: _actor(
                spaces.Box(-1, 1, (2,)), network="moe-soft", noise_conditioned_routing=True
            ),
            r"separate router input needs",
        ),
    ],
)
def test_bad_policy_settings_raise(make: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_algorithm_settings_raise(reception_config: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"ent_coef must be a number, 'auto'"):
        _model("discrete", reception_config, seed=0, ent_coef="fixed")
    with pytest.raises(ValueError, match=r"imitation_coef must be >= 0"):
        _model("continuous", reception_config, seed=0, imitation_coef=-1.0)
    env = gym.make(ENV_ID, config={**reception_config, "action_type": "multi_discrete"})
    with pytest.raises(ValueError, match=r"acts in Box or Discrete action spaces, got Multi"):
        DiffusionSAC("MlpPolicy", env)


def test_deterministic_box_action_is_the_candidate_the_critic_values_most(
    reception_config: dict[str, Any],
) -> None:
    model = _model("continuous", reception_config, seed=2, policy_kwargs={"eval_candidates": 5})
    obs = torch.as_tensor(_observations(model))
    policy = model.policy
    with torch.no_grad():
        candidates = policy.actor.candidates(obs)
        assert candidates.shape == (len(obs), 5, policy.actor.action_dim)
        q = torch.stack([policy.critic.q1_forward(obs, candidates[:, m]) for m in range(5)], 1)
        chosen = policy._predict(obs, deterministic=True)
    best = candidates[torch.arange(len(obs)), q.squeeze(-1).argmax(dim=1)]
    torch.testing.assert_close(chosen, best)
    assert len({tuple(row) for row in best.round(decimals=4).tolist()}) > 1


def test_a_saved_actor_rebuilds_with_its_schedule(tmp_path: Path) -> None:
    actor = _actor(spaces.Box(-1, 1, (2,)), diffusion_steps=3, beta_min=0.2, beta_max=5.0)
    actor.save(str(tmp_path / "actor.pt"))
    loaded = DiffusionActor.load(str(tmp_path / "actor.pt"))
    torch.testing.assert_close(loaded.schedule.alpha_bars, actor.schedule.alpha_bars)
    obs = torch.rand(3, 3)
    torch.testing.assert_close(loaded(obs, deterministic=True), actor(obs, deterministic=True))


@pytest.mark.parametrize("kind", list(KINDS))
def test_an_actor_update_carries_the_aux_weight_once(
    kind: str, reception_config: dict[str, Any]
) -> None:
    """Every denoiser call of an update runs at ``1 / calls`` of the aux weight: once in all."""
    model = _model(kind, reception_config, seed=2, policy_kwargs={"network": "moe-top2"})
    model.learn(40)  # past learning_starts, so the buffer can be sampled
    actor = model.policy.actor
    scales: list[float] = []

    def record(module: Any, *_: Any) -> None:
        if torch.is_grad_enabled():  # calls that carry aux losses (not the target chains)
            scales.append(module.aux_scale)

    for layer in routed_layers(actor.denoiser):
        layer.register_forward_hook(record)
    data = model.replay_buffer.sample(16)
    (model._train_discrete if kind == "discrete" else model._train_box)(data)
    num_steps = actor.schedule.num_steps
    assert len(scales) >= num_steps
    # Discrete: the chain alone; Box: BC loss + chain + imitation, each a third.
    assert sum(scales) == pytest.approx(1.0)
    expected_chain = 1.0 / num_steps / (1 if kind == "discrete" else 3)
    assert scales.count(pytest.approx(expected_chain)) == num_steps
