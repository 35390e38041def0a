"""pandas and SQLAlchemy (psycopg2) against a PostgreSQL-protocol server.

Usage: clients.py HOST PORT USER DBNAME

Runs each case and prints one JSON object a line: {"case", "ok", "error", "value"}. A case
checks the values it reads back itself; value is what it read, for the caller to compare
between servers.
"""

import datetime
import decimal
import json
import sys
import traceback
import uuid
import warnings

import pandas as pd
import psycopg2
import psycopg2.extras
import sqlalchemy as sa

HOST, PORT, USER, DBNAME = sys.argv[1:5]
DSN = f"host={HOST} port={PORT} user={USER} dbname={DBNAME} sslmode=disable"
URL = f"postgresql+psycopg2://{USER}@{HOST}:{PORT}/{DBNAME}?sslmode=disable"

# pandas warns that a DBAPI connection other than sqlite3 is untested; it is what works
# without SQLAlchemy.
warnings.filterwarnings("ignore", message=".*pandas only supports SQLAlchemy.*")

ROWS = [
    (1, "one", 1.5, 10, datetime.date(2024, 1, 2), datetime.datetime(2024, 1, 2, 3, 4, 5), True, decimal.Decimal("12.34")),
    (2, "two", None, None, None, None, False, decimal.Decimal("-0.50")),
    (3, None, -2.25, 30, datetime.date(1999, 12, 31), datetime.datetime(1999, 12, 31, 23, 59, 59, 500000), None, None),
]


def plain(v):
    """Makes v JSON-representable the same way for both servers."""
    if v is None:
        return None
    if isinstance(v, float) and v != v:
        return "NaN"
    if isinstance(v, (bool, int, float, str)):
        return v
    if hasattr(v, "item"):  # numpy scalars
        return plain(v.item())
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if v is pd.NaT:
        return None
    return str(v)


def expect(got, want, what):
    if got != want:
        raise AssertionError(f"{what}: got {got!r}, want {want!r}")


def setup():
    with psycopg2.connect(DSN) as conn:
        conn.autocommit = True
        cur = conn.cursor()
        cur.execute(
            "CREATE TABLE py_t (id bigint PRIMARY KEY, name text, score double precision, n integer, "
            "born date, ts timestamp, ok boolean, amount numeric(10,2))"
        )
        for r in ROWS:
            cur.execute("INSERT INTO py_t VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", r)
        cur.execute("CREATE TABLE py_loaded (id bigint PRIMARY KEY, label text, x double precision)")
        cur.execute("CREATE TABLE py_txn (id bigint PRIMARY KEY, v text)")
        cur.execute("SELECT count(*) FROM py_t")
        expect(cur.fetchone()[0], 3, "rows inserted")
    return 3


def frame_value(df):
    return {"columns": list(df.columns), "dtypes": [str(d) for d in df.dtypes],
            "rows": [plain(list(r)) for r in df.itertuples(index=False)]}


def check_frame(df):
    expect(list(df.columns), ["id", "name", "score", "n", "born", "ts", "ok", "amount"], "columns")
    expect(str(df["id"].dtype), "int64", "id dtype")
    expect(str(df["score"].dtype), "float64", "score dtype")
    expect(df["id"].tolist(), [1, 2, 3], "ids")
    expect([None if pd.isna(x) else x for x in df["name"]], ["one", "two", None], "names")
    expect([None if pd.isna(x) else x for x in df["score"]], [1.5, None, -2.25], "scores")
    expect([None if pd.isna(x) else int(x) for x in df["n"]], [10, None, 30], "n")
    expect([None if pd.isna(x) else x for x in df["born"]],
           [datetime.date(2024, 1, 2), None, datetime.date(1999, 12, 31)], "born")
    expect([None if pd.isna(x) else x.to_pydatetime() for x in df["ts"]],
           [datetime.datetime(2024, 1, 2, 3, 4, 5), None, datetime.datetime(1999, 12, 31, 23, 59, 59, 500000)], "ts")
    expect([None if x is None else bool(x) for x in df["ok"]], [True, False, None], "ok")
    # read_sql's coerce_float turns numeric's Decimals into floats.
    expect([None if pd.isna(x) else x for x in df["amount"]], [12.34, -0.5, None], "amount")


SELECT_ALL = "SELECT id, name, score, n, born, ts, ok, amount FROM py_t ORDER BY id"


def read_sql_dbapi():
    with psycopg2.connect(DSN) as conn:
        df = pd.read_sql(SELECT_ALL, conn)
    check_frame(df)
    return frame_value(df)


def read_sql_dbapi_params():
    with psycopg2.connect(DSN) as conn:
        df = pd.read_sql("SELECT id, name FROM py_t WHERE id >= %(lo)s AND name IS NOT NULL ORDER BY id", conn,
                         params={"lo": 2})
    expect(df.values.tolist(), [[2, "two"]], "rows")
    return frame_value(df)


def engine():
    return sa.create_engine(URL)


def sqlalchemy_connect():
    with engine().connect() as conn:
        got = conn.execute(sa.text("SELECT name FROM py_t WHERE id = :id"), {"id": 1}).scalar_one()
    expect(got, "one", "name")
    return got


def sqlalchemy_read_sql():
    df = pd.read_sql(sa.text(SELECT_ALL), engine())
    check_frame(df)
    return frame_value(df)


def to_sql():
    df = pd.DataFrame({"id": [10, 11, 12], "label": ["a", None, "c"], "x": [0.25, 1e100, None]})
    n = df.to_sql("py_loaded", engine(), if_exists="append", index=False)
    with psycopg2.connect(DSN) as conn:
        cur = conn.cursor()
        cur.execute("SELECT id, label, x FROM py_loaded ORDER BY id")
        rows = cur.fetchall()
    expect(rows, [(10, "a", 0.25), (11, None, 1e100), (12, "c", None)], "rows loaded")
    return {"returned": plain(n), "rows": plain(rows)}


def inspect_schemas():
    names = sa.inspect(engine()).get_schema_names()
    if "public" not in names:
        raise AssertionError(f"public not in {names}")
    return "public"


def inspect_tables():
    names = sa.inspect(engine()).get_table_names()
    expect(sorted(names), ["py_loaded", "py_t", "py_txn"], "tables")
    return sorted(names)


def inspect_columns():
    cols = sa.inspect(engine()).get_columns("py_t")
    got = [(c["name"], str(c["type"]), c["nullable"]) for c in cols]
    expect(got, [("id", "BIGINT", False), ("name", "TEXT", True), ("score", "DOUBLE_PRECISION", True),
                 ("n", "INTEGER", True), ("born", "DATE", True), ("ts", "TIMESTAMP", True),
                 ("ok", "BOOLEAN", True), ("amount", "NUMERIC(10, 2)", True)], "columns")
    return plain(got)


def inspect_primary_key():
    pk = sa.inspect(engine()).get_pk_constraint("py_t")
    expect(pk["constrained_columns"], ["id"], "primary key columns")
    return pk["constrained_columns"]


def has_table():
    insp = sa.inspect(engine())
    got = [insp.has_table("py_t"), insp.has_table("nope")]
    expect(got, [True, False], "has_table")
    return got


def txn_rows():
    """The rows of py_txn, read on a connection of its own (so only committed rows)."""
    with psycopg2.connect(DSN) as conn:
        cur = conn.cursor()
        cur.execute("SELECT id, v FROM py_txn ORDER BY id")
        rows = [list(r) for r in cur.fetchall()]
    conn.close()
    return rows


def psycopg2_transaction():
    # psycopg2 opens a transaction block at the first statement (autocommit off).
    conn = psycopg2.connect(DSN)
    cur = conn.cursor()
    cur.execute("INSERT INTO py_txn VALUES (1, 'rolled back')")
    cur.execute("SELECT count(*) FROM py_txn")
    expect(cur.fetchone()[0], 1, "the block reads its own row")
    expect(txn_rows(), [], "rows others see before ROLLBACK")
    conn.rollback()
    expect(txn_rows(), [], "rows after ROLLBACK")
    cur.execute("INSERT INTO py_txn VALUES (1, 'committed')")
    cur.execute("UPDATE py_txn SET v = v || '!' WHERE id = 1")
    expect(txn_rows(), [], "rows others see before COMMIT")
    conn.commit()
    expect(txn_rows(), [[1, "committed!"]], "rows after COMMIT")
    # An error aborts the block until ROLLBACK.
    try:
        cur.execute("SELECT 1/0")
        raise AssertionError("division by zero did not fail")
    except psycopg2.errors.DivisionByZero:
        pass
    try:
        cur.execute("SELECT 1")
        raise AssertionError("a statement after an error in the block did not fail")
    except psycopg2.errors.InFailedSqlTransaction:
        pass
    conn.rollback()
    cur.execute("SELECT count(*) FROM py_txn")
    expect(cur.fetchone()[0], 1, "rows after the failed block")
    conn.commit()
    conn.close()
    return txn_rows()


def sqlalchemy_begin():
    eng = engine()
    with eng.begin() as conn:
        conn.execute(sa.text("INSERT INTO py_txn VALUES (:id, :v)"), [{"id": 2, "v": "two"}, {"id": 3, "v": "three"}])
    try:
        with eng.begin() as conn:
            conn.execute(sa.text("INSERT INTO py_txn VALUES (4, 'four')"))
            raise KeyError("rolled back")
    except KeyError:
        pass
    rows = txn_rows()
    expect([r[0] for r in rows], [1, 2, 3], "ids after engine.begin()")
    return rows


def sqlalchemy_session_rollback():
    from sqlalchemy.orm import Session
    with Session(engine()) as session:
        session.execute(sa.text("DELETE FROM py_txn WHERE id = 2"))
        session.execute(sa.text("INSERT INTO py_txn VALUES (5, 'five')"))
        got = session.execute(sa.text("SELECT id FROM py_txn ORDER BY id")).scalars().all()
        expect(got, [1, 3, 5], "the session reads its own writes")
        session.rollback()
        got = session.execute(sa.text("SELECT id FROM py_txn ORDER BY id")).scalars().all()
        expect(got, [1, 2, 3], "ids after rollback")
        session.execute(sa.text("UPDATE py_txn SET v = 'TWO' WHERE id = 2"))
        session.commit()
    return txn_rows()


def psycopg2_arrays():
    """Array columns: Python lists as parameters, read back as lists of the element types."""
    with psycopg2.connect(DSN) as conn:
        conn.autocommit = True
        cur = conn.cursor()
        cur.execute("CREATE TABLE py_arr (id bigint PRIMARY KEY, i integer[], t text[], f double precision[], "
                    "d date[], n numeric(6,2)[], b boolean[])")
        cur.execute("INSERT INTO py_arr VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    (1, [1, None, 3], ["a", "b c", '"q"', None, ""], [1.5, -0.25], [datetime.date(2024, 2, 29)],
                     [decimal.Decimal("1.25"), None], [True, False]))
        cur.execute("INSERT INTO py_arr VALUES (2, NULL, NULL, NULL, NULL, NULL, NULL), "
                    "(3, '{}', '{}', '{}', '{}', '{}', '{}')")
        cur.execute("SELECT id, i, t, f, d, n, b FROM py_arr ORDER BY id")
        rows = cur.fetchall()
        expect(rows[0][1], [1, None, 3], "integer[]")
        expect(rows[0][2], ["a", "b c", '"q"', None, ""], "text[]")
        expect(rows[0][3], [1.5, -0.25], "double precision[]")
        expect(rows[0][4], [datetime.date(2024, 2, 29)], "date[]")
        expect(rows[0][5], [decimal.Decimal("1.25"), None], "numeric(6,2)[]")
        expect(rows[0][6], [True, False], "boolean[]")
        expect(list(rows[1][1:]), [None] * 6, "NULL arrays")
        expect(list(rows[2][1:]), [[]] * 6, "empty arrays")
        return [plain(list(r)) for r in rows]


def json_uuid():
    """json and jsonb read as Python values, uuid as uuid.UUID (psycopg2's register_uuid)."""
    psycopg2.extras.register_uuid()
    key = uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
    doc = {"b": [1, "x", None], "a": {"c": True}}
    with psycopg2.connect(DSN) as conn:
        conn.autocommit = True
        cur = conn.cursor()
        cur.execute("CREATE TABLE py_json (id uuid PRIMARY KEY, j jsonb, p json)")
        cur.execute("INSERT INTO py_json VALUES (%s, %s, %s), (%s, NULL, NULL)",
                    (key, psycopg2.extras.Json(doc), '{"k":  1}', uuid.UUID(int=1)))
        cur.execute("SELECT id, j, p, j -> 'b', j::text FROM py_json ORDER BY id")
        rows = cur.fetchall()
    expect(rows[0], (uuid.UUID(int=1), None, None, None, None), "row of NULLs")
    expect(rows[1], (key, doc, {"k": 1}, [1, "x", None], '{"a": {"c": true}, "b": [1, "x", null]}'), "row")
    return plain([[str(r[0])] + list(r[1:]) for r in rows])


CASES = [setup, read_sql_dbapi, read_sql_dbapi_params, sqlalchemy_connect, sqlalchemy_read_sql, to_sql,
         inspect_schemas, inspect_tables, inspect_columns, inspect_primary_key, has_table,
         psycopg2_transaction, sqlalchemy_begin, sqlalchemy_session_rollback, psycopg2_arrays, json_uuid]

for case in CASES:
    out = {"case": case.__name__, "ok": True, "error": "", "value": None}
    try:
        out["value"] = case()
    except Exception as e:  # a case's failure is reported, and the next case runs
        out["ok"] = False
        out["error"] = f"{type(e).__name__}: {e}".strip()[:2000]
        if isinstance(e, (AssertionError, TypeError, KeyError, AttributeError)):
            out["error"] += "\n" + traceback.format_exc()[-1500:]
    print(json.dumps(out), flush=True)
