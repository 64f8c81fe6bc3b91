"""The dbt macro mask_person_name, run on PostgreSQL over names of every shape the sources hold."""

from __future__ import annotations

import psycopg

from tests.dbt_macros import project_macro

mask_person_name = project_macro("personal_data/mask_person_name.sql", "mask_person_name")

CASES = {
    "张伟": "张*",
    "欧阳娜娜": "欧***",
    "Wei Zhang": "W** Zhang",
    "Wang Xiuying": "W** Xiuying",
    " Wang  Xiuying ": "W** Xiuying",
    "Li Ming Hua": "L** Hua",
    "Wei": "W**",
    "Hangzhou Huaxin Trading Co., Ltd.": "H** Ltd.",
    "杭州华信贸易有限公司": "杭*********",
    "": None,
    "   ": None,
    None: None,
}


def test_masks_cjk_latin_and_company_names(scratch_database: str) -> None:
    names = list(CASES)
    query = (
        f"select {mask_person_name('names.name')} from unnest(%s::text[])"
        " with ordinality as names (name, position) order by position"
    )
    with psycopg.connect(scratch_database) as conn:
        masked = [row[0] for row in conn.execute(query, (names,))]
    assert dict(zip(names, masked, strict=True)) == CASES
