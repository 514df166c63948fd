#!/usr/bin/env python3
"""Draws the Twenty Sync app icons as RGBA PNGs, standard library only.

The mark: a rounded square in a calm green with two white circular "sync" arrows.
Writes the one source, icons/app-icon.png (1024x1024); every size the bundles want (the PNGs,
Windows' .ico and macOS' .icns, in src-tauri/icons/) is generated from it by the Tauri CLI:

    python3 icons/make_icons.py && cargo tauri icon icons/app-icon.png -o src-tauri/icons

(scripts/package.sh does not redraw them: the generated icons are committed.)
"""

import math
import struct
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

TOP = (0x3C, 0xA6, 0x80)     # gradient, top of the square
BOTTOM = (0x23, 0x7D, 0x60)  # gradient, bottom of the square
WHITE = (0xFF, 0xFF, 0xFF)

CORNER = 0.22      # corner radius, fraction of the side
MARGIN = 0.04      # transparent border around the square
RING_R = 0.245     # mid radius of the arrows' ring
RING_HALF = 0.052  # half the ring's stroke width
GAP_DEG = 38       # each arc stops this many degrees short of the next one
HEAD_W = 0.115     # arrowhead half-width (radial)
HEAD_L = 0.125     # arrowhead length (along the tangent)
SUPERSAMPLE = 4    # samples per pixel per axis (antialiasing)


def in_rounded_square(x, y):
    lo, hi = MARGIN, 1 - MARGIN
    if not (lo <= x <= hi and lo <= y <= hi):
        return False
    r = CORNER
    cx = min(max(x, lo + r), hi - r)
    cy = min(max(y, lo + r), hi - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def in_triangle(p, a, b, c):
    def cross(o, u, v):
        return (u[0] - o[0]) * (v[1] - o[1]) - (u[1] - o[1]) * (v[0] - o[0])

    d1, d2, d3 = cross(a, b, p), cross(b, c, p), cross(c, a, p)
    has_neg = d1 < 0 or d2 < 0 or d3 < 0
    has_pos = d1 > 0 or d2 > 0 or d3 > 0
    return not (has_neg and has_pos)


def arrow_shapes():
    """Two arcs (start, end in degrees, counter-clockwise, y up) and their arrowheads."""
    arcs, heads = [], []
    for start in (20, 200):
        end = start + 180 - GAP_DEG
        arcs.append((math.radians(start), math.radians(end)))
        t = math.radians(end)
        ux, uy = math.cos(t), math.sin(t)    # radial
        vx, vy = -math.sin(t), math.cos(t)   # tangent, direction of travel
        bx, by = 0.5 + RING_R * ux, 0.5 + RING_R * uy
        heads.append((
            (bx + HEAD_W * ux, by + HEAD_W * uy),
            (bx - HEAD_W * ux, by - HEAD_W * uy),
            (bx + HEAD_L * vx, by + HEAD_L * vy),
        ))
    return arcs, heads


ARCS, HEADS = arrow_shapes()


def in_glyph(x, y):
    y = 1 - y  # image rows grow downwards; the geometry above is y-up
    dx, dy = x - 0.5, y - 0.5
    if abs(math.hypot(dx, dy) - RING_R) <= RING_HALF:
        angle = math.atan2(dy, dx) % (2 * math.pi)
        for start, end in ARCS:
            if start <= angle <= end or start <= angle + 2 * math.pi <= end:
                return True
    return any(in_triangle((x, y), *head) for head in HEADS)


def render(size):
    n = SUPERSAMPLE
    rows = []
    for py in range(size):
        row = bytearray([0])  # PNG filter type 0 (None)
        shade = py / (size - 1)
        bg = [round(TOP[i] + (BOTTOM[i] - TOP[i]) * shade) for i in range(3)]
        for px in range(size):
            inside = glyph = 0
            for sy in range(n):
                for sx in range(n):
                    x = (px + (sx + 0.5) / n) / size
                    y = (py + (sy + 0.5) / n) / size
                    if in_rounded_square(x, y):
                        inside += 1
                        if in_glyph(x, y):
                            glyph += 1
            if inside == 0:
                row += b"\0\0\0\0"
                continue
            g = glyph / inside
            rgb = [round(bg[i] + (WHITE[i] - bg[i]) * g) for i in range(3)]
            row += bytes(rgb + [round(255 * inside / (n * n))])
        rows.append(bytes(row))
    return png(size, b"".join(rows))


def png(size, raw):
    def chunk(kind, data):
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    # bit depth 8, colour type 6 = RGBA (tauri rejects anything that is not RGBA)
    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def main():
    path, size = HERE / "app-icon.png", 1024
    path.write_bytes(render(size))
    print(f"wrote {path.relative_to(REPO)} ({size}x{size} RGBA)")


if __name__ == "__main__":
    main()
