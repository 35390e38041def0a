// Package engine is the database: it owns the catalog, the storage and the background work,
// and runs statements for every frontend through Conn.
package engine
