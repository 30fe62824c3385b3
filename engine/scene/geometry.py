"""Procedural meshes for the scenario primitives, so scenes need no model downloads.

Each function returns a ``GeomNode`` with positions and normals (the sky dome: colours), in
metres, z up, as Panda3D expects.
"""

from __future__ import annotations

import math

from panda3d.core import Geom, GeomNode, GeomTriangles, GeomVertexData, GeomVertexFormat, GeomVertexWriter


class _Mesh:
    def __init__(self, name: str, coloured: bool = False):
        fmt = GeomVertexFormat.getV3c4() if coloured else GeomVertexFormat.getV3n3()
        self.data = GeomVertexData(name, fmt, Geom.UHStatic)
        self.vertex = GeomVertexWriter(self.data, "vertex")
        self.normal = None if coloured else GeomVertexWriter(self.data, "normal")
        self.colour = GeomVertexWriter(self.data, "color") if coloured else None
        self.tris = GeomTriangles(Geom.UHStatic)
        self.count = 0
        self.name = name

    def add(self, pos: tuple[float, float, float], normal_or_colour: tuple[float, ...]) -> int:
        self.vertex.addData3(*pos)
        if self.normal is not None:
            self.normal.addData3(*normal_or_colour)
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
        for cu, cv in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
            p = tuple((n[k] + cu * u[k] + cv * v[k]) * (sx, sy, sz)[k] for k in range(3))
            corners.append(m.add(p, n))
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
                m.add((size[0] * (i / nx - 0.5), size[1] * (j / ny - 0.5), 0), normal)
        for j in range(ny):
            for i in range(nx):
                a = first + j * (nx + 1) + i
                quad = (a, a + 1, a + nx + 2, a + nx + 1)
                m.quad(*(quad if normal[2] > 0 else quad[::-1]))
    return m.node()


def cylinder(radius: float, height: float, segments: int) -> GeomNode:
    m = _Mesh("cylinder")
    for i in range(segments):
        a0, a1 = (2 * math.pi * k / segments for k in (i, i + 1))
        c0, s0, c1, s1 = math.cos(a0), math.sin(a0), math.cos(a1), math.sin(a1)
        m.quad(
            m.add((radius * c0, radius * s0, 0), (c0, s0, 0)),
            m.add((radius * c1, radius * s1, 0), (c1, s1, 0)),
            m.add((radius * c1, radius * s1, height), (c1, s1, 0)),
            m.add((radius * c0, radius * s0, height), (c0, s0, 0)),
        )
        top = m.add((0, 0, height), (0, 0, 1))
        m.tri(
            top,
            m.add((radius * c0, radius * s0, height), (0, 0, 1)),
            m.add((radius * c1, radius * s1, height), (0, 0, 1)),
        )
        bottom = m.add((0, 0, 0), (0, 0, -1))
        m.tri(
            bottom, m.add((radius * c1, radius * s1, 0), (0, 0, -1)), m.add((radius * c0, radius * s0, 0), (0, 0, -1))
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
    for _, _, n in _sphere_points(segments):
        m.add(tuple(radius * c for c in n), n)
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
