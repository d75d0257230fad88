"""Issue 24's figure checklist as checks on a drawn matplotlib figure, shared by the tests of the
paper figures (tests/test_figures.py) and of the paper target's other figures (atlas, data sets:
tests/test_figures_paper.py). Each check raises AssertionError naming the figure and what is wrong.

What a test can judge, and how:
- one legend for the whole figure (a figure legend; no panel has its own);
- legend entries are exactly the series drawn: no label twice, no two entries alike, every entry's
  colour is a colour drawn in a panel (neutral style keys excepted), and every colour, line style and
  marker drawn in a panel is shown by an entry;
- no legend covers data or text: the legend's box overlaps no panel and no text of the figure;
- no series hides under another: two marks (lines, markers, scatter points) of the same style
  (line style, line width, marker, marker size) where every point of the lower one lies, on the
  page, within half a line width or a sixth of a marker of the upper one: whatever its colour, the
  lower one cannot be seen;
- regimes named in words: no config code name of a regime in any text;
- no two titles run into each other; no tick label of the form "3×10⁰", no number written "1e+06".
"""

from __future__ import annotations

import re

import numpy as np
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D
from matplotlib.markers import MarkerStyle

THEORY_KEY, SIM_KEY = "theory (DMFT), line", "simulation ± s.e., points"


def _rgb(color) -> tuple | None:
    """The colour as a rounded RGB tuple; None for no colour / fully transparent / white (the face
    of a hollow marker)."""
    if color is None or (isinstance(color, str) and color.lower() == "none"):
        return None
    rgba = to_rgba(color)
    if rgba[3] == 0 or rgba[:3] == (1.0, 1.0, 1.0):
        return None
    return tuple(round(float(c), 3) for c in rgba[:3])


def legends(fig) -> list:
    return list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]


def legend_labels(fig) -> list[str]:
    return [t.get_text() for lg in legends(fig) for t in lg.get_texts()]


def _is_hollow(line: Line2D) -> bool:
    """An open marker: no face colour, or a marker that has no face ('_', 'x', '+', ...)."""
    return _rgb(line.get_markerfacecolor()) is None or not MarkerStyle(line.get_marker()).is_filled()


def _line_colors(line: Line2D) -> set:
    has_line = line.get_linestyle() not in ("None", "none", "", " ")
    has_marker = line.get_marker() not in ("None", "none", "", " ", None)
    out = set()
    if has_line:
        out.add(_rgb(line.get_color()))
    if has_marker:
        out.add(_rgb(line.get_markeredgecolor()))
        if not _is_hollow(line):
            out.add(_rgb(line.get_markerfacecolor()))
    return out - {None}


def _collection_colors(coll) -> set:
    out = set()
    for colors in (coll.get_edgecolor(), coll.get_facecolor()):
        for c in np.atleast_2d(colors):
            if len(c):
                out.add(_rgb(c))
    return out - {None}


def _data_artists(ax):
    """The data marks of a panel: lines with data (not a 'guide'), scatter points and error bars."""
    for line in ax.lines:
        if line.get_visible() and line.get_gid() != "guide" and len(np.atleast_1d(line.get_xdata())) > 0:
            yield line
    for coll in ax.collections:
        if coll.get_visible() and isinstance(coll, PathCollection | LineCollection):
            if isinstance(coll, PathCollection) and len(coll.get_offsets()) == 0:
                continue
            if isinstance(coll, LineCollection) and len(coll.get_segments()) == 0:
                continue
            yield coll


def drawn_colors(fig) -> set:
    """Every colour a data mark of a panel is drawn in (colour maps excepted)."""
    out = set()
    for ax in fig.axes:
        for artist in _data_artists(ax):
            out |= _line_colors(artist) if isinstance(artist, Line2D) else _collection_colors(artist)
    return out


def _handle_line(handle):
    """The Line2D a legend handle draws (an error-bar container: its data line), or None."""
    if isinstance(handle, Line2D):
        return handle
    lines = getattr(handle, "lines", None)
    return lines[0] if lines and isinstance(lines[0], Line2D) else None


def _looks(line: Line2D) -> tuple[set, set]:
    """The line styles ('-', '--', ':', '-.') and markers a Line2D draws."""
    styles = {line.get_linestyle()} - {"None", "none", "", " "}
    markers = {str(line.get_marker())} - {"None", "none", "", " "}
    return styles, markers


def _handle_colors(handle) -> set:
    handle = _handle_line(handle) or handle
    if isinstance(handle, Line2D):
        return _line_colors(handle)
    if hasattr(handle, "get_facecolor") and hasattr(handle, "get_edgecolor"):
        return _collection_colors(handle)
    if hasattr(handle, "get_color"):
        return {_rgb(handle.get_color())} - {None}
    return set()


def check_one_legend(fig, name: str) -> None:
    lgs = legends(fig)
    assert len(lgs) == 1 and not any(ax.get_legend() for ax in fig.axes), (
        f"{name}: {len(lgs)} legends ({sum(1 for ax in fig.axes if ax.get_legend())} in panels): one figure legend wanted"
    )


def check_legend_matches_drawn(fig, name: str, key_color=None) -> None:
    """Legend entries are exactly the series drawn: unique labels, every entry's colour drawn
    (entries in the neutral `key_color` are style keys: theory line, simulation points, ...), and
    every colour drawn has an entry."""
    lgs = legends(fig)
    labels = legend_labels(fig)
    assert len(labels) == len(set(labels)), f"{name}: a legend label twice: {labels}"
    drawn = drawn_colors(fig)
    key = _rgb(key_color) if key_color is not None else None
    in_legend = set()
    for lg in lgs:
        for handle, text in zip(lg.legend_handles, lg.get_texts(), strict=True):
            colors = _handle_colors(handle)
            in_legend |= colors
            if not colors or colors == {key}:
                continue
            assert colors & drawn, (
                f"{name}: legend entry {text.get_text()!r} ({colors}) has nothing drawn in its colour"
            )
    looks = [
        (
            tuple(sorted(_handle_colors(h))),
            getattr(h, "get_linestyle", lambda: "")(),
            str(getattr(h, "get_marker", lambda: "")()),
        )
        for lg in lgs
        for h, t in zip(lg.legend_handles, lg.get_texts(), strict=True)
        if not t.get_text().startswith("fit ")  # fits: black dashed, told apart by their series' name
    ]
    twice = {look for look in looks if looks.count(look) > 1}
    assert not twice, f"{name}: legend entries that look alike (colour, line, marker): {sorted(twice)}"
    unnamed = drawn - in_legend
    assert not unnamed, f"{name}: colours drawn with no legend entry: {sorted(unnamed)}"
    # every line style and marker drawn is shown by some entry (a dotted guide line, open squares, ...)
    shown_styles, shown_markers = set(), set()
    for lg in lgs:
        for handle in lg.legend_handles:
            line = _handle_line(handle)
            if line is not None:
                st, mk = _looks(line)
                shown_styles |= st
                shown_markers |= mk
    for ax in fig.axes:
        caps = {id(cap) for c in ax.containers if getattr(c, "has_yerr", False) for cap in c.lines[1]}
        for artist in _data_artists(ax):
            if isinstance(artist, Line2D) and id(artist) not in caps:
                st, mk = _looks(artist)
                assert st <= shown_styles and mk <= shown_markers, (
                    f"{name}: {artist.get_label()!r} drawn with line {st} / marker {mk}, which no legend entry shows "
                    f"(shown: {sorted(shown_styles)}, {sorted(shown_markers)})"
                )
    errorbars = any(getattr(c, "has_yerr", False) for ax in fig.axes for c in ax.containers)
    assert SIM_KEY not in labels or errorbars, f"{name}: a simulation key without simulation points"


def _texts(fig) -> list:
    """Every visible non-empty text of the figure: titles, suptitle, axis and tick labels, notes."""
    out = [t for t in fig.texts]
    if fig._suptitle is not None:
        out.append(fig._suptitle)
    axes = list(fig.axes)
    for ax in fig.axes:
        axes += list(getattr(ax, "child_axes", []))
    for ax in axes:
        out += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label]
        out += list(ax.get_xticklabels()) + list(ax.get_yticklabels()) + list(ax.texts)
        out += list(ax.get_xticklabels(minor=True)) + list(ax.get_yticklabels(minor=True))
    return list({id(t): t for t in out if t.get_visible() and t.get_text().strip()}.values())


def check_legend_off_data_and_text(fig, name: str) -> None:
    """The legend's box overlaps no panel (so no data) and no text of the figure."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for lg in legends(fig):
        box = lg.get_window_extent(renderer)
        for ax in fig.axes:
            assert not box.overlaps(ax.get_window_extent(renderer)), f"{name}: legend overlaps {ax.get_title()!r}"
        for text in _texts(fig):
            assert not box.overlaps(text.get_window_extent(renderer)), (
                f"{name}: legend overlaps the text {text.get_text()!r}"
            )


def check_titles_apart(fig, name: str) -> None:
    """No two titles (panel titles, the figure's title, notes) overlap; no tick label reads like
    '3×10⁰' (a number on a log axis is written plainly, or as a power of ten); no text writes a
    number as '1e+06'."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    heads = [ax.title for ax in fig.axes] + list(fig.texts) + [t for ax in fig.axes for t in ax.texts]
    if fig._suptitle is not None:
        heads.append(fig._suptitle)
    heads = list({id(t): t for t in heads if t.get_visible() and t.get_text().strip()}.values())
    boxes = [t.get_window_extent(renderer) for t in heads]
    for i, a in enumerate(boxes):
        for j in range(i + 1, len(boxes)):
            assert not a.overlaps(boxes[j]), (
                f"{name}: texts overlap: {heads[i].get_text()!r} and {heads[j].get_text()!r}"
            )
    for ax in fig.axes:
        ticks = [
            t for minor in (False, True) for t in ax.get_xticklabels(minor=minor) + ax.get_yticklabels(minor=minor)
        ]
        for tick in ticks:
            assert "times" not in tick.get_text(), f"{name}: tick label {tick.get_text()!r}"
    for text in [t.get_text() for t in _texts(fig)] + legend_labels(fig):
        assert not re.search(r"\de[+-]\d", text), f"{name}: a number in code notation in {text!r} (write 10⁶)"


def check_regimes_in_words(fig, name: str, code_names) -> None:
    texts = legend_labels(fig) + [t.get_text() for t in _texts(fig)]
    for code in code_names:
        hits = [t for t in texts if re.search(rf"(?<![A-Za-z_]){re.escape(code)}(?![A-Za-z_0-9])", t)]
        assert not hits, f"{name}: regime code name {code!r} in {hits}"


def _marks(ax):
    """(style, order, points in display pixels, artist) of every data mark of a panel: a line, a
    line's markers, a scatter collection."""

    def finite(xy):
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        return xy[np.isfinite(xy).all(axis=1)]

    out = []
    children = ax.get_children()
    caps = {id(cap) for c in ax.containers if getattr(c, "has_yerr", False) for cap in c.lines[1]}
    for artist in _data_artists(ax):
        if id(artist) in caps:  # an error bar's caps: part of its point, not a series
            continue
        order = (artist.get_zorder(), children.index(artist))
        if isinstance(artist, Line2D):
            pts = artist.get_transform().transform(finite(artist.get_xydata()))
            linestyle = artist.get_linestyle()
            if linestyle not in ("None", "none", "", " ") and len(pts) > 1:
                style = ("line", linestyle, round(artist.get_linewidth(), 2))
                out.append((style, order, pts, artist))
            if artist.get_marker() not in ("None", "none", "", " ", None):
                style = ("marker", str(artist.get_marker()), round(artist.get_markersize(), 1), _is_hollow(artist))
                out.append((style, order, pts, artist))
        elif isinstance(artist, PathCollection):
            sizes = tuple(np.round(np.unique(artist.get_sizes()), 1))
            hollow = all(_rgb(c) is None for c in np.atleast_2d(artist.get_facecolor()))
            paths = tuple(p.vertices.round(3).tobytes() for p in artist.get_paths())
            pts = artist.get_offset_transform().transform(finite(artist.get_offsets()))
            out.append((("scatter", paths, sizes, hollow), order, pts, artist))
    return out


def _distance_to_polyline(points: np.ndarray, line: np.ndarray) -> np.ndarray:
    """Distance (pixels) of each point to the polyline through `line`'s vertices."""
    a, b = line[:-1], line[1:]
    ab = b - a
    length2 = np.maximum((ab**2).sum(axis=1), 1e-12)
    rel = points[:, None, :] - a[None, :, :]
    u = np.clip((rel * ab[None]).sum(axis=2) / length2[None], 0.0, 1.0)
    nearest = a[None] + u[..., None] * ab[None]
    return np.sqrt(((points[:, None, :] - nearest) ** 2).sum(axis=2)).min(axis=1)


def _hidden(lower, upper, dpi: float) -> bool:
    """Every point of the lower mark lies within half a line width (lines) or a sixth of the marker
    size (markers) of the upper mark, drawn above it in the same style: on the page it peeks out by
    less than that, and a reader sees one series."""
    kind, pts, over = lower[0][0], lower[2], upper[2]
    if kind == "line":
        return bool((_distance_to_polyline(pts, over) <= 0.5 * lower[0][2] * dpi / 72).all())
    size = lower[0][2] if kind == "marker" else float(np.sqrt(max(lower[0][2] or (36.0,))))
    d = np.sqrt(((pts[:, None, :] - over[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
    return bool((d <= size / 6.0 * dpi / 72).all())


def _describe(artist) -> str:
    colors = _line_colors(artist) if isinstance(artist, Line2D) else _collection_colors(artist)
    return f"{artist.get_label()!r} in {sorted(colors)}"


def check_no_hidden_series(fig, name: str) -> None:
    """No mark lies wholly under another of the same style (line style and width, or marker and
    size), as a reader sees them: every point within a fraction of a line width / marker of the
    upper one. Identical or indistinguishable series must be merged into one, or drawn
    distinguishably (another line style, width or marker)."""
    fig.canvas.draw()
    for ax in fig.axes:
        marks = [m for m in _marks(ax) if len(m[2])]
        for lower in marks:
            for upper in marks:
                if upper is lower or upper[0] != lower[0] or upper[1] < lower[1]:
                    continue
                assert not _hidden(lower, upper, fig.dpi), (
                    f"{name}, panel {ax.get_title()!r}: the {lower[0][0]} {_describe(lower[3])} hidden under "
                    f"{_describe(upper[3])}"
                )


def check_all(fig, name: str, code_names=(), key_color=None) -> None:
    """Every check of the checklist on one figure."""
    check_one_legend(fig, name)
    check_legend_matches_drawn(fig, name, key_color)
    check_legend_off_data_and_text(fig, name)
    check_titles_apart(fig, name)
    check_regimes_in_words(fig, name, code_names)
    check_no_hidden_series(fig, name)
