// node-postgres (pg and pg-cursor) against a PostgreSQL-protocol server.
//
// Usage: NODE_PATH=<dir>/node_modules node clients.js HOST PORT USER DBNAME
//
// Runs each case and prints one JSON object a line: {"case", "ok", "error", "value"}. A case
// checks the values it reads back itself; value is what it read, for the caller to compare
// between servers.

'use strict';

const assert = require('assert');
const { Client } = require('pg');
const Cursor = require('pg-cursor');

const [host, port, user, database] = process.argv.slice(2);

async function withClient(fn) {
  const c = new Client({ host, port: Number(port), user, database, ssl: false });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

function plain(v) {
  if (v instanceof Date) return v.toISOString();
  if (Buffer.isBuffer(v)) return v.toString('hex');
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v)) o[k] = plain(v[k]);
    return o;
  }
  return v;
}

const cases = {
  async setup(c) {
    await c.query('CREATE TABLE js_t (id bigint PRIMARY KEY, name text, score double precision, n integer, ok boolean, data bytea, ts timestamptz)');
    const ins = 'INSERT INTO js_t VALUES ($1, $2, $3, $4, $5, $6, $7)';
    await c.query(ins, [1, 'one', 1.5, 10, true, Buffer.from([0, 1, 255]), new Date('2024-01-02T03:04:05.678Z')]);
    await c.query(ins, [2, null, null, null, null, null, null]);
    await c.query(ins, ['3', 'th\'ree "q"', -2.25, -30, false, Buffer.alloc(0), '1999-12-31 23:59:59+00']);
    for (let i = 1; i <= 25; i++) {
      await c.query('INSERT INTO js_t VALUES ($1, $2)', [100 + i, `row ${i}`]);
    }
    const r = await c.query('SELECT count(*) AS n FROM js_t');
    assert.strictEqual(r.rows[0].n, '28'); // bigint arrives as a string
    return r.rows[0].n;
  },

  async query_params(c) {
    const r = await c.query('SELECT id, name, score, n, ok, data, ts FROM js_t WHERE id <= $1 AND (name IS NULL OR name <> $2) ORDER BY id', [3, 'nope']);
    assert.deepStrictEqual(r.fields.map((f) => f.name), ['id', 'name', 'score', 'n', 'ok', 'data', 'ts']);
    assert.deepStrictEqual(r.fields.map((f) => f.dataTypeID), [20, 25, 701, 23, 16, 17, 1184]);
    assert.deepStrictEqual(r.rows, [
      { id: '1', name: 'one', score: 1.5, n: 10, ok: true, data: Buffer.from([0, 1, 255]), ts: new Date('2024-01-02T03:04:05.678Z') },
      { id: '2', name: null, score: null, n: null, ok: null, data: null, ts: null },
      { id: '3', name: 'th\'ree "q"', score: -2.25, n: -30, ok: false, data: Buffer.alloc(0), ts: new Date('1999-12-31T23:59:59Z') },
    ]);
    return plain(r.rows);
  },

  async named_prepared(c) {
    const q = { name: 'by_id', text: 'SELECT name, n + $2::int AS m FROM js_t WHERE id = $1' };
    const got = [];
    for (const id of [1, 3, 2]) {
      const r = await c.query({ ...q, values: [id, 5] });
      got.push(r.rows[0]);
    }
    assert.deepStrictEqual(got, [{ name: 'one', m: 15 }, { name: 'th\'ree "q"', m: -25 }, { name: null, m: null }]);
    return got;
  },

  async row_mode_array(c) {
    const r = await c.query({ text: 'SELECT $1::text AS a, $2::bigint + 1 AS b, NULL::text AS c', values: ['x', '41'], rowMode: 'array' });
    assert.deepStrictEqual(r.rows, [['x', '42', null]]);
    return r.rows;
  },

  async cursor(c) {
    const cur = c.query(new Cursor('SELECT id, name FROM js_t WHERE id > $1 ORDER BY id', [100]));
    const read = (n) => new Promise((resolve, reject) => cur.read(n, (err, rows) => (err ? reject(err) : resolve(rows))));
    const sizes = [];
    const ids = [];
    for (;;) {
      const rows = await read(10);
      if (rows.length === 0) break;
      sizes.push(rows.length);
      for (const row of rows) ids.push(Number(row.id));
    }
    await new Promise((resolve, reject) => cur.close((err) => (err ? reject(err) : resolve())));
    assert.deepStrictEqual(sizes, [10, 10, 5]);
    assert.deepStrictEqual(ids, Array.from({ length: 25 }, (_, i) => 101 + i));
    // The connection is usable after the cursor.
    const r = await c.query('SELECT name FROM js_t WHERE id = $1', [125]);
    assert.strictEqual(r.rows[0].name, 'row 25');
    return { sizes, first: ids[0], last: ids[ids.length - 1] };
  },

  async error_then_query(c) {
    let code = null;
    try {
      await c.query('SELECT 1 / $1::int', [0]);
    } catch (e) {
      code = e.code;
    }
    assert.strictEqual(code, '22012');
    const r = await c.query('SELECT $1::int * 2 AS x', [21]);
    assert.strictEqual(r.rows[0].x, 42);
    return code;
  },
};

(async () => {
  for (const [name, fn] of Object.entries(cases)) {
    const out = { case: name, ok: true, error: '', value: null };
    try {
      out.value = await withClient(fn);
    } catch (e) {
      out.ok = false;
      out.error = String(e && e.stack ? e.stack : e).slice(0, 2000);
    }
    if (out.value === undefined) out.value = null;
    process.stdout.write(JSON.stringify(out) + '\n');
  }
})();
