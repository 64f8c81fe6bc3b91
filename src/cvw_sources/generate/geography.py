"""Regions, cities and the branch network customers are booked at."""

from __future__ import annotations

from dataclasses import dataclass

from cvw_sources.generate.streams import Choice

REGIONS = ("East", "North", "South", "West", "Central")


@dataclass(frozen=True)
class City:
    name: str
    region: str
    division_code: str  # administrative division: the first six digits of a resident ID
    phone_area: str


@dataclass(frozen=True)
class Branch:
    branch_id: str
    name: str
    city: City
    weight: float  # relative share of customers booked here

    @property
    def region(self) -> str:
        return self.city.region

    @property
    def cost_center_id(self) -> str:
        return f"CC-{self.branch_id}"


_CITIES = {
    city.name: city
    for city in (
        City("Shanghai", "East", "310115", "021"),
        City("Hangzhou", "East", "330106", "0571"),
        City("Nanjing", "East", "320102", "025"),
        City("Suzhou", "East", "320505", "0512"),
        City("Beijing", "North", "110105", "010"),
        City("Tianjin", "North", "120101", "022"),
        City("Jinan", "North", "370102", "0531"),
        City("Shenyang", "North", "210102", "024"),
        City("Guangzhou", "South", "440106", "020"),
        City("Shenzhen", "South", "440304", "0755"),
        City("Xiamen", "South", "350203", "0592"),
        City("Fuzhou", "South", "350102", "0591"),
        City("Chengdu", "West", "510104", "028"),
        City("Chongqing", "West", "500103", "023"),
        City("Xi'an", "West", "610113", "029"),
        City("Kunming", "West", "530102", "0871"),
        City("Wuhan", "Central", "420102", "027"),
        City("Changsha", "Central", "430102", "0731"),
        City("Zhengzhou", "Central", "410105", "0371"),
        City("Hefei", "Central", "340104", "0551"),
    )
}
CITIES = tuple(_CITIES.values())

_BRANCH_SPECS = (
    ("Shanghai", "Shanghai Pudong Branch", 1.6),
    ("Shanghai", "Shanghai Huangpu Branch", 1.3),
    ("Hangzhou", "Hangzhou Branch", 1.1),
    ("Nanjing", "Nanjing Branch", 1.0),
    ("Beijing", "Beijing Chaoyang Branch", 1.5),
    ("Beijing", "Beijing Haidian Branch", 1.2),
    ("Tianjin", "Tianjin Branch", 0.9),
    ("Jinan", "Jinan Branch", 0.7),
    ("Guangzhou", "Guangzhou Tianhe Branch", 1.2),
    ("Shenzhen", "Shenzhen Futian Branch", 1.4),
    ("Xiamen", "Xiamen Branch", 0.7),
    ("Fuzhou", "Fuzhou Branch", 0.6),
    ("Chengdu", "Chengdu Branch", 1.0),
    ("Chongqing", "Chongqing Branch", 0.9),
    ("Xi'an", "Xi'an Branch", 0.7),
    ("Kunming", "Kunming Branch", 0.5),
    ("Wuhan", "Wuhan Branch", 0.9),
    ("Changsha", "Changsha Branch", 0.7),
    ("Zhengzhou", "Zhengzhou Branch", 0.7),
    ("Hefei", "Hefei Branch", 0.6),
)

BRANCHES = tuple(
    Branch(f"BR{n:03d}", name, _CITIES[city], weight)
    for n, (city, name, weight) in enumerate(_BRANCH_SPECS, start=1)
)
BRANCH_BY_ID = {branch.branch_id: branch for branch in BRANCHES}
BRANCH_CHOICE = Choice([b.branch_id for b in BRANCHES], [b.weight for b in BRANCHES])
