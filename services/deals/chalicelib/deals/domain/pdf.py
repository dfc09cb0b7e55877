"""HTML to PDF with fpdf2 and the DejaVu fonts shipped in this package (a Lambda has no
system fonts, and the built-in PDF fonts have no Cyrillic).

fpdf2 is pure Python and renders `write_html` tables with Unicode fonts; it is imported on
first use, so the service's cold start does not pay for it.
"""

from __future__ import annotations

from pathlib import Path

from lanka_platform.problems import Problem

FONTS = Path(__file__).resolve().parent.parent / "fonts"
FAMILY = "DejaVu"


def html_to_pdf(html: str, title: str) -> bytes:
    """A4 PDF of `html`; 422 when fpdf2 cannot lay it out (an admin's template, say)."""
    from fpdf import FPDF
    from fpdf.errors import FPDFException

    regular, bold = str(FONTS / "DejaVuSans.ttf"), str(FONTS / "DejaVuSans-Bold.ttf")
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("Lanka CRM")
    # Two faces only: parsing and subsetting a font is most of the time a PDF takes, and a
    # template that asks for italics is refused when it is saved.
    pdf.add_font(FAMILY, "", regular)
    pdf.add_font(FAMILY, "B", bold)
    pdf.set_font(FAMILY, size=10)
    pdf.add_page()
    try:
        pdf.write_html(html, font_family=FAMILY)
    except (FPDFException, ValueError, KeyError, NotImplementedError) as error:
        raise Problem.invalid(
            [{"field": "body", "message": f"The HTML cannot be laid out as a PDF: {error}", "in": "body"}]
        ) from error
    return bytes(pdf.output())
