# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Streaming reader for CommerceML 2 catalog files (import.xml, offers.xml, prices.xml, rests.xml).

Plain Python, no ORM. The file is read with a hardened ``iterparse`` and every finished item is
turned into a small dict, yielded, and then cleared from the tree, so memory stays flat in the
file size. Items are yielded as ``(kind, data)``:

``("header", {"version", "root"})``, ``("only_changes", bool)`` (from the attribute or the
element form), ``("group", {...})``, ``("property", {...})``, ``("price_type", {...})``,
``("warehouse", {...})``, ``("product", {...})``, ``("offer", {...})``.

Real 1C output is not schema-perfect; the reader never raises on a missing optional element, it
adds a human-readable note to ``warnings`` (a list the caller passes in) and defaults the value.
"""

from decimal import Decimal, InvalidOperation

from .safe_xml import localname, secure_iterparse

# Items the reader turns into dicts: localname -> localname of the parent that makes it an item.
_ITEM_PARENTS = {
    "Товар": ("Товары",),
    "Предложение": ("Предложения",),
}
_LIST_PARENTS = {
    # container -> accepted grand-parents (the container is read whole, it is small)
    "Группы": ("Классификатор",),
    "Свойства": ("Классификатор",),
    "ТипыЦен": ("ПакетПредложений", "Классификатор", "ИзмененияПакетаПредложений"),
    "Склады": ("ПакетПредложений", "Классификатор", "ИзмененияПакетаПредложений"),
}
COUNTED_KINDS = ("product", "offer")


def _text(element, name, default=""):
    if element is None:
        return default
    for child in element:
        if localname(child) == name:
            return (child.text or "").strip()
    return default


def _child(element, name):
    for child in element:
        if localname(child) == name:
            return child
    return None


def _children(element, name):
    if element is None:
        return []
    return [child for child in element if localname(child) == name]


def parse_decimal(value):
    """1C writes numbers with a comma or a dot, sometimes with spaces (thousands): '1 234,50'."""
    if value is None:
        return None
    cleaned = str(value).replace("\xa0", "").replace(" ", "").replace(",", ".").strip()
    if not cleaned:
        return None
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


def split_guid(guid):
    """``'product#variant'`` -> ``('product', 'variant')``; ``'product'`` -> ``('product', '')``."""
    base, _sep, variant = (guid or "").partition("#")
    return base, variant


def _parse_bool(value):
    return (value or "").strip().lower() in ("true", "1", "да", "истина")


def _read_groups(container, parent_guid, out):
    for group in _children(container, "Группа"):
        guid = _text(group, "Ид")
        out.append({"guid": guid, "name": _text(group, "Наименование") or guid, "parent_guid": parent_guid})
        sub = _child(group, "Группы")
        if sub is not None:
            _read_groups(sub, guid, out)


def _read_properties(container):
    result = []
    for prop in _children(container, "Свойство"):
        values = {}
        variants = _child(prop, "ВариантыЗначений")
        if variants is not None:
            for ref in _children(variants, "Справочник"):
                values[_text(ref, "ИдЗначения")] = _text(ref, "Значение")
        result.append(
            {
                "guid": _text(prop, "Ид"),
                "name": _text(prop, "Наименование"),
                "value_type": _text(prop, "ТипЗначений"),
                "values": values,
            }
        )
    return result


def _read_unit(element):
    unit = _child(element, "БазоваяЕдиница")
    if unit is None:
        return {}
    return {
        "code": (unit.get("Код") or "").strip(),
        "name": (unit.get("НаименованиеПолное") or (unit.text or "")).strip(),
        "intl": (unit.get("МеждународноеСокращение") or "").strip(),
        "short": (unit.text or "").strip(),
    }


def _read_characteristics(element):
    """``ХарактеристикиТовара``: [(name, value)] of a characteristic (an Odoo variant)."""
    result = []
    for char in _children(_child(element, "ХарактеристикиТовара"), "ХарактеристикаТовара"):
        name, value = _text(char, "Наименование"), _text(char, "Значение")
        if name and value:
            result.append((name, value))
    return result


def _read_product(element, warnings):
    guid = _text(element, "Ид")
    name = _text(element, "Наименование")
    if not name:
        warnings.append(f"product {guid}: no Наименование, the article or the GUID is used as its name")
        name = _text(element, "Артикул") or guid
    groups = [(g.text or "").strip() for g in _children(_child(element, "Группы"), "Ид")]
    properties = []
    for value in _children(_child(element, "ЗначенияСвойств"), "ЗначенияСвойства"):
        properties.append((_text(value, "Ид"), _text(value, "Значение")))
    requisites = []
    for req in _children(_child(element, "ЗначенияРеквизитов"), "ЗначениеРеквизита"):
        requisites.append((_text(req, "Наименование"), _text(req, "Значение")))
    taxes = []
    for tax in _children(_child(element, "СтавкиНалогов"), "СтавкаНалога"):
        taxes.append((_text(tax, "Наименование"), _text(tax, "Ставка")))
    maker = _child(element, "Изготовитель")
    if maker is not None and not _text(maker, "Наименование"):
        warnings.append(f"product {guid}: empty Изготовитель ignored")
    status = element.get("Статус") or _text(element, "Статус")
    return {
        "guid": guid,
        "name": name,
        "article": _text(element, "Артикул"),
        "barcode": _text(element, "Штрихкод"),
        "description": _text(element, "Описание"),
        "unit": _read_unit(element),
        "group_guids": [g for g in groups if g],
        "properties": properties,
        "requisites": requisites,
        "taxes": taxes,
        "images": [(img.text or "").strip() for img in _children(element, "Картинка") if (img.text or "").strip()],
        "manufacturer": _text(maker, "Наименование") if maker is not None else "",
        "characteristics": _read_characteristics(element),
        "deleted": status == "Удален"
        or _parse_bool(element.get("ПометкаУдаления") or _text(element, "ПометкаУдаления")),
    }


def _read_offer(element, warnings):
    guid = _text(element, "Ид")
    prices = []
    for price in _children(_child(element, "Цены"), "Цена"):
        value = parse_decimal(_text(price, "ЦенаЗаЕдиницу"))
        type_guid = _text(price, "ИдТипаЦены")
        if value is None:
            warnings.append(f"offer {guid}: price of type {type_guid} is not a number, skipped")
            continue
        prices.append({"type_guid": type_guid, "price": value, "currency": _text(price, "Валюта")})
    stock = []
    for store in _children(element, "Склад"):
        qty = parse_decimal(store.get("КоличествоНаСкладе"))
        if qty is None:
            warnings.append(f"offer {guid}: stock of warehouse {store.get('ИдСклада')} is not a number, skipped")
            continue
        stock.append((store.get("ИдСклада") or "", qty))
    # rests.xml (2.08+): <Остатки><Остаток><Склад><Ид/><Количество/></Склад></Остаток></Остатки>
    for rest in _children(_child(element, "Остатки"), "Остаток"):
        for store in _children(rest, "Склад"):
            qty = parse_decimal(_text(store, "Количество"))
            if qty is not None:
                stock.append((_text(store, "Ид"), qty))
        total = parse_decimal(_text(rest, "Количество"))
        if total is not None and not _children(rest, "Склад"):
            stock.append(("", total))
    qty_text = _text(element, "Количество", None)
    return {
        "guid": guid,
        "article": _text(element, "Артикул"),
        "name": _text(element, "Наименование"),
        "characteristics": _read_characteristics(element),
        "prices": prices,
        "quantity": parse_decimal(qty_text) if qty_text is not None else None,
        "stock": stock,
    }


_WATCHED_TAGS = tuple(
    f"{{*}}{name}"
    for name in ("Товар", "Предложение", "Группы", "Свойства", "ТипыЦен", "Склады", "СодержитТолькоИзменения")
)
_PACKAGES = ("Каталог", "ПакетПредложений", "ИзмененияПакетаПредложений")


def _release(element):
    """Drop a finished element and its already-read previous siblings: memory stays flat."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _read_list(name, element):
    """Items of a small container read whole (groups, properties, price types, warehouses)."""
    if name == "Группы":
        groups = []
        _read_groups(element, "", groups)
        return [("group", group) for group in groups]
    if name == "Свойства":
        return [("property", prop) for prop in _read_properties(element)]
    if name == "ТипыЦен":
        return [
            (
                "price_type",
                {"guid": _text(ptype, "Ид"), "name": _text(ptype, "Наименование"), "currency": _text(ptype, "Валюта")},
            )
            for ptype in _children(element, "ТипЦены")
        ]
    return [
        ("warehouse", {"guid": _text(store, "Ид"), "name": _text(store, "Наименование")})
        for store in _children(element, "Склад")
    ]


def _package_flag(package):
    """``СодержитТолькоИзменения`` as an attribute of the package (Каталог, ПакетПредложений)."""
    if package is None or localname(package) not in _PACKAGES:
        return []
    flag = package.get("СодержитТолькоИзменения")
    if flag is not None:
        return [("only_changes", _parse_bool(flag))]
    if localname(package) == "ИзмененияПакетаПредложений":
        return [("only_changes", True)]
    return []


def iter_catalog(path, warnings=None, skip=0):
    """Yield the items of one CommerceML catalog file, streaming.

    Only the elements the importer needs reach Python (lxml's ``tag`` filter), the rest is
    handled by libxml2 alone. ``skip``: number of counted items (products and offers) to pass
    over without building dicts (used to resume an import that already committed them).
    """
    if warnings is None:
        warnings = []
    counted = 0
    header_done = False
    package_seen = False
    for _event, element in secure_iterparse(path, events=("end",), tag=_WATCHED_TAGS):
        if not header_done:
            root = element.getroottree().getroot()
            yield "header", {"version": root.get("ВерсияСхемы") or "", "root": localname(root)}
            header_done = True
        name = localname(element)
        parent = element.getparent()
        parent_name = localname(parent) if parent is not None else ""
        if name in _ITEM_PARENTS:
            if parent_name not in _ITEM_PARENTS[name]:
                continue  # e.g. a Товар inside an order document
            if not package_seen:
                package_seen = True
                yield from _package_flag(parent.getparent())
            counted += 1
            if counted > skip:
                if name == "Товар":
                    yield "product", _read_product(element, warnings)
                else:
                    yield "offer", _read_offer(element, warnings)
            _release(element)
        elif name in _LIST_PARENTS and parent_name in _LIST_PARENTS[name]:
            yield from _read_list(name, element)
            _release(element)
        elif name == "СодержитТолькоИзменения" and parent_name in _PACKAGES:
            package_seen = True
            yield "only_changes", _parse_bool(element.text)


def count_items(path):
    """Number of counted items (products + offers) in a file, streaming (for progress)."""
    total = 0
    for _event, element in secure_iterparse(path, events=("end",), tag=("{*}Товар", "{*}Предложение")):
        parent = element.getparent()
        if parent is not None and localname(parent) in _ITEM_PARENTS[localname(element)]:
            total += 1
        _release(element)
    return total
