"""Legacy MAC protocols of ``wmoe/MultiAccess-v0``/``-v1`` against their textbook behaviour."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from numpy.typing import NDArray

from wmoe.envs.multi_access.protocols import (
    NRU_CW_MAX,
    NRU_CW_MIN,
    NRU_MCOT_SLOTS,
    UNIFORMS_PER_NODE,
    WIFI_CW_MAX,
    WIFI_CW_MIN,
    LegacyNodes,
    NodeSpec,
    csma_ca,
    eb_aloha,
    fw_aloha,
    iot_aloha,
    nru_lbt,
    on_off,
    q_aloha,
    resolve_slot,
    tdma,
)

JAMMER = tdma([True] * 10)  # transmits in every slot


@dataclass
class Trace:
    """Per slot (axis 0), per env and node: what happened and the state after the slot."""

    tx: NDArray[np.bool_]
    success: NDArray[np.bool_]
    idle: NDArray[np.bool_]
    cw: NDArray[np.int64]
    counter_before: NDArray[np.int64]
    counter: NDArray[np.int64]
    cot_before: NDArray[np.int64]


def simulate(specs: list[NodeSpec], slots: int, envs: int = 1, seed: int = 0) -> Trace:
    """Run ``envs`` copies of ``specs`` on one channel for ``slots`` slots."""
    rng = np.random.default_rng(seed)
    nodes = LegacyNodes(envs, len(specs))
    rows = np.arange(envs)
    for env in rows:
        nodes.write(int(env), specs, [0] * len(specs), rng.random((len(specs), UNIFORMS_PER_NODE)))
    tx = nodes.decide(rows, np.zeros(envs, dtype=np.int64), rng.random((envs, len(specs))))
    record: dict[str, list[NDArray[np.generic]]] = {name: [] for name in Trace.__annotations__}
    for slot in range(slots):
        counts = resolve_slot(tx, nodes.channel, 1)[:, 0:1]
        record["counter_before"].append(nodes.counter.copy())
        record["cot_before"].append(nodes.cot_left.copy())
        uniforms = rng.random((envs, len(specs), UNIFORMS_PER_NODE))
        success, idle = tx & (counts == 1), np.broadcast_to(counts == 0, tx.shape)
        now = np.full(envs, slot)
        nodes.update(rows, now, tx, success, nodes.packet_slot_countdown(rows, tx, idle), uniforms)
        record["tx"].append(tx), record["success"].append(success), record["idle"].append(idle)
        record["cw"].append(nodes.cw.copy()), record["counter"].append(nodes.counter.copy())
        tx = nodes.decide(rows, now + 1, uniforms[..., 0])
    return Trace(**{name: np.array(values) for name, values in record.items()})


@pytest.mark.parametrize(("n", "q"), [(1, 0.3), (4, 0.2), (10, 0.1)])
def test_slotted_aloha_success_probability(n: int, q: float) -> None:
    trace = simulate([q_aloha(q)] * n, slots=400, envs=250)
    per_slot = trace.success.any(-1).mean()  # 100,000 slots: std < 0.0016
    assert per_slot == pytest.approx(n * q * (1 - q) ** (n - 1), abs=0.01)
    assert trace.tx.mean() == pytest.approx(q, abs=0.01)  # saturated: attempt rate q


@pytest.mark.parametrize("load", [0.5, 1.0, 2.0])
def test_slotted_aloha_poisson_limit(load: float) -> None:
    n = 100  # n q (1 - q)^(n - 1) -> G e^{-G}, within 0.004 of it at n = 100
    trace = simulate([q_aloha(load / n)] * n, slots=500, envs=60)
    assert trace.success.any(-1).mean() == pytest.approx(load * math.exp(-load), abs=0.012)


def test_tdma_occupies_exactly_its_slots() -> None:
    pattern = [False, True, True, False, False, False, True, False, False, False]
    trace = simulate([tdma(pattern)], slots=50)
    np.testing.assert_array_equal(trace.tx[:, 0, 0], np.tile(pattern, 5))
    assert trace.tx.mean() == 3 / 10 and trace.success.all(where=trace.tx)


def test_fixed_window_aloha_backoff_is_uniform_in_the_window() -> None:
    window = 6
    trace = simulate([fw_aloha(window)], slots=4000)
    redrawn = trace.counter[trace.tx]
    assert set(redrawn.tolist()) == set(range(window))
    assert redrawn.mean() == pytest.approx((window - 1) / 2, abs=0.15)
    # Alone: one attempt per (backoff + 1) slots, throughput 2 / (W + 1).
    assert trace.success.mean() == pytest.approx(2 / (window + 1), abs=0.02)
    assert np.all(trace.cw == window - 1)


def _check_binary_exponential_backoff(trace: Trace, cw_min: int, cw_max: int, node: int) -> None:
    """After each attempt CW is CWmin on success, min(2 CW + 1, CWmax) on collision."""
    cw_before = np.concatenate([[cw_min], trace.cw[:-1, 0, node]])
    tx, success, cw = trace.tx[:, 0, node], trace.success[:, 0, node], trace.cw[:, 0, node]
    expected = np.where(success, cw_min, np.minimum(2 * cw_before + 1, cw_max))
    np.testing.assert_array_equal(cw[tx], expected[tx])
    np.testing.assert_array_equal(cw[~tx], cw_before[~tx])
    assert success[tx].any() and not success[tx].all()
    drawn = trace.counter[:, 0, node][tx]
    assert np.all((drawn >= 0) & (drawn <= cw[tx]))


def test_exponential_backoff_aloha_doubles_on_collision_and_resets_on_success() -> None:
    # Under a jammer every attempt collides: W - 1 = 1, 3, 7, 15, then capped at W 2^m - 1.
    jammed = simulate([eb_aloha(2, 3), JAMMER], slots=300)
    windows = jammed.cw[:, 0, 0][jammed.tx[:, 0, 0]]
    np.testing.assert_array_equal(windows[:5], [3, 7, 15, 15, 15])
    mixed = simulate([eb_aloha(2, 3), q_aloha(0.3)], slots=3000)
    _check_binary_exponential_backoff(mixed, 1, 15, node=0)


def test_csma_ca_backoff_freezes_while_busy_and_counts_idle_slots() -> None:
    trace = simulate([csma_ca(), csma_ca(), q_aloha(0.3)], slots=6000)
    waiting = ~trace.tx[:, 0, 0]
    before, after = trace.counter_before[:, 0, 0], trace.counter[:, 0, 0]
    idle = trace.idle[:, 0, 0]
    decremented = waiting & idle & (before > 0)
    np.testing.assert_array_equal(after[decremented], before[decremented] - 1)
    frozen = waiting & ~idle
    np.testing.assert_array_equal(after[frozen], before[frozen])
    assert frozen.sum() > 100 and decremented.sum() > 100
    _check_binary_exponential_backoff(trace, WIFI_CW_MIN, WIFI_CW_MAX, node=0)
    # Transmits only when its counter reached 0.
    assert np.all(before[~waiting] == 0)


def test_csma_ca_window_doubles_up_to_cwmax() -> None:
    # A jammer in every even slot: the counter reaches 0 after an idle (odd) slot, so every
    # attempt falls on an even slot and collides.
    every_other = tdma([True, False] * 5)
    trace = simulate([csma_ca(), every_other], slots=8000)
    windows = trace.cw[:, 0, 0][trace.tx[:, 0, 0]]
    np.testing.assert_array_equal(windows[:8], [31, 63, 127, 255, 511, 1023, 1023, 1023])


def test_nru_lbt_defers_when_busy_and_occupies_up_to_mcot() -> None:
    # Alone: every burst of 6 packets every 30 slots is served, in COTs of <= 8 slots.
    alone = simulate([nru_lbt(30, 6, 5)], slots=3000)
    assert alone.success.sum() == pytest.approx(6 * 3000 / 30, abs=6)
    # Beside a q-ALOHA node: COTs start only at counter 0 after idle countdown; CW adapts on
    # the reference (first) slot of each COT.
    trace = simulate([nru_lbt(12, 8, 0), q_aloha(0.2)], slots=6000)
    tx, cot_before = trace.tx[:, 0, 0], trace.cot_before[:, 0, 0]
    starts = tx & (cot_before == 0)
    assert np.all(trace.counter_before[:, 0, 0][starts] == 0)
    waiting = ~tx
    busy = waiting & ~trace.idle[:, 0, 0]
    np.testing.assert_array_equal(trace.counter[:, 0, 0][busy], trace.counter_before[:, 0, 0][busy])
    runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[0], tx.astype(int), [0]]))))[::2]
    assert runs.max() <= 2 * NRU_MCOT_SLOTS and np.any(runs > 1)  # back-to-back COTs at most
    cw_before = np.concatenate([[NRU_CW_MIN], trace.cw[:-1, 0, 0]])
    success = trace.success[:, 0, 0]
    expected = np.where(success, NRU_CW_MIN, np.minimum(2 * cw_before + 1, NRU_CW_MAX))
    np.testing.assert_array_equal(trace.cw[:, 0, 0][starts], expected[starts])
    # Under a jammer it never starts a COT once its counter is above 0.
    jammed = simulate([nru_lbt(12, 8, 0), JAMMER], slots=500, envs=50)
    late = jammed.tx[100:, :, 0] & (jammed.cot_before[100:, :, 0] == 0)
    assert np.all(jammed.counter_before[100:, :, 0][late] == 0)
    assert jammed.tx[100:, :, 0].mean() < 0.01


@pytest.mark.parametrize(("duty", "off"), [(0.01, 99), (0.1, 9), (1.0, 0)])
def test_iot_duty_cycle_is_respected(duty: float, off: int) -> None:
    assert iot_aloha(duty, 1.0).off_slots == off
    trace = simulate([iot_aloha(duty, 1.0)], slots=1000)
    times = np.flatnonzero(trace.tx[:, 0, 0])
    assert np.all(np.diff(times) >= off + 1)
    assert trace.tx.mean() == pytest.approx(duty, abs=0.002)
    # Unconfirmed uplinks: a collided packet is dropped, not retried.
    jammed = simulate([iot_aloha(0.1, 1.0), JAMMER], slots=100)
    assert jammed.tx[:, 0, 0].sum() == 10 and not jammed.success[:, 0, 0].any()


def test_on_off_source_is_on_for_its_stationary_share() -> None:
    trace = simulate([on_off(q_aloha(1.0), 20.0, 60.0)], slots=2000, envs=20)
    assert trace.tx.mean() == pytest.approx(20 / 80, abs=0.03)


def test_bad_protocol_parameters_raise() -> None:
    with pytest.raises(ValueError, match="duty_cycle=0.0; expected 0 < d <= 1"):
        iot_aloha(0.0, 0.1)
    with pytest.raises(ValueError, match="TDMA frame of 11 slots; expected 1..10"):
        tdma([True] * 11)
    with pytest.raises(ValueError, match="3 nodes exceed max_nodes=2"):
        LegacyNodes(1, 2).write(0, [q_aloha(0.1)] * 3, [0] * 3, np.zeros((2, 4)))


@dataclass
class Contention:
    """Event counts of saturated sensing nodes under sub-slot contention (one channel)."""

    backoff_slots: int  # Bianchi's slots: idle sub-slots and transmission events
    attempts: int
    collided_attempts: int
    successes: int  # transmission events with one transmitter
    collisions: int  # transmission events with several
    busy_share: float  # packet slots with a transmission


def contend(specs: list[NodeSpec], slots: int, envs: int, subslots: int = 16) -> Contention:
    """Run ``envs`` copies of ``specs`` on one channel with sub-slot contention."""
    rng = np.random.default_rng(len(specs))
    n, rows = len(specs), np.arange(envs)
    nodes = LegacyNodes(envs, n)
    for env in rows:
        nodes.write(int(env), specs, [0] * n, rng.random((n, UNIFORMS_PER_NODE)))
    totals = np.zeros(6)
    for slot in range(slots):
        now = np.full(envs, slot)
        starting = nodes.decide(rows, now, rng.random((envs, n)))
        taken = resolve_slot(starting, nodes.channel, 1) > 0
        tx, countdown, start = nodes.contend(rows, starting, taken, subslots)
        counts = resolve_slot(tx, nodes.channel, 1)[:, 0]
        success = tx & (counts == 1)[:, None]
        nodes.update(rows, now, tx, success, countdown, rng.random((envs, n, UNIFORMS_PER_NODE)))
        totals += [
            np.where(counts > 0, start[:, 0] + 1, subslots).sum(),
            tx.sum(),
            (tx & (counts > 1)[:, None]).sum(),
            (counts == 1).sum(),
            (counts > 1).sum(),
            (counts > 0).sum(),
        ]
    *events, busy = totals
    return Contention(*(int(x) for x in events), busy_share=busy / (slots * envs))


def bianchi_fixed_point(n: int, w: int = WIFI_CW_MIN + 1, m: int = 6) -> tuple[float, float]:
    """Bianchi's (IEEE JSAC 18(3), 2000, eqs. 7 and 9) attempt and collision probabilities.

    ``tau = 2 / (W + 1 + p W sum_{i<m} (2p)^i)`` (eq. 7 rearranged, no pole at p = 1/2),
    ``p = 1 - (1 - tau)^(n - 1)``; solved by bisection (the map is monotone).
    """
    low, high = 0.0, 1.0
    for _ in range(100):
        tau = (low + high) / 2
        p = 1 - (1 - tau) ** (n - 1)
        low, high = (
            (tau, high)
            if 2 / (w + 1 + p * w * sum((2 * p) ** i for i in range(m))) > tau
            else (low, tau)
        )
    return tau, 1 - (1 - tau) ** (n - 1)


# Basic-access timing [us] for S (IEEE 802.11a OFDM, 1500-byte payload at 54 Mbit/s, ACK at
# 24 Mbit/s; IEEE Std 802.11-2016 Table 17-21): slot, success, collision, payload airtime.
SIGMA_US, T_S_US, T_C_US, T_PAYLOAD_US = 9.0, 321.9, 281.2, 222.2


def saturation_throughput(p_tr: float, p_s: float) -> float:
    """Bianchi's eq. 13: ``S = P_s P_tr T_payload / ((1 - P_tr) sigma + P_tr P_s T_s + ...)``."""
    busy = p_tr * p_s * T_S_US + p_tr * (1 - p_s) * T_C_US
    return p_s * p_tr * T_PAYLOAD_US / ((1 - p_tr) * SIGMA_US + busy)


@pytest.mark.parametrize("n", range(2, 11))
def test_sub_slot_dcf_matches_bianchi(n: int) -> None:
    # W = 16, m = 6 (CWmax = 1023); 32 x 2,000 packet slots. Measured (64 x 3,000): |tau|
    # <= 0.9 %, |S| <= 0.4 %, p within 1 % for n >= 5 and +4.8 % at n = 2 (Bianchi's
    # decoupling assumption, not noise: ~0.5 % standard error).
    run = contend([csma_ca()] * n, slots=2000, envs=32)
    tau, p = bianchi_fixed_point(n)
    assert run.attempts / (n * run.backoff_slots) == pytest.approx(tau, rel=0.02)
    assert run.collided_attempts / run.attempts == pytest.approx(p, rel=0.07)
    events = run.successes + run.collisions
    simulated = saturation_throughput(events / run.backoff_slots, run.successes / events)
    p_tr = 1 - (1 - tau) ** n
    closed_form = saturation_throughput(p_tr, n * tau * (1 - tau) ** (n - 1) / p_tr)
    assert simulated == pytest.approx(closed_form, rel=0.01)


def test_sub_slot_backoff_fits_in_a_slot_and_defers_to_slotted_nodes() -> None:
    # CWmin + 1 = K sub-slots: a lone WiFi station or NR-U gNB never leaves a slot idle.
    assert contend([csma_ca()], slots=300, envs=4).busy_share == 1.0
    jammed = contend([csma_ca(), JAMMER], slots=300, envs=4)
    # Beside a node in every slot the station transmits only when its counter reaches 0 at
    # sub-slot 0 (one decrement per busy slot), and then collides with the jammer.
    station = jammed.attempts - 300 * 4
    assert station > 0 and jammed.collided_attempts == 2 * station == 2 * jammed.collisions
    assert contend([nru_lbt(20, 8, 0)], slots=400, envs=4).collisions == 0
