"""Draw the EU emblem as a PNG for mail: content/media/eu-emblem.png (deterministic).

Mail clients such as Gmail and Outlook show no SVG image, so the newsletter and the
confirmation mail carry this PNG (site.yml's funding.mail_emblem). It follows the
flag's official geometry: a blue rectangle of ratio 3:2; twelve gold five-pointed
stars, upright, on an invisible circle around the flag's centre whose radius is a
third of the flag's height; each star's points on a circle of radius one
eighteenth of the height; the stars where the hours are on a clock face.

The file is drawn at twice the size the mail shows it (75 x 50 CSS pixels), so it
stays sharp on high-density screens: ``python tools/make_eu_emblem.py``.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from PIL import Image, ImageDraw

MEDIA = Path(__file__).resolve().parent.parent / "content" / "media"
BLUE = (0x00, 0x33, 0x99)  # Reflex Blue, #003399
GOLD = (0xFF, 0xDD, 0x00)  # Yellow, #FFDD00
SHOWN_WIDTH = 75  # CSS pixels in the mail (height 50)
DENSITY = 2
OVERSAMPLING = 8  # drawn larger, then reduced: smooth edges


def star(cx: float, cy: float, radius: float) -> list[tuple[float, float]]:
    """The ten corners of an upright five-pointed star around (cx, cy)."""
    # The inner corners lie where the star's edges cross: radius * sin 18 / sin 54.
    inner = radius * math.sin(math.radians(18)) / math.sin(math.radians(54))
    corners = []
    for n in range(10):
        angle = math.radians(-90 + 36 * n)
        r = radius if n % 2 == 0 else inner
        corners.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    return corners


def draw(width: int) -> Image.Image:
    """The flag ``width`` pixels wide (its height is two thirds of that)."""
    big_w = width * OVERSAMPLING
    big_h = big_w * 2 / 3
    image = Image.new("RGB", (big_w, round(big_h)), BLUE)
    pen = ImageDraw.Draw(image)
    cx, cy = big_w / 2, big_h / 2
    for hour in range(12):
        angle = math.radians(-90 + 30 * hour)
        x = cx + big_h / 3 * math.cos(angle)
        y = cy + big_h / 3 * math.sin(angle)
        pen.polygon(star(x, y, big_h / 18), fill=GOLD)
    return image.resize((width, width * 2 // 3), Image.Resampling.LANCZOS)


def main() -> None:
    """Write the emblem PNG (or another width with --width, to --out)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=SHOWN_WIDTH * DENSITY)
    parser.add_argument("--out", type=Path, default=MEDIA / "eu-emblem.png")
    args = parser.parse_args()
    if args.width < 30 or args.width % 3:
        parser.error("--width must be a multiple of 3, at least 30 (ratio 3:2)")
    draw(args.width).save(args.out, optimize=True)
    print(f"{args.out}: {args.width} x {args.width * 2 // 3} px")


if __name__ == "__main__":
    main()
