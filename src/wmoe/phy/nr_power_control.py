"""3GPP NR open-loop PUSCH power control (TS 38.213 Sec. 7.1.1).

A UE transmitting PUSCH in a transmission occasion sets, without closed-loop corrections
(``f = 0``) and without the transport-format term (``Delta_TF = 0``),

``P = min(P_CMAX, P_O + 10 log10(2^mu M_RB) + alpha PL)`` [dBm],

with ``P_O`` the target received power per resource block of 15 kHz subcarriers [dBm],
``mu`` the subcarrier spacing configuration (``15 * 2^mu`` kHz, TS 38.211 Sec. 4.2), ``M_RB``
the number of allocated resource blocks, ``alpha`` the fractional path-loss compensation and
``PL`` the downlink path-loss estimate [dB]. Without ``M_RB`` (``num_rb=None``) the bandwidth
term is left out, which is the power per 15 kHz resource block.

Source: 3GPP TS 38.213 V17.x, Sec. 7.1.1, eq. for ``P_PUSCH,b,f,c(i, j, q_d, l)``; TS 38.211
Sec. 4.2, Table 4.2-1 (numerologies).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

SUBCARRIER_SPACINGS_KHZ = (15, 30, 60, 120)
"""Subcarrier spacings ``15 * 2^mu`` kHz of PUSCH data, ``mu = 0..3`` (TS 38.211 Table 4.2-1)."""

MAX_RESOURCE_BLOCKS = 275
"""The largest resource grid, ``N_RB^max,mu`` (TS 38.211 Sec. 4.4.2)."""


def bandwidth_term_db(num_rb: int, subcarrier_spacing_khz: int) -> float:
    """``10 log10(2^mu M_RB)`` [dB]: the allocation's bandwidth in 15 kHz resource blocks.

    Source: 3GPP TS 38.213 Sec. 7.1.1.

    Args:
        num_rb: Allocated resource blocks ``M_RB``, in ``[1, 275]``.
        subcarrier_spacing_khz: Subcarrier spacing ``15 * 2^mu`` [kHz], one of
            :data:`SUBCARRIER_SPACINGS_KHZ`.

    Raises:
        ValueError: If either argument is out of its range.
    """
    if subcarrier_spacing_khz not in SUBCARRIER_SPACINGS_KHZ:
        raise ValueError(
            f"subcarrier_spacing_khz must be one of {SUBCARRIER_SPACINGS_KHZ} (15 * 2^mu kHz), "
            f"got {subcarrier_spacing_khz!r}."
        )
    if isinstance(num_rb, bool) or not 1 <= num_rb <= MAX_RESOURCE_BLOCKS:
        raise ValueError(
            f"num_rb must be an integer in [1, {MAX_RESOURCE_BLOCKS}], got {num_rb!r}; pass the "
            "number of allocated resource blocks."
        )
    mu = round(math.log2(subcarrier_spacing_khz / 15))
    return 10.0 * math.log10(2**mu * num_rb)


def pusch_tx_power_dbm(
    max_power_dbm: float,
    p0_dbm: float,
    alpha: float,
    path_loss_db: NDArray[Any],
    num_rb: int | None = None,
    subcarrier_spacing_khz: int = 15,
) -> NDArray[np.floating[Any]]:
    """Open-loop PUSCH transmit power, ``min(P_CMAX, P_O + 10 log10(2^mu M_RB) + alpha PL)``.

    Source: 3GPP TS 38.213 Sec. 7.1.1 (with ``Delta_TF = 0`` and no closed-loop term).

    Args:
        max_power_dbm: Configured maximum output power ``P_CMAX`` [dBm].
        p0_dbm: Target received power per 15 kHz resource block ``P_O`` [dBm].
        alpha: Fractional path-loss compensation, in ``[0, 1]``.
        path_loss_db: Path loss ``PL`` [dB], any shape.
        num_rb: Allocated resource blocks ``M_RB``; None leaves the bandwidth term out.
        subcarrier_spacing_khz: ``15 * 2^mu`` [kHz]; used only with ``num_rb``.

    Returns:
        Transmit power [dBm], the shape (and floating dtype) of ``path_loss_db``.

    Raises:
        ValueError: If ``num_rb`` or ``subcarrier_spacing_khz`` is out of range.
    """
    open_loop = p0_dbm + alpha * np.asarray(path_loss_db)  # in the dtype of path_loss_db
    if num_rb is not None:
        open_loop = open_loop + bandwidth_term_db(num_rb, subcarrier_spacing_khz)
    return np.minimum(max_power_dbm, open_loop)
