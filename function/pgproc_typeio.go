package function

import "sort"

// The types' I/O functions are rows of pg_proc too: regproc input finds them by name
// ('pg_catalog.array_in'::regproc) and pg_type's regproc columns are named by them.
func init() {
	PGProcs = append(PGProcs, pgTypeIOProcs...)
	sort.SliceStable(PGProcs, func(i, j int) bool { return PGProcs[i].OID < PGProcs[j].OID })
}

// ProcOID is the OID of the function of pg_proc named name, one of the types' I/O functions
// pg_type names (array_in, int4in, ...); 0 for none, as regproc's "-".
func ProcOID(name string) int64 {
	for _, p := range pgTypeIOProcs {
		if p.Name == name {
			return int64(p.OID)
		}
	}
	return 0
}
