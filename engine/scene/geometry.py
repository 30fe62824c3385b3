"""Procedural meshes for the scenario primitives, so scenes need no model downloads.

Each function returns a ``GeomNode`` with positions, normals and texture coordinates (the
sky dome: colours), in metres, z up, as Panda3D expects. Texture coordinates are in metres
along each face (a material's ``tiling`` divides them), so a texture keeps its real size
whatever the shape's size; ``metre_uvs`` recomputes them after copies are scaled and flattened.
"""

from __future__ import annotations

import math

import numpy as np
from panda3d.core import (
    Geom,
    GeomNode,
    GeomTriangles,
    GeomVertexData,
    GeomVertexFormat,
    GeomVertexReader,
    GeomVertexWriter,
    NodePath,
)


class _Mesh:
    def __init__(self, name: str, coloured: bool = False):
        fmt = GeomVertexFormat.getV3c4() if coloured else GeomVertexFormat.getV3n3t2()
        self.data = GeomVertexData(name, fmt, Geom.UHStatic)
        self.vertex = GeomVertexWriter(self.data, "vertex")
        self.normal = None if coloured else GeomVertexWriter(self.data, "normal")
        self.uv = None if coloured else GeomVertexWriter(self.data, "texcoord")
        self.colour = GeomVertexWriter(self.data, "color") if coloured else None
        self.tris = GeomTriangles(Geom.UHStatic)
        self.count = 0
        self.name = name

    def add(
        self, pos: tuple[float, float, float], normal_or_colour: tuple[float, ...], uv: tuple[float, float] = (0, 0)
    ) -> int:
        self.vertex.addData3(*pos)
        if self.normal is not None:
            self.normal.addData3(*normal_or_colour)
            self.uv.addData2(*uv)
        else:
            self.colour.addData4(*normal_or_colour)
        self.count += 1
        return self.count - 1

    def tri(self, a: int, b: int, c: int) -> None:
        self.tris.addVertices(a, b, c)

    def quad(self, a: int, b: int, c: int, d: int) -> None:
        self.tri(a, b, c)
        self.tri(a, c, d)

    def node(self) -> GeomNode:
        geom = Geom(self.data)
        geom.addPrimitive(self.tris)
        node = GeomNode(self.name)
        node.addGeom(geom)
        return node


def box(size: tuple[float, float, float]) -> GeomNode:
    sx, sy, sz = (s / 2 for s in size)
    m = _Mesh("box")
    faces = [
        ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
        ((-1, 0, 0), (0, -1, 0), (0, 0, 1)),
        ((0, 1, 0), (-1, 0, 0), (0, 0, 1)),
        ((0, -1, 0), (1, 0, 0), (0, 0, 1)),
        ((0, 0, 1), (1, 0, 0), (0, 1, 0)),
        ((0, 0, -1), (-1, 0, 0), (0, 1, 0)),
    ]
    for n, u, v in faces:
        corners = []
        half_u = sum(abs(u[k]) * (sx, sy, sz)[k] for k in range(3))
        half_v = sum(abs(v[k]) * (sx, sy, sz)[k] for k in range(3))
        for cu, cv in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
            p = tuple((n[k] + cu * u[k] + cv * v[k]) * (sx, sy, sz)[k] for k in range(3))
            corners.append(m.add(p, n, ((cu + 1) * half_u, (cv + 1) * half_v)))
        m.quad(*corners)
    return m.node()


TILE = 40.0  # m; fixed-function fog and lighting are per vertex, so big planes need vertices


def plane(size: tuple[float, float], double_sided: bool = False) -> GeomNode:
    nx, ny = (min(64, max(1, math.ceil(s / TILE))) for s in size)
    m = _Mesh("plane")
    for normal in ((0, 0, 1), (0, 0, -1)) if double_sided else ((0, 0, 1),):
        first = m.count
        for j in range(ny + 1):
            for i in range(nx + 1):
                x, y = size[0] * (i / nx - 0.5), size[1] * (j / ny - 0.5)
                m.add((x, y, 0), normal, (x, y))
        for j in range(ny):
            for i in range(nx):
                a = first + j * (nx + 1) + i
                quad = (a, a + 1, a + nx + 2, a + nx + 1)
                m.quad(*(quad if normal[2] > 0 else quad[::-1]))
    return m.node()


def cylinder(radius: float, height: float, segments: int) -> GeomNode:
    m = _Mesh("cylinder")
    around = 2 * math.pi * radius  # u runs around the side in metres
    for i in range(segments):
        a0, a1 = (2 * math.pi * k / segments for k in (i, i + 1))
        c0, s0, c1, s1 = math.cos(a0), math.sin(a0), math.cos(a1), math.sin(a1)
        u0, u1 = around * i / segments, around * (i + 1) / segments
        m.quad(
            m.add((radius * c0, radius * s0, 0), (c0, s0, 0), (u0, 0)),
            m.add((radius * c1, radius * s1, 0), (c1, s1, 0), (u1, 0)),
            m.add((radius * c1, radius * s1, height), (c1, s1, 0), (u1, height)),
            m.add((radius * c0, radius * s0, height), (c0, s0, 0), (u0, height)),
        )
        top = m.add((0, 0, height), (0, 0, 1))
        m.tri(
            top,
            m.add((radius * c0, radius * s0, height), (0, 0, 1), (radius * c0, radius * s0)),
            m.add((radius * c1, radius * s1, height), (0, 0, 1), (radius * c1, radius * s1)),
        )
        bottom = m.add((0, 0, 0), (0, 0, -1))
        m.tri(
            bottom,
            m.add((radius * c1, radius * s1, 0), (0, 0, -1), (radius * c1, radius * s1)),
            m.add((radius * c0, radius * s0, 0), (0, 0, -1), (radius * c0, radius * s0)),
        )
    return m.node()


def _sphere_points(segments: int):
    rings = max(3, segments // 2)
    for r in range(rings + 1):
        theta = math.pi * r / rings
        for s in range(segments + 1):
            phi = 2 * math.pi * s / segments
            yield r, s, (math.sin(theta) * math.cos(phi), math.sin(theta) * math.sin(phi), math.cos(theta))


def _sphere_tris(m: _Mesh, segments: int, inward: bool = False) -> None:
    rings = max(3, segments // 2)
    row = segments + 1
    for r in range(rings):
        for s in range(segments):
            a, b, c, d = r * row + s, r * row + s + 1, (r + 1) * row + s + 1, (r + 1) * row + s
            if inward:
                m.quad(a, b, c, d)
            else:
                m.quad(a, d, c, b)


def sphere(radius: float, segments: int) -> GeomNode:
    m = _Mesh("sphere")
    rings = max(3, segments // 2)
    for r, s, n in _sphere_points(segments):  # u around the equator, v pole to pole, in metres
        m.add(
            tuple(radius * c for c in n), n, (2 * math.pi * radius * s / segments, math.pi * radius * (1 - r / rings))
        )
    _sphere_tris(m, segments)
    return m.node()


def sky_dome(zenith: tuple[float, ...], horizon: tuple[float, ...], segments: int = 24) -> GeomNode:
    """A large inward-facing sphere, zenith colour overhead blending to horizon colour."""
    m = _Mesh("sky", coloured=True)
    for _, _, n in _sphere_points(segments):
        t = max(0.0, n[2]) ** 0.5  # fast blend near the horizon, like real skies
        colour = tuple(h + (z - h) * t for z, h in zip(zenith, horizon))
        m.add(tuple(1000.0 * c for c in n), colour)
    _sphere_tris(m, segments, inward=True)
    return m.node()


def metre_uvs(root: NodePath, flat_tops: bool = False) -> None:
    """Give every vertex under ``root`` texture coordinates in metres of its own face, from
    where the vertex is now (after copies were scaled and flattened into one mesh): a wall of
    a 30 m building then shows 30 m of facade, not one stretched tile. Each run of vertices
    with the same normal is a face; its coordinates start at that face's lower-left corner,
    so a facade's window grid starts at the building's corner and its ground floor.
    ``flat_tops``: faces that look up or down get one fixed coordinate (the texture's plain
    corner), so a roof shows the wall's colour rather than windows."""
    for path in root.findAllMatches("**/+GeomNode"):
        node = path.node()
        for i in range(node.getNumGeoms()):
            data = node.modifyGeom(i).modifyVertexData()
            if not data.getFormat().hasColumn("texcoord") or not data.getFormat().hasColumn("normal"):
                continue
            rows = data.getNumRows()
            pos, nrm = GeomVertexReader(data, "vertex"), GeomVertexReader(data, "normal")
            points = np.array([tuple(pos.getData3()) for _ in range(rows)]).reshape(-1, 3)
            normals = np.array([tuple(nrm.getData3()) for _ in range(rows)]).reshape(-1, 3)
            uv = _box_projection(points, normals, flat_tops)
            writer = GeomVertexWriter(data, "texcoord")
            for u, v in uv:
                writer.setData2(float(u), float(v))


def _box_projection(points: np.ndarray, normals: np.ndarray, flat_tops: bool) -> np.ndarray:
    axis = np.abs(normals).argmax(axis=1)
    sign = np.sign(normals[np.arange(len(normals)), axis])
    x, y, z = points.T
    u = np.where(axis == 0, y * sign, np.where(axis == 1, -x * sign, x * np.where(axis == 2, sign, 1)))
    v = np.where(axis == 2, y, z)
    uv = np.stack([u, v], axis=1)
    # runs of one normal are faces: each starts at its own corner
    change = np.any(np.abs(np.diff(normals, axis=0)) > 1e-4, axis=1)
    starts = np.concatenate([[0], np.nonzero(change)[0] + 1, [len(points)]])
    for a, b in zip(starts[:-1], starts[1:]):
        uv[a:b] -= uv[a:b].min(axis=0)
    if flat_tops:
        uv[axis == 2] = 0.0
    return uv
