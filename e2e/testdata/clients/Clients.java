// The PostgreSQL JDBC driver against a PostgreSQL-protocol server.
//
// Usage: java -cp postgresql.jar:. Clients HOST PORT USER DBNAME
//
// Runs each case and prints one JSON object a line: {"case", "ok", "error", "value"}. A case
// checks the values it reads back itself; value is what it read, for the caller to compare
// between servers.

import java.math.BigDecimal;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.Date;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

public class Clients {
    interface Case {
        Object run(Connection c) throws Exception;
    }

    static String url;
    static String user;

    public static void main(String[] args) throws Exception {
        url = "jdbc:postgresql://" + args[0] + ":" + args[1] + "/" + args[3] + "?sslmode=disable";
        user = args[2];
        Object[][] cases = {
            {"setup", (Case) Clients::setup},
            {"query_values", (Case) Clients::queryValues},
            {"prepared_params", (Case) Clients::preparedParams},
            {"prepared_fetch_size", (Case) Clients::preparedFetchSize},
            {"metadata_product", (Case) Clients::metadataProduct},
            {"metadata_schemas", (Case) Clients::metadataSchemas},
            {"metadata_tables", (Case) Clients::metadataTables},
            {"metadata_columns", (Case) Clients::metadataColumns},
            {"metadata_primary_keys", (Case) Clients::metadataPrimaryKeys},
            {"metadata_index_info", (Case) Clients::metadataIndexInfo},
            {"transactions", (Case) Clients::transactions},
            {"arrays", (Case) Clients::arrays},
            {"json_uuid", (Case) Clients::jsonUuid},
            {"reg_type_names", (Case) Clients::regTypeNames},
            {"reg_type_arrays", (Case) Clients::regTypeArrays},
        };
        for (Object[] cs : cases) {
            String name = (String) cs[0];
            boolean ok = true;
            String error = "";
            Object value = null;
            try (Connection c = DriverManager.getConnection(url, user, "")) {
                value = ((Case) cs[1]).run(c);
            } catch (Throwable e) {
                ok = false;
                error = e.toString();
            }
            System.out.println("{\"case\":" + json(name) + ",\"ok\":" + ok + ",\"error\":" + json(error)
                + ",\"value\":" + json(value) + "}");
            System.out.flush();
        }
    }

    static String json(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Boolean || v instanceof Long || v instanceof Integer) {
            return v.toString();
        }
        if (v instanceof List) {
            StringBuilder b = new StringBuilder("[");
            for (Object x : (List<?>) v) {
                if (b.length() > 1) {
                    b.append(',');
                }
                b.append(json(x));
            }
            return b.append(']').toString();
        }
        String s = v.toString();
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            if (ch == '"' || ch == '\\') {
                b.append('\\').append(ch);
            } else if (ch < 0x20) {
                b.append(String.format("\\u%04x", (int) ch));
            } else {
                b.append(ch);
            }
        }
        return b.append('"').toString();
    }

    static void expect(Object got, Object want, String what) {
        if (!Objects.equals(got, want)) {
            throw new AssertionError(what + ": got " + got + ", want " + want);
        }
    }

    static Object setup(Connection c) throws Exception {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE java_t (id bigint PRIMARY KEY, name text, score double precision, "
                + "born date, ts timestamp, ok boolean, amount numeric(10,2))");
            s.execute("INSERT INTO java_t VALUES (1, 'one', 1.5, '2024-01-02', '2024-01-02 03:04:05', true, 12.34), "
                + "(2, NULL, NULL, NULL, NULL, NULL, NULL)");
            s.execute("CREATE TABLE java_big (id bigint PRIMARY KEY, v text)");
        }
        try (PreparedStatement p = c.prepareStatement("INSERT INTO java_big VALUES (?, ?)")) {
            for (long i = 1; i <= 100; i++) {
                p.setLong(1, i);
                p.setString(2, "v" + i);
                p.addBatch();
            }
            int[] counts = p.executeBatch();
            expect(counts.length, 100, "batch statements");
        }
        return 102;
    }

    // Array columns: written with createArrayOf through a prepared statement, read back with
    // getArray as Java arrays of the element types (pgjdbc asks for binary arrays once the
    // statement is named, text before).
    static Object arrays(Connection c) throws Exception {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE java_arr (id bigint PRIMARY KEY, i integer[], b bigint[], t text[], "
                + "f double precision[], d date[], n numeric(6,2)[])");
        }
        try (PreparedStatement p = c.prepareStatement("INSERT INTO java_arr VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            p.setLong(1, 1);
            p.setArray(2, c.createArrayOf("int4", new Integer[] {1, null, 3}));
            p.setArray(3, c.createArrayOf("int8", new Long[] {Long.MIN_VALUE, Long.MAX_VALUE}));
            p.setArray(4, c.createArrayOf("text", new String[] {"a", "b c", "\"q\"", null, ""}));
            p.setArray(5, c.createArrayOf("float8", new Double[] {1.5, -0.25}));
            p.setArray(6, c.createArrayOf("date", new Date[] {Date.valueOf("2024-02-29")}));
            p.setArray(7, c.createArrayOf("numeric", new BigDecimal[] {new BigDecimal("1.25"), null}));
            p.executeUpdate();
            p.setLong(1, 2);
            for (int i = 2; i <= 7; i++) {
                p.setNull(i, Types.ARRAY);
            }
            p.executeUpdate();
        }
        try (Statement s = c.createStatement()) {
            s.execute("INSERT INTO java_arr VALUES (3, '{}', '{}', '{}', '{}', '{}', '{}')");
        }
        List<Object> rows = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("SELECT id, i, b, t, f, d, n FROM java_arr WHERE id > ? ORDER BY id")) {
            for (int run = 0; run < 7; run++) {
                p.setLong(1, 0);
                rows = new ArrayList<>();
                try (ResultSet r = p.executeQuery()) {
                    expect(r.getMetaData().getColumnType(2), Types.ARRAY, "i's JDBC type");
                    expect(r.getMetaData().getColumnTypeName(4), "_text", "t's type name");
                    while (r.next()) {
                        List<Object> row = new ArrayList<>();
                        row.add(r.getLong(1));
                        for (int i = 2; i <= 7; i++) {
                            Array a = r.getArray(i);
                            row.add(a == null ? null : Arrays.asList((Object[]) a.getArray()));
                        }
                        rows.add(row);
                    }
                }
                List<?> first = (List<?>) rows.get(0);
                expect(first.get(1), Arrays.asList(1, null, 3), "i of run " + run);
                expect(first.get(2), Arrays.asList(Long.MIN_VALUE, Long.MAX_VALUE), "b of run " + run);
                expect(first.get(3), Arrays.asList("a", "b c", "\"q\"", null, ""), "t of run " + run);
                expect(first.get(4), Arrays.asList(1.5, -0.25), "f of run " + run);
                expect(((List<?>) rows.get(1)).get(1), null, "NULL array of run " + run);
                expect(((List<?>) rows.get(2)).get(3), Arrays.asList(), "empty array of run " + run);
            }
        }
        return rows;
    }

    static final String REG_QUERY = "SELECT 'pg_class'::regclass, ARRAY['pg_class'::regclass, 'pg_type'], "
        + "ARRAY['int4'::regtype, 'text[]'], 'now'::regproc, ARRAY['pg_catalog'::regnamespace]";

    // Columns of the object identifier alias types and their arrays, whose OIDs the driver
    // does not know: it looks their names, element types and array delimiters up in pg_type.
    static Object regTypeNames(Connection c) throws Exception {
        List<Object> out = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(REG_QUERY)) {
            ResultSetMetaData m = r.getMetaData();
            for (int i = 1; i <= m.getColumnCount(); i++) {
                out.add(m.getColumnTypeName(i));
            }
            expect(m.getColumnTypeName(2), "_regclass", "regclass[]'s type name");
            r.next();
            for (int i = 1; i <= m.getColumnCount(); i++) {
                out.add(r.getString(i));
            }
            for (int i : new int[] {2, 3, 5}) {
                out.add(r.getArray(i).getBaseTypeName());
            }
            expect(r.getArray(2).getBaseTypeName(), "regclass", "regclass[]'s element type");
        }
        return out;
    }

    // The same columns' JDBC types and arrays read as Java arrays: the driver asks pg_type
    // whether typinput = 'pg_catalog.array_in'::regproc.
    static Object regTypeArrays(Connection c) throws Exception {
        List<Object> out = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(REG_QUERY)) {
            ResultSetMetaData m = r.getMetaData();
            for (int i = 1; i <= m.getColumnCount(); i++) {
                out.add(m.getColumnType(i));
            }
            expect(m.getColumnType(2), Types.ARRAY, "regclass[]'s JDBC type");
            r.next();
            for (int i : new int[] {2, 3, 5}) {
                out.add(Arrays.asList((Object[]) r.getArray(i).getArray()));
            }
        }
        return out;
    }

    // uuid read as java.util.UUID, json and jsonb as PGobjects of their type with their text.
    static Object jsonUuid(Connection c) throws Exception {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE jv_json (id uuid PRIMARY KEY, j jsonb, p json)");
        }
        java.util.UUID id = java.util.UUID.fromString("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
        try (PreparedStatement p = c.prepareStatement("INSERT INTO jv_json VALUES (?, ?::jsonb, ?::json)")) {
            p.setObject(1, id);
            p.setString(2, "{\"b\": [1, \"x\", null], \"b\": [1, \"x\", null], \"a\": {\"c\": true}}");
            p.setString(3, "{\"k\":  1}");
            expect(p.executeUpdate(), 1, "rows inserted");
        }
        try (PreparedStatement p = c.prepareStatement("SELECT id, j, p, j -> 'b' FROM jv_json WHERE id = ?")) {
            p.setObject(1, id);
            try (ResultSet r = p.executeQuery()) {
                expect(r.next(), true, "row");
                expect(r.getObject(1), id, "uuid as java.util.UUID");
                // getObject of a jsonb column asks pg_type about it with a query sleeperd
                // cannot answer yet ('array_in'::regproc); its text is read instead.
                String j = r.getString(2);
                expect(j, "{\"a\": {\"c\": true}, \"b\": [1, \"x\", null]}", "jsonb's text");
                org.postgresql.util.PGobject js = (org.postgresql.util.PGobject) r.getObject(3);
                expect(js.getType(), "json", "json's type");
                expect(js.getValue(), "{\"k\":  1}", "json's text");
                expect(r.getString(4), "[1, \"x\", null]", "j -> 'b'");
                return Arrays.asList(r.getString(1), j, js.getValue(), r.getString(4));
            }
        }
    }

    static Object queryValues(Connection c) throws Exception {
        List<Object> rows = new ArrayList<>();
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT id, name, score, born, ts, ok, amount FROM java_t ORDER BY id")) {
            expect(r.getMetaData().getColumnType(1), Types.BIGINT, "id's JDBC type");
            expect(r.getMetaData().getColumnType(7), Types.NUMERIC, "amount's JDBC type");
            expect(r.next(), true, "first row");
            expect(r.getLong(1), 1L, "id");
            expect(r.getString(2), "one", "name");
            expect(r.getDouble(3), 1.5, "score");
            expect(r.getDate(4), Date.valueOf("2024-01-02"), "born");
            expect(r.getTimestamp(5), Timestamp.valueOf("2024-01-02 03:04:05"), "ts");
            expect(r.getBoolean(6), true, "ok");
            expect(r.getBigDecimal(7), new BigDecimal("12.34"), "amount");
            rows.add(Arrays.asList(r.getLong(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5),
                r.getString(6), r.getString(7)));
            expect(r.next(), true, "second row");
            expect(r.getLong(1), 2L, "id");
            for (int i = 2; i <= 7; i++) {
                expect(r.getObject(i), null, "column " + i + " of the second row");
            }
            r.getDouble(3);
            expect(r.wasNull(), true, "wasNull after a NULL double");
            rows.add(Arrays.asList(r.getLong(1), r.getString(2), r.getString(3)));
            expect(r.next(), false, "end of rows");
        }
        return rows;
    }

    static Object preparedParams(Connection c) throws Exception {
        List<Object> got = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement(
                "SELECT id, name FROM java_t WHERE id = ? OR name = ? OR score > ? ORDER BY id")) {
            // Run more than prepareThreshold (5) times, so the driver switches to a named
            // server-side statement.
            for (int i = 0; i < 7; i++) {
                p.setLong(1, 2);
                p.setString(2, "one");
                p.setNull(3, Types.DOUBLE);
                List<Object> rows = new ArrayList<>();
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        rows.add(Arrays.asList(r.getLong(1), r.getString(2)));
                    }
                }
                expect(rows, Arrays.asList(Arrays.asList(1L, "one"), Arrays.asList(2L, null)), "rows of run " + i);
                got = rows;
            }
        }
        return got;
    }

    // What Trino's PostgreSQL connector does: autocommit off and a fetch size, so the driver
    // executes the portal for that many rows at a time.
    static Object preparedFetchSize(Connection c) throws Exception {
        c.setAutoCommit(false);
        long n = 0, sum = 0, batches = 0;
        String last = null;
        try (PreparedStatement p = c.prepareStatement("SELECT id, v FROM java_big WHERE id > ? ORDER BY id")) {
            p.setFetchSize(7);
            p.setLong(1, 10);
            try (ResultSet r = p.executeQuery()) {
                expect(r.getFetchSize(), 7, "fetch size");
                while (r.next()) {
                    n++;
                    sum += r.getLong(1);
                    last = r.getString(2);
                }
            }
        }
        c.commit();
        expect(n, 90L, "rows");
        expect(sum, 4995L, "sum of ids");
        expect(last, "v100", "last value");
        return Arrays.asList(n, sum, last);
    }

    // Autocommit off: rollback discards, commit keeps, and another connection sees nothing
    // before the commit.
    static Object transactions(Connection c) throws Exception {
        c.setAutoCommit(false);
        try (Connection other = DriverManager.getConnection(url, user, "");
             Statement s = c.createStatement(); Statement o = other.createStatement()) {
            s.executeUpdate("INSERT INTO java_big VALUES (101, 'rolled back')");
            c.rollback();
            s.executeUpdate("INSERT INTO java_big VALUES (102, 'committed')");
            s.executeUpdate("UPDATE java_big SET v = 'changed' WHERE id = 1");
            List<Object> seen = new ArrayList<>();
            try (ResultSet r = o.executeQuery("SELECT count(*), max(v) FROM java_big WHERE id IN (1, 101, 102)")) {
                r.next();
                seen.add(r.getLong(1));
                seen.add(r.getString(2));
            }
            c.commit();
            try (ResultSet r = o.executeQuery("SELECT id, v FROM java_big WHERE id IN (1, 101, 102) ORDER BY id")) {
                while (r.next()) {
                    seen.add(r.getLong(1));
                    seen.add(r.getString(2));
                }
            }
            expect(seen, Arrays.asList(1L, "v1", 1L, "changed", 102L, "committed"), "rows seen");
            return seen;
        }
    }

    static Object metadataProduct(Connection c) throws Exception {
        DatabaseMetaData md = c.getMetaData();
        expect(md.getDatabaseProductName(), "PostgreSQL", "product name");
        return md.getDatabaseProductName();
    }

    static Object metadataSchemas(Connection c) throws Exception {
        List<Object> names = new ArrayList<>();
        try (ResultSet r = c.getMetaData().getSchemas()) {
            while (r.next()) {
                names.add(r.getString("TABLE_SCHEM"));
            }
        }
        if (!names.contains("public")) {
            throw new AssertionError("public not in " + names);
        }
        return "public";
    }

    static Object metadataTables(Connection c) throws Exception {
        List<Object> rows = new ArrayList<>();
        try (ResultSet r = c.getMetaData().getTables(null, "public", "java%", new String[] {"TABLE"})) {
            while (r.next()) {
                rows.add(Arrays.asList(r.getString("TABLE_SCHEM"), r.getString("TABLE_NAME"), r.getString("TABLE_TYPE")));
            }
        }
        expect(rows, Arrays.asList(Arrays.asList("public", "java_big", "TABLE"), Arrays.asList("public", "java_t", "TABLE")),
            "tables");
        return rows;
    }

    static Object metadataColumns(Connection c) throws Exception {
        List<Object> rows = new ArrayList<>();
        try (ResultSet r = c.getMetaData().getColumns(null, "public", "java_t", null)) {
            while (r.next()) {
                rows.add(Arrays.asList(r.getString("COLUMN_NAME"), r.getInt("DATA_TYPE"), r.getString("TYPE_NAME"),
                    r.getInt("ORDINAL_POSITION"), r.getString("IS_NULLABLE")));
            }
        }
        expect(rows, Arrays.asList(
            Arrays.asList("id", Types.BIGINT, "int8", 1, "NO"),
            Arrays.asList("name", Types.VARCHAR, "text", 2, "YES"),
            Arrays.asList("score", Types.DOUBLE, "float8", 3, "YES"),
            Arrays.asList("born", Types.DATE, "date", 4, "YES"),
            Arrays.asList("ts", Types.TIMESTAMP, "timestamp", 5, "YES"),
            Arrays.asList("ok", Types.BIT, "bool", 6, "YES"),
            Arrays.asList("amount", Types.NUMERIC, "numeric", 7, "YES")), "columns");
        return rows;
    }

    static Object metadataPrimaryKeys(Connection c) throws Exception {
        List<Object> rows = new ArrayList<>();
        try (ResultSet r = c.getMetaData().getPrimaryKeys(null, "public", "java_t")) {
            while (r.next()) {
                rows.add(Arrays.asList(r.getString("COLUMN_NAME"), r.getInt("KEY_SEQ"), r.getString("PK_NAME")));
            }
        }
        expect(rows, Arrays.asList(Arrays.asList("id", 1, "java_t_pkey")), "primary key");
        return rows;
    }

    static Object metadataIndexInfo(Connection c) throws Exception {
        List<Object> rows = new ArrayList<>();
        try (ResultSet r = c.getMetaData().getIndexInfo(null, "public", "java_t", false, false)) {
            while (r.next()) {
                rows.add(Arrays.asList(r.getString("INDEX_NAME"), r.getBoolean("NON_UNIQUE"), r.getString("COLUMN_NAME"),
                    r.getInt("ORDINAL_POSITION")));
            }
        }
        expect(rows, Arrays.asList(Arrays.asList("java_t_pkey", false, "id", 1)), "indexes");
        return rows;
    }
}
