"""Draw the demo site's icons into content/media (deterministic PNG and ICO files).

A white Alpine peak on the project's blue: favicon.ico (16, 32, 48 px),
icon-180.png (apple-touch-icon) and icon-512.png (the web app manifest).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

MEDIA = Path(__file__).resolve().parent.parent / "content" / "media"
BLUE = (0, 63, 135)
WHITE = (255, 255, 255)


def draw(size: int) -> Image.Image:
    """The icon at ``size`` pixels square."""
    scale = 4  # drawn larger, then reduced: smooth edges
    big = size * scale
    image = Image.new("RGB", (big, big), BLUE)
    pen = ImageDraw.Draw(image)
    pen.polygon(
        [(0.12 * big, 0.78 * big), (0.42 * big, 0.26 * big), (0.58 * big, 0.52 * big),
         (0.68 * big, 0.40 * big), (0.88 * big, 0.78 * big)],
        fill=WHITE,
    )  # fmt: skip
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    """Write the three files."""
    draw(48).save(MEDIA / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])
    for size in (180, 512):
        draw(size).save(MEDIA / f"icon-{size}.png", optimize=True)


if __name__ == "__main__":
    main()
