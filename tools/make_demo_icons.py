"""Draw the demo site's icons into content/media (deterministic PNG and ICO files).

A white Alpine peak on the project's colour (site.yml's colours.primary):
favicon.ico (16, 32, 48 px), icon.svg (the scalable favicon), icon-180.png
(apple-touch-icon) and icon-512.png (the web app manifest); logo.svg, the demo
project's logo (peaks and a cluster of three linked dots); and
programme-logo.svg, a stand-in for the programme's logo (not the real one).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

MEDIA = Path(__file__).resolve().parent.parent / "content" / "media"
BLUE = (10, 90, 110)  # #0a5a6e, colours.primary in content/site.yml
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


# Drawn shapes only, no text: an SVG in an <img> may not use the page's fonts.
PROGRAMME_LOGO = """\
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40" width="120" height="40">
  <title>Programme logo (demo stand-in)</title>
  <rect width="120" height="40" rx="4" fill="#ffffff"/>
  <path d="M4 34 L20 8 L28 20 L34 12 L48 34 Z" fill="#003f87"/>
  <path d="M17 13 L20 8 L23 13 Z" fill="#ffffff"/>
  <rect x="56" y="11" width="58" height="5" rx="2.5" fill="#003f87"/>
  <rect x="56" y="20" width="44" height="5" rx="2.5" fill="#0b4f9c"/>
  <rect x="56" y="29" width="30" height="5" rx="2.5" fill="#6b8fc4"/>
</svg>
"""


# The project's mark on a white tile, so it reads on its own colour and on white.
LOGO = """\
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48" width="48" height="48">
  <title>S3-4AlpClusters logo (demo)</title>
  <rect width="48" height="48" rx="10" fill="#ffffff"/>
  <path d="M5 39 L19 15 L26 27 L31 20 L43 39 Z" fill="#0a5a6e"/>
  <path d="M16 20 L19 15 L22 20 L20.5 19 L19 21 L17.5 19 Z" fill="#ffffff"/>
  <path d="M13 10 L24 8 L34 12" fill="none" stroke="#c98a00" stroke-width="1.6"/>
  <circle cx="13" cy="10" r="3.2" fill="#f4c430"/>
  <circle cx="24" cy="8" r="3.2" fill="#f4c430"/>
  <circle cx="34" cy="12" r="3.2" fill="#f4c430"/>
</svg>
"""

# The favicon as a vector: sharp at every size and in every tab.
ICON = """\
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32">
  <rect width="32" height="32" rx="6" fill="#0a5a6e"/>
  <path d="M4 25 L13 8.5 L18 17 L21.5 12.5 L28 25 Z" fill="#ffffff"/>
  <circle cx="25" cy="7" r="3" fill="#f4c430"/>
</svg>
"""


def main() -> None:
    """Write the icon files and the demo logos."""
    draw(48).save(MEDIA / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])
    for size in (180, 512):
        draw(size).save(MEDIA / f"icon-{size}.png", optimize=True)
    (MEDIA / "programme-logo.svg").write_text(PROGRAMME_LOGO, encoding="utf-8")
    (MEDIA / "logo.svg").write_text(LOGO, encoding="utf-8")
    (MEDIA / "icon.svg").write_text(ICON, encoding="utf-8")


if __name__ == "__main__":
    main()
