"""Batched simulator of sequential expert routing over fading links and queues (no Gymnasium).

The channel-aware MoE system of :mod:`wmoe.classification` (Song et al., "Mixture-of-Experts
for Distributed Edge Computing with Channel-Aware Gating Function") run over time. ``K`` edge
devices each hold one expert; classification tasks arrive at the server one after another; for
each the agent routes the backbone feature ``z`` to one device, or drops the task.

Model, per env (every quantity in SI units; dB only in the config and the observation):

* **Arrivals.** Tasks arrive as a Poisson process of rate ``arrival_rate_hz``: the times
  between arrivals are independent and exponential (Kleinrock, *Queueing Systems* Vol. 1,
  Wiley 1975, Sec. 2.4). Each step is one arrival; the task is a uniformly drawn sample of the
  configured data split.
* **Links.** Device ``k``'s link has an average SNR ``SNR_k`` [dB] drawn per episode from
  ``N(snr_mean_db, snr_std_db^2)`` and a flat Rayleigh gain ``h_k ~ CN(0, 1)`` that evolves
  between arrivals ``dt`` apart as the Gauss-Markov (AR(1)) process
  ``h' = rho h + sqrt(1 - rho^2) w`` with ``rho = J0(2 pi f_D dt)`` (Jakes/Clarke lag
  correlation; Baddour and Beaulieu, IEEE Trans. Wireless Commun. 4(4), 2005; see
  :mod:`wmoe.phy.fading`). The instantaneous SNR is ``SNR_k |h_k|^2``.
* **Transmission.** The server sends the feature quantised to 8 bits per entry (paper eq. 10),
  ``payload = 8 d`` bits, at the Shannon rate of the link at dispatch,
  ``B log2(1 + SNR_k |h_k|^2)`` (block fading: the gain is held for the transmission, which
  lasts far less than the coherence time ``0.423 / f_D`` on good links), but never below the
  spectral efficiency of the lowest modulation and coding scheme,
  ``min_spectral_efficiency_bps_hz`` (link adaptation cannot go slower; below the SNR that
  scheme needs, the distortion below makes the expert's input mostly noise). Without that
  floor the mean transmission time over Rayleigh fading would be infinite
  (``E[1 / log(1 + a |h|^2)]`` diverges at ``|h| -> 0``). The result's way back (a class
  index, a few bits) is ignored. Each device's link is its own band and carries one
  transmission at a time, in dispatch order (FIFO).
* **Distortion.** What the expert receives follows the analog-link model the channel-aware
  gate was trained for (eq. 6): ``z + sigma~_k n`` with ``sigma~_k = sqrt(P_z / SNR_k) /
  |h_k|`` at dispatch and ``n ~ N(0, I)`` drawn with the task. Latency and accuracy thus both
  follow the same instantaneous SNR (the distortion is the analog equivalent of the digital
  payload; a modelling shortcut).
* **Compute.** Device ``k`` computes at ``s_k`` FLOP/s, drawn per episode log-uniformly from
  ``compute_speed_range_flops``; an expert costs ``2 x`` its multiply-adds (one multiply and
  one add each; biases and activations ignored) per task, so a task computes for
  ``FLOPs / s_k`` seconds (the computation model of mobile edge computing, Mao et al., "A
  Survey on Mobile Edge Computing: The Communication Perspective", IEEE Commun. Surveys Tuts.
  19(4), 2017, Sec. III). Tasks are computed one at a time in arrival order (FIFO); a task
  joins the device's queue when its transmission ends.
* **Latency and energy.** With ``L_k`` the time until device ``k``'s link is free and ``C_k``
  the time until its compute is free (both measured from the current arrival), a task sent to
  ``k`` waits ``L_k`` for the link, transmits for ``t_tx``, waits ``max(C_k - L_k - t_tx, 0)``
  for the processor and computes for ``t_c``: latency ``max(L_k + t_tx, C_k) + t_c``. Then
  ``L_k <- L_k + t_tx`` and ``C_k <-`` that latency; between arrivals both drain at one second
  per second down to zero. The transmit energy is ``tx_power_w * t_tx`` (the SNR already
  includes the power; the power only prices energy).

State is held as arrays with a leading batch dimension; each batch member draws its links,
devices, arrival times, samples and noise from its own ``numpy.random.Generator`` as a single
env does, so a batch of ``B`` reproduces ``B`` single environments seeded alike. How it draws
them is the core's draw scheme (:mod:`wmoe.envs.expert_routing.draws`): v0 calls the generator
per variate group, v1 once per env and step; everything after the draws is shared.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from wmoe.classification.links import analog_received
from wmoe.classification.model import (
    QUANTIZER_BITS,
    DistributedMoEClassifier,
    distortion_features,
)
from wmoe.classification.system import (
    system_config,
    system_features,
)
from wmoe.envs.batch_rows import read_rows, write_rows
from wmoe.envs.expert_routing.draws import RoutingDraws, TaskDraws, VariateDraws
from wmoe.phy.analog_link import effective_noise_std
from wmoe.phy.fading import gauss_markov_update, jakes_correlation

LATENCY_SCALE_S = 0.1  # times in the observation are divided by this [s]
SNR_SCALE_DB = 50.0  # SNRs in the observation are divided by this [dB]


def expert_flops(model: DistributedMoEClassifier) -> float:
    """FLOPs of one expert on one task: two per multiply-add of its linear layers."""
    return float(sum(2 * weight.shape[1] * weight.shape[2] for weight in model.experts.weights))


def tx_time_s(
    payload_bits: float,
    bandwidth_hz: float,
    snr: NDArray[np.float64],
    min_spectral_efficiency_bps_hz: float,
) -> NDArray[np.float64]:
    """Time to send ``payload_bits`` at ``B max(log2(1 + SNR), eta_min)`` [s].

    The Shannon rate of the band-limited AWGN channel, floored at the spectral efficiency
    ``eta_min`` of the lowest modulation and coding scheme.

    Source: C. E. Shannon, "A mathematical theory of communication", Bell Syst. Tech. J. 27,
    1948; 3GPP TS 36.213, Table 7.2.3-1 (CQI 1: 0.1523 bit/s/Hz).

    Args:
        payload_bits: Bits to send.
        bandwidth_hz: Band ``B`` [Hz].
        snr: Instantaneous SNR [linear], any shape.
        min_spectral_efficiency_bps_hz: ``eta_min`` [bit/s/Hz], ``>= 0``.
    """
    efficiency = np.maximum(np.log2(1.0 + snr), min_spectral_efficiency_bps_hz)
    return payload_bits / (bandwidth_hz * efficiency)


@dataclass(frozen=True)
class TaskCosts:
    """What sending the current task to each device would cost, ``(n, K)`` each.

    Attributes:
        tx_time_s: Transmission time [s].
        queue_s: Waiting for the link plus waiting for the processor [s].
        compute_s: Computing time [s].
        latency_s: ``queue_s + tx_time_s + compute_s``, arrival to result [s].
        energy_j: Transmit energy [J].
    """

    tx_time_s: NDArray[np.float64]
    queue_s: NDArray[np.float64]
    compute_s: NDArray[np.float64]
    latency_s: NDArray[np.float64]
    energy_j: NDArray[np.float64]


class RoutingCore:
    """``batch_size`` copies of the expert-routing system, stepped together.

    Args:
        config: A validated config (see :class:`~wmoe.envs.expert_routing.config.RoutingConfig`).
        batch_size: Number of environments.
        draws_class: How each env draws its randomness: :class:`VariateDraws`
            (``wmoe/ExpertRouting-v0``) or
            :class:`~wmoe.envs.expert_routing.draws.WordDraws` (``-v1``).
    """

    def __init__(
        self,
        config: dict[str, Any],
        batch_size: int,
        draws_class: type[RoutingDraws] = VariateDraws,
    ) -> None:
        self.config = config
        self.batch_size = batch_size
        system, pools = system_features(system_config(config), config["cache_dir"])
        self.model = system.model
        self.features, self.labels = pools[config["split"]]
        self.num_samples = len(self.labels)
        self.num_experts = k = system.model.spec.num_experts
        self.feature_dim = d = system.model.feature_dim
        self.drop_action = k  # the action index that drops the task
        self.payload_bits = float(d * QUANTIZER_BITS)
        self.task_flops = expert_flops(system.model)
        self.snr_db = np.zeros((batch_size, k))  # average SNR per device, per episode [dB]
        self.speed_flops = np.ones((batch_size, k))  # compute speed [FLOP/s]
        self.gains = np.ones((batch_size, k), dtype=np.complex128)  # fading gains h_k
        self.link_backlog_s = np.zeros((batch_size, k))  # until each link is free [s]
        self.compute_backlog_s = np.zeros((batch_size, k))  # until each device is free [s]
        self.sample = np.zeros(batch_size, dtype=np.int64)  # the current task's sample
        self.delivered = torch.zeros(batch_size, k, d)  # what each expert would receive
        # The links now, set with each new task (the links change only with a reset or an
        # arrival, both of which end with one): SNR_k |h_k|^2 and sigma~_k (eq. 6).
        self._snr = np.ones((batch_size, k))
        self._sigma = torch.zeros(batch_size, k)
        self.steps = np.zeros(batch_size, dtype=np.int64)
        self.draws = draws_class(config, self.num_samples, k, d)

    @property
    def observation_size(self) -> int:
        """Length of an observation."""
        return self.feature_dim + 5 * self.num_experts

    def instantaneous_snr(self, envs: NDArray[np.int64]) -> NDArray[np.float64]:
        """``SNR_k |h_k|^2`` [linear] of ``envs``, ``(n, K)``."""
        return self._snr[envs]

    def sigma(self, envs: NDArray[np.int64]) -> torch.Tensor:
        """Effective noise std ``sigma~_k`` (eq. 6) of ``envs`` now, ``(n, K)`` (a copy)."""
        return self._sigma.index_select(0, torch.from_numpy(np.asarray(envs, dtype=np.int64)))

    def costs(self, envs: NDArray[np.int64]) -> TaskCosts:
        """The latency and energy of sending the current task of ``envs`` to each device."""
        config = self.config
        tx = tx_time_s(
            self.payload_bits,
            config["bandwidth_hz"],
            self.instantaneous_snr(envs),
            config["min_spectral_efficiency_bps_hz"],
        )
        link_wait = self.link_backlog_s[envs]
        processor_wait = np.maximum(self.compute_backlog_s[envs] - (link_wait + tx), 0.0)
        compute = self.task_flops / self.speed_flops[envs]
        queue = link_wait + processor_wait
        return TaskCosts(
            tx_time_s=tx,
            queue_s=queue,
            compute_s=compute,
            latency_s=queue + tx + compute,
            energy_j=config["tx_power_w"] * tx,
        )

    def weighted_cost(self, costs: TaskCosts) -> NDArray[np.float64]:
        """``latency_weight_per_s * latency + energy_weight_per_j * energy``, ``(n, K)``."""
        config = self.config
        return (
            config["latency_weight_per_s"] * costs.latency_s
            + config["energy_weight_per_j"] * costs.energy_j
        )

    @torch.no_grad()
    def expert_correct(self, envs: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Whether each expert is right on what it would receive, ``(n, K)`` (hidden state)."""
        predictions = self.model.expert_logits(read_rows(self.delivered, envs)).argmax(-1)
        labels = self.labels.index_select(0, torch.from_numpy(self.sample[envs]))
        return (predictions == labels.unsqueeze(1)).numpy()

    def _deliver(self, envs: NDArray[np.int64], task: TaskDraws) -> None:
        """The new tasks of ``envs``, the links now and what each would deliver, batched."""
        snr_db, amplitude = self.snr_db[envs], np.abs(self.gains[envs])
        self._snr[envs] = 10.0 ** (snr_db / 10.0) * amplitude**2
        sigma = torch.as_tensor(
            effective_noise_std(snr_db, amplitude, self.model.feature_power), dtype=torch.float32
        )
        self.sample[envs] = task.samples
        z = self.features.index_select(0, torch.from_numpy(task.samples))
        noise_tensor = torch.as_tensor(task.noise, dtype=torch.float32)
        received = analog_received(z, sigma, noise_tensor)
        self._sigma = write_rows(self._sigma, envs, sigma)
        self.delivered = write_rows(self.delivered, envs, received)

    def _advance(self, envs: NDArray[np.int64], rngs: Sequence[np.random.Generator]) -> None:
        """``envs`` to their next arrival: queues drain, links fade, a task arrives."""
        draws = self.draws.arrival(envs, rngs)
        dt = draws.interval_s
        self.link_backlog_s[envs] = np.maximum(self.link_backlog_s[envs] - dt[:, None], 0.0)
        self.compute_backlog_s[envs] = np.maximum(self.compute_backlog_s[envs] - dt[:, None], 0.0)
        rho = jakes_correlation(float(self.config["doppler_hz"]), dt)[:, None]
        self.gains[envs] = gauss_markov_update(self.gains[envs], rho, draws.innovation)
        self._deliver(envs, draws.task)

    def reset(self, envs: NDArray[np.int64], rngs: Sequence[np.random.Generator]) -> None:
        """Start new episodes in ``envs``: new links, devices and a first task, empty queues."""
        draws = self.draws.episode(envs, rngs)
        self.snr_db[envs] = draws.snr_db
        self.speed_flops[envs] = draws.speed_flops
        self.gains[envs] = draws.gains
        self.link_backlog_s[envs] = 0.0
        self.compute_backlog_s[envs] = 0.0
        self.steps[envs] = 0
        self._deliver(envs, draws.task)

    def observations(self, envs: NDArray[np.int64]) -> NDArray[np.float32]:
        """Observations of ``envs``, ``(n, d + 5 K)``.

        ``[z / rms(z), log(1 + sigma~_k / rms(z)), SNR_dB_k / 50, L_k / 0.1 s, C_k / 0.1 s,
        t_c,k / 0.1 s]``: the feature, then ``K`` entries of each per-device quantity.
        """
        rms = self.model.feature_rms
        z = self.features.index_select(0, torch.from_numpy(self.sample[envs]))
        parts = [
            (z / rms).numpy(),
            distortion_features(read_rows(self._sigma, envs), rms).numpy(),
            10.0 * np.log10(self.instantaneous_snr(envs)) / SNR_SCALE_DB,
            self.link_backlog_s[envs] / LATENCY_SCALE_S,
            self.compute_backlog_s[envs] / LATENCY_SCALE_S,
            self.task_flops / self.speed_flops[envs] / LATENCY_SCALE_S,
        ]
        return np.concatenate(parts, axis=1).astype(np.float32)

    def step(
        self,
        envs: NDArray[np.int64],
        actions: NDArray[np.int64],
        rngs: Sequence[np.random.Generator],
    ) -> tuple[NDArray[np.float64], NDArray[np.bool_], dict[str, NDArray[Any]]]:
        """Route (or drop) each current task, then advance to the next arrival.

        Args:
            envs: The envs to step.
            actions: Device index per env, or :attr:`drop_action`.
            rngs: One generator per env of the batch (indexed by env).

        Returns:
            Rewards, truncation flags and info arrays (``label``, ``expert``, ``correct``,
            ``expert_correct`` per device, ``latency_s``, ``tx_time_s``, ``queue_s``,
            ``compute_s``, ``energy_j``, ``dropped``), one row per env.
        """
        costs = self.costs(envs)
        expert_correct = self.expert_correct(envs)
        dropped = actions == self.drop_action
        rows, chosen = np.arange(len(envs)), np.where(dropped, 0, actions)
        served = ~dropped

        def taken(values: NDArray[Any]) -> NDArray[Any]:
            return np.where(dropped, np.zeros((), values.dtype), values[rows, chosen])

        correct = taken(expert_correct)
        rewards = np.where(
            dropped,
            -float(self.config["drop_penalty"]),
            correct - taken(self.weighted_cost(costs)),
        )
        info = {
            "label": self.labels[self.sample[envs]].numpy(),
            "expert": actions.copy(),
            "correct": correct,
            "expert_correct": expert_correct,
            **{
                name: taken(getattr(costs, name))
                for name in ("latency_s", "tx_time_s", "queue_s", "compute_s", "energy_j")
            },
            "dropped": dropped,
        }
        self.link_backlog_s[envs[served], actions[served]] += info["tx_time_s"][served]
        self.compute_backlog_s[envs[served], actions[served]] = info["latency_s"][served]
        self.steps[envs] += 1
        truncated = self.steps[envs] >= self.config["episode_length"]
        self._advance(envs, rngs)
        return rewards, truncated, info
