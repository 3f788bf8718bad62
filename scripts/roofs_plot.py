#!/usr/bin/env python3
"""Plots navigli's roof yield model against pvlib over the grid of slopes and aspects that
tests/roofs.rs compares (docs/roofs-pvlib.png).

  cargo nextest run --test roofs -E 'test(pvlib)'    # writes target/navigli-test/roofs-pvlib.json
  target/pyvenv/bin/pip install matplotlib           # once
  target/pyvenv/bin/python scripts/roofs_plot.py
"""
import json
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

root = pathlib.Path(__file__).resolve().parent.parent
rows = json.loads((root / "target/navigli-test/roofs-pvlib.json").read_text())
slopes = sorted({r["slope"] for r in rows})
aspects = sorted({r["aspect"] for r in rows})

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
cmap = plt.get_cmap("viridis")
for i, s in enumerate(slopes):
    sel = sorted((r for r in rows if r["slope"] == s), key=lambda r: r["aspect"])
    colour = cmap(i / max(1, len(slopes) - 1))
    ax1.plot([r["aspect"] for r in sel], [r["navigli_kwh_kwp"] for r in sel], "-", color=colour, label=f"{s:.0f}°")
    ax1.plot([r["aspect"] for r in sel], [r["pvlib_kwh_kwp"] for r in sel], "o", color=colour, markersize=4, markerfacecolor="none")
    ax2.plot([r["aspect"] for r in sel], [100 * (r["navigli_kwh_kwp"] / r["pvlib_kwh_kwp"] - 1) for r in sel], "-o", color=colour,
             markersize=3, label=f"{s:.0f}°")
ax1.set_title("Specific yield, kWh/kWp·yr: navigli (lines) and pvlib (circles)")
ax1.set_xlabel("aspect, degrees from north (90 = east, 180 = south, 270 = west)")
ax1.set_xticks(aspects[::2])
ax1.legend(title="slope", fontsize=8)
ax1.grid(alpha=0.3)
ax2.set_title("navigli vs pvlib, % (test limit ±3 %)")
ax2.set_xlabel("aspect, degrees from north")
ax2.set_ylim(-3, 3)
ax2.axhline(0, color="black", linewidth=0.8)
ax2.set_xticks(aspects[::2])
ax2.grid(alpha=0.3)
ax2.legend(title="slope", fontsize=8, ncol=2)
fig.suptitle("Flat roofs (slope 0°) are modelled as racked rows at 20° south, as navigli installs them")
fig.tight_layout()
out = root / "docs/roofs-pvlib.png"
fig.savefig(out, dpi=110)
print(f"wrote {out}")
