"""Smooth procedural meshes for people: tubes of ellipses (limbs, torsos) and ellipsoids,
gathered in numpy and written to Panda3D in one go, with colours in the vertices.

A hall of 72 people is some 100,000 vertices: adding them one call at a time took seconds.
"""

from __future__ import annotations

import math

import numpy as np
from panda3d.core import (
    Geom,
    GeomNode,
    GeomTriangles,
    GeomVertexArrayFormat,
    GeomVertexData,
    GeomVertexFormat,
    InternalName,
)

RGBA = tuple[float, float, float, float]
SEG = 12  # facets around a limb: enough at lift and lecture-hall distances


class Mesh:
    """Vertices and triangles gathered in numpy and written to Panda3D once (``node``): a
    hall of 72 people is some 100,000 vertices, too many to add one call at a time."""

    def __init__(self, name: str, seg: int = SEG):
        self.name = name
        self.seg = seg  # facets around; fewer for people seen from afar (a LOD)
        self.rows: list[np.ndarray] = []  # per grid: (n, 10) position, normal, RGBA
        self.tris: list[np.ndarray] = []
        self.count = 0

    def grid(self, pts: np.ndarray, normals: np.ndarray, colour: RGBA) -> None:
        """A closed-around grid of rings: pts and normals (rings, SEG + 1, 3)."""
        rings, cols = pts.shape[:2]
        n = rings * cols
        rgba = np.broadcast_to(np.asarray(colour, np.float32), (n, 4))
        self.rows.append(np.hstack([pts.reshape(-1, 3), normals.reshape(-1, 3), rgba]).astype(np.float32))
        r, c = np.meshgrid(np.arange(rings - 1), np.arange(cols - 1), indexing="ij")
        a = (self.count + r * cols + c).ravel()
        # counter-clockwise seen from outside
        self.tris.append(np.stack([a, a + 1, a + cols + 1, a, a + cols + 1, a + cols], 1).reshape(-1))
        self.count += n

    def node(self) -> GeomNode:
        data = GeomVertexData(self.name, _FORMAT, Geom.UHStatic)
        rows = np.ascontiguousarray(np.vstack(self.rows))
        data.uncleanSetNumRows(len(rows))
        memoryview(data.modifyArray(0)).cast("B")[:] = rows.tobytes()
        tris = GeomTriangles(Geom.UHStatic)
        tris.setIndexType(Geom.NT_uint32)
        index = np.ascontiguousarray(np.concatenate(self.tris).astype(np.uint32))
        handle = tris.modifyVertices()
        handle.uncleanSetNumRows(len(index))
        memoryview(handle).cast("B")[:] = index.tobytes()
        geom = Geom(data)
        geom.addPrimitive(tris)
        out = GeomNode(self.name)
        out.addGeom(geom)
        return out


def _vertex_format() -> GeomVertexFormat:
    array = GeomVertexArrayFormat()
    array.addColumn(InternalName.getVertex(), 3, Geom.NT_float32, Geom.C_point)
    array.addColumn(InternalName.getNormal(), 3, Geom.NT_float32, Geom.C_normal)
    array.addColumn(InternalName.getColor(), 4, Geom.NT_float32, Geom.C_color)
    return GeomVertexFormat.registerFormat(array)


_FORMAT = _vertex_format()


def _frame(axis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors across ``axis``: the first as near to x as it can be."""
    axis = axis / np.linalg.norm(axis)
    ref = np.array([1.0, 0.0, 0.0]) if abs(axis[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    u = ref - axis * (ref @ axis)
    u /= np.linalg.norm(u)
    a, b = axis, u  # axis × u, written out: np.cross costs more than the whole loft
    return u, np.array([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]])


def loft(m: Mesh, spine: list[tuple[np.ndarray, float, float]], colour: RGBA, cap: bool = True) -> None:
    """Ellipses (centre, rx, ry) along a path, joined into a tube; closed ends with ``cap``."""
    phi = np.linspace(0, 2 * math.pi, m.seg + 1)
    centres = [np.asarray(c, float) for c, _, _ in spine]
    rings, normals = [], []
    for i, (c, rx, ry) in enumerate(spine):
        axis = centres[min(i + 1, len(spine) - 1)] - centres[max(i - 1, 0)]
        u, v = _frame(axis)
        ring = c + np.outer(np.cos(phi) * rx, u) + np.outer(np.sin(phi) * ry, v)
        nrm = np.outer(np.cos(phi) / max(rx, 1e-6), u) + np.outer(np.sin(phi) / max(ry, 1e-6), v)
        rings.append(ring)
        normals.append(nrm / np.linalg.norm(nrm, axis=1, keepdims=True))
    if cap:  # pinch each end to a point so the tube is closed
        for end, inward in ((0, 1), (len(spine) - 1, -1)):
            axis = centres[end] - centres[end + inward]
            axis = axis / max(np.linalg.norm(axis), 1e-9)
            tip = np.repeat((centres[end] + axis * 0.3 * min(spine[end][1], spine[end][2]))[None], m.seg + 1, 0)
            tipn = np.repeat(axis[None], m.seg + 1, 0)
            if end == 0:
                rings.insert(0, tip)
                normals.insert(0, tipn)
            else:
                rings.append(tip)
                normals.append(tipn)
    m.grid(np.array(rings), np.array(normals), colour)


def ellipsoid(m: Mesh, centre: tuple[float, ...], radii: tuple[float, float, float], colour: RGBA) -> None:
    rx, ry, rz = radii
    theta = np.linspace(math.pi, 0, 3 + m.seg // 2)[:, None]  # rings from the bottom pole up, as loft runs
    phi = np.linspace(0, 2 * math.pi, m.seg + 1)[None, :]
    unit = np.stack([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta) + 0 * phi], -1)
    normal = unit / np.array(radii)
    normal /= np.linalg.norm(normal, axis=-1, keepdims=True)
    m.grid(unit * np.array(radii) + np.asarray(centre, float), normal, colour)


def limb(m: Mesh, joints: list[tuple[float, ...]], radii: list[float], colour: RGBA, depth: float = 1.0) -> None:
    """A tapered round limb through ``joints``; ``depth`` flattens it front to back."""
    spine = []
    for (a, ra), (b, rb) in zip(zip(joints, radii), zip(joints[1:], radii[1:])):
        for t in (0.0, 0.5) if m.seg >= SEG else (0.0,):
            c = np.array(a) + (np.array(b) - np.array(a)) * t
            r = ra + (rb - ra) * t
            spine.append((c, r, r * depth))
    spine.append((np.array(joints[-1]), radii[-1], radii[-1] * depth))
    loft(m, spine, colour)
