"""3GPP NR modulation and coding scheme (MCS) tables and the spectral-efficiency ceiling.

An MCS index selects a modulation order ``Q_m`` (bits per symbol) and a target code rate
``R``; its spectral efficiency is ``Q_m R`` information bits per symbol, i.e. per layer and
resource element [bit/s/Hz]. PUSCH with transform precoding disabled (CP-OFDM) uses the PDSCH
tables (TS 38.214 Sec. 6.1.4.1):

* Table 5.1.3.1-1, "MCS index table 1" (up to 64-QAM): ``I_MCS`` 0-28, highest spectral
  efficiency ``6 * 948 / 1024 = 5.5547``;
* Table 5.1.3.1-2, "MCS index table 2" (up to 256-QAM): ``I_MCS`` 0-27, highest
  ``8 * 948 / 1024 = 7.4063``.

Indices 29-31 (table 1) and 28-31 (table 2) are reserved for retransmissions and carry no
code rate; they are left out. The tables print the spectral efficiency rounded to four
decimals; here it is computed exactly as ``Q_m (R x 1024) / 1024``.

No link beyond the table's highest entry can be scheduled, whatever its SINR: the highest
spectral efficiency is a ceiling on each layer's rate (:func:`cap_sinr`). Mapping SINR to MCS
(link-level BLER curves) is not modelled.

Source: 3GPP TS 38.214 V17.x, Sec. 5.1.3.1, Tables 5.1.3.1-1 and 5.1.3.1-2; Sec. 6.1.4.1
(PUSCH modulation order and target code rate).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True, eq=False)
class McsTable:
    """One MCS index table: modulation order and target code rate per MCS index.

    Attributes:
        name: Config name, e.g. ``"mcs-256qam"``.
        source: Where the table is printed.
        modulation_order: ``Q_m`` [bit/symbol] per ``I_MCS``, shape ``(num_mcs,)``.
        code_rate_x1024: Target code rate ``R x 1024`` per ``I_MCS``, shape ``(num_mcs,)``.
    """

    name: str
    source: str
    modulation_order: NDArray[np.int64]
    code_rate_x1024: NDArray[np.float64]

    @property
    def spectral_efficiency(self) -> NDArray[np.float64]:
        """``Q_m R`` per ``I_MCS`` [bit/s/Hz per layer]."""
        return self.modulation_order * self.code_rate_x1024 / 1024.0

    @property
    def max_spectral_efficiency(self) -> float:
        """The highest spectral efficiency of the table [bit/s/Hz per layer]."""
        return float(self.spectral_efficiency.max())


def _table(name: str, source: str, entries: list[tuple[int, float]]) -> McsTable:
    order, rate = zip(*entries, strict=True)
    return McsTable(name, source, np.array(order, dtype=np.int64), np.array(rate, dtype=float))


MCS_TABLE_64QAM = _table(
    "mcs-64qam",
    "3GPP TS 38.214 Table 5.1.3.1-1 (MCS index table 1 for PDSCH; PUSCH without transform "
    "precoding per Sec. 6.1.4.1)",
    [
        (2, 120), (2, 157), (2, 193), (2, 251), (2, 308), (2, 379), (2, 449), (2, 526),
        (2, 602), (2, 679), (4, 340), (4, 378), (4, 434), (4, 490), (4, 553), (4, 616),
        (4, 658), (6, 438), (6, 466), (6, 517), (6, 567), (6, 616), (6, 666), (6, 719),
        (6, 772), (6, 822), (6, 873), (6, 910), (6, 948),
    ],
)  # fmt: skip
"""TS 38.214 Table 5.1.3.1-1, ``I_MCS`` 0-28 (64-QAM)."""

MCS_TABLE_256QAM = _table(
    "mcs-256qam",
    "3GPP TS 38.214 Table 5.1.3.1-2 (MCS index table 2 for PDSCH; PUSCH without transform "
    "precoding per Sec. 6.1.4.1)",
    [
        (2, 120), (2, 193), (2, 308), (2, 449), (2, 602), (4, 378), (4, 434), (4, 490),
        (4, 553), (4, 616), (4, 658), (6, 466), (6, 517), (6, 567), (6, 616), (6, 666),
        (6, 719), (6, 772), (6, 822), (6, 873), (8, 682.5), (8, 711), (8, 754), (8, 797),
        (8, 841), (8, 885), (8, 916.5), (8, 948),
    ],
)  # fmt: skip
"""TS 38.214 Table 5.1.3.1-2, ``I_MCS`` 0-27 (256-QAM)."""

MCS_TABLES: dict[str, McsTable] = {t.name: t for t in (MCS_TABLE_64QAM, MCS_TABLE_256QAM)}
"""Config name -> MCS table."""


def cap_sinr(sinr: NDArray[np.float64], max_spectral_efficiency: float) -> NDArray[np.float64]:
    """Clip per-layer SINRs so that no layer's Shannon rate exceeds a spectral efficiency.

    ``min(SINR, 2^c - 1)``, so that ``log2(1 + SINR)`` is at most ``c``: the rate of a layer
    whose SINR supports more than the highest MCS of a table is that MCS's spectral
    efficiency (see the module docstring).

    Args:
        sinr: Linear SINR per layer, any shape.
        max_spectral_efficiency: The ceiling ``c`` [bit/s/Hz per layer], e.g.
            :attr:`McsTable.max_spectral_efficiency`.

    Returns:
        The clipped SINRs, the shape of ``sinr``.
    """
    return np.minimum(sinr, 2.0**max_spectral_efficiency - 1.0)
