"""An independent client of sleeperd's Trino Thrift service, over Apache Thrift's Python
library and code generated from connectors/trino/trino.thrift (gen-py/).

Usage: trino_client.py HOST:PORT[,HOST:PORT...] SCHEMA TABLE [MAX_SPLITS [MAX_BYTES]]

Lists the schemas and tables, reads the table's metadata, lists its splits (MAX_SPLITS at a
time) and reads every page of every split, sending each request to the next server in
turn, so that splits and tokens listed by one server are served by another. Prints one
JSON object: {"tables": [...], "columns": [[name, type], ...], "splits": N, "pages": N,
"rows": [[value, ...], ...]}; dates are days since 1970-01-01 and timestamps epoch
milliseconds, as on the wire.
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen-py"))

from thrift.protocol import TBinaryProtocol  # noqa: E402
from thrift.transport import TSocket, TTransport  # noqa: E402

from trinothrift import TrinoThriftService  # noqa: E402
from trinothrift.ttypes import (  # noqa: E402
    TrinoThriftNullableColumnSet,
    TrinoThriftNullableSchemaName,
    TrinoThriftNullableToken,
    TrinoThriftSchemaTableName,
    TrinoThriftServiceException,
    TrinoThriftTupleDomain,
)


def connect(addr):
    host, port = addr.rsplit(":", 1)
    sock = TSocket.TSocket(host, int(port))
    trans = TTransport.TFramedTransport(sock)
    proto = TBinaryProtocol.TBinaryProtocol(trans, strictRead=True, strictWrite=True)
    trans.open()
    return TrinoThriftService.Client(proto), trans


def strings(nulls, sizes, data, n):
    out, off = [], 0
    for i in range(n):
        if nulls is not None and nulls[i]:
            out.append(None)
            continue
        size = sizes[i]
        out.append(data[off:off + size].decode("utf-8"))
        off += size
    return out


def fixed(nulls, values, n):
    out = []
    for i in range(n):
        if (nulls is not None and nulls[i]) or values is None:
            out.append(None)
        else:
            out.append(values[i])
    return out


def column(block, n):
    """The values of a block as Python values."""
    if block.integerData is not None:
        return fixed(block.integerData.nulls, block.integerData.ints, n)
    if block.bigintData is not None:
        return fixed(block.bigintData.nulls, block.bigintData.longs, n)
    if block.doubleData is not None:
        return fixed(block.doubleData.nulls, block.doubleData.doubles, n)
    if block.booleanData is not None:
        return fixed(block.booleanData.nulls, block.booleanData.booleans, n)
    if block.dateData is not None:
        return fixed(block.dateData.nulls, block.dateData.dates, n)
    if block.timestampData is not None:
        return fixed(block.timestampData.nulls, block.timestampData.timestamps, n)
    if block.varcharData is not None:
        d = block.varcharData
        return strings(d.nulls, d.sizes, d.bytes, n)
    if block.jsonData is not None:
        d = block.jsonData
        return strings(d.nulls, d.sizes, d.bytes, n)
    if block.bigintArrayData is not None:
        d = block.bigintArrayData
        out, off = [], 0
        for i in range(n):
            if d.nulls is not None and d.nulls[i]:
                out.append(None)
                continue
            size = d.sizes[i]
            vals = fixed(d.values.nulls, d.values.longs, off + size)[off:off + size]
            out.append(vals)
            off += size
        return out
    raise ValueError("block with no data field set")


def main():
    addrs = sys.argv[1].split(",")
    schema, table = sys.argv[2], sys.argv[3]
    max_splits = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    max_bytes = int(sys.argv[5]) if len(sys.argv) > 5 else 16 << 10
    clients = [connect(a) for a in addrs]
    turn = [0]

    def client():
        c = clients[turn[0] % len(clients)][0]
        turn[0] += 1
        return c

    out = {}
    schemas = client().trinoListSchemaNames()
    assert schema in schemas, schemas
    tables = client().trinoListTables(TrinoThriftNullableSchemaName(schemaName=schema))
    out["tables"] = sorted(t.tableName for t in tables)
    name = TrinoThriftSchemaTableName(schemaName=schema, tableName=table)
    md = client().trinoGetTableMetadata(name).tableMetadata
    columns = [c.name for c in md.columns if not c.hidden]
    out["columns"] = [[c.name, c.type] for c in md.columns if not c.hidden]
    out["indexableKeys"] = [sorted(k) for k in (md.indexableKeys or [])]

    splits, token = [], TrinoThriftNullableToken()
    while True:
        batch = client().trinoGetSplits(name, TrinoThriftNullableColumnSet(), TrinoThriftTupleDomain(domains={}),
                                        max_splits, token)
        assert len(batch.splits) <= max_splits
        splits.extend(batch.splits)
        if batch.nextToken is None:
            break
        token = TrinoThriftNullableToken(token=batch.nextToken)
    out["splits"] = len(splits)

    rows, pages = [], 0
    for split in splits:
        token = TrinoThriftNullableToken()
        while True:
            page = client().trinoGetRows(split.splitId, columns, max_bytes, token)
            pages += 1
            cols = [column(b, page.rowCount) for b in page.columnBlocks]
            for i in range(page.rowCount):
                rows.append([c[i] for c in cols])
            if page.nextToken is None:
                break
            token = TrinoThriftNullableToken(token=page.nextToken)
    out["pages"] = pages
    out["rows"] = rows

    try:
        client().trinoGetSplits(TrinoThriftSchemaTableName(schemaName=schema, tableName="no_such_table"),
                                TrinoThriftNullableColumnSet(), TrinoThriftTupleDomain(domains={}), 1,
                                TrinoThriftNullableToken())
        out["error"] = None
    except TrinoThriftServiceException as e:
        out["error"] = e.message

    for _, trans in clients:
        trans.close()
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
