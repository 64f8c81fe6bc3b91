"""Person and company names, and the ways other systems mistype them.

Names are romanised (pinyin) so that the variants a CRM or an ERP accumulates,
upper case, missing or doubled spaces, full-width characters, another company
suffix, are visible to any matching logic downstream.
"""

from __future__ import annotations

import numpy as np

from cvw_sources.generate.streams import Choice

SURNAMES = Choice(
    ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou",
     "Xu", "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Gao", "Lin", "Luo",
     "Zheng", "Liang", "Xie", "Song", "Tang", "Han", "Feng", "Deng", "Cao", "Peng"),
    (7.3, 7.2, 6.9, 5.4, 4.6, 3.1, 2.3, 2.2, 2.0, 1.9,
     1.7, 1.5, 1.3, 1.3, 1.3, 1.1, 1.1, 1.1, 1.0, 0.9,
     0.9, 0.8, 0.8, 0.7, 0.7, 0.6, 0.6, 0.6, 0.5, 0.5),
)  # fmt: skip
_GIVEN_SYLLABLES = (
    "wei", "fang", "na", "min", "jing", "li", "qiang", "lei", "jun", "yang",
    "yong", "yan", "jie", "tao", "ming", "chao", "xiu", "ying", "hua", "ping",
    "gang", "hui", "xin", "yu", "hao", "lin", "bo", "kai", "rui", "zhen",
    "ting", "qing", "lan", "peng", "fei", "dan", "xia", "long", "wen", "hong",
)  # fmt: skip
_BRAND_SYLLABLES = (
    "Hua", "Xin", "Tai", "Heng", "Feng", "Da", "Jin", "Long", "Sheng", "Kang",
    "Yuan", "Tian", "Ming", "Rui", "Cheng", "An", "Hong", "Bao", "Fu", "Zhong",
    "Guang", "Hai", "Jia", "Tong", "Xing", "Yi", "Run", "De", "Mei", "Wei",
)  # fmt: skip
INDUSTRY_TRADES = {
    "manufacturing": ("Precision Machinery", "Electronics", "Auto Parts", "Textile"),
    "wholesale_retail": ("Trading", "Commerce", "Supply Chain"),
    "construction": ("Construction Engineering", "Building Materials"),
    "real_estate": ("Property Development", "Real Estate"),
    "information_technology": ("Information Technology", "Software", "Network Technology"),
    "logistics": ("Logistics", "Freight", "Shipping"),
    "healthcare": ("Pharmaceutical", "Medical Devices", "Health Management"),
    "agriculture": ("Agricultural Products", "Food", "Seed Industry"),
    "energy": ("New Energy", "Power Equipment", "Petrochemical"),
    "hospitality": ("Hotel Management", "Catering", "Tourism"),
}
COMPANY_SUFFIX = "Co., Ltd."
_SUFFIX_VARIANTS = ("Company Limited", "有限公司", "Co. Ltd", "CO., LTD.", "Co.,Ltd")


def person_name(rng: np.random.Generator) -> tuple[str, str]:
    """(surname, given name), e.g. ("Wang", "Xiuying")."""
    syllables = 1 if rng.random() < 0.35 else 2
    given = "".join(
        _GIVEN_SYLLABLES[int(rng.integers(len(_GIVEN_SYLLABLES)))] for _ in range(syllables)
    )
    return SURNAMES.draw(rng), given.capitalize()


def brand(rng: np.random.Generator) -> str:
    first, second = rng.choice(len(_BRAND_SYLLABLES), size=2, replace=False)
    return _BRAND_SYLLABLES[int(first)] + _BRAND_SYLLABLES[int(second)].lower()


def company_name(rng: np.random.Generator, city: str, brand_name: str, industry: str) -> str:
    trades = INDUSTRY_TRADES[industry]
    trade = trades[int(rng.integers(len(trades)))]
    prefix = f"{city} " if rng.random() < 0.8 else ""
    return f"{prefix}{brand_name} {trade} {COMPANY_SUFFIX}"


def full_width(text: str) -> str:
    """Half-width ASCII to its full-width form, as some Chinese input methods type it."""
    return "".join(
        "\u3000" if ch == " " else chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text
    )


def person_variant(name: str, rng: np.random.Generator) -> str:
    surname, _, given = name.partition(" ")
    variants = (
        f"{surname.upper()} {given}",
        name.lower(),
        name.upper(),
        f"{surname}{given}",
        f"{surname}  {given}",
        f"{given} {surname}",
        full_width(name),
        f" {name} ",
    )
    return variants[int(rng.integers(len(variants)))]


def company_variant(name: str, rng: np.random.Generator) -> str:
    draw = rng.random()
    if draw < 0.5:
        base = name.removesuffix(COMPANY_SUFFIX).rstrip()
        suffix = _SUFFIX_VARIANTS[int(rng.integers(len(_SUFFIX_VARIANTS)))]
        return f"{base}{suffix}" if suffix == "有限公司" else f"{base} {suffix}"
    if draw < 0.65:
        return name.upper()
    if draw < 0.8:
        return full_width(name)
    return name.replace(" ", "  ", 1)


def mistype_digits(text: str, rng: np.random.Generator, first: int = 0) -> str:
    """One typing slip in the digits from position ``first`` on: a changed digit, or two
    adjacent different digits swapped. The result always differs from ``text``."""
    positions = [i for i in range(first, len(text)) if text[i].isdigit()]
    chars = list(text)
    swappable = [i for i in positions if i + 1 in positions and chars[i] != chars[i + 1]]
    if swappable and rng.random() < 0.4:
        i = swappable[int(rng.integers(len(swappable)))]
        chars[i], chars[i + 1] = chars[i + 1], chars[i]
    else:
        i = positions[int(rng.integers(len(positions)))]
        chars[i] = str((int(chars[i]) + int(rng.integers(1, 10))) % 10)
    return "".join(chars)
