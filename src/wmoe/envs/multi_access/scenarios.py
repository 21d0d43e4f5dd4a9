"""The scenario sampler: coexistence mixes of legacy nodes, one task drawn per episode.

The survey's HetNet multi-access scenario (a meta-RL agent with an MoE encoder learning
medium access beside 5G, WiFi and IoT nodes) treats each coexistence mix as a task of a
distribution; an MoE's experts can specialise per mix. A mix names which protocols share
the channels and the ranges their parameters are drawn from (uniformly, per episode):

* ``tdma+aloha`` -- DLMA's setting (Yu, Wang and Liew, IEEE JSAC 2019, Sec. V-A): one TDMA
  node owning ``x`` in ``2..7`` random slots of a frame of ``X = 10``, and one q-ALOHA node
  with ``q`` in ``[0.1, 0.6]``. Always saturated (the model-aware optimum assumes it).
* ``aloha`` -- DLMA Sec. V-C's ALOHA variants: a q-ALOHA node (``q`` in ``[0.05, 0.3]``),
  a fixed-window ALOHA node (``W`` in ``2..8``) and an exponential-backoff ALOHA node
  (``W`` in ``{2, 4}``, maximum stage ``m`` in ``2..4``).
* ``wifi`` -- 2 to 4 IEEE 802.11 DCF stations (CWmin 15, CWmax 1023).
* ``nru+iot`` -- one NR-U gNB (Cat-4 LBT, priority class 3) with a burst of 4 to 8 packets
  every 20 to 40 slots, and 4 to 12 LoRa-like IoT devices with duty cycle 1 % or 10 %
  (ETSI EN 300 220-2 sub-bands) and an arrival probability in ``[0.005, 0.05]`` per slot.
* ``mixed`` -- all at once: TDMA (``x`` in ``1..3`` of 10), q-ALOHA (``q`` in
  ``[0.05, 0.2]``), 1 to 2 WiFi stations, an NR-U gNB (as above) and 0 to 4 IoT devices.

With ``traffic="bursty"`` the ALOHA-family and WiFi nodes get on-off sources (saturated
while ON; mean ON 10 to 50 slots, mean OFF 10 to 100 slots, drawn per node); TDMA stays
saturated, NR-U keeps its schedule and IoT its sparse arrivals. Each node's channel is
drawn uniformly from the ``C`` channels.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from wmoe.envs.multi_access.protocols import (
    KIND_CSMA,
    KIND_EB_ALOHA,
    KIND_FW_ALOHA,
    KIND_Q_ALOHA,
    MAX_FRAME_SLOTS,
    NodeSpec,
    csma_ca,
    eb_aloha,
    fw_aloha,
    iot_aloha,
    nru_lbt,
    on_off,
    q_aloha,
    tdma,
)

TRAFFIC_MODELS = ("saturated", "bursty")
BURSTY_KINDS = (KIND_Q_ALOHA, KIND_FW_ALOHA, KIND_EB_ALOHA, KIND_CSMA)  # on-off when bursty

MixSampler = Callable[[np.random.Generator], list[NodeSpec]]


def _tdma(rng: np.random.Generator, low: int, high: int) -> NodeSpec:
    owned = rng.choice(MAX_FRAME_SLOTS, size=int(rng.integers(low, high + 1)), replace=False)
    pattern = np.zeros(MAX_FRAME_SLOTS, dtype=np.bool_)
    pattern[owned] = True
    return tdma(pattern.tolist())


def _nru(rng: np.random.Generator) -> NodeSpec:
    period = int(rng.integers(20, 41))
    return nru_lbt(period, int(rng.integers(4, 9)), int(rng.integers(period)))


def _iot(rng: np.random.Generator, low: int, high: int) -> list[NodeSpec]:
    count = int(rng.integers(low, high + 1))
    return [
        iot_aloha(float(rng.choice([0.01, 0.1])), float(rng.uniform(0.005, 0.05)))
        for _ in range(count)
    ]


def _wifi(rng: np.random.Generator, low: int, high: int) -> list[NodeSpec]:
    return [csma_ca() for _ in range(int(rng.integers(low, high + 1)))]


def _tdma_aloha(rng: np.random.Generator) -> list[NodeSpec]:
    return [_tdma(rng, 2, 7), q_aloha(float(rng.uniform(0.1, 0.6)))]


def _aloha(rng: np.random.Generator) -> list[NodeSpec]:
    return [
        q_aloha(float(rng.uniform(0.05, 0.3))),
        fw_aloha(int(rng.integers(2, 9))),
        eb_aloha(int(rng.choice([2, 4])), int(rng.integers(2, 5))),
    ]


def _nru_iot(rng: np.random.Generator) -> list[NodeSpec]:
    return [_nru(rng), *_iot(rng, 4, 12)]


def _mixed(rng: np.random.Generator) -> list[NodeSpec]:
    return [
        _tdma(rng, 1, 3),
        q_aloha(float(rng.uniform(0.05, 0.2))),
        *_wifi(rng, 1, 2),
        _nru(rng),
        *_iot(rng, 0, 4),
    ]


# Mix name -> (sampler, the most nodes it draws).
MIXES: dict[str, tuple[MixSampler, int]] = {
    "tdma+aloha": (_tdma_aloha, 2),
    "aloha": (_aloha, 3),
    "wifi": (lambda rng: _wifi(rng, 2, 4), 4),
    "nru+iot": (_nru_iot, 13),
    "mixed": (_mixed, 9),
}
MIX_NAMES = tuple(MIXES)
SATURATED_MIXES = ("tdma+aloha",)  # mixes whose nodes ignore the traffic setting


def max_nodes(mixes: tuple[str, ...]) -> int:
    """The most legacy nodes any of ``mixes`` draws."""
    return max(MIXES[mix][1] for mix in mixes)


def sample_nodes(
    rng: np.random.Generator, mix: str, traffic: str, num_channels: int
) -> tuple[list[NodeSpec], list[int]]:
    """Draw the legacy nodes of one episode of ``mix`` and the channel of each.

    Args:
        rng: The episode's generator.
        mix: A key of :data:`MIXES`.
        traffic: One of :data:`TRAFFIC_MODELS`.
        num_channels: ``C``.
    """
    specs = MIXES[mix][0](rng)
    if traffic == "bursty" and mix not in SATURATED_MIXES:
        specs = [
            on_off(spec, float(rng.uniform(10, 50)), float(rng.uniform(10, 100)))
            if spec.kind in BURSTY_KINDS
            else spec
            for spec in specs
        ]
    channels = rng.integers(num_channels, size=len(specs)).tolist()
    return specs, channels
