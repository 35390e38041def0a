package function

import "sort"

// The types' I/O functions are rows of pg_proc too: regproc input finds them by name
// ('pg_catalog.array_in'::regproc) and pg_type's regproc columns are named by them.
func init() {
	PGProcs = append(PGProcs, pgTypeIOProcs...)
	sort.SliceStable(PGProcs, func(i, j int) bool { return PGProcs[i].OID < PGProcs[j].OID })
	typeIOByName = make(map[string]int64, len(pgTypeIOProcs))
	for _, p := range pgTypeIOProcs {
		if _, ok := typeIOByName[p.Name]; !ok {
			typeIOByName[p.Name] = int64(p.OID)
		}
	}
}

// typeIOByName maps the name of each of the types' I/O functions to its OID.
var typeIOByName map[string]int64

// ProcOID is the OID of the function of pg_proc named name, one of the types' I/O functions
// pg_type names (array_in, int4in, ...); 0 for none, as regproc's "-". Every scan of pg_type
// asks it about ten times a row.
func ProcOID(name string) int64 { return typeIOByName[name] }
