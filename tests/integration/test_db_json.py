"""jsonb read through the engines' parser (inferlane.common.db.load_json: orjson, with the
stdlib parser for what orjson refuses) against the real PostgreSQL."""

from sqlalchemy import text

from inferlane.common.db import make_engine

NESTED = '{"a": [1.5, "\u00e9\u4e2d", null, true, {"b": -2}], "": 0.0001}'


async def test_jsonb_reads_back_as_written(postgres_url):
    engine = make_engine(postgres_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            value = (await conn.execute(text("SELECT CAST(:v AS jsonb)"), {"v": NESTED})).scalar()
    finally:
        await engine.dispose()
    assert value == {"a": [1.5, "\u00e9\u4e2d", None, True, {"b": -2}], "": 0.0001}


async def test_a_jsonb_number_beyond_a_double_does_not_fail_the_read(postgres_url):
    # PostgreSQL's numeric holds 1e400 and writes it out as 401 digits: orjson refuses the
    # number, the stdlib parser reads it as the int it is (as before orjson).
    engine = make_engine(postgres_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            value = (await conn.execute(text("SELECT CAST('[1e400, 2]' AS jsonb)"))).scalar()
    finally:
        await engine.dispose()
    assert value == [10**400, 2]
