"""Report rendering shared by every capability: Jinja2 HTML, WeasyPrint PDF, matplotlib charts."""

from parcelaudit.reports.render import chart_data_uri, render_html, write_html_and_pdf, write_pdf

__all__ = ["chart_data_uri", "render_html", "write_html_and_pdf", "write_pdf"]
