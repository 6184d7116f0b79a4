"""Stopping `covidlearning report` (SIGTERM, as `kill` or a CI timeout sends it) stops its
notebook kernel too, says in one line that nothing was published, and exits non-zero.

A real subprocess: the kernel runs in a session of its own, so only the runner can stop it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.notebook


def _children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the processes whose parent is ``pid`` (Linux /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append((int(entry.name), cmd))
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_sigterm_stops_the_kernel_and_publishes_nothing(root: Path, tmp_path: Path) -> None:
    cfg = yaml.safe_load((root / "configs" / "synthetic-trust.yaml").read_text())
    cfg["input"]["path"] = str(root / cfg["input"]["path"])
    cfg["reports_dir"] = str(tmp_path / "reports")
    cfg["redaction"]["log_dir"] = str(tmp_path / "anonymisation")
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump(cfg))
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "covidlearning", "report", "--config", str(config),
         "--work-dir", str(tmp_path / "work"), "--quiet"],
        cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        kernel = None
        deadline = time.monotonic() + 240
        while kernel is None and time.monotonic() < deadline and proc.poll() is None:
            kernels = [p for p, cmd in _children(proc.pid) if "ipykernel" in cmd]
            kernel = kernels[0] if kernels else None
            time.sleep(0.2)
        assert kernel is not None, "no notebook kernel started"
        time.sleep(3)  # the kernel is at work on the first notebook
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143
    lines = [line for line in err.splitlines() if not line.startswith("report: running")]
    assert len(lines) == 1, err
    assert lines[0].startswith("report stopped (SIGTERM)") and "nothing was published" in lines[0]
    for _ in range(50):
        if not _alive(kernel):
            break
        time.sleep(0.1)
    assert not _alive(kernel), "the notebook kernel outlived the run"
    reports = tmp_path / "reports"
    assert not (reports / cfg["name"]).exists()
    assert not list(reports.glob(".*")) if reports.exists() else True  # no temp or lock left
