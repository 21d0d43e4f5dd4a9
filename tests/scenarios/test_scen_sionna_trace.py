"""The Sionna RT reference tracer: scene writer and BS mapping (no Sionna), and a tiny trace."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from itertools import pairwise

import numpy as np
import pytest

from wmoe.scenarios import o1_layout
from wmoe.scenarios.deepmimo_loader import ArrayConfig, DeepMIMOUplink, read_scenario_info
from wmoe.scenarios.sionna_trace import (
    SionnaO1Config,
    SionnaUnavailableError,
    box_mesh,
    bs_order,
    require_sionna_rt,
    strongest_first,
    write_layout_scene,
    write_scene,
    write_sionna_o1,
)


def _read_ply(path):
    lines = path.read_text().splitlines()
    header_end = lines.index("end_header")
    counts = {
        line.split()[1]: int(line.split()[2])
        for line in lines[:header_end]
        if line.startswith("element")
    }
    body = lines[header_end + 1 :]
    vertices = np.array([[float(v) for v in line.split()] for line in body[: counts["vertex"]]])
    faces = np.array([[int(v) for v in line.split()[1:]] for line in body[counts["vertex"] :]])
    return vertices, faces


def test_layout_scene_has_the_buildings_ground_and_itu_materials(tmp_path):
    scene_file = write_layout_scene(tmp_path)
    root = ET.parse(scene_file).getroot()
    materials = {
        bsdf.get("id"): bsdf.find("string[@name='type']").get("value") for bsdf in root.iter("bsdf")
    }
    assert {b.get("type") for b in root.iter("bsdf")} == {"itu-radio-material"}
    assert materials == {
        "mat-itu_concrete": "concrete",
        "mat-itu_medium_dry_ground": "medium_dry_ground",
    }
    shapes = {s.get("id"): s for s in root.iter("shape")}
    buildings = o1_layout.buildings()
    assert set(shapes) == {f"building_{k}" for k in range(len(buildings))} | {"ground"}
    for name, shape in shapes.items():
        material = shape.find("ref").get("id")
        assert material == ("mat-itu_medium_dry_ground" if name == "ground" else "mat-itu_concrete")
        assert shape.get("type") == "ply"
    for k, (x0, x1, y0, y1, height) in enumerate(buildings):
        filename = shapes[f"building_{k}"].find("string[@name='filename']").get("value")
        vertices, faces = _read_ply(tmp_path / filename)
        np.testing.assert_allclose(vertices.min(axis=0), [x0, y0, 0.0], atol=1e-5)
        np.testing.assert_allclose(vertices.max(axis=0), [x1, y1, height], atol=1e-5)
        assert faces.shape == (12, 3)
    ground, _ = _read_ply(tmp_path / "meshes" / "ground.ply")
    np.testing.assert_array_equal(ground[:, 2], 0.0)
    users = o1_layout.user_grid(1, 1)
    everything = np.concatenate([users[:, :2], o1_layout.base_station_positions()[:, :2]])
    assert (everything.min(axis=0) > ground[:, :2].min(axis=0)).all()
    assert (everything.max(axis=0) < ground[:, :2].max(axis=0)).all()


def test_box_mesh_is_closed_with_shared_vertices_and_outward_faces():
    vertices, faces = box_mesh((1.0, 3.0), (2.0, 7.0), (0.0, 10.0))
    assert vertices.shape == (8, 3)
    edges: dict[tuple[int, int], int] = {}
    for face in faces:
        for a, b in pairwise([*face, face[0]]):
            key = (min(a, b), max(a, b))
            edges[key] = edges.get(key, 0) + 1
    assert set(edges.values()) == {2}  # every edge is a wedge of two faces (diffraction)
    centre = vertices.mean(axis=0)
    p0, p1, p2 = (vertices[faces[:, k]] for k in range(3))
    normals = np.cross(p1 - p0, p2 - p0)
    assert ((normals * ((p0 + p1 + p2) / 3 - centre)).sum(axis=1) > 0).all()


def test_write_scene_rejects_empty_extents(tmp_path):
    with pytest.raises(ValueError, match="building"):
        write_scene(tmp_path, [(0.0, 0.0, 0.0, 1.0, 5.0)], (-1.0, 1.0, -1.0, 1.0))
    with pytest.raises(ValueError, match="ground"):
        write_scene(tmp_path, [], (1.0, 1.0, -1.0, 1.0))


def test_bs_order_maps_coordinate_sorted_transmitters_back_to_bs_indices():
    ours = o1_layout.base_station_positions()
    sorted_index = np.lexsort(ours.T[::-1])  # the converter's np.unique order
    traced = ours[sorted_index].astype(np.float32)
    order = bs_order(traced, ours)
    np.testing.assert_array_equal(order, sorted_index)
    np.testing.assert_allclose(ours[order], traced, atol=1e-3)


def test_bs_order_rejects_unmatched_or_shared_positions():
    ours = o1_layout.base_station_positions()[:3]
    with pytest.raises(ValueError, match="no BS within"):
        bs_order(ours + np.array([1.0, 0.0, 0.0]), ours)
    with pytest.raises(ValueError, match="no BS within"):
        bs_order(ours[[0, 0, 1]], ours)
    with pytest.raises(ValueError, match="2 traced transmitters for 3 BSs"):
        bs_order(ours[:2], ours)


def test_strongest_first_reorders_every_path_field_alike():
    rng = np.random.default_rng(0)
    rx, depth, paths = 4, 3, 30
    amplitude = rng.uniform(0.0, 1.0, (rx, paths)) * (rng.uniform(size=(rx, paths)) > 0.3)
    index = np.broadcast_to(np.arange(paths, dtype=float), (rx, paths))
    exported = {
        "a": (amplitude * np.exp(1j * index))[:, None, None, None, :],
        **{key: (amplitude + k)[:, None, :] for k, key in enumerate(("tau", "phi_r", "phi_t"))},
        "theta_r": index[:, None, :],
        "theta_t": index[:, None, :],
        "interactions": np.broadcast_to(index[None, :, None, :], (depth, rx, 1, paths)),
        "vertices": np.broadcast_to(index[None, :, None, :, None], (depth, rx, 1, paths, 3)),
        "sources": np.zeros((1, 3)),
    }
    out = strongest_first(exported)
    magnitude = np.abs(out["a"][:, 0, 0, 0, :])
    assert (np.diff(magnitude, axis=-1) <= 0).all()
    np.testing.assert_allclose(magnitude, np.sort(amplitude, axis=-1)[:, ::-1])
    moved = out["theta_r"][:, 0, :]  # the original index of each path, now strongest first
    np.testing.assert_allclose(np.take_along_axis(amplitude, moved.astype(int), -1), magnitude)
    for key, offset in (("tau", 0), ("phi_r", 1), ("phi_t", 2)):
        np.testing.assert_allclose(out[key][:, 0, :], magnitude + offset)
    np.testing.assert_array_equal(
        out["interactions"][:, :, 0, :], np.broadcast_to(moved, (3, 4, 30))
    )
    np.testing.assert_array_equal(out["vertices"][..., 1], out["interactions"])
    assert out["sources"] is exported["sources"]


@pytest.mark.parametrize("bs_indices", [(), (3, 1), (0, 0), (18,)])
def test_config_rejects_bad_bs_indices(bs_indices):
    with pytest.raises(ValueError, match="bs_indices"):
        SionnaO1Config(bs_indices=bs_indices).bs_kept()


def test_missing_sionna_names_make_target_and_llvm_variable(monkeypatch):
    monkeypatch.setitem(sys.modules, "drjit", None)
    with pytest.raises(SionnaUnavailableError, match="make sionna-rt.*DRJIT_LIBLLVM_PATH"):
        require_sionna_rt()


def test_cli_help_documents_the_tracer_choice():
    result = subprocess.run(
        [sys.executable, "-m", "wmoe.cli", "scenario", "generate", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert "--tracer {wmoe,sionna}" in result.stdout
    assert "make sionna-rt" in " ".join(result.stdout.split())


def _sionna_usable() -> None:
    """Skip unless sionna-rt is installed and Dr.Jit loads LLVM >= 17."""
    pytest.importorskip("drjit", reason="sionna-rt not installed (make sionna-rt)")
    pytest.importorskip("sionna.rt", reason="sionna-rt not installed (make sionna-rt)")
    try:
        require_sionna_rt()
    except SionnaUnavailableError as error:
        pytest.skip(f"Sionna RT unusable here (LLVM >= 17 / DRJIT_LIBLLVM_PATH): {error}")


@pytest.mark.slow
def test_tiny_sionna_trace_is_read_by_the_loader(tmp_path):
    _sionna_usable()
    config = SionnaO1Config(
        name="o1_sionna_tiny", row_stride=500, user_stride=60, bs_indices=(0, 13), max_depth=2
    )
    folder = write_sionna_o1(tmp_path, config)
    users = o1_layout.user_grid(config.row_stride, config.user_stride)
    info = read_scenario_info(folder)
    assert (info.num_bs, info.num_users) == (2, len(users))
    assert info.bs_facing_azimuth_deg == (0.0, -90.0)
    assert info.synthetic and info.tracer.startswith("sionna-rt 2.2")  # wmoe scenario info
    uplink = DeepMIMOUplink(folder, ArrayConfig())
    np.testing.assert_allclose(
        uplink.bs_positions, o1_layout.base_station_positions()[[0, 13]], atol=1e-3
    )
    np.testing.assert_allclose(uplink.user_positions, users, atol=1e-3)
    for bs in range(2):
        power = np.load(folder / f"power_t000_tx{bs:03}_r001.npz")["power"]
        has_paths = ~np.isnan(power).all(axis=1)
        assert has_paths.sum() > len(users) // 2
        gain = (np.abs(uplink.bs_channels(bs)) ** 2).sum(axis=(1, 2))
        assert (gain[has_paths] > 0).all()
        assert (gain[~has_paths] == 0).all()
    with pytest.raises(FileExistsError, match="overwrite"):
        write_sionna_o1(tmp_path, config)
