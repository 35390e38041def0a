package exec

import "sync"

// roleNames are the names of the roles pg_get_userbyid knows beyond the built-in owner, by
// OID. Role OIDs are derived from the roles' random IDs (catalog.RoleOID), so the roles of
// every engine in the process can share the map.
var roleNames sync.Map // int64 -> string

// SetRoleName records the name of the role with the given OID for pg_get_userbyid. The
// engine records its roles whenever it lists them for the system catalogs, so a query that
// reads pg_class or pg_roles names their owners as they are now.
func SetRoleName(oid int64, name string) { roleNames.Store(oid, name) }

func roleName(oid int64) (string, bool) {
	n, ok := roleNames.Load(oid)
	if !ok {
		return "", false
	}
	return n.(string), true
}
