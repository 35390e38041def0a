package catalog

// RelationSizesTable names the internal relation of the sizes of the relations, by OID, in
// bytes: the one relation_size, table_size, indexes_size and total_size are read from by
// pg_relation_size, pg_table_size, pg_indexes_size and pg_total_relation_size (package sql
// binds each call as a join with it, package engine computes its rows when a query runs).
// Queries cannot name it.
const RelationSizesTable = PGCatalogSchema + "._pg_relation_sizes"

// RelationSizes is the schema of RelationSizesTable.
var RelationSizes = decl("oid oid, relation_size int8, table_size int8, indexes_size int8, total_size int8")
