// Package tpcds generates a TPC-DS-shaped schema and data at small scales and holds TPC-DS
// queries that use ROLLUP, GROUPING(), window functions and WITH queries, for checking
// sleeperd's answers against PostgreSQL's.
//
// There is no dsdgen here: the generator makes deterministic rows for the five tables the
// queries read (date_dim, item, store, customer_demographics, store_sales, inventory), with
// the columns they use and the value domains their predicates select on (d_month_seq 1200 is
// January 2000, as in dsdgen's data; the states, genders, marital and education statuses of
// the queries' substitution parameters). The queries are the spec's text for queries 22, 27,
// 36, 67 and 70 with the validation parameters, and queries 5 and 77 cut down to their store
// channel (the tables of the other channels are not generated), with ORDER BY keys added
// where the spec's leave ties whose order PostgreSQL does not define.
package tpcds
