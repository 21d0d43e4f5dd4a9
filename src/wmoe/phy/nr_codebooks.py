"""3GPP NR uplink codebooks: the PUSCH precoding matrices of TS 38.211 Sec. 6.3.1.5.

Codebook-based PUSCH transmission (TS 38.214 Sec. 6.1.1.1) precodes ``v`` layers onto ``P``
antenna ports with the matrix ``W`` that the transmitted precoding matrix indicator (TPMI)
selects. The tables for transform precoding disabled (CP-OFDM) are:

* Table 6.3.1.5-1: one layer, two ports, TPMI 0-5;
* Table 6.3.1.5-3: one layer, four ports, TPMI 0-27;
* Table 6.3.1.5-4: two layers, two ports, TPMI 0-2;
* Table 6.3.1.5-5: two layers, four ports, TPMI 0-21;
* Table 6.3.1.5-6: three layers, four ports, TPMI 0-6;
* Table 6.3.1.5-7: four layers, four ports, TPMI 0-4.

Table 6.3.1.5-2 (one layer, four ports, transform precoding enabled, i.e. DFT-s-OFDM) is not
included: DFT-s-OFDM carries a single layer and is outside the multi-layer model of the
reception env. Within a table the TPMIs come in groups by the coherence they need between the
UE's ports (TS 38.214 Sec. 6.1.1.1, ``codebookSubset``): non-coherent (one port per layer),
partial-coherent (port pairs {0, 2} and {1, 3} co-phased) and fully coherent.

The matrices are returned with the standard's own scaling (``1/sqrt(2)``, ``1/2``,
``1/(2 sqrt(2))``, ``1/(2 sqrt(3))``, ``1/4``), under which every active port transmits
power ``1 / P``, so a codeword's total power is its number of active ports over ``P``
(non-coherent TPMIs send less); :func:`wmoe.phy.codebook.tpmi_codebook` rescales them to unit
Frobenius norm.

Source: 3GPP TS 38.211 V17.x, Sec. 6.3.1.5 (precoding), Tables 6.3.1.5-1 and 6.3.1.5-3 to
6.3.1.5-7; 3GPP TS 38.214, Sec. 6.1.1.1 (codebook-based UL transmission).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

j = 1j  # the imaginary unit, written as the tables write it

# One TPMI group: its matrices, each as rows (ports) of entries (layers).
_Entries = list[list[list[complex]]]

# TS 38.211 Table 6.3.1.5-1: single-layer transmission using two antenna ports, 1/sqrt(2).
_TWO_PORTS_ONE_LAYER: _Entries = [
    [[1], [0]],
    [[0], [1]],
    [[1], [1]],
    [[1], [-1]],
    [[1], [j]],
    [[1], [-j]],
]

# TS 38.211 Table 6.3.1.5-3: single-layer transmission using four antenna ports with transform
# precoding disabled, 1/2.
_FOUR_PORTS_ONE_LAYER: _Entries = [
    [[a], [b], [c], [d]]
    for a, b, c, d in (
        (1, 0, 0, 0),
        (0, 1, 0, 0),
        (0, 0, 1, 0),
        (0, 0, 0, 1),
        (1, 0, 1, 0),
        (1, 0, -1, 0),
        (1, 0, j, 0),
        (1, 0, -j, 0),
        (0, 1, 0, 1),
        (0, 1, 0, -1),
        (0, 1, 0, j),
        (0, 1, 0, -j),
        (1, 1, 1, 1),
        (1, 1, j, j),
        (1, 1, -1, -1),
        (1, 1, -j, -j),
        (1, j, 1, j),
        (1, j, j, -1),
        (1, j, -1, -j),
        (1, j, -j, 1),
        (1, -1, 1, -1),
        (1, -1, j, -j),
        (1, -1, -1, 1),
        (1, -1, -j, j),
        (1, -j, 1, -j),
        (1, -j, j, 1),
        (1, -j, -1, j),
        (1, -j, -j, -1),
    )
]

# TS 38.211 Table 6.3.1.5-4: two-layer transmission using two antenna ports with transform
# precoding disabled: TPMI 0 with 1/sqrt(2), TPMI 1-2 with 1/2.
_TWO_PORTS_TWO_LAYERS: list[tuple[float, _Entries]] = [
    (1 / np.sqrt(2.0), [[[1, 0], [0, 1]]]),
    (1 / 2, [[[1, 1], [1, -1]], [[1, 1], [j, -j]]]),
]

# TS 38.211 Table 6.3.1.5-5: two-layer transmission using four antenna ports with transform
# precoding disabled: TPMI 0-5 (non-coherent) and 6-13 (partial-coherent) with 1/2, TPMI 14-21
# (fully coherent) with 1/(2 sqrt(2)).
_FOUR_PORTS_TWO_LAYERS: list[tuple[float, _Entries]] = [
    (
        1 / 2,
        [
            [[1, 0], [0, 1], [0, 0], [0, 0]],
            [[1, 0], [0, 0], [0, 1], [0, 0]],
            [[1, 0], [0, 0], [0, 0], [0, 1]],
            [[0, 0], [1, 0], [0, 1], [0, 0]],
            [[0, 0], [1, 0], [0, 0], [0, 1]],
            [[0, 0], [0, 0], [1, 0], [0, 1]],
            [[1, 0], [0, 1], [1, 0], [0, -j]],
            [[1, 0], [0, 1], [1, 0], [0, j]],
            [[1, 0], [0, 1], [-j, 0], [0, 1]],
            [[1, 0], [0, 1], [-j, 0], [0, -1]],
            [[1, 0], [0, 1], [-1, 0], [0, -j]],
            [[1, 0], [0, 1], [-1, 0], [0, j]],
            [[1, 0], [0, 1], [j, 0], [0, 1]],
            [[1, 0], [0, 1], [j, 0], [0, -1]],
        ],
    ),
    (
        1 / (2 * np.sqrt(2.0)),
        [
            [[1, 1], [1, 1], [1, -1], [1, -1]],
            [[1, 1], [1, 1], [j, -j], [j, -j]],
            [[1, 1], [j, j], [1, -1], [j, -j]],
            [[1, 1], [j, j], [j, -j], [-1, 1]],
            [[1, 1], [-1, -1], [1, -1], [-1, 1]],
            [[1, 1], [-1, -1], [j, -j], [-j, j]],
            [[1, 1], [-j, -j], [1, -1], [-j, j]],
            [[1, 1], [-j, -j], [j, -j], [1, -1]],
        ],
    ),
]

# TS 38.211 Table 6.3.1.5-6: three-layer transmission using four antenna ports with transform
# precoding disabled: TPMI 0-2 with 1/2, TPMI 3-6 with 1/(2 sqrt(3)).
_FOUR_PORTS_THREE_LAYERS: list[tuple[float, _Entries]] = [
    (
        1 / 2,
        [
            [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]],
            [[1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1]],
            [[1, 0, 0], [0, 1, 0], [-1, 0, 0], [0, 0, 1]],
        ],
    ),
    (
        1 / (2 * np.sqrt(3.0)),
        [
            [[1, 1, 1], [1, -1, 1], [1, 1, -1], [1, -1, -1]],
            [[1, 1, 1], [1, -1, 1], [j, j, -j], [j, -j, -j]],
            [[1, 1, 1], [-1, 1, -1], [1, 1, -1], [-1, 1, 1]],
            [[1, 1, 1], [-1, 1, -1], [j, j, -j], [-j, j, j]],
        ],
    ),
]

# TS 38.211 Table 6.3.1.5-7: four-layer transmission using four antenna ports with transform
# precoding disabled: TPMI 0 with 1/2, TPMI 1-2 with 1/(2 sqrt(2)), TPMI 3-4 with 1/4.
_FOUR_PORTS_FOUR_LAYERS: list[tuple[float, _Entries]] = [
    (1 / 2, [[[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]]),
    (
        1 / (2 * np.sqrt(2.0)),
        [
            [[1, 1, 0, 0], [0, 0, 1, 1], [1, -1, 0, 0], [0, 0, 1, -1]],
            [[1, 1, 0, 0], [0, 0, 1, 1], [j, -j, 0, 0], [0, 0, j, -j]],
        ],
    ),
    (
        1 / 4,
        [
            [[1, 1, 1, 1], [1, -1, 1, -1], [1, 1, -1, -1], [1, -1, -1, 1]],
            [[1, 1, 1, 1], [1, -1, 1, -1], [j, j, -j, -j], [j, -j, -j, j]],
        ],
    ),
]

TPMI_TABLES: dict[tuple[int, int], tuple[str, list[tuple[float, _Entries]]]] = {
    (2, 1): ("6.3.1.5-1", [(1 / np.sqrt(2.0), _TWO_PORTS_ONE_LAYER)]),
    (2, 2): ("6.3.1.5-4", _TWO_PORTS_TWO_LAYERS),
    (4, 1): ("6.3.1.5-3", [(1 / 2, _FOUR_PORTS_ONE_LAYER)]),
    (4, 2): ("6.3.1.5-5", _FOUR_PORTS_TWO_LAYERS),
    (4, 3): ("6.3.1.5-6", _FOUR_PORTS_THREE_LAYERS),
    (4, 4): ("6.3.1.5-7", _FOUR_PORTS_FOUR_LAYERS),
}
"""(antenna ports, layers) -> (TS 38.211 table number, [(scale, TPMI matrices), ...]), the
TPMI groups in TPMI order, each with the scale factor the table prints before the matrix."""

TPMI_PORT_COUNTS = (2, 4)
"""Numbers of antenna ports with codebook-based PUSCH tables (TS 38.211 Sec. 6.3.1.5)."""


def tpmi_precoders(num_ports: int, num_layers: int) -> NDArray[np.complex128]:
    """Every TPMI's precoding matrix ``W`` for ``num_layers`` layers on ``num_ports`` ports.

    Source: 3GPP TS 38.211 Sec. 6.3.1.5, the table of :data:`TPMI_TABLES` for
    ``(num_ports, num_layers)`` (transform precoding disabled), with the table's scaling.

    Args:
        num_ports: Antenna ports ``P``, 2 or 4.
        num_layers: Layers ``v``, in ``[1, num_ports]``.

    Returns:
        ``W`` of TPMI 0, 1, ..., complex128, shape ``(num_tpmi, num_ports, num_layers)``.

    Raises:
        ValueError: If TS 38.211 has no table for ``(num_ports, num_layers)``.
    """
    if (num_ports, num_layers) not in TPMI_TABLES:
        raise ValueError(
            f"TS 38.211 Sec. 6.3.1.5 has no PUSCH codebook for num_ports={num_ports!r} and "
            f"num_layers={num_layers!r}; use 2 ports with 1-2 layers or 4 ports with 1-4 "
            "layers."
        )
    _, groups = TPMI_TABLES[num_ports, num_layers]
    return np.concatenate(
        [scale * np.array(entries, dtype=np.complex128) for scale, entries in groups], axis=0
    )
