# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Hardened XML parsing for files that come from outside (1C, OData answers).

Plain Python, no ORM. Every XML document we receive goes through :func:`check_prolog` and
:func:`secure_iterparse` / :func:`secure_fromstring`:

* entity resolution, DTD loading and network access are off in the parser;
* a ``<!DOCTYPE`` anywhere in the prolog is refused before parsing starts, so neither XXE
  (external entities) nor "billion laughs" (internal entity expansion) can be expressed;
* only encodings 1C really uses are accepted (UTF-8 with or without BOM, windows-1251);
  UTF-16/32 documents are refused (they would also hide a DOCTYPE from a byte scan).
"""

import re

from lxml import etree

CML_NS = "urn:1C.ru:commerceml_2"
ALLOWED_ENCODINGS = {"utf-8", "utf8", "windows-1251", "cp1251"}
PROLOG_SCAN_BYTES = 64 * 1024

_ENCODING_RE = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


class UnsafeXmlError(ValueError):
    """The document is refused before or while parsing; ``str(exc)`` is the reason (English, for the log)."""


def _parser_kwargs():
    return {
        "resolve_entities": False,
        "no_network": True,
        "load_dtd": False,
        "dtd_validation": False,
        "huge_tree": False,
        "remove_comments": True,
        "remove_pis": True,
    }


def check_prolog(head):
    """Check the first bytes of a document: encoding allowed, no DOCTYPE. Returns the encoding name."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(head) > 1 and head[:2] in (b"<\x00", b"\x00<")):
        raise UnsafeXmlError("UTF-16/UTF-32 documents are not accepted (use UTF-8 or windows-1251)")
    body = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    match = _ENCODING_RE.match(body)
    encoding = match.group(1).decode("ascii").lower() if match else "utf-8"
    if encoding not in ALLOWED_ENCODINGS:
        raise UnsafeXmlError(f"encoding {encoding!r} is not accepted (use UTF-8 or windows-1251)")
    # The DOCTYPE can only stand before the root element: scan the prolog up to the first element.
    pos = 0
    while True:
        lt = body.find(b"<", pos)
        if lt < 0 or lt + 1 >= len(body):
            break
        nxt = body[lt + 1 : lt + 2]
        if nxt == b"?":
            pos = body.find(b"?>", lt) + 2 if body.find(b"?>", lt) >= 0 else len(body)
        elif body[lt : lt + 4] == b"<!--":
            end = body.find(b"-->", lt)
            pos = end + 3 if end >= 0 else len(body)
        elif nxt == b"!":
            raise UnsafeXmlError("a DOCTYPE/DTD is not allowed in exchange files (XXE/entity expansion)")
        else:
            break
    if b"<!ENTITY" in head or b"<!DOCTYPE" in head:
        raise UnsafeXmlError("a DOCTYPE/DTD is not allowed in exchange files (XXE/entity expansion)")
    return encoding


def check_file_prolog(path):
    with open(path, "rb") as fh:
        return check_prolog(fh.read(PROLOG_SCAN_BYTES))


def _refuse_doctype(tree):
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise UnsafeXmlError("a DOCTYPE/DTD is not allowed in exchange files (XXE/entity expansion)")


def secure_iterparse(path, events=("start", "end"), tag=None):
    """``lxml.etree.iterparse`` over a file with the hardened options; checks the prolog first.

    Yields ``(event, element)``; lxml syntax errors (truncated file, wrong encoding) propagate as
    ``etree.XMLSyntaxError``.
    """
    check_file_prolog(path)
    first = True
    for event, element in etree.iterparse(path, events=events, tag=tag, **_parser_kwargs()):
        if first:
            _refuse_doctype(element.getroottree())
            first = False
        yield event, element


def check_well_formed(path):
    """Stream through the whole file once (memory flat) to refuse truncated or broken files before any write.

    Returns ``(schema_version, root_localname)``.
    """
    version = root_name = None
    depth = 0
    for event, element in secure_iterparse(path):
        if event == "start":
            if depth == 0:
                version = element.get("ВерсияСхемы")
                root_name = etree.QName(element).localname
            depth += 1
        else:
            depth -= 1
            if depth >= 1:
                # keep memory flat: drop finished subtrees at depth >= 2
                element.clear(keep_tail=False)
                parent = element.getparent()
                if parent is not None and depth >= 2:
                    while element.getprevious() is not None:
                        del parent[0]
    return version, root_name


def root_namespace(path):
    """Namespace URI of the document's root element ('' without one), reading only its start tag."""
    for _event, element in secure_iterparse(path, events=("start",)):
        return etree.QName(element).namespace or ""
    return ""


def secure_fromstring(data):
    """Parse a small document (bytes) with the hardened parser."""
    check_prolog(data[:PROLOG_SCAN_BYTES])
    parser = etree.XMLParser(**_parser_kwargs())
    root = etree.fromstring(data, parser=parser)
    _refuse_doctype(root.getroottree())
    return root


def localname(element):
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]
