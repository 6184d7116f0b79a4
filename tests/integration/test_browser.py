"""Open the committed report in headless Chromium: theme table, figures, no broken image.

Uses Debian's ``chromium`` (``.ci/run`` installs it in CI). Without it the tests skip.
The page is loaded from a copy in a temporary folder with networking disabled, so a
report that needed the network would show up as missing content.
"""

from __future__ import annotations

import base64
import html.parser
import io
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--mute-audio",
    "--proxy-server=127.0.0.1:9",  # nothing can load from the network
]


def _report(root: Path) -> Path:
    path = root / "reports" / "seed-corpus" / "report.html"
    if not path.is_file():
        pytest.skip("reports/seed-corpus/report.html is missing: run `make report`")
    return path


def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    if CHROMIUM is None:
        pytest.skip(
            "chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)"
        )
    cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


class _Dom(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.imgs: list[dict[str, str]] = []
        self.tables: list[list[str]] = []
        self.headings: list[str] = []
        self._in_th = self._in_h = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.imgs.append({k: v or "" for k, v in a.items()})
        elif tag == "table":
            self.tables.append([])
        elif tag == "th":
            self._in_th = True
        elif tag in {"h1", "h2", "h3"}:
            self._in_h = True
            self.headings.append("")

    def handle_endtag(self, tag):
        if tag == "th":
            self._in_th = False
        elif tag in {"h1", "h2", "h3"}:
            self._in_h = False

    def handle_data(self, data):
        if self._in_th and self.tables:
            self.tables[-1].append(data.strip())
        if self._in_h:
            self.headings[-1] += data


def _decode(src: str) -> tuple[str, bytes]:
    assert src.startswith("data:image/"), f"image not embedded: {src[:60]}"
    head, _, payload = src.partition(",")
    kind = head.removeprefix("data:image/").split(";")[0]
    data = base64.b64decode(payload) if ";base64" in head else payload.encode()
    return kind, data


@pytest.fixture(scope="module")
def page(root, tmp_path_factory):
    src = _report(root)
    tmp = tmp_path_factory.mktemp("browser")
    html_copy = tmp / "report.html"
    shutil.copy(src, html_copy)
    proc = _chromium(
        ["--virtual-time-budget=5000", "--dump-dom", html_copy.as_uri()], tmp / "profile-dom"
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    shot = tmp / "report.png"
    proc = _chromium(
        [f"--screenshot={shot}", "--window-size=1280,3000", html_copy.as_uri()],
        tmp / "profile-shot",
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return dom, shot


def test_theme_table_and_sections_are_rendered(page):
    dom, _ = page
    parsed = _Dom()
    parsed.feed(dom)
    headers = [h for t in parsed.tables for h in t]
    assert "Theme" in headers and "Share (95% CI)" in headers and "Keywords" in headers
    heads = " | ".join(parsed.headings)
    for section in (
        "Key findings",
        "What was analysed",
        "The themes",
        "Each theme in people",
        "What to keep",
        "How far to trust this",
        "Methods",
        "Limitations",
    ):
        assert section in heads, f"missing section {section!r}: {heads}"
    assert "Traceback" not in dom and "Error" not in parsed.headings


def test_every_image_is_embedded_and_decodes(page):
    from PIL import Image

    dom, _ = page
    parsed = _Dom()
    parsed.feed(dom)
    assert len(parsed.imgs) >= 4, "expected the theme-size, heatmap, map and stance figures"
    for img in parsed.imgs:
        kind, data = _decode(img.get("src", ""))
        assert img.get("alt", "").strip() and "No description" not in img["alt"]
        if kind == "png":
            im = Image.open(io.BytesIO(data))
            im.verify()
            assert im.size[0] > 200 and im.size[1] > 100
        else:
            assert kind.startswith("svg") and b"<svg" in data[:2000]


def test_screenshot_is_not_blank(page):
    from PIL import Image, ImageStat

    _, shot = page
    assert shot.is_file() and shot.stat().st_size > 10_000
    im = Image.open(shot).convert("L")
    assert im.size == (1280, 3000)
    stat = ImageStat.Stat(im)
    assert stat.stddev[0] > 10, "screenshot is (nearly) one colour"
    # text and figures darken a fair share of the page
    dark = sum(im.histogram()[:128]) / (im.size[0] * im.size[1])
    assert dark > 0.005
