"""Movies: a figure that becomes frames, and the files and the player those frames become.

An :class:`Animation` holds one matplotlib figure and an update function; it knows nothing about
optimizers (:func:`gdsim.animate` and :func:`gdsim.landscape.animate_landscape` build the
figures). It saves to ``.gif`` (Pillow) or ``.mp4`` (when ffmpeg is installed) through a writer:
any object with ``setup(animation)``, ``grab(rgb)`` and ``finish(path)``.

When the figure comes with its numbers (a :class:`gdsim.plotting.player.Scene`, which
:func:`gdsim.animate` hands over), Jupyter shows and ``save("page.html")`` writes the browser
player of :mod:`gdsim.plotting.player`: the paths drawn from the numbers over one matplotlib
background, a slider per swept hyperparameter, hover for a path's details, a self-contained
page. Without them (``animate_landscape``) the HTML is the frame player: every frame a PNG.

Why it is fast: the landscape (filled contours, level lines, minima, legend, axes) is the
expensive part of every frame and it never changes, so it is drawn once and kept as a bitmap.
Each frame restores that bitmap and draws only the moving artists (trails, heads, arrows, the
growing loss and lr curves), then reads the canvas' pixels. Frames are mapped onto one shared
256-colour palette, so Pillow can write each GIF frame as the few pixels that changed.
:meth:`Animation.to_func_animation` gives the same figure as a plain matplotlib ``FuncAnimation``
(full redraw per frame) for comparison; ``benchmarks/bench_animation.py`` times both.
"""

from __future__ import annotations

import base64
import contextlib
import io
import shutil
import string
import subprocess
import uuid
from pathlib import Path

import numpy as np

from gdsim.plotting import theme


def _pin_legends(figure):
    """Keep the figure's legends where the layout put them. A legend placed "outside" the axes
    is positioned by the layout engine; once the layout is frozen, any later full draw (the
    browser player's background, a lint) would drop it onto the axes instead."""
    inverse = figure.transFigure.inverted()
    for legend in figure.legends:
        box = legend.get_window_extent().transformed(inverse)
        legend.set_bbox_to_anchor(box, transform=figure.transFigure)
        legend.set_loc("center")


class Animation:
    """Frames drawn on demand from one figure: ``len(anim)`` frames, ``anim.frame_steps`` the
    optimizer step each shows. ``save(path)``, ``to_html()``, ``frames()``;
    displays itself in Jupyter. ``scene`` holds the numbers the browser player draws.
    """

    def __init__(
        self, figure, update, moving, frame_steps, fps, hold=1.0, scene=None, traces=(), trace=None
    ):
        self.figure, self._update, self._moving = figure, update, moving
        self.frame_steps = np.asarray(frame_steps)
        self.fps, self.hold = fps, hold
        self.scene = scene
        self._background = None
        # Trails that only grow are painted into the background frame by frame: each frame
        # draws just its new segments, so a swarm costs per frame what one step adds, not
        # every path again. ``trace(since, step)`` sets the ``traces`` artists to the part of
        # the paths between the two steps (from the start where ``since`` is None).
        self._traces, self._trace = list(traces), trace
        self._traced, self._traced_frame = None, None

    def __len__(self):
        return len(self.frame_steps)

    @property
    def size(self):
        """(width, height) of a frame in pixels."""
        w, h = self.figure.canvas.get_width_height()
        return int(w), int(h)

    def _prepare(self):
        # animated artists are left out of a full draw: what remains is the background
        for artist in self._moving + self._traces:
            artist.set_animated(True)
        self.figure.canvas.draw()
        self.figure.set_layout_engine("none")  # freeze the layout: every frame the same geometry
        _pin_legends(self.figure)
        self._background = self.figure.canvas.copy_from_bbox(self.figure.bbox)

    @contextlib.contextmanager
    def still(self, hide=()):
        """The figure drawn without its moving artists, as an RGB array; inside the block the
        axes sit where that drawing put them (the player reads their pixels there).

        ``hide`` are legends left out, the layout redone without them (a sweep's legend naming
        every cell, when the player's sliders name the cell instead). The frames' layout is
        fixed first and put back afterwards, to the bit: a constrained layout drawn again
        moves the axes a little each time, and the GIF must not depend on the player.
        """
        figure = self.figure
        if self._background is None:
            self._prepare()  # the frames' layout, exactly as without the player; now frozen
        saved = [
            (
                ax,
                ax.get_position(original=True).frozen(),
                ax.get_position().frozen(),
                ax.get_in_layout(),
            )
            for ax in figure.axes
        ]
        removed = [legend for legend in hide if any(legend is f for f in figure.legends)]
        for legend in removed:
            figure.legends.remove(legend)
        hidden = [legend for legend in hide if legend not in removed and legend.get_visible()]
        for legend in hidden:
            legend.set_visible(False)
        if removed:  # let the layout take the room the legend had
            figure.set_layout_engine("constrained")
        try:
            figure.canvas.draw()
            yield np.asarray(figure.canvas.buffer_rgba())[..., :3].copy()
        finally:
            figure.legends.extend(removed)
            for legend in hidden:
                legend.set_visible(True)
            if removed:
                figure.set_layout_engine("none")
                for ax, original, active, in_layout in saved:
                    ax.set_position(original, which="original")
                    ax.set_position(active, which="active")
                    ax.set_in_layout(in_layout)  # set_position takes the axes out of layouts

    def render(self, i):
        """Frame ``i`` as an RGB uint8 array (height, width, 3)."""
        if self._background is None:
            self._prepare()
        canvas = self.figure.canvas
        i = int(i)
        if self._traces:
            sequential = self._traced_frame is not None and i == self._traced_frame + 1
            canvas.restore_region(self._traced if sequential else self._background)
            self._trace(
                int(self.frame_steps[i - 1]) if sequential else None, int(self.frame_steps[i])
            )
            for artist in self._traces:
                (artist.axes or self.figure).draw_artist(artist)
            self._traced, self._traced_frame = canvas.copy_from_bbox(self.figure.bbox), i
        else:
            canvas.restore_region(self._background)
        self._update(i)
        for artist in self._moving:
            if artist.get_visible():
                (artist.axes or self.figure).draw_artist(artist)
        return np.asarray(canvas.buffer_rgba())[..., :3].copy()

    def frames(self):
        """Every frame, in order, as RGB arrays."""
        for i in range(len(self)):
            yield self.render(i)

    def durations(self):
        """Milliseconds each frame stays up: 1/fps, and ``hold`` seconds on the last one."""
        ms = np.full(len(self), int(round(1000 / self.fps)))
        if len(self):
            ms[-1] = max(ms[-1], int(round(1000 * self.hold)))
        return ms

    def save(self, path, writer=None, progress=None):
        """Write the animation to ``path`` (.gif, .html or .mp4) and return the path.

        ``writer`` replaces the file writer: any object with ``setup(animation)``,
        ``grab(rgb)`` per frame and ``finish(path)`` (the tests use one that counts frames).
        ``progress``: a progress bar over the frames; None shows one only for a save still
        running after two seconds, True always, False never.
        """
        path = Path(path)
        if writer is None:
            suffix = path.suffix.lower()
            writers = {
                ".gif": GifWriter,
                ".html": HtmlWriter,
                ".htm": HtmlWriter,
                ".mp4": Mp4Writer,
            }
            if suffix not in writers:
                raise ValueError(f"path must end in .gif, .html or .mp4, got {str(path)!r}")
            if writers[suffix] is HtmlWriter and self.scene is not None:
                from gdsim.plotting import player

                path.write_text(player.page(self), encoding="utf-8")
                return path
            writer = writers[suffix]()
        writer.setup(self)
        indices = range(len(self))
        if progress or progress is None:
            from tqdm.auto import tqdm

            indices = tqdm(
                indices,
                desc=f"frames of {path.name}",
                unit="frame",
                leave=False,
                delay=0 if progress else 2.0,
            )
        for i in indices:
            writer.grab(self.render(i))
        writer.finish(path)
        return path

    def to_html(self):
        """The browser player as an HTML fragment; without a scene, the frame player (every
        frame a PNG, as ``save(path, writer=HtmlWriter())`` writes it for any animation)."""
        if self.scene is None:
            writer = HtmlWriter()
            writer.setup(self)
            for frame in self.frames():
                writer.grab(frame)
            return writer.html()
        from gdsim.plotting import player

        return player.fragment(self)

    def to_jshtml(self):
        """The same as :meth:`to_html` (matplotlib's name for a notebook's HTML player)."""
        return self.to_html()

    def _repr_html_(self):
        return self.to_html()

    def to_func_animation(self):
        """The same figure as a matplotlib ``FuncAnimation`` that redraws everything per frame
        (the straightforward route; slower, but works with any matplotlib writer)."""
        from matplotlib.animation import FuncAnimation

        self.figure.canvas.draw()
        self.figure.set_layout_engine("none")
        for artist in self._moving + self._traces:
            artist.set_animated(False)
        self._background = None

        def frame(i):
            if self._traces:
                self._trace(None, int(self.frame_steps[i]))
            self._update(int(i))
            return self._moving + self._traces

        return FuncAnimation(
            self.figure, frame, frames=len(self), interval=1000 / self.fps, blit=False, repeat=False
        )

    def close(self):
        """Release the figure."""
        import matplotlib.pyplot as plt

        plt.close(self.figure)

    def __repr__(self):
        w, h = self.size
        return f"<Animation: {len(self)} frames, {w}x{h} px, {self.fps} fps>"


# -- writers ---------------------------------------------------------------------------------------


def _palette_from(animation, colors=255):
    """One palette for every frame: the style's exact line and fill colours, plus colours
    adapted to the first and last frames (between them the background, the antialiased edges
    and the longest curves). Exact style colours matter: an adaptive palette alone spends its
    entries on the landscape's greys and turns a thin blue line teal. 255 colours leave one free
    index for Pillow's "unchanged pixel" transparency."""
    from PIL import Image, ImageColor

    style = (
        list(theme.PALETTE)
        + list(theme.STABILITY_COLORS)
        + [
            theme.NOT_CONVERGED_COLOR,
            theme.DIVERGED_COLOR,
            theme.CONTOUR_LINE_COLOR,
            "#FFFFFF",
            "#000000",
        ]
    )
    fixed = list(dict.fromkeys(ImageColor.getrgb(c)[:3] for c in style))
    sample = np.concatenate([animation.render(0), animation.render(len(animation) - 1)], axis=0)
    adaptive = Image.fromarray(sample).quantize(
        colors - len(fixed), method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    used = len(adaptive.getcolors(colors)) if adaptive.getcolors(colors) else colors - len(fixed)
    entries = adaptive.getpalette()[: 3 * used] + [v for rgb in fixed for v in rgb]
    palette = Image.new("P", (1, 1))
    palette.putpalette(entries)
    return palette


class GifWriter:
    """Pillow GIF: shared palette, no dithering (flat areas stay flat and compress), and
    ``optimize`` so unchanged pixels become transparent in each delta frame."""

    def setup(self, animation):
        self.palette = _palette_from(animation)
        self.durations = animation.durations()
        self.images = []

    def grab(self, rgb):
        from PIL import Image

        self.images.append(
            Image.fromarray(rgb).quantize(palette=self.palette, dither=Image.Dither.NONE)
        )

    def finish(self, path):
        first, *rest = self.images
        first.save(
            path,
            save_all=True,
            append_images=rest,
            duration=[int(d) for d in self.durations],
            loop=0,
            optimize=True,
            disposal=1,
        )


class HtmlWriter:
    """A standalone HTML page (or notebook output) with a JavaScript player over PNG frames."""

    def setup(self, animation):
        self.palette = _palette_from(animation)
        self.durations = animation.durations()
        self.steps = animation.frame_steps
        self.urls = []

    def grab(self, rgb):
        from PIL import Image

        image = Image.fromarray(rgb).quantize(palette=self.palette, dither=Image.Dither.NONE)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", compress_level=6)
        self.urls.append(
            "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
        )

    def html(self):
        # one pass: a frame's base64 may spell STEPS or LAST; nothing inserted is read again
        return _PLAYER.substitute(
            uid="gdsim" + uuid.uuid4().hex[:10],
            frames=",".join(f'"{u}"' for u in self.urls),
            steps=",".join(str(int(s)) for s in self.steps),
            delays=",".join(str(int(d)) for d in self.durations),
            last=str(len(self.urls) - 1),
            first=self.urls[0] if self.urls else "",
        )

    def finish(self, path):
        Path(path).write_text(
            "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
            + self.html()
            + "</body></html>",
            encoding="utf-8",
        )


# icons as SVG: the media glyphs (U+23EE, U+23F8) are empty boxes in fonts many browsers have
_ICON = (
    '<svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">'
    '<path fill="currentColor" d="{}"/></svg>'
)
_ICONS = {
    name: _ICON.format(d)
    for name, d in {
        "first": "M2 3h2v10H2zM14 3v10L5 8z",
        "back": "M10 3v10L3 8zM11 3h2v10h-2z",
        "play": "M4 2l10 6-10 6z",
        "pause": "M3 2h3.5v12H3zM9.5 2H13v12H9.5z",
        "forward": "M3 3h2v10H3zM6 3v10l7-5z",
    }.items()
}

# ${...} are filled in one pass by HtmlWriter.html; the icons go in now
_PLAYER = string.Template(
    """<div id="${uid}" style="display:inline-block;font-family:sans-serif">
<img id="${uid}_img" src="${first}" style="max-width:100%"><br>
<button onclick="${uid}.first()" title="first">ICON_first</button>
<button onclick="${uid}.step(-1)" title="back">ICON_back</button>
<button id="${uid}_play" onclick="${uid}.toggle()" title="play / pause">ICON_play</button>
<button onclick="${uid}.step(1)" title="forward">ICON_forward</button>
<input id="${uid}_slider" type="range" min="0" max="${last}" value="0"
 oninput="${uid}.show(+this.value)" style="width:50%">
<span id="${uid}_label"></span>
<select onchange="${uid}.speed=+this.value"><option value="0.5">0.5x</option>
<option value="1" selected>1x</option><option value="2">2x</option></select>
<script>
var ${uid} = (function(){
  var frames=[${frames}], steps=[${steps}], delays=[${delays}], i=0, timer=null;
  var img=document.getElementById("${uid}_img"), slider=document.getElementById("${uid}_slider"),
      label=document.getElementById("${uid}_label"), play=document.getElementById("${uid}_play");
  var p={speed:1};
  p.show=function(k){ i=Math.max(0,Math.min(frames.length-1,k)); img.src=frames[i]; slider.value=i;
                      label.textContent="step "+steps[i]; };
  function tick(){ p.show(i>=frames.length-1?0:i+1); timer=setTimeout(tick, delays[i]/p.speed); }
  p.toggle=function(){ if(timer){clearTimeout(timer);timer=null;play.innerHTML=PLAY;}
                       else{play.innerHTML=PAUSE;timer=setTimeout(tick, delays[i]/p.speed);} };
  var PLAY='ICON_play', PAUSE='ICON_pause';
  p.step=function(d){ if(timer){p.toggle();} p.show(i+d); };
  p.first=function(){ if(timer){p.toggle();} p.show(0); };
  p.show(0); return p;
})();
</script></div>""".replace("ICON_first", _ICONS["first"])
    .replace("ICON_back", _ICONS["back"])
    .replace("ICON_forward", _ICONS["forward"])
    .replace("ICON_play", _ICONS["play"])
    .replace("ICON_pause", _ICONS["pause"])
)


class Mp4Writer:
    """H.264 through an ffmpeg pipe (only when ffmpeg is on the PATH)."""

    def setup(self, animation):
        self.ffmpeg = shutil.which("ffmpeg")
        if self.ffmpeg is None:
            raise RuntimeError(
                "saving .mp4 needs ffmpeg on the PATH, which was not found; "
                "save as .gif or .html instead (they need only Pillow)"
            )
        self.fps, self.frames = animation.fps, []

    def grab(self, rgb):
        h, w = rgb.shape[0] // 2 * 2, rgb.shape[1] // 2 * 2  # yuv420p needs even sizes
        self.frames.append(np.ascontiguousarray(rgb[:h, :w]))

    def finish(self, path):
        h, w = self.frames[0].shape[:2]
        command = [
            self.ffmpeg,
            "-y",
            "-loglevel",
            "error",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-s",
            f"{w}x{h}",
            "-r",
            str(self.fps),
            "-i",
            "-",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-crf",
            "23",
            str(path),
        ]
        subprocess.run(command, input=b"".join(f.tobytes() for f in self.frames), check=True)
