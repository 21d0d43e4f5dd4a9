"""Legacy MAC protocols of the multiple-access env, vectorised over ``(batch, node)``.

Time is slotted; one slot is the airtime of one packet for every node (the abstraction of
Yu, Wang and Liew, "Deep-Reinforcement Learning Multiple Access for Heterogeneous Wireless
Networks", IEEE JSAC 37(6), 2019 -- DLMA -- Sec. II). A node transmits on its one channel;
a slot of a channel with exactly one transmitter is a success, with two or more a collision
for all of them. Nodes with carrier sensing (CSMA/CA, NR-U LBT) sense the slot that just
ended: idle if nobody (legacy or learning node) transmitted on their channel.

Protocols (one ``KIND_*`` each, parameters in :class:`NodeSpec`):

* **TDMA** (DLMA Sec. II-A): a frame of ``frame`` slots of which the node owns those set in
  ``pattern``; it transmits in each of them (saturated). Occupancy is exactly ``x / X``.
* **q-ALOHA** (slotted ALOHA; Abramson 1970, Roberts 1975; Bertsekas and Gallager, *Data
  Networks*, 2nd ed., Sec. 4.2): a backlogged node transmits in each slot with probability
  ``q``; ``n`` saturated nodes succeed in ``n q (1 - q)^(n - 1)`` of the slots, ``G e^{-G}``
  for ``n -> inf`` at ``G = n q``.
* **Fixed-window ALOHA** (DLMA Sec. II-A): after each transmission it waits a backoff drawn
  uniformly from ``{0, ..., W - 1}`` slots, counted down every slot (no sensing).
* **Exponential-backoff ALOHA** (DLMA Sec. II-A; binary exponential backoff, Metcalfe and
  Boggs 1976): as fixed-window, but the window doubles after a collision up to ``W 2^m``
  (``m``: maximum backoff stage) and returns to ``W`` after a success.
* **CSMA/CA** (IEEE 802.11 DCF, IEEE Std 802.11-2016 Sec. 10.3.3; slotted model of Bianchi,
  IEEE JSAC 18(3), 2000): backoff counter drawn uniformly from ``{0, ..., CW}``, counted
  down while the channel is idle, transmit when it is 0; ``CW = CWmin = 15`` after a
  success, ``CW <- min(2 CW + 1, CWmax = 1023)`` after a collision (OFDM PHY aCWmin/aCWmax,
  IEEE Std 802.11-2016 Table 17-21). How the counter meets time depends on the contention
  model (below). EIFS, retry limits and multi-slot frames are left out.
* **NR-U listen-before-talk** (3GPP TS 37.213 Sec. 4.1.1, Type 1 / Cat-4 LBT; ETSI
  EN 301 893 Sec. 4.2.7): a gNB with scheduled traffic bursts (``burst`` packets every
  ``period`` slots from ``offset``) draws a counter from ``{0, ..., CW_p}``, counts it down in
  idle slots as CSMA/CA does, then occupies the channel for a channel occupancy time of
  ``min(queue, mcot)`` consecutive slots without sensing. ``CW_p`` resets to ``CWmin`` when
  the first slot of the last COT (the reference slot, TS 37.213 Sec. 4.1.4) succeeded and
  doubles otherwise, up to ``CWmax``. Priority class 3 (TS 37.213 Table 4.1.1-1): ``CWmin =
  15``, ``CWmax = 63``, ``T_mcot = 8 ms``, i.e. 8 one-millisecond NR slots.
* **IoT (LoRa-like ALOHA)** (LoRaWAN 1.0.3 class A, unconfirmed uplinks; LoRaWAN Regional
  Parameters RP002-1.0.3 EU863-870): a packet is sent at the first slot after it arrives
  (pure ALOHA, slotted here) and never retransmitted; after each transmission of airtime
  ``T`` the node stays silent for ``T (1 / d - 1)`` so its duty cycle never exceeds ``d``
  (ETSI EN 300 220-2 Sec. 4.3.3: ``d = 1 %`` in the 868.0-868.6 MHz sub-band, 10 % in
  869.4-869.65 MHz).

Contention models (``contention`` config):

* ``"packet_slots"`` (``wmoe/MultiAccess-v0``): a backoff slot lasts a whole packet slot.
  The sensing nodes sense the slot that just ended and count down one per idle slot (frozen
  while busy). Backoff then wastes whole packet slots: a lone WiFi station transmits in
  only ``1 / (1 + E[counter]) = 2 / 17`` of the slots, and 802.11 DCF runs 10-26 % below
  Bianchi's saturation throughput.
* ``"sub_slots"``: a packet slot is one packet's airtime plus a contention budget of ``K``
  backoff sub-slots of ``sigma = 9 us`` (aSlotTime of the OFDM PHY, IEEE Std 802.11-2016
  Table 17-21; the sensing slot ``T_sl = 9 us`` of TS 37.213 Sec. 4.1.1). Nodes without
  sensing, NR-U inside a COT and sensing nodes whose counter is 0 start at sub-slot 0. On a
  channel where one of them starts, the other sensing nodes defer; elsewhere the smallest
  counter ``c`` of the sensing nodes with a packet decides: if ``c < K`` the nodes at ``c``
  transmit after ``c`` idle sub-slots (several collide), else the slot stays idle. Every
  deferring sensing node counts down one per idle sub-slot plus one for the sub-slot a
  transmission starts in (``c + 1``, or 1 on a channel taken at sub-slot 0; ``K`` in an idle
  slot). That last decrement is the standards' rule: TS 37.213 Sec. 4.1.1 decrements ``N``
  (step 2) before sensing each slot and resumes at step 4 after a busy slot's defer
  duration; in IEEE Std 802.11-2016 Sec. 10.22.2 (EDCA) the first backoff slot boundary after a
  busy medium is the end of AIFS (DIFS), where the counter is decremented. So each station's
  counter drops by one per contention event, idle sub-slot or transmission, which is
  Bianchi's embedded Markov chain: ``n`` saturated stations attempt with his fixed-point
  ``tau`` and collide with his ``p`` (tested for ``n = 2..10``).

Traffic: a node holds a queue of at most ``buffer`` packets. Each slot, while its source is
ON, a packet arrives with probability ``arrival_prob``; the source switches ON -> OFF with
probability ``p_on_off`` and OFF -> ON with ``p_off_on`` per slot (an on-off, interrupted
Bernoulli source: geometric bursts of mean ``1 / p_on_off`` slots; Heffes and Lucantoni,
IEEE JSAC 4(6), 1986, for the Markov-modulated family). ``arrival_prob = 1`` with
``p_on_off = 0`` is a saturated node. NR-U nodes get their scheduled bursts instead.
A failed packet stays queued (retransmitted) except for IoT nodes.

Every stochastic choice uses :data:`UNIFORMS_PER_NODE` uniforms per node and slot, drawn by
the caller, so a batch reproduces single environments draw for draw.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

KIND_NONE, KIND_TDMA, KIND_Q_ALOHA, KIND_FW_ALOHA, KIND_EB_ALOHA = 0, 1, 2, 3, 4
KIND_CSMA, KIND_NRU, KIND_IOT = 5, 6, 7
KIND_NAMES = ("none", "tdma", "q_aloha", "fw_aloha", "eb_aloha", "csma_ca", "nru_lbt", "iot")
BACKOFF_KINDS = (KIND_FW_ALOHA, KIND_EB_ALOHA, KIND_CSMA, KIND_NRU)
SENSING_KINDS = (KIND_CSMA, KIND_NRU)

# Uniform draws per node and slot: the next slot's access coin (q-ALOHA), a backoff draw,
# a packet arrival and the on-off source's switch.
U_ACCESS, U_BACKOFF, U_ARRIVAL, U_SWITCH = 0, 1, 2, 3
UNIFORMS_PER_NODE = 4

MAX_FRAME_SLOTS = 10  # longest TDMA frame X [slots] (DLMA uses X = 10)

WIFI_CW_MIN, WIFI_CW_MAX = 15, 1023  # IEEE Std 802.11-2016 Table 17-21 (OFDM PHY)
NRU_CW_MIN, NRU_CW_MAX, NRU_MCOT_SLOTS = 15, 63, 8  # TS 37.213 Table 4.1.1-1, class 3


@dataclass(frozen=True)
class NodeSpec:
    """One legacy node: its protocol and parameters (unused ones keep their defaults).

    Attributes:
        kind: A ``KIND_*`` constant.
        q: q-ALOHA transmit probability per slot.
        pattern: TDMA: which slots of the frame the node owns (frame length ``len``).
        cw_min: Backoff protocols: smallest contention window ``CW`` (draws ``0..CW``).
        cw_max: Backoff protocols: largest contention window.
        mcot_slots: NR-U: maximum channel occupancy time [slots]; 1 for other protocols.
        period_slots: NR-U: slots between scheduled bursts.
        burst_packets: NR-U: packets per scheduled burst.
        offset_slots: NR-U: slot of the first burst, ``< period_slots``.
        off_slots: IoT: silent slots after each transmission (duty cycle).
        arrival_prob: Packet arrival probability per slot while the source is ON.
        p_on_off: ON -> OFF switch probability per slot (0: always ON).
        p_off_on: OFF -> ON switch probability per slot.
        buffer_packets: Queue capacity [packets].
        drop_on_tx: The packet leaves the queue when sent, even if it collided.
    """

    kind: int
    q: float = 0.0
    pattern: tuple[bool, ...] = field(default_factory=tuple)
    cw_min: int = 0
    cw_max: int = 0
    mcot_slots: int = 1
    period_slots: int = 1
    burst_packets: int = 0
    offset_slots: int = 0
    off_slots: int = 0
    arrival_prob: float = 1.0
    p_on_off: float = 0.0
    p_off_on: float = 1.0
    buffer_packets: int = 1
    drop_on_tx: bool = False


def tdma(pattern: Sequence[bool]) -> NodeSpec:
    """A saturated TDMA node owning the slots of ``pattern`` in a frame of ``len(pattern)``."""
    if not 1 <= len(pattern) <= MAX_FRAME_SLOTS:
        raise ValueError(f"TDMA frame of {len(pattern)} slots; expected 1..{MAX_FRAME_SLOTS}")
    return NodeSpec(KIND_TDMA, pattern=tuple(bool(b) for b in pattern))


def q_aloha(q: float) -> NodeSpec:
    """A slotted ALOHA node transmitting with probability ``q`` when backlogged."""
    return NodeSpec(KIND_Q_ALOHA, q=q)


def fw_aloha(window: int) -> NodeSpec:
    """Fixed-window ALOHA: backoff uniform in ``{0, ..., window - 1}`` after each attempt."""
    return NodeSpec(KIND_FW_ALOHA, cw_min=window - 1, cw_max=window - 1)


def eb_aloha(window: int, max_stage: int) -> NodeSpec:
    """Exponential-backoff ALOHA: window ``window`` doubling on collision up to stage ``m``."""
    return NodeSpec(KIND_EB_ALOHA, cw_min=window - 1, cw_max=window * 2**max_stage - 1)


def csma_ca(cw_min: int = WIFI_CW_MIN, cw_max: int = WIFI_CW_MAX) -> NodeSpec:
    """An IEEE 802.11 DCF (CSMA/CA) station with binary exponential backoff."""
    return NodeSpec(KIND_CSMA, cw_min=cw_min, cw_max=cw_max)


def nru_lbt(period_slots: int, burst_packets: int, offset_slots: int) -> NodeSpec:
    """An NR-U gNB with Cat-4 LBT (priority class 3) and scheduled bursts."""
    return NodeSpec(
        KIND_NRU,
        cw_min=NRU_CW_MIN,
        cw_max=NRU_CW_MAX,
        mcot_slots=NRU_MCOT_SLOTS,
        period_slots=period_slots,
        burst_packets=burst_packets,
        offset_slots=offset_slots,
        arrival_prob=0.0,
        buffer_packets=2 * max(burst_packets, 1),
    )


def iot_aloha(duty_cycle: float, arrival_prob: float) -> NodeSpec:
    """A duty-cycled LoRa-like device: pure ALOHA, no retransmission, duty cycle ``d``."""
    if not 0.0 < duty_cycle <= 1.0:
        raise ValueError(f"duty_cycle={duty_cycle!r}; expected 0 < d <= 1")
    off_slots = math.ceil(round(1.0 / duty_cycle - 1.0, 9))  # T (1/d - 1) with T = 1 slot
    return NodeSpec(KIND_IOT, off_slots=off_slots, arrival_prob=arrival_prob, drop_on_tx=True)


def on_off(spec: NodeSpec, mean_on_slots: float, mean_off_slots: float) -> NodeSpec:
    """``spec`` with an on-off source: saturated while ON, geometric ON and OFF periods."""
    return NodeSpec(
        **{
            **spec.__dict__,
            "p_on_off": 1.0 / mean_on_slots,
            "p_off_on": 1.0 / mean_off_slots,
        }
    )


class LegacyNodes:
    """The legacy nodes of ``batch_size`` envs, padded to ``max_nodes`` (kind ``KIND_NONE``).

    Args:
        batch_size: Number of environments.
        max_nodes: Node slots per environment.
    """

    def __init__(self, batch_size: int, max_nodes: int) -> None:
        shape = (batch_size, max_nodes)
        self.max_nodes = max_nodes
        self.kind = np.zeros(shape, dtype=np.int64)
        self.channel = np.zeros(shape, dtype=np.int64)
        self.q = np.zeros(shape)
        self.frame = np.ones(shape, dtype=np.int64)
        self.pattern = np.zeros(shape + (MAX_FRAME_SLOTS,), dtype=np.bool_)
        self.cw_min = np.zeros(shape, dtype=np.int64)
        self.cw_max = np.zeros(shape, dtype=np.int64)
        self.mcot = np.ones(shape, dtype=np.int64)
        self.period = np.ones(shape, dtype=np.int64)
        self.burst = np.zeros(shape, dtype=np.int64)
        self.offset = np.zeros(shape, dtype=np.int64)
        self.off_slots = np.zeros(shape, dtype=np.int64)
        self.arrival_prob = np.zeros(shape)
        self.p_on_off = np.zeros(shape)
        self.p_off_on = np.zeros(shape)
        self.buffer = np.zeros(shape, dtype=np.int64)
        self.drop_on_tx = np.zeros(shape, dtype=np.bool_)
        # Protocol state.
        self.queue = np.zeros(shape, dtype=np.int64)  # [packets]
        self.source_on = np.zeros(shape, dtype=np.bool_)
        self.cw = np.zeros(shape, dtype=np.int64)  # current contention window
        self.counter = np.zeros(shape, dtype=np.int64)  # backoff counter [slots]
        self.cot_left = np.zeros(shape, dtype=np.int64)  # slots left of the occupancy
        self.off_timer = np.zeros(shape, dtype=np.int64)  # IoT silent slots left
        self._columns = np.arange(max_nodes)

    @property
    def active(self) -> NDArray[np.bool_]:
        """Which node slots hold a node, ``(B, N)``."""
        mask: NDArray[np.bool_] = self.kind != KIND_NONE
        return mask

    def write(
        self, env: int, specs: Sequence[NodeSpec], channels: Sequence[int], uniforms: NDArray[Any]
    ) -> None:
        """Place ``specs`` on ``channels`` in env ``env`` and draw their initial state.

        Saturated nodes start with a full queue, on-off sources in their stationary state,
        backoff counters uniform in ``{0, ..., CWmin}``, the rest empty.

        Args:
            env: Row of the batch.
            specs: The nodes (at most ``max_nodes``).
            channels: Channel of each node.
            uniforms: ``(max_nodes, UNIFORMS_PER_NODE)`` uniforms of this env.
        """
        if len(specs) > self.max_nodes:
            raise ValueError(f"{len(specs)} nodes exceed max_nodes={self.max_nodes}")
        for value in vars(self).values():
            if isinstance(value, np.ndarray) and value.ndim >= 2:
                value[env] = 0
        self.frame[env] = self.mcot[env] = self.period[env] = 1
        for j, (spec, channel) in enumerate(zip(specs, channels, strict=True)):
            self.kind[env, j] = spec.kind
            self.channel[env, j] = channel
            self.q[env, j] = spec.q
            if spec.pattern:
                self.frame[env, j] = len(spec.pattern)
                self.pattern[env, j, : len(spec.pattern)] = spec.pattern
            self.cw_min[env, j] = self.cw[env, j] = spec.cw_min
            self.cw_max[env, j] = spec.cw_max
            self.mcot[env, j] = spec.mcot_slots
            self.period[env, j] = spec.period_slots
            self.burst[env, j] = spec.burst_packets
            self.offset[env, j] = spec.offset_slots
            self.off_slots[env, j] = spec.off_slots
            self.arrival_prob[env, j] = spec.arrival_prob
            self.p_on_off[env, j] = spec.p_on_off
            self.p_off_on[env, j] = spec.p_off_on
            self.buffer[env, j] = spec.buffer_packets
            self.drop_on_tx[env, j] = spec.drop_on_tx
        on_share = self.p_off_on[env] / np.maximum(self.p_off_on[env] + self.p_on_off[env], 1e-12)
        self.source_on[env] = self.active[env] & (uniforms[:, U_SWITCH] < on_share)
        saturated = self.source_on[env] & (self.arrival_prob[env] >= 1.0)
        self.queue[env] = np.where(saturated, self.buffer[env], 0)
        backoff = np.isin(self.kind[env], BACKOFF_KINDS)
        draws = np.floor(uniforms[:, U_BACKOFF] * (self.cw_min[env] + 1)).astype(np.int64)
        self.counter[env] = np.where(backoff, draws, 0)

    def decide(
        self, envs: NDArray[np.int64], slot: NDArray[np.int64], u_access: NDArray[Any]
    ) -> NDArray[np.bool_]:
        """Which nodes of ``envs`` transmit in slot ``slot`` (per env), ``(n, N)``.

        With ``"sub_slots"`` contention: which start at sub-slot 0 (:meth:`contend` adds the
        sensing nodes that win the slot).

        Args:
            envs: Rows of the batch.
            slot: Index of the coming slot in each env's episode.
            u_access: ``(n, N)`` uniforms for the q-ALOHA coins.
        """
        kind = self.kind[envs]
        phase = slot[:, None] % self.frame[envs]
        owned = self.pattern[envs[:, None], self._columns, phase]
        backoff_ready = (self.cot_left[envs] > 0) | (self.counter[envs] == 0)
        transmits = (
            ((kind == KIND_TDMA) & owned)
            | ((kind == KIND_Q_ALOHA) & (u_access < self.q[envs]))
            | (np.isin(kind, BACKOFF_KINDS) & backoff_ready)
            | ((kind == KIND_IOT) & (self.off_timer[envs] == 0))
        )
        decided: NDArray[np.bool_] = transmits & (self.queue[envs] > 0)
        return decided

    def packet_slot_countdown(
        self,
        envs: NDArray[np.int64],
        transmitted: NDArray[np.bool_],
        channel_idle: NDArray[np.bool_],
    ) -> NDArray[np.int64]:
        """Backoff slots each node of ``envs`` counts down in a packet slot, ``(n, N)``.

        Contention model ``"packet_slots"``: one per slot for a waiting backoff node, for a
        sensing node only when the slot was idle on its channel.

        Args:
            envs: Rows of the batch.
            transmitted: ``(n, N)`` which nodes transmitted.
            channel_idle: ``(n, N)`` nobody transmitted on the node's channel.
        """
        kind = self.kind[envs]
        senses = np.isin(kind, SENSING_KINDS)
        waiting = np.isin(kind, BACKOFF_KINDS) & ~transmitted & (self.counter[envs] > 0)
        countdown: NDArray[np.int64] = (waiting & (~senses | channel_idle)).astype(np.int64)
        return countdown

    def contend(
        self,
        envs: NDArray[np.int64],
        starting: NDArray[np.bool_],
        taken: NDArray[np.bool_],
        subslots: int,
    ) -> tuple[NDArray[np.bool_], NDArray[np.int64], NDArray[np.int64]]:
        """Sub-slot contention of one packet slot (contention model ``"sub_slots"``).

        Args:
            envs: Rows of the batch.
            starting: ``(n, N)`` legacy nodes starting at sub-slot 0 (:meth:`decide`).
            taken: ``(n, C)`` channels on which a transmission starts at sub-slot 0 (the
                starting legacy nodes' and the learning nodes').
            subslots: ``K``, backoff sub-slots per packet slot.

        Returns:
            Which nodes transmit ``(n, N)`` (the starting ones and the contention winners),
            the backoff sub-slots each node counts down ``(n, N)``, and per channel the
            sub-slot its transmissions start in, ``K`` when it stays idle, ``(n, C)``.
        """
        kind, queue = self.kind[envs], self.queue[envs]
        counter, channel = self.counter[envs], self.channel[envs]
        rows = np.arange(len(envs))[:, None]
        backing_off = (
            np.isin(kind, SENSING_KINDS) & ~starting & (self.cot_left[envs] == 0) & (counter > 0)
        )
        unset = np.iinfo(np.int64).max
        keyed = np.where(backing_off & (queue > 0), counter, unset)
        on_channel = channel[..., None] == np.arange(taken.shape[1])
        smallest = np.where(on_channel, keyed[..., None], unset).min(axis=1)  # (n, C)
        start = np.where(taken, 0, np.minimum(smallest, subslots))
        own_start = start[rows, channel]
        wins = backing_off & ~taken[rows, channel] & (keyed == own_start) & (own_start < subslots)
        # One decrement per idle sub-slot and one for the sub-slot a transmission starts in.
        drop = np.where(own_start < subslots, own_start + 1, subslots)
        countdown: NDArray[np.int64] = np.where(backing_off & ~wins, np.minimum(counter, drop), 0)
        return starting | wins, countdown, start

    def update(
        self,
        envs: NDArray[np.int64],
        slot: NDArray[np.int64],
        transmitted: NDArray[np.bool_],
        success: NDArray[np.bool_],
        countdown: NDArray[np.int64],
        uniforms: NDArray[Any],
    ) -> None:
        """Advance the nodes of ``envs`` past slot ``slot`` given what happened in it.

        Args:
            envs: Rows of the batch.
            slot: Index of the slot that just ended, per env.
            transmitted: ``(n, N)`` which nodes transmitted.
            success: ``(n, N)`` which transmissions succeeded.
            countdown: ``(n, N)`` backoff (sub-)slots each node counted down
                (:meth:`packet_slot_countdown` or :meth:`contend`).
            uniforms: ``(n, N, UNIFORMS_PER_NODE)`` uniforms of this slot.
        """
        kind = self.kind[envs]
        queue = self.queue[envs]
        # Backoff: count down, open an occupancy on the first slot of an access, adapt CW on
        # its outcome, redraw when it ends.
        backoff = np.isin(kind, BACKOFF_KINDS)
        counter, cw, cot = self.counter[envs], self.cw[envs], self.cot_left[envs]
        counter = counter - countdown
        first = backoff & transmitted & (cot == 0)
        cot = np.where(first, np.minimum(queue, self.mcot[envs]), cot)
        grown = np.minimum(2 * cw + 1, self.cw_max[envs])
        cw = np.where(first, np.where(success, self.cw_min[envs], grown), cw)
        cot = cot - (backoff & transmitted)
        ended = backoff & transmitted & (cot == 0)
        draws = np.floor(uniforms[..., U_BACKOFF] * (cw + 1)).astype(np.int64)
        self.counter[envs] = np.where(ended, draws, counter)
        self.cw[envs], self.cot_left[envs] = cw, cot
        # IoT duty cycle.
        off = np.maximum(self.off_timer[envs] - 1, 0)
        self.off_timer[envs] = np.where(transmitted & (kind == KIND_IOT), self.off_slots[envs], off)
        # Departures, source switches, arrivals and scheduled NR-U bursts.
        queue = queue - (success | (transmitted & self.drop_on_tx[envs]))
        on = self.source_on[envs]
        switch = uniforms[..., U_SWITCH]
        on = np.where(on, switch >= self.p_on_off[envs], switch < self.p_off_on[envs])
        on &= kind != KIND_NONE
        self.source_on[envs] = on
        arrivals = on & (uniforms[..., U_ARRIVAL] < self.arrival_prob[envs])
        scheduled = (kind == KIND_NRU) & (
            (slot[:, None] + 1) % self.period[envs] == self.offset[envs]
        )
        queue = queue + arrivals + np.where(scheduled, self.burst[envs], 0)
        self.queue[envs] = np.minimum(queue, self.buffer[envs])


def resolve_slot(
    node_tx: NDArray[np.bool_],
    node_channel: NDArray[np.int64],
    num_channels: int,
) -> NDArray[np.int64]:
    """Transmitters per channel, ``(n, C)``, of nodes transmitting on their channels.

    Args:
        node_tx: ``(n, M)`` which nodes transmit.
        node_channel: ``(n, M)`` each node's channel.
        num_channels: ``C``.
    """
    on_channel = node_channel[..., None] == np.arange(num_channels)
    counts: NDArray[np.int64] = (node_tx[..., None] & on_channel).sum(axis=1)
    return counts
