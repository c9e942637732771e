"""Run colours and marker characters, shared by the app's plots and the replay's text plots.

Without colour (the app's monochrome mode, the replay's text files) runs are told apart by their marker
character, ``MARKERS[i % len(MARKERS)]`` for the i-th run.
"""

from __future__ import annotations

__all__ = ["RUN_COLORS", "PRESENTER_RUN_COLORS", "PRESENTER_TEXT", "PRESENTER_ALARM", "PRESENTER_MIN_CONTRAST", "presenter_color", "MARKERS", "MIN_MARK", "START_MARK", "CURRENT_MARK", "MIN_CONTRAST", "BACKGROUND_MAX_LUMINANCE",
           "run_marker", "relative_luminance", "contrast_ratio", "lightened"]

#: the runs' colours, in the order runs get them (Okabe-Ito's hues, lightened for a projector): each has a
#: relative luminance of at least 0.37, so it keeps a contrast ratio of MIN_CONTRAST against any background
#: of at most BACKGROUND_MAX_LUMINANCE -- the heat map's bands and the basin colours are kept that dark
RUN_COLORS: tuple[tuple[int, int, int], ...] = (
    (240, 170, 30),   # orange
    (100, 190, 240),  # sky blue
    (40, 205, 150),   # bluish green
    (240, 228, 66),   # yellow
    (240, 150, 200),  # reddish purple
    (255, 125, 125),  # vermillion, lightened to a salmon red
    (170, 150, 255),  # violet (a blue light enough would be the sky blue again)
    (210, 210, 210),  # grey
)
#: presenter mode's run colours (``sgd-tui --present``): the same hues in the same order, brighter (relative
#: luminance at least 0.579): at least 7.2:1 on every heat band and basin colour, 11.2:1 on the background
PRESENTER_RUN_COLORS: tuple[tuple[int, int, int], ...] = (
    (255, 190, 40),   # orange
    (120, 215, 255),  # sky blue
    (70, 240, 165),   # bluish green
    (235, 250, 80),   # yellow, towards lime (apart from the orange)
    (255, 175, 235),  # reddish purple, a pink
    (255, 190, 160),  # salmon
    (200, 195, 255),  # violet
    (240, 240, 240),  # grey becomes near-white
)
PRESENTER_ALARM = (255, 150, 150)  # a diverged run's or an over-the-limit figure in presenter mode (a light red)
PRESENTER_TEXT = (240, 240, 240)  # presenter mode's text (the look-for line, the big figures): 16.4:1 on the background
PRESENTER_MIN_CONTRAST = 7.0  # WCAG AAA: presenter colours against every background they are drawn on
MIN_CONTRAST = 4.5  # WCAG 2.x AA for text: every run colour against every background it is drawn on
BACKGROUND_MAX_LUMINANCE = 0.04  # the lightest heat band or basin colour (relative luminance)
MARKERS = ("x", "o", "+", "#", "%", "=", "~", "$", "&", "^", "v", "<", ">", "?", "!")
MIN_MARK, START_MARK, CURRENT_MARK = "*", "o", "@"  # on the app's trajectory plot


def run_marker(index: int) -> str:
    """The marker character of the index-th run."""
    return MARKERS[index % len(MARKERS)]


def presenter_color(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """A run colour as presenter mode draws it: the presenter palette's entry of the same place, or any
    other colour (a scenario's own) lightened to the presenter palette's luminance."""
    rgb = tuple(rgb)
    if rgb in RUN_COLORS:
        return PRESENTER_RUN_COLORS[RUN_COLORS.index(rgb)]
    return rgb if rgb in PRESENTER_RUN_COLORS else lightened(rgb, 0.58)


def relative_luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG 2.x relative luminance of an sRGB colour (0 black .. 1 white)."""
    def linear(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG 2.x contrast ratio of two colours, 1 .. 21 (either order)."""
    hi, lo = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def lightened(rgb: tuple[int, int, int], luminance: float = 0.36) -> tuple[int, int, int]:
    """The colour scaled up, its hue kept (channels clamped at 255), to at least ``luminance``: the text
    colour of a dark swatch (a basin's legend), readable on the app's background."""
    scale = 1.0
    out = tuple(rgb)
    while relative_luminance(out) < luminance and min(out) < 255:
        scale *= 1.05
        out = tuple(min(255, round(max(c, 8) * scale)) for c in rgb)
    return out
