"""National identifiers, phone numbers and e-mail addresses that look real and validate.

Resident identity numbers (GB 11643) and unified social credit codes
(GB 32100) carry their official check characters, so a downstream validity
check can tell a typo from a well-formed number.
"""

from __future__ import annotations

from datetime import date

import numpy as np

_RESIDENT_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_CHECK = "10X98765432"
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_MOBILE_PREFIXES = ("130", "131", "135", "136", "137", "138", "139", "150", "151", "152",
                    "158", "177", "186", "187", "188", "189", "199")  # fmt: skip
EMAIL_DOMAINS = ("example.com", "example.cn", "mail.example.net")


def _digits(rng: np.random.Generator, count: int) -> str:
    return "".join(str(d) for d in rng.integers(0, 10, size=count))


def resident_id(rng: np.random.Generator, division_code: str, birth_date: date) -> str:
    """18-character resident identity number with its ISO 7064 MOD 11-2 check character."""
    body = f"{division_code}{birth_date:%Y%m%d}{_digits(rng, 3)}"
    total = sum(int(ch) * w for ch, w in zip(body, _RESIDENT_WEIGHTS, strict=True))
    return body + _RESIDENT_CHECK[total % 11]


def social_credit_code(rng: np.random.Generator, division_code: str) -> str:
    """18-character unified social credit code of an enterprise (registration number)."""
    org_body = _digits(rng, 8)
    org_check = 11 - sum(int(ch) * w for ch, w in zip(org_body, _ORG_WEIGHTS, strict=True)) % 11
    org_code = org_body + {10: "X", 11: "0"}.get(org_check, str(org_check))
    body = f"91{division_code}{org_code}"
    total = sum(_USCC_CHARS.index(ch) * w for ch, w in zip(body, _USCC_WEIGHTS, strict=True))
    return body + _USCC_CHARS[(31 - total % 31) % 31]


def mobile_phone(rng: np.random.Generator) -> str:
    return _MOBILE_PREFIXES[int(rng.integers(len(_MOBILE_PREFIXES)))] + _digits(rng, 8)


def landline(rng: np.random.Generator, area_code: str) -> str:
    return f"{area_code}-{int(rng.integers(2, 9))}{_digits(rng, 7)}"


def reformat_phone(phone: str, rng: np.random.Generator) -> str:
    """The same number as another system stores it."""
    if "-" in phone:
        return phone.replace("-", " ") if rng.random() < 0.5 else phone.replace("-", "")
    forms = (f"+86 {phone}", f"{phone[:3]}-{phone[3:7]}-{phone[7:]}", f"{phone[:3]} {phone[3:]}")
    return forms[int(rng.integers(len(forms)))]


def personal_email(rng: np.random.Generator, surname: str, given: str) -> str:
    domain = EMAIL_DOMAINS[int(rng.integers(len(EMAIL_DOMAINS)))]
    return f"{given.lower()}.{surname.lower()}{int(rng.integers(1, 1000))}@{domain}"


def company_email(rng: np.random.Generator, brand_name: str) -> str:
    mailbox = ("finance", "treasury", "info", "accounts")[int(rng.integers(4))]
    return f"{mailbox}@{brand_name.lower()}{int(rng.integers(10, 100))}.example.cn"
