"""Progbar: the progress line that ``fit`` redraws, in Keras 3's look.

``469/469 ━━━━━━━━━━━━━━━━━━━━ 2s 4ms/step - accuracy: 0.9254 - loss: 0.2581``: a 20-character bar,
the time taken (or left), the time per step, then the logged numbers (``format_value``). In a
terminal or a notebook the line is redrawn in place with a carriage return; when the output is a
file or a pipe, only the final line is written. ``verbose=2`` writes ``469/469 - 2s - 4ms/step - ...``.

Chapter 04's ProgbarLogger callback drives it.

Hand-written plumbing: no chapter builds this module.
"""

import math
import sys
import time

__all__ = ["BAR_WIDTH", "Progbar", "format_value"]

BAR_WIDTH = 20


def _in_notebook():
    return "ipykernel" in sys.modules


def format_value(value, verbose=1):
    """A logged number as Keras 3's Progbar prints it: 4 decimals when large enough, scientific
    notation otherwise. "Large enough" differs between Keras' two modes, and we follow both:
    ``abs(value) > 1e-3`` for the bar (verbose=1), so -0.5 prints as -0.5000, but ``value > 1e-3``
    for the one-line summary (verbose=2), where 0 and every negative number print as -5.0000e-01.

    >>> format_value(0.25), format_value(0.00042), format_value(-0.5, verbose=2)
    ('0.2500', '4.2000e-04', '-5.0000e-01')
    """
    large = abs(value) > 1e-3 if verbose == 1 else value > 1e-3
    return f"{value:.4f}" if large else f"{value:.4e}"


def _format_step_time(seconds_per_step):
    if seconds_per_step >= 1 or seconds_per_step == 0:
        return f"{seconds_per_step:.0f}s/step"
    if seconds_per_step >= 1e-3:
        return f"{seconds_per_step * 1e3:.0f}ms/step"
    return f"{seconds_per_step * 1e6:.0f}us/step"


class Progbar:
    """One progress line that rewrites itself: ``12/50 ━━━━━─────────────── 1s 25ms/step - loss: 0.4``.

    ``update(current, values)`` redraws at most every ``interval`` seconds, and always when
    ``finalize`` is true, which ends the line. In a terminal or a notebook the line is redrawn in
    place with a carriage return; when the output is a file or a pipe (not interactive), only
    the final line is written. ``verbose=2`` writes just the final line, without the bar.
    """

    def __init__(self, target, width=BAR_WIDTH, verbose=1, interval=0.05, stream=None):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.stream = stream if stream is not None else sys.stdout
        isatty = getattr(self.stream, "isatty", lambda: False)()
        self.dynamic = isatty or (self.stream is sys.stdout and _in_notebook())
        self.start = time.perf_counter()
        self._last_update = -math.inf
        self._previous_width = 0

    def update(self, current, values=None, finalize=None):
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        now = time.perf_counter()
        if not finalize and (now - self._last_update < self.interval or not self.dynamic or self.verbose != 1):
            return
        self._last_update = now
        elapsed = now - self.start
        per_step = elapsed / current if current else 0.0
        metrics = "".join(f" - {name}: {format_value(value, self.verbose)}"
                          for name, value in (values or {}).items())
        count = f"{current:{len(str(self.target))}d}/{self.target}" if self.target else f"{current}/Unknown"
        if self.verbose == 2:
            line = f"{count} - {elapsed:.0f}s - {_format_step_time(per_step)}{metrics}"
        else:
            filled = int(self.width * current / self.target) if self.target else 0
            bar = "━" * filled + "─" * (self.width - filled)
            remaining = per_step * (self.target - current) if self.target else 0.0
            timing = f"{elapsed:.0f}s" if finalize else f"{remaining:.0f}s"  # time taken, or time left
            line = f"{count} {bar} {timing} {_format_step_time(per_step)}{metrics}"
        if self.dynamic and self.verbose == 1:
            padding = " " * max(self._previous_width - len(line), 0)
            self.stream.write("\r" + line + padding + ("\n" if finalize else ""))
        else:
            self.stream.write(line + "\n")
        self._previous_width = len(line)
        self.stream.flush()
