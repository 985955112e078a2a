# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Build the CommerceML 2 order document that answers 1C's ``type=sale&mode=query``.

Plain Python, no ORM: the model layer prepares plain dicts (see :func:`build_orders_document`)
and this module turns them into bytes that validate against ``commerceml-2.10.xsd``.
"""

import os
from decimal import Decimal

from lxml import etree

from .safe_xml import CML_NS

SUPPORTED_VERSIONS = ("2.05", "2.06", "2.07", "2.08", "2.09", "2.10")
DEFAULT_VERSION = "2.10"
XSD_PATH = os.path.join(os.path.dirname(__file__), "..", "data", "xsd", "commerceml-2.10.xsd")


def negotiate_version(requested):
    """1C sends ``version=`` (2.05-2.10); answer with the same when we support it, else 2.10."""
    requested = (requested or "").strip()
    return requested if requested in SUPPORTED_VERSIONS else DEFAULT_VERSION


def _fmt(value, digits=2):
    quant = Decimal(1).scaleb(-digits)
    return str(Decimal(str(value)).quantize(quant))


def _sub(parent, name, text=None, **attrib):
    element = etree.SubElement(parent, f"{{{CML_NS}}}{name}", {k: v for k, v in attrib.items() if v})
    if text is not None:
        element.text = str(text)
    return element


def _requisites(parent, name, pairs):
    pairs = [(key, value) for key, value in pairs if value not in (None, "")]
    if not pairs:
        return
    node = _sub(parent, name)
    for key, value in pairs:
        req = _sub(node, "ЗначениеРеквизита")
        _sub(req, "Наименование", key)
        _sub(req, "Значение", value)


def _taxes(parent, taxes):
    if not taxes:
        return
    node = _sub(parent, "Налоги")
    for tax in taxes:
        item = _sub(node, "Налог")
        _sub(item, "Наименование", tax["name"])
        _sub(item, "УчтеноВСумме", "true" if tax.get("included") else "false")
        _sub(item, "Сумма", _fmt(tax["amount"]))
        if tax.get("rate") is not None:
            _sub(item, "Ставка", _fmt(tax["rate"]))


def _partner(parent, partner):
    node = _sub(parent, "Контрагент")
    _sub(node, "Ид", partner["guid"])
    _sub(node, "Наименование", partner["name"])
    if partner.get("is_company"):
        _sub(node, "ОфициальноеНаименование", partner.get("legal_name") or partner["name"])
        if partner.get("address"):
            _sub(_sub(node, "ЮридическийАдрес"), "Представление", partner["address"])
        if partner.get("inn"):
            _sub(node, "ИНН", partner["inn"])
        if partner.get("kpp"):
            _sub(node, "КПП", partner["kpp"])
    else:
        _sub(node, "ПолноеНаименование", partner.get("legal_name") or partner["name"])
        if partner.get("inn"):
            _sub(node, "ИНН", partner["inn"])
        if partner.get("address"):
            _sub(_sub(node, "АдресРегистрации"), "Представление", partner["address"])
    contacts = [
        (kind, value)
        for kind, value in (("Почта", partner.get("email")), ("Телефон рабочий", partner.get("phone")))
        if value
    ]
    if contacts:
        node_contacts = _sub(node, "Контакты")
        for kind, value in contacts:
            contact = _sub(node_contacts, "Контакт")
            _sub(contact, "Тип", kind)
            _sub(contact, "Значение", value)
    _sub(node, "Роль", "Покупатель")


def _line(parent, line):
    node = _sub(parent, "Товар")
    _sub(node, "Ид", line["guid"])
    if line.get("article"):
        _sub(node, "Артикул", line["article"])
    _sub(node, "Наименование", line["name"])
    _sub(
        node,
        "БазоваяЕдиница",
        line.get("unit_name") or "шт",
        Код=line.get("unit_code") or "796",
        НаименованиеПолное=line.get("unit_full_name") or "Штука",
        МеждународноеСокращение=line.get("unit_intl") or ("PCE" if (line.get("unit_code") or "796") == "796" else ""),
    )
    _requisites(
        node,
        "ЗначенияРеквизитов",
        [
            ("ВидНоменклатуры", line.get("kind") or ("Услуга" if line.get("is_service") else "Товар")),
            ("ТипНоменклатуры", "Услуга" if line.get("is_service") else "Товар"),
        ]
        + list(line.get("requisites") or []),
    )
    _sub(node, "ЦенаЗаЕдиницу", _fmt(line["price_unit"]))
    _sub(node, "Количество", _fmt(line["quantity"], 3))
    _sub(node, "Сумма", _fmt(line["amount"]))
    _taxes(node, line.get("taxes"))
    if line.get("discount"):
        discounts = _sub(node, "Скидки")
        discount = _sub(discounts, "Скидка")
        _sub(discount, "Наименование", "Скидка")
        _sub(discount, "Сумма", _fmt(line["discount"]))
        _sub(discount, "УчтеноВСумме", "true")


def _document(parent, order):
    doc = _sub(parent, "Документ")
    _sub(doc, "Ид", order["guid"])
    _sub(doc, "Номер", order["number"])
    _sub(doc, "Дата", order["date"])
    _sub(doc, "ХозОперация", "Заказ товара")
    _sub(doc, "Роль", "Продавец")
    _sub(doc, "Валюта", order["currency"])
    _sub(doc, "Курс", _fmt(order.get("rate") or 1, 4))
    _sub(doc, "Сумма", _fmt(order["amount_total"]))
    partners = _sub(doc, "Контрагенты")
    _partner(partners, order["partner"])
    if order.get("time"):
        _sub(doc, "Время", order["time"])
    if order.get("comment"):
        _sub(doc, "Комментарий", order["comment"])
    _taxes(doc, order.get("taxes"))
    lines = _sub(doc, "Товары")
    for line in order["lines"]:
        _line(lines, line)
    _requisites(doc, "ЗначенияРеквизитов", order.get("requisites") or [])


def build_orders_document(orders, version=DEFAULT_VERSION, generated_at="", encoding="UTF-8"):
    """Return the bytes of a ``КоммерческаяИнформация`` holding one ``Документ`` per order dict.

    An order dict: ``guid, number, date (YYYY-MM-DD), time (HH:MM:SS), currency, rate,
    amount_total, comment, partner {guid, name, legal_name, is_company, inn, kpp, address, email,
    phone}, taxes [{name, included, amount, rate}], lines [{guid, article, name, unit_code,
    unit_name, unit_full_name, unit_intl, is_service, price_unit, quantity, amount, discount,
    taxes, requisites}], requisites [(name, value)]``.
    """
    root = etree.Element(
        f"{{{CML_NS}}}КоммерческаяИнформация",
        nsmap={None: CML_NS},
        ВерсияСхемы=negotiate_version(version),
        ДатаФормирования=generated_at,
    )
    for order in orders:
        _document(root, order)
    return etree.tostring(root, xml_declaration=True, encoding=encoding, pretty_print=True)


_SCHEMA = None


def validation_errors(data, xsd_path=XSD_PATH):
    """Validate an order document (bytes) against the CommerceML 2.10 schema; returns a list of messages."""
    global _SCHEMA
    if _SCHEMA is None:
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        _SCHEMA = etree.XMLSchema(etree.parse(xsd_path, parser))
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    document = etree.fromstring(data, parser)
    if _SCHEMA.validate(document):
        return []
    return [f"line {err.line}: {err.message}" for err in _SCHEMA.error_log]
