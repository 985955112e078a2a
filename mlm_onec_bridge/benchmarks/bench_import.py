#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Benchmark of the CommerceML catalog import (not a test): time and peak memory.

Usage (a database with ``mlm_onec_bridge`` installed; it gets a new company per run)::

    $VENV/bin/python mlm_onec_bridge/benchmarks/bench_import.py -c odoo.conf -d DB \\
        [--products 100000] [--baseline-sample 2000] [--characteristics 5]

What it measures, each in its own subprocess so that peak RSS is that of the step alone:

1. the streaming reader alone over generated catalogs of growing size (memory must stay flat);
   beside it a full-tree ``etree.parse`` of the same files (memory grows with the file);
2. the import of the shared real files (``import0_1.xml`` + ``offers0_1.xml``);
3. the import of a generated catalog of N products (import.xml + offers.xml with prices and stock
   in 3 warehouses), played as 1C plays it: ``import`` calls repeated while the answer is
   ``progress``, one transaction per call (a commit between calls, as between HTTP requests);
4. baseline 1: the same importer with set-based creation switched off (Odoo's ``create`` per batch, what
   the importer did before), on the smaller generated catalog, beside the set-based import of the same
   files in the same run, extrapolated to N;
5. baseline 2, naive, on a sample of the same catalog: full-tree parse, then per product one ``search``
   and one ``create`` (what a straightforward implementation does), extrapolated to N.

With ``--characteristics C`` it measures instead the case of 1C characteristics: N products sold in C
characteristics each (offers ``<product>#<characteristic>`` with size and colour, each with its price and stock
in 3 warehouses, modelled on the real exports), imported, imported again (nothing may change), and, on
``--baseline-sample`` products, the same importer with set-based creation switched off (Odoo's ``create`` and
attribute machinery per product) beside the set-based import of the same files.
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "tests", "data")
NS = "urn:1C.ru:commerceml_2"


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def guid(kind, number):
    return str(uuid.uuid5(uuid.NAMESPACE_OID, f"mlm-bench-{kind}-{number}"))


SIZES = ("S", "M", "L", "XL", "XXL", "3XL", "4XL", "5XL")
COLOURS = ("Белый", "Чёрный", "Красный")


def characteristic_offers(number, characteristics, price_type, warehouses):
    """The offers of product ``number``'s ``characteristics`` (Ид ``<product>#<characteristic>``, size and colour,
    a price and stock in each warehouse of their own), as 1C writes them in offers.xml."""
    offers = []
    for k in range(characteristics):
        stock = "".join(
            f'<Склад ИдСклада="{w}" КоличествоНаСкладе="{(number + k + i) % 17}"/>' for i, w in enumerate(warehouses)
        )
        offers.append(
            f"<Предложение><Ид>{guid('product', number)}#{guid('char', k)}</Ид><Наименование>Товар номер "
            f"{number} ({SIZES[k % len(SIZES)]})</Наименование><ХарактеристикиТовара><ХарактеристикаТовара>"
            f"<Наименование>Размер</Наименование><Значение>{SIZES[k % len(SIZES)]}</Значение>"
            f"</ХарактеристикаТовара><ХарактеристикаТовара><Наименование>Цвет</Наименование><Значение>"
            f"{COLOURS[(number + k) % len(COLOURS)]}</Значение></ХарактеристикаТовара></ХарактеристикиТовара>"
            f"<Цены><Цена><ИдТипаЦены>{price_type}</ИдТипаЦены><ЦенаЗаЕдиницу>{100 + number % 900 + 10 * k}.50"
            f"</ЦенаЗаЕдиницу><Валюта>RUB</Валюта></Цена></Цены>{stock}</Предложение>\n"
        )
    return "".join(offers)


def generate(directory, products, characteristics=0):
    """Write import.xml and offers.xml with ``products`` products, streaming (constant memory). With
    ``characteristics``, each product is sold in that many characteristics (one offer each, no offer of its own)."""
    groups = [guid("group", n) for n in range(50)]
    warehouses = [guid("wh", n) for n in range(3)]
    price_type = guid("price", 0)
    import_path = os.path.join(directory, "import.xml")
    with open(import_path, "w", encoding="utf-8") as fh:
        fh.write(
            f'<?xml version="1.0" encoding="UTF-8"?>\n<КоммерческаяИнформация xmlns="{NS}" '
            f'ВерсияСхемы="2.10" ДатаФормирования="2026-01-01T00:00:00">\n<Классификатор><Ид>{guid("cls", 0)}'
            f"</Ид><Наименование>Каталог</Наименование><Группы>\n"
        )
        fh.writelines(
            f"<Группа><Ид>{group}</Ид><Наименование>Группа {number}</Наименование></Группа>\n"
            for number, group in enumerate(groups)
        )
        fh.write(
            f"</Группы><Свойства><Свойство><Ид>{guid('prop', 0)}</Ид><Наименование>Объём</Наименование>"
            f"<ТипЗначений>Строка</ТипЗначений></Свойство></Свойства></Классификатор>\n"
            f'<Каталог СодержитТолькоИзменения="false"><Ид>{guid("cat", 0)}</Ид><ИдКлассификатора>'
            f"{guid('cls', 0)}</ИдКлассификатора><Наименование>Каталог</Наименование><Товары>\n"
        )
        fh.writelines(
            f"<Товар><Ид>{guid('product', number)}</Ид><Штрихкод>{2000000000000 + number}</Штрихкод>"
            f"<Артикул>ART-{number:07d}</Артикул><Наименование>Товар номер {number}</Наименование>"
            f'<БазоваяЕдиница Код="796" НаименованиеПолное="Штука" МеждународноеСокращение="PCE">шт'
            f"</БазоваяЕдиница><Группы><Ид>{groups[number % len(groups)]}</Ид></Группы>"
            f"<Описание>Описание товара {number}</Описание><ЗначенияСвойств><ЗначенияСвойства>"
            f"<Ид>{guid('prop', 0)}</Ид><Значение>{number % 500} мл</Значение></ЗначенияСвойства>"
            f"</ЗначенияСвойств><ЗначенияРеквизитов><ЗначениеРеквизита><Наименование>ВидНоменклатуры"
            f"</Наименование><Значение>Товар</Значение></ЗначениеРеквизита></ЗначенияРеквизитов></Товар>\n"
            for number in range(products)
        )
        fh.write("</Товары></Каталог></КоммерческаяИнформация>\n")
    offers_path = os.path.join(directory, "offers.xml")
    with open(offers_path, "w", encoding="utf-8") as fh:
        fh.write(
            f'<?xml version="1.0" encoding="UTF-8"?>\n<КоммерческаяИнформация xmlns="{NS}" '
            f'ВерсияСхемы="2.10"><ПакетПредложений СодержитТолькоИзменения="false"><Ид>{guid("pkg", 0)}'
            f"</Ид><Наименование>Предложения</Наименование><ТипыЦен><ТипЦены><Ид>{price_type}</Ид>"
            f"<Наименование>Розничная</Наименование><Валюта>RUB</Валюта></ТипЦены></ТипыЦен><Склады>"
        )
        fh.writelines(
            f"<Склад><Ид>{warehouse}</Ид><Наименование>Склад {number}</Наименование></Склад>"
            for number, warehouse in enumerate(warehouses)
        )
        fh.write("</Склады><Предложения>\n")
        for number in range(products):
            if characteristics:
                fh.write(characteristic_offers(number, characteristics, price_type, warehouses))
                continue
            stock = "".join(
                f'<Склад ИдСклада="{w}" КоличествоНаСкладе="{(number + i) % 17}"/>' for i, w in enumerate(warehouses)
            )
            fh.write(
                f"<Предложение><Ид>{guid('product', number)}</Ид><Наименование>Товар номер {number}"
                f"</Наименование><Цены><Цена><ИдТипаЦены>{price_type}</ИдТипаЦены><ЦенаЗаЕдиницу>"
                f"{100 + number % 900}.50</ЦенаЗаЕдиницу><Валюта>RUB</Валюта></Цена></Цены>{stock}"
                f"</Предложение>\n"
            )
        fh.write("</Предложения></ПакетПредложений></КоммерческаяИнформация>\n")
    return import_path, offers_path


# ---------------------------------------------------------------------------------------------- children
def child_parse(mode, path):
    """Parse only: 'stream' with the add-on's reader, 'tree' with a full etree.parse."""
    sys.path.insert(0, os.path.join(HERE, "..", ".."))
    from lxml import etree

    start = time.perf_counter()
    if mode == "stream":
        import importlib.util
        import types

        package = types.ModuleType("onec_tools")
        package.__path__ = [os.path.join(HERE, "..", "tools")]
        sys.modules["onec_tools"] = package
        reader = importlib.import_module("onec_tools.cml_reader")
        count = sum(1 for kind, _data in reader.iter_catalog(path) if kind == "product")
    else:
        tree = etree.parse(path)
        count = len(tree.getroot().findall(f".//{{{NS}}}Товар"))
    return {"seconds": time.perf_counter() - start, "peak_mb": rss_mb(), "count": count}


def _odoo_env(conf, db):
    import odoo

    odoo.tools.config.parse_config(["-c", conf, "-d", db, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(db)
    return odoo, registry


def _new_backend(env, label, batch_size):
    company = env["res.company"].create({"name": f"Bench {label} {uuid.uuid4().hex[:6]}"})
    env.ref("base.RUB").active = True
    return env["mlm.onec.backend"].create(
        {
            "name": f"bench {label}",
            "company_id": company.id,
            "batch_size": batch_size,
            "time_budget": 60,
            "max_file_size": 4096,
        }
    )


def child_import(conf, db, files, batch_size, company=None, orm=False):
    """Import ``files`` as 1C does: import calls until success, one transaction (commit) per call.

    With ``company`` (an id), import again into that company's existing catalog (re-import). With ``orm``,
    new products and prices are created by Odoo's ``create`` per batch (the importer before set-based
    creation: the baseline).
    """
    odoo, registry = _odoo_env(conf, db)
    if orm:
        registry["mlm.onec.importer"]._fast_create_blockers = lambda self, *args, **kwargs: ["benchmark baseline"]
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        if company:
            backend = env["mlm.onec.backend"].search([("company_id", "=", int(company))])
        else:
            backend = _new_backend(env, "import", batch_size)
        session = env["mlm.onec.session"].create(
            {"backend_id": backend.id, "exchange_type": "catalog", "user_id": env.uid}
        )
        directory = session._get_directory()
        for path in files:
            shutil.copy(path, os.path.join(directory, os.path.basename(path)))
        cr.commit()  # benchmark driver = the request layer: one transaction per 1C call
        session_id, company_id = session.id, backend.company_id.id
    profile = None
    if os.environ.get("BENCH_PROFILE"):  # a cProfile dump of the import calls, to that path
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
    start = time.perf_counter()
    calls = 0
    per_file = []
    for path in files:
        file_start, file_calls = time.perf_counter(), calls
        while True:
            with registry.cursor() as cr:  # commits on exit, like one HTTP request
                env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
                answer = (
                    env["mlm.onec.session"]
                    .browse(session_id)
                    .with_company(company_id)
                    ._action_import(os.path.basename(path))
                )
            calls += 1
            if not answer.startswith("progress"):
                break
        per_file.append(
            {
                "file": os.path.basename(path),
                "calls": calls - file_calls,
                "seconds": round(time.perf_counter() - file_start, 1),
                "load": os.getloadavg()[0],
            }
        )
    seconds = time.perf_counter() - start
    if profile:
        profile.disable()
        profile.dump_stats(os.environ["BENCH_PROFILE"])
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        products = env["product.template"].search_count([("company_id", "=", company_id)])
        stats = env["mlm.onec.session"].browse(session_id).stats
    return {
        "seconds": seconds,
        "peak_mb": rss_mb(),
        "calls": calls,
        "products": products,
        "stats": stats,
        "company": company_id,
        "files": per_file,
    }


def child_naive(conf, db, path, sample):
    """Baseline: full-tree parse, then one search + one create per product (first ``sample`` products)."""
    from lxml import etree

    odoo, registry = _odoo_env(conf, db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        backend = _new_backend(env, "naive", 500)
        start = time.perf_counter()
        root = etree.parse(path).getroot()
        Template = env["product.template"].with_company(backend.company_id)
        for number, node in enumerate(root.iter(f"{{{NS}}}Товар")):
            if number >= sample:
                break
            ident = node.findtext(f"{{{NS}}}Ид")
            if not Template.search([("onec_guid", "=", ident), ("company_id", "=", backend.company_id.id)], limit=1):
                Template.create(
                    {
                        "name": node.findtext(f"{{{NS}}}Наименование"),
                        "onec_guid": ident,
                        "default_code": node.findtext(f"{{{NS}}}Артикул"),
                        "company_id": backend.company_id.id,
                    }
                )
        env.flush_all()
        seconds = time.perf_counter() - start
        cr.rollback()
    return {"seconds": seconds, "peak_mb": rss_mb(), "sample": sample}


# ---------------------------------------------------------------------------------------------- driver
def load():
    return "load average " + ", ".join(f"{value:.2f}" for value in os.getloadavg())


def characteristics_row(label, result, seconds=None):
    stats = result["stats"] or {}
    seconds = seconds or result["seconds"]
    variants = stats.get("variants_created", 0)
    return (
        f"| {label} | {result['products']} | {variants} | {result['calls']} | {seconds:.1f} | "
        f"{result['products'] / seconds:.1f} | {variants / seconds:.1f} | {result['peak_mb']:.0f} |"
    )


def run_characteristics(args, work):
    """The case of issue 15: N products sold in C characteristics each (offers ``<product>#<characteristic>``), the
    import, the re-import of the same files, and the same importer with Odoo's ``create`` and attribute machinery
    (no set-based copies: what it did before) beside the set-based one on a sample, in one run."""
    print(
        f"# CommerceML import with characteristics ({args.products} products x {args.characteristics}), "
        f"{time.strftime('%Y-%m-%d %H:%M')}, {load()}"
    )
    files = generate(work, args.products, args.characteristics)
    mb = sum(os.path.getsize(path) for path in files) / 1e6
    print(f"\nimport.xml + offers.xml: {mb:.0f} MB\n")
    print("| run | products | variants created | 1C calls | seconds | products/s | variants/s | peak RSS MB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    result = run_child(args, "import", *files)
    print(characteristics_row("import, set-based", result))
    again = run_child(args, "reimport", str(result["company"]), *files)
    print(characteristics_row("re-import of the same files", again))
    changes = {k: v for k, v in (again["stats"] or {}).items() if k.endswith(("_created", "_updated", "_archived"))}
    for label, run in (("import", result), ("re-import", again)):
        print(f"\n{label} per file: {json.dumps(run['files'], ensure_ascii=False)}")
    print(f"\nimport counts: {json.dumps(result['stats'], sort_keys=True)}")
    print(f"re-import changes (all must be 0): {json.dumps(changes, sort_keys=True)}; {load()}")
    sample = min(args.baseline_sample, args.products)
    directory = os.path.join(work, "sample")
    os.makedirs(directory)
    sample_files = generate(directory, sample, args.characteristics)
    orm = run_child(args, "import-orm", *sample_files)
    best = run_child(args, "import", *sample_files)
    print(f"\nBaseline on {sample} products x {args.characteristics}, same run ({load()}):\n")
    print("| run | products | variants created | 1C calls | seconds | products/s | variants/s | peak RSS MB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(characteristics_row("Odoo's create and attribute machinery per product", orm))
    print(characteristics_row("set-based", best))
    rate = orm["products"] / orm["seconds"]
    print(
        f"\nBaseline extrapolated to {args.products} products: {args.products / rate / 3600:.1f} h "
        f"(set-based measured: {result['seconds'] / 60:.1f} min)"
    )


def run_child(options, *args):
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "-c",
        options.config,
        "-d",
        options.database,
        "--batch-size",
        str(options.batch_size),
        "--baseline-sample",
        str(options.baseline_sample),
        "--child",
        *args,
    ]
    out = subprocess.run(command, check=False, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"benchmark step {args[0]} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--products", type=int, default=100000)
    parser.add_argument("--baseline-sample", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument(
        "--characteristics", type=int, default=0, help="characteristics (variants) per product in offers.xml"
    )
    parser.add_argument(
        "--import-only",
        action="store_true",
        help="only the import of the generated catalog of --products (no parse, re-import or baselines)",
    )
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "parse":
            result = child_parse(*rest)
        elif kind == "import":
            result = child_import(args.config, args.database, rest, args.batch_size)
        elif kind == "import-orm":
            result = child_import(args.config, args.database, rest, args.batch_size, orm=True)
        elif kind == "reimport":
            result = child_import(args.config, args.database, rest[1:], args.batch_size, company=rest[0])
        else:
            result = child_naive(args.config, args.database, rest[0], args.baseline_sample)
        print(json.dumps(result))
        return
    work = tempfile.mkdtemp(prefix="onec_bench_")
    if args.characteristics and not args.import_only:
        try:
            run_characteristics(args, work)
        finally:
            shutil.rmtree(work)
        return
    if args.import_only:
        try:
            files = generate(work, args.products, args.characteristics)
            result = run_child(args, "import", *files)
            stats = result["stats"] or {}
            print(
                f"| generated, {args.characteristics} characteristics each | {result['products']} | "
                f"{stats.get('variants_created', 0)} | {result['calls']} | {result['seconds']:.1f} | "
                f"{result['products'] / result['seconds']:.1f} | {result['peak_mb']:.0f} |"
            )
            print(json.dumps(stats, sort_keys=True))
            print(f"per file: {json.dumps(result['files'], ensure_ascii=False)}; {load()}")
        finally:
            shutil.rmtree(work)
        return
    try:
        print(f"# CommerceML import benchmark ({args.products} products), {time.strftime('%Y-%m-%d %H:%M')}")
        print("\n## Parsing alone (peak RSS of the process)")
        print("| products | file MB | streaming reader s / MB | full-tree etree.parse s / MB |")
        print("| ---: | ---: | ---: | ---: |")
        sizes = sorted({max(args.products // 10, 1), args.products})
        files = {}
        for size in sizes:
            directory = os.path.join(work, str(size))
            os.makedirs(directory)
            files[size] = generate(directory, size)
            stream = run_child(args, "parse", "stream", files[size][0])
            tree = run_child(args, "parse", "tree", files[size][0])
            mb = os.path.getsize(files[size][0]) / 1e6
            print(
                f"| {size} | {mb:.1f} | {stream['seconds']:.1f} / {stream['peak_mb']:.0f} | "
                f"{tree['seconds']:.1f} / {tree['peak_mb']:.0f} |"
            )
        print("\n## Import (import.xml then offers.xml, one transaction per 1C call)")
        print("| catalog | products | 1C calls | seconds | products/s | peak RSS MB |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        shared = run_child(args, "import", os.path.join(SHARED, "import0_1.xml"), os.path.join(SHARED, "offers0_1.xml"))
        print(
            f"| shared real files | {shared['products']} | {shared['calls']} | {shared['seconds']:.1f} | "
            f"{shared['products'] / shared['seconds']:.0f} | {shared['peak_mb']:.0f} |"
        )
        reimports = {}
        for size in sizes:
            result = run_child(args, "import", *files[size])
            reimports[size] = run_child(args, "reimport", str(result["company"]), *files[size])
            print(
                f"| generated | {result['products']} | {result['calls']} | {result['seconds']:.1f} | "
                f"{result['products'] / result['seconds']:.0f} | {result['peak_mb']:.0f} |"
            )
        print("\n## Re-import of the same files (nothing changed: nothing is written)")
        print("| products | 1C calls | seconds | products/s | peak RSS MB | products unchanged |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: |")
        for size, again in reimports.items():
            print(
                f"| {size} | {again['calls']} | {again['seconds']:.1f} | {size / again['seconds']:.0f} | "
                f"{again['peak_mb']:.0f} | {(again['stats'] or {}).get('products_unchanged', 0)} |"
            )
        sample = sizes[0]
        orm = run_child(args, "import-orm", *files[sample])
        orm_rate = orm["products"] / orm["seconds"]
        best = run_child(args, "import", *files[sample])
        print(
            f"\nBaseline 1, the same importer creating through Odoo's `create` per batch of {args.batch_size} "
            f"(before set-based creation), {sample} products: {orm['seconds']:.1f} s = {orm_rate:.0f} products/s "
            f"(set-based, same files, same run: {best['seconds']:.1f} s = {best['products'] / best['seconds']:.0f} "
            f"products/s), extrapolated to {args.products}: {args.products / orm_rate / 60:.1f} min; "
            f"peak RSS {orm['peak_mb']:.0f} MB."
        )
        naive = run_child(args, "naive", files[args.products][0])
        rate = naive["sample"] / naive["seconds"]
        print(
            f"\nBaseline 2, naive (full-tree parse + per-product search/create, products only, no offers), "
            f"sample of {naive['sample']}: {naive['seconds']:.1f} s = {rate:.0f} products/s, "
            f"extrapolated to {args.products}: {args.products / rate / 60:.1f} min; "
            f"peak RSS {naive['peak_mb']:.0f} MB."
        )
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
