"""Trace the synthetic O1-like layout with Sionna RT, a reference ray tracer beside wmoe's own.

The default scenario ``o1_synthetic_3p5`` comes from wmoe's image-method tracer
(:mod:`wmoe.scenarios.raytrace`), which has specular reflections only. This module traces the
same layout (:mod:`wmoe.scenarios.o1_layout`: its building blocks, BS positions and heights,
user grid) with Sionna RT [SRT] and writes a DeepMIMO v4 folder (default name
``o1_sionna_3p5``) that :mod:`wmoe.scenarios.deepmimo_loader` reads like any other:

1. :func:`write_scene` writes the layout as a Mitsuba 3 XML scene: one closed PLY box per
   building block of ITU-R concrete, a PLY ground of ITU-R medium dry ground (the materials of
   wmoe's tracer, ITU-R P.2040-3 Table 3, as Sionna's ``itu-radio-material``). PLY meshes with
   shared vertices, not Mitsuba's ``cube``: Sionna RT finds the wedges it diffracts at from
   shared edges, and on ``cube`` shapes (separate vertices per face) its diffracted paths come
   out 140-200 dB too weak.
2. Sionna RT's ``PathSolver`` (``deterministic=True``, so path counts do not depend on the
   thread count) traces one BS at a time to every user, with vertically polarised isotropic
   antennas at both ends, specular reflections up to ``max_depth`` interactions and, by
   default, edge diffraction. ``samples_per_src`` defaults to 1e5: for BS1 and 735 users it
   finds as many specular paths as Sionna's default 1e6 rays, and with 1e6 the deterministic
   candidate generator of sionna-rt 2.2.0 crashed (segmentation fault) for a few hundred
   users on this machine.
3. DeepMIMO's own Sionna exporter and converter (``deepmimo.exporters.sionna_exporter``,
   ``dm.convert``) turn the paths into a v4 folder, in a temporary working directory (the
   converter writes under the working directory's ``deepmimo_scenarios``).
4. The converter orders transmitters by their coordinates; :func:`bs_order` maps each back to
   wmoe's BS index by its ``tx_pos`` and the files are renamed so that TX index ``k`` is BS
   ``k + 1`` of :func:`wmoe.scenarios.o1_layout.base_station_positions`. A ``wmoe`` block in
   ``params.json`` records the BS panels' azimuths and the generator settings.

Differences from wmoe's tracer that are choices of this module, not physics: the BSs carry one
vertically polarised port (DeepMIMO's converter takes one antenna per TX when there are several
TXs), so the loader reads the folder as single-polarised (as it reads DeepMIMO's O1); materials
are 1 m thick slabs, thick enough (at 3.5 GHz ITU-R concrete attenuates about 88 dB/m and
medium dry ground about 121 dB/m) that Sionna's slab reflection equals the half-space Fresnel
reflection of wmoe's tracer; ``refraction`` is off,
since the blocks are solid (wmoe's tracer has no transmission either).

Optional dependency: ``make sionna-rt`` installs ``sionna-rt`` and Debian's LLVM 19 (Dr.Jit's
CPU backend needs LLVM >= 17; point ``DRJIT_LIBLLVM_PATH`` at ``libLLVM-19.so`` when an older
LLVM is found first).

[SRT] J. Hoydis et al., "Sionna RT: Technical Report", arXiv:2504.21719, 2025;
https://nvlabs.github.io/sionna/rt/
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import io
import json
import os
import shutil
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from wmoe.scenarios import o1_layout
from wmoe.scenarios.raytrace import FACADE_MATERIAL, GROUND_MATERIAL
from wmoe.scenarios.synthetic_o1 import check_overwrite, write_folder_atomically

MIN_LLVM_MAJOR = 17  # Dr.Jit 1.5's LLVM backend aborts on older LLVM ("Cannot select: fmaximum")
LIBLLVM_HINT = "/usr/lib/x86_64-linux-gnu/libLLVM-19.so"  # Debian's libllvm19
MATERIAL_THICKNESS_M = 1.0  # slab thickness of facades and ground [m] (see module docstring)
GROUND_MARGIN_M = 100.0  # ground extends this far beyond the buildings and users [m]
TX_SET = 0  # the converter's TX set (the BSs)
USER_RX_SET = 1  # the converter's RX set (the users)
POSITION_TOLERANCE_M = 1e-2  # converter positions are float32 [m]
MAX_PATHS_KEPT = 25  # DeepMIMO's converter keeps this many paths per link (deepmimo.consts)
RAYTRACER_DESCRIPTION = (
    "SYNTHETIC O1-like layout (wmoe.scenarios.o1_layout) ray-traced with Sionna RT by "
    "wmoe.scenarios.sionna_trace; not DeepMIMO's ray-traced O1."
)


class SionnaUnavailableError(RuntimeError):
    """Sionna RT or an LLVM that Dr.Jit can use is missing."""


@dataclass(frozen=True)
class SionnaO1Config:
    """Settings of the Sionna RT trace of the synthetic O1-like layout.

    Attributes:
        name: Scenario folder name.
        frequency_hz: Carrier frequency [Hz] (that of ``o1_synthetic_3p5``).
        row_stride: Keep every ``row_stride``-th grid row (rows are 0.2 m apart).
        user_stride: Keep every ``user_stride``-th user of a row (users are 0.2 m apart).
        bs_indices: 0-based BSs of :func:`o1_layout.base_station_positions` to trace, in
            ascending order; None traces all 18.
        max_depth: Most interactions per path. 3 matches ``o1_synthetic_3p5``: two facade
            reflections plus the ground reflection (Sionna also keeps three facade reflections
            without a ground bounce, which wmoe's tracer does not).
        diffraction: Trace edge diffraction (one per path, Sionna's limit).
        diffuse_reflection: Trace diffuse scattering (Sionna's default Lambertian pattern of
            the ITU materials, whose scattering coefficient is 0 unless changed: off).
        samples_per_src: Rays shot per BS.
        seed: Seed of the solver's sampling.
        num_threads: Dr.Jit CPU threads.
    """

    name: str = "o1_sionna_3p5"
    frequency_hz: float = 3.5e9
    row_stride: int = 5
    user_stride: int = 5
    bs_indices: tuple[int, ...] | None = None
    max_depth: int = 3
    diffraction: bool = True
    diffuse_reflection: bool = False
    samples_per_src: int = 100_000
    seed: int = 42
    num_threads: int = 1

    def bs_kept(self) -> tuple[int, ...]:
        """Return the traced BSs (0-based), checking ``bs_indices``.

        Raises:
            ValueError: If an index is out of range, repeated or out of order.
        """
        kept = tuple(range(o1_layout.NUM_BS)) if self.bs_indices is None else self.bs_indices
        if (
            not kept
            or list(kept) != sorted(set(kept))
            or kept[0] < 0
            or kept[-1] >= o1_layout.NUM_BS
        ):
            raise ValueError(
                f"bs_indices must be distinct ascending BS indices in 0..{o1_layout.NUM_BS - 1}, "
                f"got {self.bs_indices}"
            )
        return kept


def box_mesh(
    x: tuple[float, float], y: tuple[float, float], z: tuple[float, float]
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Return a closed box's 8 shared vertices and 12 outward-facing triangles.

    Shared vertices make each building edge a wedge of two faces, which Sionna RT needs to
    diffract at it (Mitsuba's built-in ``cube`` has separate vertices per face).

    Args:
        x: (x0, x1) [m].
        y: (y0, y1) [m].
        z: (z0, z1) [m].
    """
    vertices = np.array([(x[i], y[j], z[k]) for k in (0, 1) for j in (0, 1) for i in (0, 1)])
    quads = ((0, 1, 3, 2), (4, 5, 7, 6), (0, 1, 5, 4), (2, 3, 7, 6), (0, 2, 6, 4), (1, 3, 7, 5))
    centre = vertices.mean(axis=0)
    faces = []
    for a, b, c, d in quads:
        for triangle in ((a, b, c), (a, c, d)):
            p0, p1, p2 = vertices[list(triangle)]
            outward = np.cross(p1 - p0, p2 - p0) @ ((p0 + p1 + p2) / 3 - centre) > 0
            faces.append(triangle if outward else triangle[::-1])
    return vertices, np.array(faces, dtype=np.int64)


def ply_text(vertices: NDArray[np.float64], faces: NDArray[np.int64]) -> str:
    """Return an ASCII PLY mesh of ``vertices`` (n, 3) [m] and triangles ``faces`` (m, 3)."""
    header = [
        "ply",
        "format ascii 1.0",
        f"element vertex {len(vertices)}",
        "property float x",
        "property float y",
        "property float z",
        f"element face {len(faces)}",
        "property list uchar int vertex_indices",
        "end_header",
    ]
    body = [" ".join(f"{v:.6f}" for v in vertex) for vertex in vertices]
    body += ["3 " + " ".join(str(int(i)) for i in face) for face in faces]
    return "\n".join(header + body) + "\n"


def scene_xml(num_buildings: int, mesh_dir: str = "meshes") -> str:
    """Return a Mitsuba 3 XML scene of PLY buildings on a PLY ground, with ITU materials.

    Buildings ``building_<k>`` (``<mesh_dir>/building_<k>.ply``) are of ITU-R concrete, the
    ground ``ground`` (``<mesh_dir>/ground.ply``) of ITU-R medium dry ground (Sionna's
    ``itu-radio-material``, ITU-R P.2040-3 Table 3); :func:`write_scene` writes the meshes.
    """
    root = ET.Element("scene", version="2.1.0")
    for material in (FACADE_MATERIAL, GROUND_MATERIAL):
        bsdf = ET.SubElement(root, "bsdf", type="itu-radio-material", id=f"mat-itu_{material}")
        ET.SubElement(bsdf, "string", name="type", value=material)
        ET.SubElement(bsdf, "float", name="thickness", value=f"{MATERIAL_THICKNESS_M}")
    names = [(f"building_{k}", FACADE_MATERIAL) for k in range(num_buildings)]
    for name, material in [*names, ("ground", GROUND_MATERIAL)]:
        shape = ET.SubElement(root, "shape", type="ply", id=name)
        ET.SubElement(shape, "string", name="filename", value=f"{mesh_dir}/{name}.ply")
        ET.SubElement(shape, "ref", id=f"mat-itu_{material}", name="bsdf")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode")


def write_scene(
    folder: Path,
    buildings: Sequence[tuple[float, float, float, float, float]],
    ground_xy: tuple[float, float, float, float],
) -> Path:
    """Write box buildings on a flat ground as a Mitsuba scene; return ``scene.xml``'s path.

    Args:
        folder: Where ``scene.xml`` and its ``meshes`` folder go.
        buildings: (x0, x1, y0, y1, height) of each building [m].
        ground_xy: (x0, x1, y0, y1) of the ground at z = 0 [m].

    Raises:
        ValueError: If a building or the ground has no extent.
    """
    for x0, x1, y0, y1, height in buildings:
        if not (x1 > x0 and y1 > y0 and height > 0):
            raise ValueError(f"building {(x0, x1, y0, y1, height)} must have x1>x0, y1>y0, h>0")
    gx0, gx1, gy0, gy1 = ground_xy
    if not (gx1 > gx0 and gy1 > gy0):
        raise ValueError(f"ground {ground_xy} must have x1 > x0 and y1 > y0")
    meshes = folder / "meshes"
    meshes.mkdir(parents=True, exist_ok=True)
    for k, (x0, x1, y0, y1, height) in enumerate(buildings):
        vertices, faces = box_mesh((x0, x1), (y0, y1), (0.0, height))
        (meshes / f"building_{k}.ply").write_text(ply_text(vertices, faces))
    ground = np.array([(gx0, gy0, 0.0), (gx1, gy0, 0.0), (gx1, gy1, 0.0), (gx0, gy1, 0.0)])
    (meshes / "ground.ply").write_text(ply_text(ground, np.array([(0, 1, 2), (0, 2, 3)])))
    scene_file = folder / "scene.xml"
    scene_file.write_text(scene_xml(len(buildings)))
    return scene_file


def write_layout_scene(folder: Path) -> Path:
    """Write :mod:`o1_layout`'s buildings on ground that covers them, BSs and users."""
    blocks = o1_layout.buildings()
    users = o1_layout.user_grid(50, 50)
    bs = o1_layout.base_station_positions()
    xs = [b[0] for b in blocks] + [b[1] for b in blocks] + [*users[:, 0], *bs[:, 0]]
    ys = [b[2] for b in blocks] + [b[3] for b in blocks] + [*users[:, 1], *bs[:, 1]]
    ground = (
        min(xs) - GROUND_MARGIN_M,
        max(xs) + GROUND_MARGIN_M,
        min(ys) - GROUND_MARGIN_M,
        max(ys) + GROUND_MARGIN_M,
    )
    return write_scene(folder, blocks, ground)


def bs_order(
    traced_positions: NDArray[np.floating[Any]],
    bs_positions: NDArray[np.floating[Any]],
    tolerance_m: float = POSITION_TOLERANCE_M,
) -> NDArray[np.int64]:
    """Map each traced transmitter to the BS at its position.

    Args:
        traced_positions: (n, 3) positions of the converter's TXs, in its order [m].
        bs_positions: (n, 3) positions of the BSs, in wmoe's order [m].
        tolerance_m: Largest distance between a TX and its BS [m].

    Returns:
        (n,) ``order[j]``: the wmoe BS index of the converter's TX ``j``.

    Raises:
        ValueError: If the counts differ or the positions do not pair one to one.
    """
    traced = np.asarray(traced_positions, dtype=np.float64).reshape(-1, 3)
    ours = np.asarray(bs_positions, dtype=np.float64).reshape(-1, 3)
    if len(traced) != len(ours):
        raise ValueError(f"{len(traced)} traced transmitters for {len(ours)} BSs")
    distance = np.linalg.norm(traced[:, None, :] - ours[None, :, :], axis=-1)
    order = distance.argmin(axis=1)
    matched = distance[np.arange(len(traced)), order] <= tolerance_m
    if not matched.all() or len(set(order.tolist())) != len(order):
        raise ValueError(
            f"traced transmitters {traced[~matched].tolist()} have no BS within {tolerance_m} m, "
            f"or two share one; BSs are at {ours.tolist()}"
        )
    return order.astype(np.int64)


def require_sionna_rt() -> Any:
    """Import and return ``sionna.rt`` after checking that Dr.Jit has a usable LLVM.

    Raises:
        SionnaUnavailableError: If sionna-rt is not installed, or Dr.Jit finds no LLVM or one
            older than 17 (its first trace would abort the process); the message names
            ``make sionna-rt`` and ``DRJIT_LIBLLVM_PATH``.
    """
    fix = (
        "Install the optional tracer with `make sionna-rt` (pip install 'wmoe[sionna-rt]' and "
        "Debian's libllvm19), and if an older LLVM is found first, set "
        f"DRJIT_LIBLLVM_PATH={LIBLLVM_HINT} before starting Python."
    )
    try:
        import drjit
    except ImportError as error:
        raise SionnaUnavailableError(f"sionna-rt is not installed ({error}). {fix}") from error
    if not drjit.has_backend(drjit.JitBackend.LLVM):
        raise SionnaUnavailableError(
            "Dr.Jit found no LLVM library (DRJIT_LIBLLVM_PATH="
            f"{os.environ.get('DRJIT_LIBLLVM_PATH')!r}). {fix}"
        )
    version = tuple(drjit.detail.llvm_version())
    if version[0] < MIN_LLVM_MAJOR:
        raise SionnaUnavailableError(
            f"Dr.Jit loaded LLVM {'.'.join(map(str, version))}; Sionna RT needs LLVM >= "
            f"{MIN_LLVM_MAJOR} (DRJIT_LIBLLVM_PATH={os.environ.get('DRJIT_LIBLLVM_PATH')!r}). "
            f"{fix}"
        )
    try:
        import sionna.rt
    except ImportError as error:
        raise SionnaUnavailableError(f"sionna-rt is not installed ({error}). {fix}") from error
    return sionna.rt


@contextlib.contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    """Run the block in ``path`` (DeepMIMO's converter writes relative to it)."""
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def _trace(rt: Any, config: SionnaO1Config, scene_file: Path, users: NDArray[np.float64]) -> Any:
    """Trace every kept BS to ``users``; return the scene and the exported path dicts."""
    import drjit
    from deepmimo.exporters.sionna_exporter import export_paths

    drjit.set_thread_count(config.num_threads)
    scene = rt.load_scene(str(scene_file), merge_shapes=False)
    scene.frequency = config.frequency_hz
    scene.tx_array = rt.PlanarArray(num_rows=1, num_cols=1, pattern="iso", polarization="V")
    scene.rx_array = rt.PlanarArray(num_rows=1, num_cols=1, pattern="iso", polarization="V")
    for k, position in enumerate(users):
        scene.add(rt.Receiver(name=f"ue{k}", position=position.tolist()))
    solver = rt.PathSolver(deterministic=True)
    path_dicts = []
    bs_positions = o1_layout.base_station_positions()
    for bs in config.bs_kept():
        scene.add(rt.Transmitter(name=f"bs{bs + 1}", position=bs_positions[bs].tolist()))
        paths = solver(scene, **_solver_kwargs(config))
        path_dicts += [strongest_first(d) for d in export_paths(paths)]
        scene.remove(f"bs{bs + 1}")
    return scene, path_dicts


def strongest_first(paths: dict[str, Any]) -> dict[str, Any]:
    """Reorder one transmitter's exported paths by descending amplitude, per receiver.

    DeepMIMO's converter keeps the first ``deepmimo.consts.MAX_PATHS`` (25) paths of a link in
    Sionna's order and only then sorts them by power; sorted first, the 25 it keeps are the
    strongest. Layouts as ``deepmimo.exporters.sionna_exporter.export_paths`` writes them for
    one single-antenna transmitter: ``a`` (rx, 1, 1, 1, paths); ``tau``, ``phi_r``,
    ``phi_t``, ``theta_r``, ``theta_t`` (rx, 1, paths); ``interactions`` (depth, rx, 1,
    paths); ``vertices`` (depth, rx, 1, paths, 3).

    Raises:
        ValueError: If the arrays are not those of one single-antenna transmitter.
    """
    a = paths["a"]
    if a.ndim != 5 or a.shape[1:4] != (1, 1, 1):
        raise ValueError(f"expected a of shape (rx, 1, 1, 1, paths), got {a.shape}")
    order = np.argsort(-np.abs(a[:, 0, 0, 0, :]), axis=-1, kind="stable")  # (rx, paths)
    out = dict(paths)
    out["a"] = np.take_along_axis(a, order[:, None, None, None, :], axis=-1)
    for key in ("tau", "phi_r", "phi_t", "theta_r", "theta_t"):
        out[key] = np.take_along_axis(paths[key], order[:, None, :], axis=-1)
    out["interactions"] = np.take_along_axis(paths["interactions"], order[None, :, None, :], -1)
    out["vertices"] = np.take_along_axis(paths["vertices"], order[None, :, None, :, None], axis=-2)
    return out


def _solver_kwargs(config: SionnaO1Config) -> dict[str, Any]:
    return {
        "max_depth": config.max_depth,
        "samples_per_src": config.samples_per_src,
        "synthetic_array": True,
        "los": True,
        "specular_reflection": True,
        "diffuse_reflection": config.diffuse_reflection,
        "refraction": False,
        "diffraction": config.diffraction,
        "seed": config.seed,
    }


def write_sionna_o1(
    scenarios_dir: Path | str, config: SionnaO1Config | None = None, *, overwrite: bool = False
) -> Path:
    """Trace the O1-like layout with Sionna RT and write it into ``scenarios_dir/config.name``.

    The folder appears atomically: it is written next to its final place and renamed.

    Args:
        scenarios_dir: A DeepMIMO scenarios folder (one sub-folder per scenario).
        config: Trace settings; defaults to :class:`SionnaO1Config`.
        overwrite: Replace an existing scenario of the same name.

    Returns:
        The scenario folder.

    Raises:
        FileExistsError: If the scenario exists and ``overwrite`` is False.
        SionnaUnavailableError: If Sionna RT or a usable LLVM is missing.
        ValueError: If ``config.bs_indices`` is invalid.
    """
    config = config or SionnaO1Config()
    kept = config.bs_kept()
    target = Path(scenarios_dir) / config.name
    check_overwrite(target, overwrite)
    rt = require_sionna_rt()
    users = o1_layout.user_grid(config.row_stride, config.user_stride)

    def trace_into(staging: Path) -> None:
        prefix = f".{config.name}-work-"
        with tempfile.TemporaryDirectory(prefix=prefix, dir=staging.parent) as work:
            work_dir = Path(work)
            scene_file = write_layout_scene(work_dir / "scene")
            scene, path_dicts = _trace(rt, config, scene_file, users)
            traced_paths = np.concatenate(
                [(np.abs(d["a"]) > 0).sum(axis=-1).ravel() for d in path_dicts]
            )
            converted = _convert(scene, path_dicts, config, work_dir)
            _reorder_into(converted, staging, kept, users)
            _write_params(staging, config, kept, traced_paths)

    return write_folder_atomically(target, trace_into, overwrite=overwrite)


def _convert(scene: Any, path_dicts: list[Any], config: SionnaO1Config, work_dir: Path) -> Path:
    """Run DeepMIMO's exporter and converter in ``work_dir``; return the converted folder."""
    import deepmimo as dm
    from deepmimo.exporters.sionna_exporter import sionna_exporter

    export_dir = work_dir / "sionna_export"
    with (
        _working_directory(work_dir),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        sionna_exporter(scene, path_dicts, _solver_kwargs(config), str(export_dir))
        dm.convert(str(export_dir), scenario_name=config.name, overwrite=True, vis_scene=False)
    return work_dir / "deepmimo_scenarios" / config.name


def _reorder_into(
    converted: Path, staging: Path, kept: tuple[int, ...], users: NDArray[np.float64]
) -> None:
    """Move the converter's files to ``staging`` with TX indices in wmoe's BS order."""
    num_tx = len(kept)
    traced = np.array(
        [
            np.load(converted / f"tx_pos_t{TX_SET:03}_tx{j:03}_r{USER_RX_SET:03}.npz")["tx_pos"]
            for j in range(num_tx)
        ]
    )
    order = bs_order(traced, o1_layout.base_station_positions()[list(kept)])
    tx_tag = f"_t{TX_SET:03}_tx"
    for path in converted.iterdir():
        if tx_tag not in path.name:
            shutil.move(path, staging / path.name)
            continue
        stem, tail = path.name.split(tx_tag)
        shutil.move(path, staging / f"{stem}{tx_tag}{order[int(tail[:3])]:03}{tail[3:]}")
    rx = np.load(staging / f"rx_pos_t{TX_SET:03}_tx000_r{USER_RX_SET:03}.npz")["rx_pos"]
    if rx.shape != users.shape or not np.allclose(rx, users, atol=POSITION_TOLERANCE_M):
        raise RuntimeError(
            f"DeepMIMO's converter wrote {rx.shape[0]} receivers that are not the {len(users)} "
            "traced users in order; the exporter or converter changed its ordering"
        )


def _write_params(
    staging: Path, config: SionnaO1Config, kept: tuple[int, ...], traced_paths: NDArray[np.int64]
) -> None:
    """Add wmoe's block (and the solver flags DeepMIMO's exporter drops) to ``params.json``."""
    params = json.loads((staging / "params.json").read_text())
    params["rt_params"]["max_diffractions"] = int(config.diffraction)
    params["rt_params"]["max_scattering"] = int(config.diffuse_reflection)
    facing = o1_layout.base_station_facing_azimuth_deg()[list(kept)]
    params["wmoe"] = {
        "synthetic": True,
        "description": RAYTRACER_DESCRIPTION,
        "tracer": f"sionna-rt {importlib.metadata.version('sionna-rt')}",
        "generator": asdict(config),
        "bs_indices": list(kept),
        "bs_facing_azimuth_deg": facing.tolist(),
        "traced_paths_per_link_max": int(traced_paths.max(initial=0)),
        "links_over_path_limit_share": float((traced_paths > MAX_PATHS_KEPT).mean()),
    }
    (staging / "params.json").write_text(json.dumps(params, indent=2))
