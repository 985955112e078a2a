"""Many records of a PDF report in ONE wkhtmltopdf pass, cut back into one PDF per record (plain Python, no ORM).

Odoo prints several records in one pass by giving wkhtmltopdf one HTML document per record and cutting the PDF by
pages or by outlines; Debian's wkhtmltopdf (unpatched Qt) refuses more than one input document ("does not support
more than one input document", exit code 1, which Odoo takes for a success) and draws no outlines. So the records'
bodies are merged here into ONE document, each record's article on a new page and starting with a marker, and the
PDF is cut where the markers are, only when every marker is found once, in order, at most one per page (otherwise the
caller renders the records one by one).

The marker is a white image shown 1 px wide in a box of no height (no change to the layout, nothing to see, no text):
wkhtmltopdf keeps each image's size in pixels and lists the images of a page in that page's resources, so the
article ``i`` is the one whose page shows an image ``i + 1`` pixels wide and ``token`` pixels high (the token is
random per batch). Reading a page's resources costs microseconds, where extracting its text took 0.25 s.
"""

import base64
import io
import itertools
import secrets

import lxml.html
from PIL import Image

from odoo.tools.pdf import PdfReader, PdfWriter

# the article divs of a rendered report, as Odoo's ir.actions.report._prepare_html finds them
CLASS_XPATH = "//div[contains(concat(' ', normalize-space(@class), ' '), ' %s ')]"
ARTICLE_XPATH = CLASS_XPATH % "article"
MARKER_BOX_STYLE = "height: 0; overflow: visible;"
MARKER_IMG_STYLE = "display: block; width: 1px; height: 1px;"


def new_token():
    """The height in pixels of a batch's marker images, random (from 2 to 97: not a 1-pixel image)."""
    return 2 + secrets.randbelow(96)


def marker_png(token, index):
    """The marker image of article ``index`` (PNG bytes): white, ``index + 1`` pixels wide, ``token`` high."""
    stream = io.BytesIO()
    Image.new("L", (index + 1, token), 255).save(stream, format="PNG")
    return stream.getvalue()


def has_running_blocks(html):
    """Whether the rendered report ``html`` has header or footer blocks (one per record, which wkhtmltopdf repeats
    per input document: one merged document would give every record the first record's)."""
    root = lxml.html.document_fromstring(html)
    return bool(root.xpath(CLASS_XPATH % "header") or root.xpath(CLASS_XPATH % "footer"))


def merge_bodies(bodies, token):
    """One HTML document (str) of Odoo's report ``bodies`` (complete documents of one article each, as
    ``ir.actions.report._prepare_html`` returns them): the first document holding every article in order, each
    after the first on a new page, each starting with its marker. None when a body has not exactly one article."""
    merged = last = None
    for index, body in enumerate(bodies):
        document = lxml.html.document_fromstring(body)
        articles = document.xpath(ARTICLE_XPATH)
        if len(articles) != 1:
            return None
        article = articles[0]
        box = lxml.html.Element("div", style=MARKER_BOX_STYLE)
        src = "data:image/png;base64," + base64.b64encode(marker_png(token, index)).decode()
        box.append(lxml.html.Element("img", src=src, style=MARKER_IMG_STYLE, alt=""))
        article.insert(0, box)
        if merged is None:
            merged = document
        else:
            article.set("style", f"page-break-before: always; {article.get('style') or ''}".strip())
            last.addnext(article)
        last = article
    if merged is None:
        return None
    return lxml.html.tostring(merged.getroottree(), encoding="unicode", doctype="<!DOCTYPE html>")


def page_markers(page, token):
    """The article indexes whose marker image the PDF ``page`` shows (its resources' images ``token`` high)."""
    resources = page.get("/Resources")
    xobjects = resources.get_object().get("/XObject") if resources else None
    found = []
    for reference in (xobjects.get_object() if xobjects else {}).values():
        image = reference.get_object()
        if image.get("/Subtype") == "/Image" and image.get("/Height") == token:
            found.append(image.get("/Width") - 1)
    return found


def marker_pages(reader, token, count):
    """The first page (0-based) of each of the ``count`` articles in the PDF (a ``PdfReader``) of a merged document,
    read from the markers; None unless each marker is on one page only, in order, the first on the first page and
    no page holding two (a record whose marker is lost or doubled must not take another's pages)."""
    starts = []
    for number, page in enumerate(reader.pages):
        found = page_markers(page, token)
        if len(found) > 1:
            return None
        if found:
            if found[0] != len(starts):
                return None
            starts.append(number)
    if len(starts) != count or not starts or starts[0] != 0:
        return None
    return starts


def split_pdf(content, token, count):
    """The PDF ``content`` of a merged document of ``count`` articles as ``count`` PDFs (bytes), in order, each from
    its marker's page up to the next marker's; None when the markers do not cut it safely (see ``marker_pages``)."""
    reader = PdfReader(io.BytesIO(content))
    starts = marker_pages(reader, token, count)
    if starts is None:
        return None
    bounds = [*starts, len(reader.pages)]
    parts = []
    for first, end in itertools.pairwise(bounds):
        writer = PdfWriter()
        for number in range(first, end):
            writer.add_page(reader.pages[number])
        stream = io.BytesIO()
        writer.write(stream)
        parts.append(stream.getvalue())
    return parts
