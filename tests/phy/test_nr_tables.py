"""3GPP NR tables: TS 38.211 TPMI codebooks, TS 38.214 MCS tables, TS 38.213 power control."""

from __future__ import annotations

import math

import numpy as np
import pytest

from wmoe.phy.codebook import distinct_codewords, make_codebook, tpmi_codebook
from wmoe.phy.nr_codebooks import TPMI_TABLES, tpmi_precoders
from wmoe.phy.nr_mcs import MCS_TABLE_64QAM, MCS_TABLE_256QAM, MCS_TABLES, cap_sinr
from wmoe.phy.nr_power_control import bandwidth_term_db, pusch_tx_power_dbm
from wmoe.phy.receivers import effective_gram, mmse_sinr_from_gram, sum_rate

j = 1j
R2, R3 = math.sqrt(2.0), math.sqrt(3.0)

# Entries copied by hand from TS 38.211 V17 Tables 6.3.1.5-1 and 6.3.1.5-3 to 6.3.1.5-7.
HAND_CHECKED = [
    ((2, 1), 4, np.array([[1], [j]]) / R2),  # Table 6.3.1.5-1
    ((2, 1), 1, np.array([[0], [1]]) / R2),
    ((4, 1), 6, np.array([[1], [0], [j], [0]]) / 2),  # Table 6.3.1.5-3, partial-coherent
    ((4, 1), 17, np.array([[1], [j], [j], [-1]]) / 2),
    ((4, 1), 27, np.array([[1], [-j], [-j], [-1]]) / 2),
    ((2, 2), 0, np.array([[1, 0], [0, 1]]) / R2),  # Table 6.3.1.5-4
    ((2, 2), 2, np.array([[1, 1], [j, -j]]) / 2),
    ((4, 2), 3, np.array([[0, 0], [1, 0], [0, 1], [0, 0]]) / 2),  # Table 6.3.1.5-5
    ((4, 2), 9, np.array([[1, 0], [0, 1], [-j, 0], [0, -1]]) / 2),
    ((4, 2), 19, np.array([[1, 1], [-1, -1], [j, -j], [-j, j]]) / (2 * R2)),
    ((4, 3), 2, np.array([[1, 0, 0], [0, 1, 0], [-1, 0, 0], [0, 0, 1]]) / 2),  # 6.3.1.5-6
    ((4, 3), 6, np.array([[1, 1, 1], [-1, 1, -1], [j, j, -j], [-j, j, j]]) / (2 * R3)),
    ((4, 4), 0, np.eye(4) / 2),  # Table 6.3.1.5-7
    ((4, 4), 2, np.array([[1, 1, 0, 0], [0, 0, 1, 1], [j, -j, 0, 0], [0, 0, j, -j]]) / (2 * R2)),
    ((4, 4), 3, np.array([[1, 1, 1, 1], [1, -1, 1, -1], [1, 1, -1, -1], [1, -1, -1, 1]]) / 4),
]
TPMI_COUNTS = {(2, 1): 6, (2, 2): 3, (4, 1): 28, (4, 2): 22, (4, 3): 7, (4, 4): 5}


@pytest.mark.parametrize(("ports_layers", "tpmi", "expected"), HAND_CHECKED)
def test_tpmi_entries_checked_by_hand(ports_layers, tpmi, expected) -> None:
    np.testing.assert_allclose(tpmi_precoders(*ports_layers)[tpmi], expected, atol=1e-15)


@pytest.mark.parametrize("ports_layers", sorted(TPMI_TABLES))
def test_tpmi_table_sizes_and_structure(ports_layers) -> None:
    ports, layers = ports_layers
    w = tpmi_precoders(ports, layers)
    assert w.shape == (TPMI_COUNTS[ports_layers], ports, layers)
    gram = np.conj(np.swapaxes(w, 1, 2)) @ w
    for matrix, g in zip(w, gram, strict=True):
        # Orthogonal layers; every port sends power 1 / P or nothing.
        np.testing.assert_allclose(g, np.diag(np.diag(g)), atol=1e-15)
        port_power = np.sum(np.abs(matrix) ** 2, axis=1)
        assert np.all(np.isclose(port_power, 1 / ports) | (port_power == 0)), port_power
        nonzero = np.abs(matrix[matrix != 0])
        np.testing.assert_allclose(nonzero, nonzero[0])  # one scale per matrix
    assert len({w_.tobytes() for w_ in w}) == len(w)


def test_tpmi_codebook_orders_ranks_and_normalises() -> None:
    cb = tpmi_codebook(4, 4)
    assert (cb.name, cb.num_codewords, cb.num_antennas, cb.max_rank) == ("tpmi", 62, 4, 4)
    np.testing.assert_array_equal(np.bincount(cb.ranks), [0, 28, 22, 7, 5])
    np.testing.assert_allclose(np.linalg.norm(cb.matrices, axis=(1, 2)), 1.0)
    # TPMI 17 of Table 6.3.1.5-3, rescaled from norm 1 (already unit) and zero-padded.
    np.testing.assert_allclose(cb.matrices[17, :, 0], [0.5, 0.5j, 0.5j, -0.5])
    np.testing.assert_array_equal(cb.matrices[17, :, 1:], 0)
    # Non-coherent rank-1 TPMI 0 (norm 1/2 in the table) gets the full power.
    np.testing.assert_allclose(cb.matrices[0, :, 0], [1, 0, 0, 0])
    rank_two = make_codebook("tpmi", 4, max_rank=2)
    assert (rank_two.num_codewords, rank_two.max_rank) == (50, 2)
    np.testing.assert_allclose(rank_two.matrices, cb.matrices[:50, :, :2])


def test_two_port_codebook_is_the_tpmi_codebook_under_its_old_name() -> None:
    old = make_codebook("3gpp-2port", 2)
    new = make_codebook("tpmi", 2)
    assert (old.name, new.name) == ("3gpp-2port", "tpmi")
    np.testing.assert_array_equal(old.matrices, new.matrices)
    np.testing.assert_array_equal(old.ranks, new.ranks)
    with pytest.raises(ValueError, match=r"'tpmi' needs 2 or 4 antenna ports.*num_antennas=3"):
        make_codebook("tpmi", 3)
    with pytest.raises(ValueError, match="no PUSCH codebook for num_ports=2 and num_layers=3"):
        tpmi_precoders(2, 3)


def test_dft_duplicates_are_dropped_and_have_equal_rates() -> None:
    full = make_codebook("dft", 4, oversampling=2, max_rank=4)
    kept = make_codebook("dft", 4, oversampling=2, max_rank=4, drop_duplicates=True)
    assert (full.num_codewords, kept.num_codewords) == (32, 26)
    np.testing.assert_array_equal(np.bincount(kept.ranks), [0, 8, 8, 8, 2])
    # Every dropped codeword has the rate of a kept one, for any channel.
    rng = np.random.default_rng(0)
    h = rng.normal(size=(50, 8, 4)) + 1j * rng.normal(size=(50, 8, 4))
    gram = 10.0 * np.conj(np.swapaxes(h, 1, 2)) @ h
    rates = sum_rate(mmse_sinr_from_gram(effective_gram(gram[:, None], full.matrices)))
    rank_four = np.flatnonzero(full.ranks == 4)
    for first in (0, 1):  # codewords k = 0, 2, 4, 6 share beams {0, 2, 4, 6}; odd k {1, 3, 5, 7}
        same = rates[:, rank_four[first::2]]
        np.testing.assert_allclose(same, np.repeat(same[:, :1], 4, axis=1), rtol=1e-10)
    assert not np.allclose(rates[:, rank_four[0]], rates[:, rank_four[1]])
    for table in (tpmi_codebook(4, 4), tpmi_codebook(2, 2)):
        assert distinct_codewords(table).num_codewords == table.num_codewords


# (I_MCS, Q_m, R x 1024, spectral efficiency as printed) from TS 38.214 V17.
MCS_ROWS = {
    "mcs-64qam": [(0, 2, 120, 0.2344), (9, 2, 679, 1.3262), (10, 4, 340, 1.3281),
                  (17, 6, 438, 2.5664), (28, 6, 948, 5.5547)],  # Table 5.1.3.1-1
    "mcs-256qam": [(0, 2, 120, 0.2344), (5, 4, 378, 1.4766), (11, 6, 466, 2.7305),
                   (20, 8, 682.5, 5.3320), (26, 8, 916.5, 7.1602),
                   (27, 8, 948, 7.4063)],  # Table 5.1.3.1-2
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(MCS_ROWS))
def test_mcs_entries_checked_by_hand(name) -> None:
    table = MCS_TABLES[name]
    for index, order, rate, efficiency in MCS_ROWS[name]:
        assert table.modulation_order[index] == order
        assert table.code_rate_x1024[index] == rate
        rounded_half_up = math.floor(float(table.spectral_efficiency[index]) * 1e4 + 0.5) / 1e4
        assert rounded_half_up == efficiency  # 7.40625 is printed 7.4063


def test_mcs_table_sizes_and_ceilings() -> None:
    assert len(MCS_TABLE_64QAM.modulation_order) == 29  # I_MCS 0-28, 29-31 reserved
    assert len(MCS_TABLE_256QAM.modulation_order) == 28  # I_MCS 0-27, 28-31 reserved
    assert MCS_TABLE_64QAM.max_spectral_efficiency == 6 * 948 / 1024  # 5.5547
    assert MCS_TABLE_256QAM.max_spectral_efficiency == 8 * 948 / 1024  # 7.4063
    assert set(MCS_TABLE_256QAM.modulation_order) == {2, 4, 6, 8}


def test_cap_sinr_caps_each_layer_rate() -> None:
    ceiling = MCS_TABLE_256QAM.max_spectral_efficiency
    sinr = np.array([[0.0, 10.0, 2.0**ceiling - 1.0, 1e6], [3.0, 1e3, 1e9, 0.5]])
    capped = cap_sinr(sinr, ceiling)
    layer_rates = np.log2(1.0 + capped)
    np.testing.assert_allclose(layer_rates, np.minimum(np.log2(1.0 + sinr), ceiling))
    np.testing.assert_array_equal(capped[sinr < 2.0**ceiling - 1.0], sinr[sinr < 2**ceiling - 1])


@pytest.mark.parametrize(
    ("num_rb", "scs_khz", "path_loss_db", "expected_dbm"),
    [
        (None, 15, 100.0, -80.0 + 0.8 * 100.0),  # the formula without the bandwidth term
        (273, 30, 70.0, -80.0 + 10 * math.log10(2 * 273) + 56.0),  # 3.37 dBm
        (273, 30, 100.0, 23.0),  # capped at P_CMAX
        (1, 15, 90.0, -80.0 + 72.0),
        (50, 120, 80.0, -80.0 + 10 * math.log10(8 * 50) + 64.0),
    ],
)
def test_power_control_closed_form(num_rb, scs_khz, path_loss_db, expected_dbm) -> None:
    power = pusch_tx_power_dbm(23.0, -80.0, 0.8, np.array([path_loss_db]), num_rb, scs_khz)
    assert power[0] == pytest.approx(min(23.0, expected_dbm), abs=1e-12)


def test_power_control_rejects_bad_numerology() -> None:
    assert bandwidth_term_db(273, 30) == pytest.approx(27.372, abs=1e-3)
    with pytest.raises(ValueError, match="subcarrier_spacing_khz must be one of"):
        bandwidth_term_db(10, 45)
    with pytest.raises(ValueError, match=r"num_rb must be an integer in \[1, 275\], got 276"):
        bandwidth_term_db(276, 30)
