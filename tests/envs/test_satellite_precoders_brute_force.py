"""Satellite precoder gains against explicit N-element steering vectors and precoders.

The core never forms the arrays' steering vectors: every precoder is a combination of them,
so its gains follow from their Gram matrix (:mod:`wmoe.phy.satellite_antennas`). Here the
precoders are built the textbook way instead, per sub-band over the beams that use it, from
the 1,024-element (Ka) or 144-element (S) steering vectors: matched filter ``H^H``,
regularised ZF ``H^H (H H^H + alpha I)^-1`` and ZF (Peel, Hochwald and Swindlehurst 2005),
each optionally on the channel projected away from the GEO terminals' directions, columns
normalised to unit norm.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from numpy.typing import NDArray

import wmoe  # noqa: F401
from wmoe.envs.satellite_beamforming.core import _RIDGE, PRECODERS, Decision, SatelliteCore
from wmoe.phy.satellite_antennas import upa_gram

ENV0 = np.zeros(1, dtype=np.int64)


def _steering(cosines: NDArray[np.float64], array_size: tuple[int, ...]) -> NDArray[Any]:
    """``a_p[n] = exp(j pi (n_x u_p + n_y v_p))`` (half-wavelength UPA), ``(N, P)``."""
    nx, ny = np.meshgrid(np.arange(array_size[0]), np.arange(array_size[1]), indexing="ij")
    phase = np.pi * (np.outer(nx.ravel(), cosines[:, 0]) + np.outer(ny.ravel(), cosines[:, 1]))
    return np.exp(1j * phase)


def _brute_force_gains(
    core: SatelliteCore, decision: Decision
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``(user_gain, geo_gain)`` of env 0 as :meth:`SatelliteCore.coupling` defines them."""
    k, m, c = core.num_users, core.num_terminals, core.num_subbands
    steering = _steering(core.cosines[0], tuple(core.array_size[0]))  # (N, K+M)
    users, terminals = steering[:, :k], steering[:, k:]
    snr = core.gamma[0] * core.beam_power_w[0] / core.bandwidth_hz[0]
    channel = (core.fading_known[0] * np.sqrt(snr))[:, None] * np.conj(users.T)  # rows h_k
    kind = PRECODERS[int(decision.precoder[0])]
    if kind.endswith("_geo_null"):  # channel on the complement of the GEO directions
        gram_g = np.conj(terminals.T) @ terminals + _RIDGE * core.num_elements[0] * np.eye(m)
        projector = np.eye(len(steering)) - terminals @ np.linalg.solve(
            gram_g, np.conj(terminals.T)
        )
        channel = channel @ projector
    true_gain = np.abs(core.fading[0]) ** 2 * core.gamma[0]
    sub_band_hz = core.bandwidth_hz[0] / c
    user_gain = np.zeros((c, k, k))
    geo_gain = np.zeros((c, m, k))
    colour = decision.colour[0]
    for s in range(c):
        beams = np.flatnonzero((colour == s) | (colour == c))
        if not len(beams):
            continue
        rows = channel[beams]
        if kind.startswith("mrt"):
            precoder = np.conj(rows.T)
        else:
            gram_s = rows @ np.conj(rows.T)
            alpha = 1.0 if kind.startswith("rzf") else 0.0
            ridge = alpha + _RIDGE * abs(np.trace(gram_s))
            precoder = np.conj(rows.T) @ np.linalg.inv(gram_s + ridge * np.eye(len(beams)))
        precoder = precoder / np.linalg.norm(precoder, axis=0)
        user_gain[s][:, beams] = np.abs(np.conj(users.T) @ precoder) ** 2 * true_gain[:, None]
        if m:
            geo_gain[s][:, beams] = (
                np.abs(np.conj(terminals.T) @ precoder) ** 2 * core.geo_gamma[0][:, None]
            )
    return user_gain / sub_band_hz, geo_gain / sub_band_hz


def _env(env_id: str, seed: int, **config: Any) -> SatelliteCore:
    env = gym.make(env_id, config={"outdated_csi": True, **config})
    env.reset(seed=seed)
    core = env.unwrapped.core  # type: ignore[attr-defined]
    return core if isinstance(core, SatelliteCore) else core.core


@pytest.mark.parametrize("precoder", PRECODERS)
@pytest.mark.parametrize(
    ("env_id", "config"),
    [
        ("wmoe/SatelliteBeamforming-v0", {}),
        ("wmoe/SatelliteBeamforming-v0", {"band": "s", "user_distribution": "clustered"}),
        ("wmoe/SatelliteBeamforming-v1", {"band_weights": None, "band": "ka"}),
    ],
)
def test_gains_equal_explicit_precoders(precoder: str, env_id: str, config: Any) -> None:
    core = _env(env_id, seed=3, **config)
    rng = np.random.default_rng(PRECODERS.index(precoder))
    k, c = core.num_users, core.num_subbands
    # Sub-bands with 0, 1 and several beams, and full reuse (colour C).
    colour = rng.integers(0, c + 1, size=(1, k))
    colour[0, :2] = [c, 1]
    decision = Decision(
        rng.uniform(0.2, 1.0, (1, k)), colour, np.array([PRECODERS.index(precoder)])
    )
    user_gain, geo_gain, active = core.coupling(ENV0, decision, known=False)
    expected_user, expected_geo = _brute_force_gains(core, decision)
    assert np.array_equal(active[0], (colour[0] == np.arange(c)[:, None]) | (colour[0] == c))
    scale = expected_user.max()
    np.testing.assert_allclose(user_gain[0], expected_user, rtol=1e-7, atol=1e-9 * scale)
    np.testing.assert_allclose(geo_gain[0], expected_geo, rtol=1e-7, atol=1e-9 * scale)


def test_common_precoder_gains_equal_the_top_singular_vector() -> None:
    core = _env("wmoe/SatelliteBeamforming-v1", seed=5, band_weights=None, band="ka")
    k = core.num_users
    decision = Decision(
        np.ones((1, k)), np.zeros((1, k), dtype=np.int64), np.zeros(1, dtype=np.int64), None
    )
    user_gain, geo_gain = core.common_coupling(ENV0, decision, known=False)
    steering = _steering(core.cosines[0], tuple(core.array_size[0]))
    snr = core.gamma[0] * core.beam_power_w[0] / core.bandwidth_hz[0]
    channel = (core.fading_known[0] * np.sqrt(snr))[:, None] * np.conj(steering[:, :k].T)
    precoder = np.linalg.svd(channel)[2][0].conj()  # top right singular vector of H, unit norm
    sub_band_hz = core.bandwidth_hz[0] / core.num_subbands
    true_gain = np.abs(core.fading[0]) ** 2 * core.gamma[0]
    expected_user = np.abs(np.conj(steering[:, :k].T) @ precoder) ** 2 * true_gain / sub_band_hz
    expected_geo = (
        np.abs(np.conj(steering[:, k:].T) @ precoder) ** 2 * core.geo_gamma[0] / sub_band_hz
    )
    np.testing.assert_allclose(user_gain[0], expected_user, rtol=1e-8)
    np.testing.assert_allclose(
        geo_gain[0], expected_geo, rtol=1e-7, atol=1e-12 * expected_user.max()
    )


@pytest.mark.parametrize("separation", [0.3, 1e-3, 1e-6])
def test_gram_is_exact_for_nearby_directions(separation: float) -> None:
    # Users of one hot spot are ~1e-3 apart in direction cosine (1e-6: metres apart); the
    # Gram's kernels must stay accurate there, where ZF inverts it.
    rng = np.random.default_rng(0)
    cosines = rng.uniform(-0.4, 0.4, 2) + separation * rng.uniform(-1.0, 1.0, (6, 2))
    steering = _steering(cosines, (32, 32))
    expected = np.conj(steering.T) @ steering
    np.testing.assert_allclose(upa_gram(cosines, (32, 32)), expected, rtol=0, atol=2e-11)
