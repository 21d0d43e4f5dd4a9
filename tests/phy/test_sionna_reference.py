"""wmoe's physics against NVIDIA Sionna (``sionna-no-rt``) as the reference implementation.

Skipped when Sionna is not installed (it is in the dev extra). Compared:

* the TS 38.211 TPMI tables with ``sionna.phy.nr.PUSCHConfig.precoding_matrix``;
* the TS 38.214 MCS tables with ``sionna.phy.nr.utils.decode_mcs_index``;
* TS 38.213 open-loop power control with ``sionna.sys.power_control.
  open_loop_uplink_power_control``, which has the bandwidth term ``10 log10(#PRB)``, i.e.
  ``mu = 0`` (15 kHz) of ours;
* the (133, 171) convolutional encoder and the hard-decision Viterbi decoder with
  ``sionna.phy.fec.conv.ConvEncoder`` / ``ViterbiDecoder`` (generator strings ``1011011`` and
  ``1111001``, most significant bit = current input, zero-terminated), bit for bit;
* the 16-QAM mapping with ``sionna.phy.mapping.Mapper("qam", 4)``, which follows TS 38.211
  Sec. 5.1.4: our IEEE 802.11 bits ``b0 b1 b2 b3`` (in-phase sign, in-phase inner level,
  quadrature sign, quadrature inner level, 1 = positive / inner) are Sionna's bits
  ``(1 - b0), (1 - b2), (1 - b1), (1 - b3)`` (sign I, sign Q, outer I, outer Q; 0 = positive
  / inner); the points are equal.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sionna.phy")
torch = pytest.importorskip("torch")

from sionna.phy.fec.conv import ConvEncoder, ViterbiDecoder  # noqa: E402
from sionna.phy.mapping import Mapper  # noqa: E402
from sionna.phy.nr import PUSCHConfig  # noqa: E402
from sionna.phy.nr.utils import decode_mcs_index  # noqa: E402
from sionna.sys.power_control import open_loop_uplink_power_control  # noqa: E402

from wmoe.phy.convolutional import conv_encode, viterbi_decode  # noqa: E402
from wmoe.phy.nr_codebooks import TPMI_TABLES, tpmi_precoders  # noqa: E402
from wmoe.phy.nr_mcs import MCS_TABLE_64QAM, MCS_TABLE_256QAM  # noqa: E402
from wmoe.phy.nr_power_control import pusch_tx_power_dbm  # noqa: E402
from wmoe.phy.qam import qam16_modulate  # noqa: E402

GENERATORS = ("1011011", "1111001")  # 133 and 171 octal


@pytest.mark.parametrize("ports_layers", sorted(TPMI_TABLES))
def test_tpmi_tables_equal_sionna(ports_layers) -> None:
    ports, layers = ports_layers
    ours = tpmi_precoders(ports, layers)
    for tpmi, w in enumerate(ours):
        config = PUSCHConfig(
            num_antenna_ports=ports, num_layers=layers, tpmi=tpmi, precoding="codebook"
        )
        np.testing.assert_allclose(w, config.precoding_matrix, atol=1e-15, err_msg=f"TPMI {tpmi}")


@pytest.mark.parametrize(("table_index", "table"), [(1, MCS_TABLE_64QAM), (2, MCS_TABLE_256QAM)])
def test_mcs_tables_equal_sionna(table_index, table) -> None:
    indices = torch.arange(len(table.modulation_order))
    order, rate = decode_mcs_index(
        indices, table_index=table_index, is_pusch=True, transform_precoding=False
    )
    np.testing.assert_array_equal(order.numpy(), table.modulation_order)
    np.testing.assert_allclose(rate.numpy(), table.code_rate_x1024 / 1024, rtol=1e-6)


def test_power_control_equals_sionna_at_15_khz() -> None:
    path_loss_db = np.array([60.0, 75.0, 90.0, 105.0, 120.0, 95.0])
    num_rb = [1, 10, 50, 100, 273, 275]
    sionna_w = open_loop_uplink_power_control(
        torch.tensor(10.0 ** (path_loss_db / 10.0), dtype=torch.float64),
        torch.tensor([12 * m for m in num_rb]),
        alpha=0.8,
        p0_dbm=-80.0,
        ut_max_power_dbm=23.0,
        precision="double",
    ).numpy()
    ours = [
        pusch_tx_power_dbm(23.0, -80.0, 0.8, path_loss_db[i], m, 15) for i, m in enumerate(num_rb)
    ]
    np.testing.assert_allclose(ours, 10.0 * np.log10(sionna_w * 1e3), atol=1e-9)


def test_convolutional_encoder_equals_sionna() -> None:
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2, (64, 120)).astype(np.uint8)
    ours, _ = conv_encode(bits, np.full(64, 120))
    theirs = ConvEncoder(gen_poly=GENERATORS, terminate=True)(
        torch.tensor(bits, dtype=torch.float32)
    )
    np.testing.assert_array_equal(ours, theirs.numpy().astype(np.uint8))


@pytest.mark.parametrize("flip_probability", [0.0, 0.03, 0.08, 0.12])
def test_viterbi_decoder_equals_sionna_on_noisy_bits(flip_probability) -> None:
    rng = np.random.default_rng(1)
    bits = rng.integers(0, 2, (128, 100)).astype(np.uint8)
    coded, num_coded = conv_encode(bits, np.full(128, 100))
    received = coded ^ (rng.random(coded.shape) < flip_probability).astype(np.uint8)
    ours, _ = viterbi_decode(received, num_coded)
    encoder = ConvEncoder(gen_poly=GENERATORS, terminate=True)
    hard = ViterbiDecoder(encoder=encoder, method="hard")(
        torch.tensor(received, dtype=torch.float32)
    )
    np.testing.assert_array_equal(ours, hard.numpy().astype(np.uint8))


def test_viterbi_decoder_equals_sionna_soft_decoding_of_hard_llrs() -> None:
    # Sionna's LLRs are log(P(b=1) / P(b=0)); with equal magnitudes the soft metric is the
    # Hamming metric, so decoding the signs of noisy LLRs matches ours on their hard bits.
    rng = np.random.default_rng(2)
    bits = rng.integers(0, 2, (128, 100)).astype(np.uint8)
    coded, num_coded = conv_encode(bits, np.full(128, 100))
    llr = (2.0 * coded - 1.0) * 2.0 + rng.normal(scale=1.0, size=coded.shape)
    hard_bits = (llr > 0).astype(np.uint8)
    ours, _ = viterbi_decode(hard_bits, num_coded)
    encoder = ConvEncoder(gen_poly=GENERATORS, terminate=True)
    decoder = ViterbiDecoder(encoder=encoder, method="soft_llr")
    theirs = decoder(torch.tensor(2.0 * hard_bits - 1.0, dtype=torch.float32))
    np.testing.assert_array_equal(ours, theirs.numpy().astype(np.uint8))
    assert np.mean(ours != bits) < 0.05


def test_qam16_equals_sionna_up_to_bit_labels() -> None:
    bits = np.array([[int(b) for b in f"{i:04b}"] for i in range(16)], dtype=np.uint8)
    sionna_bits = 1 - bits[:, [0, 2, 1, 3]]
    theirs = Mapper("qam", 4)(torch.tensor(sionna_bits.reshape(1, -1), dtype=torch.float32))
    np.testing.assert_allclose(qam16_modulate(bits).ravel(), theirs.numpy().ravel(), atol=1e-6)
