import logging
import random
import re
import time
import unicodedata
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..tools.genealogy import build_paths, generate_network_shape, match_keys

_logger = logging.getLogger(__name__)

# Faker has no Kazakh locale: a small list of common Kazakh names and places.
KK_FIRST_MALE = [
    "Нурсултан",
    "Ерлан",
    "Бауыржан",
    "Арман",
    "Айдос",
    "Ержан",
    "Данияр",
    "Серик",
    "Нурлан",
    "Тимур",
    "Асхат",
    "Ерболат",
    "Марат",
    "Канат",
    "Руслан",
]
KK_FIRST_FEMALE = [
    "Айгерим",
    "Асель",
    "Динара",
    "Жанар",
    "Сауле",
    "Гульнара",
    "Мадина",
    "Алия",
    "Айжан",
    "Камила",
    "Дана",
    "Жулдыз",
    "Айнур",
    "Салтанат",
    "Томирис",
]
# Kazakh surnames in -ов/-ев take -ова/-ева for women; the others do not change.
KK_LAST_MALE = [
    "Нурпеисов",
    "Жумабаев",
    "Ахметов",
    "Искаков",
    "Садыков",
    "Абенов",
    "Мусин",
    "Кенжебаев",
    "Утепов",
    "Сейткали",
    "Оспанов",
    "Сулейменов",
    "Касымов",
    "Есенов",
    "Тулегенов",
]
KK_LAST_FEMALE = [name + "а" if name.endswith(("ов", "ев", "ин")) else name for name in KK_LAST_MALE]
KK_CITIES = [
    "Алматы",
    "Астана",
    "Шымкент",
    "Караганда",
    "Актобе",
    "Тараз",
    "Павлодар",
    "Усть-Каменогорск",
    "Семей",
    "Атырау",
    "Костанай",
    "Кызылорда",
]
KK_STREETS = [
    "пр. Абая",
    "ул. Толе би",
    "пр. Назарбаева",
    "ул. Жибек жолы",
    "пр. Достык",
    "ул. Сатпаева",
    "ул. Богенбай батыра",
    "пр. Республики",
    "ул. Кенесары",
    "ул. Байтурсынова",
]
LOCALES = {
    # locale: (country code, phone prefix, share of the network, branch region name)
    "ru_RU": ("RU", "+7 9", 0.35, "Russia"),
    "kk_KZ": ("KZ", "+7 70", 0.25, "Kazakhstan"),
    "es_ES": ("ES", "+34 6", 0.2, "Spain"),
    "en_US": ("US", "+1 20", 0.2, "United States"),
}
STATUS_WEIGHTS = [("active", 0.68), ("inactive", 0.2), ("prospect", 0.07), ("suspended", 0.01), ("terminated", 0.04)]
RANK_DOWNLINE_THRESHOLDS = [0, 3, 15, 60, 300, 2000]  # downline size giving each default rank, lowest first


def _ascii(text):
    translit = str.maketrans(
        {
            "а": "a",
            "б": "b",
            "в": "v",
            "г": "g",
            "д": "d",
            "е": "e",
            "ё": "e",
            "ж": "zh",
            "з": "z",
            "и": "i",
            "й": "y",
            "к": "k",
            "л": "l",
            "м": "m",
            "н": "n",
            "о": "o",
            "п": "p",
            "р": "r",
            "с": "s",
            "т": "t",
            "у": "u",
            "ф": "f",
            "х": "kh",
            "ц": "ts",
            "ч": "ch",
            "ш": "sh",
            "щ": "sch",
            "ъ": "",
            "ы": "y",
            "ь": "",
            "э": "e",
            "ю": "yu",
            "я": "ya",
            "ә": "a",
            "ғ": "g",
            "қ": "q",
            "ң": "n",
            "ө": "o",
            "ұ": "u",
            "ү": "u",
            "һ": "h",
            "і": "i",
        }
    )
    text = unicodedata.normalize("NFKD", text.lower().translate(translit))
    return re.sub(r"[^a-z0-9]", "", text.encode("ascii", "ignore").decode())


class MlmNetworkGenerator(models.AbstractModel):
    _name = "mlm.network.generator"
    _description = "Demo and Benchmark Network Generator"

    @api.model
    def generate(self, size=1000, seed=42, company=None, years=2):
        """Create a believable network of ``size`` distributors, set-based; returns the root distributor.

        Names and addresses come from several locales; the shape mixes preferential attachment with
        recruiting by recent joiners (see ``generate_network_shape``); join dates cover ``years`` years.
        """
        if not self.env.is_superuser() and not self.env.user.has_group("mlm_network.group_mlm_manager"):
            raise AccessError(self.env._("Only MLM managers can generate networks."))
        started = time.monotonic()
        company = company or self.env.company
        rng = random.Random(seed)
        sponsors = generate_network_shape(size, seed=seed)
        pools = self._name_pools(rng)
        locale_of = rng.choices(list(LOCALES), weights=[v[2] for v in LOCALES.values()], k=size)
        branches = self._ensure_branches(company)
        ranks = self.env["mlm.rank"].search([("company_id", "in", [False, company.id])], order="sequence")
        bulk = self.env["mlm.bulk.insert"]
        partner_ids = bulk._next_ids("res_partner", size)
        dist_ids = bulk._next_ids("mlm_distributor", size)
        codes = bulk._next_codes(company, size)
        paths, depths = build_paths(sponsors, dist_ids)
        downline = [0] * size
        for i in range(size - 1, 0, -1):
            downline[sponsors[i]] += downline[i] + 1
        today = fields.Date.context_today(self)
        first_day = today - timedelta(days=365 * years)
        span = (today - first_day).days
        join_days = sorted(rng.randrange(span + 1) for _ in range(size))
        countries = {c.code: c.id for c in self.env["res.country"].search([("code", "in", ["RU", "KZ", "ES", "US"])])}
        langs = {code for code, _name in self.env["res.lang"].get_installed()}
        partner_rows, dist_rows = [], []
        for i in range(size):
            locale = locale_of[i]
            gender = "male" if rng.random() < 0.45 else "female"  # direct selling is mostly women
            first, last = (rng.choice(pools[locale][f"{part}_{gender}"]) for part in ("first", "last"))
            city, street = (rng.choice(pools[locale][k]) for k in ("city", "street"))
            name = f"{first} {last}"
            country, phone_prefix, _share, region = LOCALES[locale]
            email = f"{_ascii(first)}.{_ascii(last)}.{i + 1}@example.com"
            phone = f"{phone_prefix}{rng.randrange(10**7, 10**8)}"
            join_date = first_day + timedelta(days=join_days[i])
            status = self._pick_status(rng, join_date, today, downline[i])
            rank = self._rank_for(ranks, downline[i])
            branch = branches[region][rng.randrange(len(branches[region]))]
            partner_rows.append(
                bulk._partner_row(
                    partner_ids[i],
                    {
                        "name": name,
                        "email": email,
                        "phone": phone,
                        "street": f"{street}, {rng.randrange(1, 200)}",
                        "city": city,
                        "zip": f"{rng.randrange(10000, 99999)}",
                        "country_id": countries.get(country),
                        "lang": locale if locale in langs else "en_US",
                        "mlm_code": codes[i] if status != "terminated" else None,
                    },
                )
            )
            dist_rows.append(
                {
                    "id": dist_ids[i],
                    "partner_id": partner_ids[i],
                    "code": codes[i],
                    "company_id": company.id,
                    "sponsor_id": dist_ids[sponsors[i]] if sponsors[i] >= 0 else None,
                    "parent_path": paths[i],
                    "depth": depths[i],
                    "join_date": join_date,
                    "status": status,
                    "status_date": join_date,
                    "termination_date": today if status == "terminated" else None,
                    "rank_id": rank.id,
                    "highest_rank_id": rank.id,
                    "branch_id": branch,
                    "enrollment_source": "import",
                    "agreement_version": company.mlm_agreement_version,
                    "agreement_date": join_date,
                    "cooling_off_deadline": join_date + timedelta(days=company.mlm_cooling_off_days),
                    "kyc_state": "verified" if rng.random() < 0.6 else "unverified",
                    "duplicate_state": "none",
                    **match_keys(email=email, phone=phone),
                }
            )
        bulk._insert("res.partner", partner_rows)
        bulk._insert("mlm.distributor", dist_rows)
        self.env.invalidate_all()
        _logger.info("Generated %s distributors in %.1f s", size, time.monotonic() - started)
        return self.env["mlm.distributor"].browse(dist_ids[0])

    # ------------------------------------------------------------------ helpers
    def _name_pools(self, rng):
        from faker import Faker

        pools = {
            "kk_KZ": {
                "first_male": KK_FIRST_MALE,
                "last_male": KK_LAST_MALE,
                "first_female": KK_FIRST_FEMALE,
                "last_female": KK_LAST_FEMALE,
                "city": KK_CITIES,
                "street": KK_STREETS,
            }
        }
        for locale in ("ru_RU", "es_ES", "en_US"):
            fake = Faker(locale)
            fake.seed_instance(rng.randrange(10**9))
            pools[locale] = {
                "first_male": [fake.first_name_male() for _ in range(120)],
                "last_male": [fake.last_name_male() for _ in range(120)],
                "first_female": [fake.first_name_female() for _ in range(120)],
                "last_female": [fake.last_name_female() for _ in range(120)],
                "city": [fake.city() for _ in range(60)],
                "street": [fake.street_name() for _ in range(120)],
            }
        return pools

    def _pick_status(self, rng, join_date, today, downline):
        if downline >= 10 and rng.random() < 0.95:
            return "active"  # leaders with a real downline keep working
        if (today - join_date).days < 30 and rng.random() < 0.4:
            return "prospect"
        r = rng.random()
        for status, weight in STATUS_WEIGHTS:
            if r < weight:
                return status
            r -= weight
        return "active"

    def _rank_for(self, ranks, downline):
        chosen = ranks[:1]
        for rank, threshold in zip(ranks, RANK_DOWNLINE_THRESHOLDS, strict=False):
            if downline >= threshold:
                chosen = rank
        return chosen

    def _ensure_branches(self, company):
        """Regional branches with cities under them; returns {region name: [branch ids]}."""
        Branch = self.env["mlm.branch"]
        layout = {
            "Russia": ["Moscow", "Saint Petersburg", "Novosibirsk"],
            "Kazakhstan": ["Almaty", "Astana", "Shymkent"],
            "Spain": ["Madrid", "Barcelona"],
            "United States": ["New York", "Dallas"],
        }
        result = {}
        for region, cities in layout.items():
            parent = Branch.search(
                [("name", "=", region), ("level", "=", "region"), ("company_id", "=", company.id)], limit=1
            )
            if not parent:
                parent = Branch.create(
                    {"name": region, "level": "region", "company_id": company.id, "manager_id": self.env.user.id}
                )
            existing = {b.name: b.id for b in parent.child_ids}
            missing = [c for c in cities if c not in existing]
            for branch in Branch.create(
                [{"name": c, "level": "city", "parent_id": parent.id, "company_id": company.id} for c in missing]
            ):
                existing[branch.name] = branch.id
            result[region] = [existing[c] for c in cities]
        return result
