#!/usr/bin/python3
"""Draws the point icons used by styles/*.sld (our own artwork) with numpy and writes them
as PNG with GDAL. Run from the repository root: /usr/bin/python3 scripts/icons.py"""
import numpy as np
from osgeo import gdal

SIZE, SS = 24, 4  # output pixels, supersampling


def biblioteca():
    """An open book, white on a blue rounded square."""
    n = SIZE * SS
    y, x = np.mgrid[0:n, 0:n] / SS + 0.5 / SS
    # Rounded square, 1 px inset, corner radius 5.
    r, lo, hi = 5.0, 1.0, SIZE - 1.0
    cx, cy = np.clip(x, lo + r, hi - r), np.clip(y, lo + r, hi - r)
    badge = (x - cx) ** 2 + (y - cy) ** 2 <= r * r
    badge &= (x >= lo) & (x <= hi) & (y >= lo) & (y <= hi)
    # Two pages, slightly tilted, with a spine gap in the middle.
    mid = SIZE / 2
    droop = 0.12 * np.abs(x - mid)
    pages = (np.abs(x - mid) >= 0.8) & (np.abs(x - mid) <= 7.5) & (y >= 7.0 + droop) & (y <= 17.0 + droop)
    rgba = np.zeros((n, n, 4))
    rgba[badge] = (31, 90, 160, 255)
    rgba[badge & pages] = (255, 255, 255, 255)
    # Lines of text on the pages.
    for row in (10.0, 12.5, 15.0):
        text = pages & (np.abs(y - (row + droop)) <= 0.45) & (np.abs(x - mid) >= 2.0) & (np.abs(x - mid) <= 6.3)
        rgba[badge & text] = (31, 90, 160, 255)
    return rgba


def write(name, rgba):
    n = SIZE
    # Average the supersampled pixels (colour premultiplied by alpha, then divided back).
    a = rgba[..., 3:4] / 255.0
    pre = rgba[..., :3] * a
    pre = pre.reshape(n, SS, n, SS, 3).mean(axis=(1, 3))
    alpha = a.reshape(n, SS, n, SS, 1).mean(axis=(1, 3))
    colour = np.where(alpha > 0, pre / np.maximum(alpha, 1e-9), 0)
    out = np.concatenate([colour, alpha * 255.0], axis=2).round().clip(0, 255).astype(np.uint8)
    mem = gdal.GetDriverByName("MEM").Create("", n, n, 4, gdal.GDT_Byte)
    for b in range(4):
        mem.GetRasterBand(b + 1).WriteArray(out[..., b])
    gdal.GetDriverByName("PNG").CreateCopy(f"styles/{name}.png", mem)
    print(f"styles/{name}.png")


write("biblioteca", biblioteca())
