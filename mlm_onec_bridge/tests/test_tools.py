# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The plain-Python parts (no database): streaming reader, hardened parser, zip safety, protocol, writer."""

import io
import os
import stat
import tempfile
import zipfile
from collections import Counter
from decimal import Decimal

from lxml import etree

from odoo.tests import BaseCase, tagged

from ..tools import cml_reader, cml_writer, protocol, safe_xml, safe_zip

DATA = os.path.join(os.path.dirname(__file__), "data")
IMPORT = os.path.join(DATA, "import0_1.xml")
OFFERS = os.path.join(DATA, "offers0_1.xml")

XXE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_2"><Каталог><Товары><Товар><Ид>1</Ид>
<Наименование>&x;</Наименование></Товар></Товары></Каталог></КоммерческаяИнформация>""".encode()
LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<КоммерческаяИнформация>&lol3;</КоммерческаяИнформация>""".encode()


def sample_order(is_company=True):
    return {
        "guid": "5b1f0e3c-0000-4000-8000-000000000001",
        "number": "S00042",
        "date": "2026-01-02",
        "time": "10:00:00",
        "currency": "RUB",
        "rate": 1,
        "amount_total": Decimal("1180.00"),
        "comment": "",
        "partner": {
            "guid": "p-1",
            "name": "ООО Ромашка",
            "is_company": is_company,
            "inn": "7707083893",
            "kpp": "773601001",
            "address": "Москва",
            "email": "a@example.com",
            "phone": "+7 900",
        },
        "taxes": [{"name": "НДС", "included": False, "amount": Decimal(180)}],
        "lines": [
            {
                "guid": "g-1",
                "article": "A1",
                "name": "Крем",
                "price_unit": 500,
                "quantity": 2,
                "amount": 1180,
                "discount": 0,
                "requisites": [("PV", "12.00")],
                "taxes": [{"name": "НДС", "included": False, "amount": 180, "rate": 18}],
            }
        ],
        "requisites": [("Код дистрибьютора", "D0000007"), ("PV", "12.00")],
    }


@tagged("post_install", "-at_install")
class TestCommerceMlTools(BaseCase):
    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="onec_test_")

    def _write(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as fh:
            fh.write(data)
        return path

    # ---------------------------------------------------------------- reader
    def test_reader_shared_files(self):
        warnings = []
        items = list(cml_reader.iter_catalog(IMPORT, warnings))
        kinds = Counter(kind for kind, _data in items)
        self.assertEqual(kinds["product"], 36)
        self.assertEqual(kinds["group"], 1)
        self.assertEqual(kinds["property"], 12)
        first = next(data for kind, data in items if kind == "product")
        self.assertEqual(first["guid"], "bd8c4e15-18f9-11e7-80c2-0cc47ab29cd1")
        self.assertEqual(first["article"], "PM-421-WP")
        self.assertEqual(first["barcode"], "8809288404089")
        self.assertEqual(first["unit"]["code"], "796")
        self.assertIn(("НДС", "20"), first["taxes"])
        offers = [data for kind, data in cml_reader.iter_catalog(OFFERS, warnings) if kind == "offer"]
        self.assertEqual(len(offers), 44)
        self.assertEqual(offers[0]["prices"][0]["price"], Decimal(100))
        self.assertEqual(sum(qty for _wh, qty in offers[0]["stock"]), Decimal(377))
        self.assertEqual(warnings, [])

    def test_reader_skip_resumes(self):
        all_guids = [d["guid"] for k, d in cml_reader.iter_catalog(IMPORT) if k == "product"]
        rest = [d["guid"] for k, d in cml_reader.iter_catalog(IMPORT, skip=30) if k == "product"]
        self.assertEqual(rest, all_guids[30:])
        self.assertEqual(cml_reader.count_items(IMPORT), 36)

    def test_reader_defaults_and_reports(self):
        path = self._write(
            "i.xml",
            """<?xml version="1.0" encoding="UTF-8"?>
<КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_2" ВерсияСхемы="2.10"><Каталог>
<СодержитТолькоИзменения>true</СодержитТолькоИзменения><Товары>
<Товар><Ид>x</Ид><Артикул>ART</Артикул><Изготовитель><Ид>m</Ид></Изготовитель></Товар>
<Товар Статус="Удален"><Ид>y</Ид><Наименование>Old</Наименование></Товар></Товары></Каталог>
</КоммерческаяИнформация>""".encode(),
        )
        warnings = []
        items = list(cml_reader.iter_catalog(path, warnings))
        self.assertIn(("only_changes", True), items)
        products = [d for k, d in items if k == "product"]
        self.assertEqual(products[0]["name"], "ART")
        self.assertTrue(products[1]["deleted"])
        self.assertEqual(len(warnings), 2, warnings)

    def test_parse_decimal(self):
        self.assertEqual(cml_reader.parse_decimal("1 234,50"), Decimal("1234.50"))
        self.assertIsNone(cml_reader.parse_decimal("abc"))
        self.assertEqual(cml_reader.split_guid("a#b"), ("a", "b"))

    # ---------------------------------------------------------------- hostile XML
    def test_xxe_refused(self):
        path = self._write("xxe.xml", XXE)
        with self.assertRaises(safe_xml.UnsafeXmlError):
            list(cml_reader.iter_catalog(path))
        with self.assertRaises(safe_xml.UnsafeXmlError):
            safe_xml.secure_fromstring(XXE)

    def test_billion_laughs_refused(self):
        path = self._write("lol.xml", LAUGHS)
        with self.assertRaises(safe_xml.UnsafeXmlError):
            safe_xml.check_well_formed(path)

    def test_doctype_after_comment_refused(self):
        data = b'<?xml version="1.0"?><!-- hi --><!DOCTYPE a SYSTEM "http://evil/x.dtd"><a/>'
        with self.assertRaises(safe_xml.UnsafeXmlError):
            safe_xml.check_prolog(data)

    def test_wrong_encoding_refused(self):
        utf16 = '<?xml version="1.0" encoding="UTF-16"?><a/>'.encode("utf-16")
        with self.assertRaises(safe_xml.UnsafeXmlError):
            safe_xml.check_well_formed(self._write("u16.xml", utf16))
        lying = '<?xml version="1.0" encoding="UTF-8"?><a>Товар</a>'.encode("windows-1251")
        with self.assertRaises(etree.XMLSyntaxError):
            safe_xml.check_well_formed(self._write("lie.xml", lying))
        koi = b'<?xml version="1.0" encoding="KOI8-R"?><a/>'
        with self.assertRaises(safe_xml.UnsafeXmlError):
            safe_xml.check_prolog(koi)

    def test_windows_1251_accepted(self):
        data = '<?xml version="1.0" encoding="windows-1251"?><КоммерческаяИнформация ВерсияСхемы="2.05"/>'
        path = self._write("cp.xml", data.encode("windows-1251"))
        self.assertEqual(safe_xml.check_well_formed(path), ("2.05", "КоммерческаяИнформация"))

    def test_truncated_file_refused(self):
        with open(IMPORT, "rb") as fh:
            data = fh.read()
        path = self._write("cut.xml", data[: len(data) // 2])
        with self.assertRaises(etree.XMLSyntaxError):
            safe_xml.check_well_formed(path)

    # ---------------------------------------------------------------- zip
    def _zip(self, members):
        path = os.path.join(self.tmp, "a.zip")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for info, data in members:
                archive.writestr(info, data)
        return path

    def test_zip_ok(self):
        path = self._zip([("import.xml", b"<a/>"), ("import_files/ab/c.jpg", b"x")])
        dest = os.path.join(self.tmp, "out")
        os.makedirs(dest)
        self.assertEqual(sorted(safe_zip.safe_extract(path, dest)), ["import.xml", "import_files/ab/c.jpg"])

    def test_zip_slip_refused(self):
        for name in ("../evil.xml", "/etc/evil.xml", "a/../../evil.xml", "C:/evil.xml"):
            path = self._zip([("ok.xml", b"<a/>"), (name, b"x")])
            dest = os.path.join(self.tmp, "out")
            os.makedirs(dest, exist_ok=True)
            with self.assertRaises(safe_zip.UnsafeZipError, msg=name):
                safe_zip.safe_extract(path, dest)
            self.assertFalse(os.path.exists(os.path.join(self.tmp, "evil.xml")))
            self.assertFalse(os.path.exists(os.path.join(dest, "ok.xml")), "partial extraction must be undone")

    def test_zip_symlink_refused(self):
        info = zipfile.ZipInfo("link")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        path = self._zip([(info, "/etc/passwd")])
        with self.assertRaises(safe_zip.UnsafeZipError):
            safe_zip.safe_extract(path, self.tmp)

    def test_zip_bomb_refused(self):
        path = self._zip([("bomb.xml", b"\0" * (20 * 1024 * 1024))])
        with self.assertRaises(safe_zip.UnsafeZipError):
            safe_zip.safe_extract(path, os.path.join(self.tmp, "o1"))
        path = self._zip([("big.xml", os.urandom(300 * 1024))])
        with self.assertRaises(safe_zip.UnsafeZipError):
            safe_zip.safe_extract(path, os.path.join(self.tmp, "o2"), max_total=100 * 1024)

    def test_not_a_zip(self):
        path = self._write("x.zip", b"PK\x03\x04 broken")
        with self.assertRaises(safe_zip.UnsafeZipError):
            safe_zip.safe_extract(path, self.tmp)

    # ---------------------------------------------------------------- protocol
    def test_protocol_answers(self):
        self.assertEqual(protocol.answer_checkauth("tok"), "success\nonec_exchange\ntok")
        self.assertEqual(protocol.answer_init(True, 1000, version="2.10"), "zip=yes\nfile_limit=1000\nversion=2.10")
        self.assertEqual(protocol.answer_failure("bad\nthing"), "failure\nbad thing")
        self.assertEqual(protocol.parse_cookie("session_id=1; onec_exchange=abc"), "abc")
        self.assertEqual(protocol.safe_filename("import_files/a/b.jpg"), os.path.join("import_files", "a", "b.jpg"))
        for bad in ("../x.xml", "/etc/passwd", "", "a/../../b", "x;rm.xml"):
            with self.assertRaises(protocol.ProtocolError, msg=bad):
                protocol.safe_filename(bad)
        with self.assertRaises(protocol.ProtocolError):
            protocol.check_type_mode("catalog", "query")
        self.assertEqual(protocol.encode_answer("failure\nОшибка", "windows-1251"), "failure\nОшибка".encode("cp1251"))

    # ---------------------------------------------------------------- writer
    def test_order_document_validates(self):
        for is_company in (True, False):
            for encoding in ("UTF-8", "windows-1251"):
                data = cml_writer.build_orders_document(
                    [sample_order(is_company)], "2.08", "2026-01-02T10:00:00", encoding=encoding
                )
                self.assertEqual(cml_writer.validation_errors(data), [])
        root = etree.parse(io.BytesIO(data)).getroot()
        self.assertEqual(root.get("ВерсияСхемы"), "2.08")
        self.assertEqual(cml_writer.negotiate_version("3.1"), "2.10")
        empty = cml_writer.build_orders_document([], "2.10", "2026-01-02T10:00:00")
        self.assertEqual(cml_writer.validation_errors(empty), [])
