"""Deterministic illustrative PNG cards for demo places: honest drawings, never photographs."""

import colorsys
import hashlib
import io
from functools import lru_cache
from typing import TypeAlias

from PIL import Image, ImageDraw, ImageFont

_Font: TypeAlias = ImageFont.FreeTypeFont | ImageFont.ImageFont
# Bare names: Pillow searches the system font folders (e.g. /usr/share/fonts on Linux).
_FONT_FILES = ("DejaVuSans-Bold.ttf", "DejaVuSans.ttf")
# Pillow's bundled font (Aileron) has no Cyrillic glyphs, so without DejaVu we transliterate.
_TRANSLIT = dict(zip("абвгдеёзийклмнопрстуфыэ", "abvgdeeziyklmnoprstufye", strict=True))
_TRANSLIT |= {"ж": "zh", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ю": "yu"}
_TRANSLIT |= {"я": "ya", "ъ": "", "ь": ""}


@lru_cache(maxsize=32)
def _font(size: int) -> tuple[_Font, bool]:
    """A font of ``size`` px and whether it draws Cyrillic; falls back to Pillow's own font."""
    for name in _FONT_FILES:
        try:
            return ImageFont.truetype(name, size), True
        except OSError:
            continue
    return ImageFont.load_default(size=size), False


def _latin(text: str) -> str:
    out = []
    for char in text:
        lat = _TRANSLIT.get(char.lower())
        out.append(char if lat is None else lat.capitalize() if char.isupper() else lat)
    return "".join(out)


def _lines(draw: ImageDraw.ImageDraw, text: str, size: int, width: int) -> tuple[_Font, list[str]]:
    font, cyrillic = _font(size)
    lines: list[str] = []
    for word in (text if cyrillic else _latin(text)).split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return font, lines


def render_card(title: str, subtitle: str, *, size: tuple[int, int] = (800, 500)) -> bytes:
    """PNG bytes of a card: a colour derived from ``title``, the title, and a smaller subtitle.

    Same input, same bytes. Callers put "Иллюстрация, не фотография" into ``subtitle``.
    """
    width, height = size
    hue = int.from_bytes(hashlib.sha256(title.encode()).digest()[:2], "big") / 65536
    background = tuple(round(c * 255) for c in colorsys.hsv_to_rgb(hue, 0.55, 0.50))
    band = tuple(round(c * 255) for c in colorsys.hsv_to_rgb(hue, 0.60, 0.32))
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    margin, band_top = width // 16, height - height // 4
    draw.rectangle((0, band_top, width, height), fill=band)

    title_size = height // 7
    font, lines = _lines(draw, title, title_size, width - 2 * margin)
    while len(lines) * title_size * 1.2 > band_top - 2 * margin and title_size > 12:
        title_size = title_size * 5 // 6
        font, lines = _lines(draw, title, title_size, width - 2 * margin)
    for number, line in enumerate(lines):
        draw.text((margin, margin + number * title_size * 1.2), line, font=font, fill="white")

    sub_size = max(10, height // 20)
    sub_font, sub_lines = _lines(draw, subtitle, sub_size, width - 2 * margin)
    top = band_top + (height - band_top - len(sub_lines[:2]) * sub_size * 1.3) / 2
    for number, line in enumerate(sub_lines[:2]):
        draw.text((margin, top + number * sub_size * 1.3), line, font=sub_font, fill="#eeeeee")

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
