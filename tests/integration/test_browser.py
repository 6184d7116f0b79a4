"""Open each report in headless Chromium: theme table, figures, readable at any width.

Uses Debian's ``chromium`` (``.ci/run`` installs it in CI). Without it the tests skip.
The page is loaded from a copy in a temporary folder with networking disabled, so a
report that needed the network would show up as missing content.

Every report (the committed seed report, and a synthetic trust survey's report made
here: tables of many groups, breakdowns over time) is opened at 1400 and at 800 pixels
wide. It fails if the page scrolls sideways outside a table's or figure's own scroll
box, if a figure is shown below half its pixel width (figures are drawn at 150 dpi, so
9-point labels would fall under 9.4 CSS pixels), or if a figure is blank.
"""

from __future__ import annotations

import base64
import html
import html.parser
import io
import json
import re
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


# --------------------------------------------------------------------------- any width
WIDTHS = (1400, 800)
#: Shown below this share of its pixel width, a figure's labels are too small to read.
MIN_SCALE = 0.5

#: Measures the laid-out page and writes the result into it for --dump-dom to carry out.
_MEASURE = """<script>
window.addEventListener("load", function () {
  var de = document.documentElement, vw = de.clientWidth;
  var out = {viewport: vw, page: de.scrollWidth, images: [], outside: []};
  document.querySelectorAll("img").forEach(function (im) {
    var r = im.getBoundingClientRect();
    out.images.push({alt: im.alt.slice(0, 60), shown: r.width, pixels: im.naturalWidth,
                     loaded: im.complete && im.naturalWidth > 0});
  });
  document.querySelectorAll("main *").forEach(function (el) {
    if (el.closest(".cl-scroll, .cl-figure")) return;
    var r = el.getBoundingClientRect();
    if (r.right > vw + 1) out.outside.push(el.tagName.toLowerCase() + "." +
      String(el.className).split(" ")[0] + " to " + Math.round(r.right) + "px");
  });
  var pre = document.createElement("pre");
  pre.id = "cl-measure";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


@pytest.fixture(scope="module")
def trust_report(root, tmp_path_factory) -> Path:
    """The synthetic trust survey's report, made by `covidlearning report`."""
    import yaml

    from covidlearning.cli import run as cli

    tmp = tmp_path_factory.mktemp("trust-browser")
    cfg = yaml.safe_load((root / "configs" / "synthetic-trust.yaml").read_text())
    cfg["input"]["path"] = str(root / cfg["input"]["path"])
    cfg["reports_dir"] = str(tmp / "reports")
    cfg["redaction"]["log_dir"] = str(tmp / "anonymisation")
    cfg.setdefault("discover", {}).update(stability_runs=0, refine=False)
    path = tmp / "synthetic-trust.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    code = cli(["report", "--config", str(path), "--work-dir", str(tmp / "work"), "--quiet"])
    assert code == 0, "covidlearning report failed"
    return tmp / "reports" / cfg["name"] / "report.html"


@pytest.fixture
def report_html(request, root) -> Path:
    if request.param == "seed-corpus":
        return _report(root)
    return request.getfixturevalue("trust_report")


def _measure(html_path: Path, width: int, tmp: Path) -> dict:
    page = html_path.read_text(encoding="utf-8").replace("</body>", _MEASURE + "</body>")
    copy = tmp / f"measure-{width}.html"
    copy.write_text(page, encoding="utf-8")
    proc = _chromium(
        [f"--window-size={width},1000", "--virtual-time-budget=5000", "--dump-dom",
         copy.as_uri()],
        tmp / f"profile-{width}",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = re.search(r'<pre id="cl-measure">(.*?)</pre>', proc.stdout, re.S)
    assert found, "the page never finished loading"
    return json.loads(html.unescape(found.group(1)))


REPORTS = [
    pytest.param("seed-corpus", id="seed-corpus"),
    pytest.param("synthetic-trust", id="synthetic-trust", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("report_html", REPORTS, indirect=True)
@pytest.mark.parametrize("width", WIDTHS)
def test_readable_at_any_width(report_html, width, tmp_path):
    m = _measure(report_html, width, tmp_path)
    assert m["viewport"] <= width
    # nothing but a table's or figure's own box scrolls sideways
    assert not m["outside"], f"wider than the page at {width}px: {m['outside'][:5]}"
    assert m["page"] <= m["viewport"] + 1, f"the page scrolls sideways at {width}px"
    assert m["images"], "no figure in the report"
    for im in m["images"]:
        assert im["loaded"], f"figure not loaded: {im['alt']}"
        scale = im["shown"] / im["pixels"]
        assert scale >= MIN_SCALE - 0.01, (
            f"{im['alt']!r} shown at {scale:.0%} of its pixels at {width}px: labels unreadable"
        )


@pytest.mark.parametrize("report_html", REPORTS, indirect=True)
def test_no_figure_is_blank(report_html):
    from PIL import Image, ImageStat

    parsed = _Dom()
    parsed.feed(report_html.read_text(encoding="utf-8"))
    pngs = [img for img in parsed.imgs if img.get("src", "").startswith("data:image/png")]
    assert pngs
    for img in pngs:
        _, data = _decode(img["src"])
        im = Image.open(io.BytesIO(data)).convert("L")
        stat = ImageStat.Stat(im)
        ink = sum(im.histogram()[:200]) / (im.size[0] * im.size[1])
        assert stat.stddev[0] > 8 and ink > 0.01, f"blank figure: {img.get('alt', '')[:60]!r}"
