"""Turn a template and its context into HTML and PDF; turn a matplotlib figure into an embeddable image."""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jinja2

from parcelaudit.outputs import atomic_path, write_text_atomic

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader([str(TEMPLATE_DIR)]),
    autoescape=jinja2.select_autoescape(["html", "xml"]),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(template_name: str, context: dict[str, Any]) -> str:
    """Render a template from reports/templates with the given context (undefined names are errors)."""
    return _env.get_template(template_name).render(**context)


def write_pdf(html: str, path: Path) -> Path:
    """Write HTML as a PDF with WeasyPrint (imported lazily: it is slow to load), whole or not at all."""
    from weasyprint import HTML

    path = Path(path)
    with atomic_path(path) as temporary, _fixed_font_dates():
        HTML(string=html, base_url=str(TEMPLATE_DIR)).write_pdf(str(temporary))
    return path


@contextmanager
def _fixed_font_dates() -> Iterator[None]:
    """Reproducible PDFs: fontTools stamps every embedded font subset with the clock unless the
    SOURCE_DATE_EPOCH convention (reproducible-builds.org) names a date; we name the epoch unless the user did."""
    if "SOURCE_DATE_EPOCH" in os.environ:
        yield
        return
    os.environ["SOURCE_DATE_EPOCH"] = "0"
    try:
        yield
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH", None)


def write_html_and_pdf(
    template_name: str, context: dict[str, Any], out_dir: Path, stem: str
) -> tuple[Path, Path]:
    """Render once and write both STEM.html and STEM.pdf into out_dir."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    html = render_html(template_name, context)
    html_path = write_text_atomic(out_dir / f"{stem}.html", html)
    return html_path, write_pdf(html, out_dir / f"{stem}.pdf")


def chart_data_uri(figure: Any, dpi: int = 110) -> str:
    """Encode a matplotlib figure as a PNG data URI (self-contained HTML) and close it."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def new_figure(width: float = 6.0, height: float = 3.2) -> tuple[Any, Any]:
    """Create a figure and axes with the non-interactive backend and the house style."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, height))
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)
    return fig, ax
