"""Progress a person can follow at the terminal, from a command or from a report's notebooks.

Every long step (embedding, fine-tuning, clustering, coding) reports through
:func:`steps`: the step's name, the count done and the total. At a terminal that is a
tqdm bar with an ETA. Inside a notebook that ``covidlearning report`` runs, drawing
bars would fill the notebook with thousands of updates, so the runner sets
:data:`STATUS_ENV` to a small status file instead: the step writes one line to it
(at most every :data:`INTERVAL` seconds, atomically) and the runner draws the bar at
the terminal (:class:`StatusWatcher`). The notebook's outputs stay as they were.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

#: Set by the report runner: the file a notebook's steps write their progress to.
STATUS_ENV = "COVIDLEARNING_PROGRESS_FILE"
#: Seconds between two writes of the status file (and between two redraws of a bar).
INTERVAL = 0.5

T = TypeVar("T")


class Progress:
    """One step's counter: ``update(n)`` adds ``n`` done; ``close()`` ends the step."""

    def __init__(self, desc: str, total: int, unit: str, enabled: bool) -> None:
        self.desc, self.total, self.unit = desc, int(total), unit
        self.done = 0
        self._status = os.environ.get(STATUS_ENV) if enabled else None
        self._bar: Any = None
        self._last = 0.0
        self._started = time.time()
        if enabled and not self._status:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=self.total, desc=desc, unit=unit, mininterval=INTERVAL)
        self._write(force=True)

    def update(self, n: int = 1) -> None:
        """Count ``n`` more done."""
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
        self._write()

    def close(self) -> None:
        """End the step (the bar stays on screen with its final count)."""
        if self._bar is not None:
            self._bar.close()
        self._write(force=True, finished=True)

    def _write(self, force: bool = False, finished: bool = False) -> None:
        if not self._status:
            return
        now = time.time()
        if not force and now - self._last < INTERVAL:
            return
        self._last = now
        state = {
            "desc": self.desc,
            "done": self.done,
            "total": self.total,
            "unit": self.unit,
            "started": self._started,
            "finished": finished,
        }
        path = Path(self._status)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        try:
            tmp.write_text(json.dumps(state), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:  # progress is a courtesy: never fail a run over it
            pass


@contextmanager
def steps(desc: str, total: int, unit: str = "text", enabled: bool = True) -> Iterator[Progress]:
    """Report a step's progress for the ``with`` block (see the module docstring)."""
    bar = Progress(desc, total, unit, enabled)
    try:
        yield bar
    finally:
        bar.close()


def each(items: Iterable[T], desc: str, total: int, unit: str, enabled: bool = True) -> Iterator[T]:
    """Yield ``items``, counting one done after each."""
    with steps(desc, total, unit, enabled) as bar:
        for item in items:
            yield item
            bar.update(1)


class StatusWatcher:
    """Draw, at the terminal, the progress a notebook's steps write to the status file.

    Used by the report runner around each notebook: ``with StatusWatcher(path, label):``.
    """

    def __init__(self, path: Path, label: str, enabled: bool = True) -> None:
        self.path, self.label, self.enabled = Path(path), label, enabled
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._bar: Any = None
        self._step: tuple[str, float] | None = None

    def __enter__(self) -> StatusWatcher:
        self.path.unlink(missing_ok=True)
        if self.enabled:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self.enabled:
            self._thread.join()
        self._show()  # the last state written
        if self._bar is not None:
            self._bar.close()
        self.path.unlink(missing_ok=True)

    def _run(self) -> None:
        while not self._stop.wait(INTERVAL):
            self._show()

    def _show(self) -> None:
        if not self.enabled:
            return
        try:
            state = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        step = (str(state["desc"]), float(state["started"]))
        if step == self._step and self._bar is None:
            return  # this step finished and its bar was closed: its time stops there
        if step != self._step:
            from tqdm import tqdm

            if self._bar is not None:
                self._bar.close()
            self._step = step
            self._bar = tqdm(
                total=int(state["total"]),
                desc=f"{self.label}: {state['desc']}",
                unit=str(state["unit"]),
                mininterval=INTERVAL,
            )
            # the ETA counts from when the step started in the kernel, not from now
            self._bar.start_t = min(self._bar.start_t, float(state["started"]))
        self._bar.n = int(state["done"])
        self._bar.refresh()
        if state.get("finished"):  # close it now, so it does not go on counting seconds
            self._bar.close()
            self._bar = None
