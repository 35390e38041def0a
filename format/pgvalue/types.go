package pgvalue

// Text and binary format codes of the extended query protocol.
const (
	formatText   int16 = 0
	formatBinary int16 = 1
)
