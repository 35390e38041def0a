package exec

import "unicode/utf8"

// ByteRange returns the byte offsets of characters [from, to) of v (0-based, to may exceed
// the length); an empty range when to <= from.
func ByteRange(v []byte, from, to int64) (int, int, error) {
	if to <= from || from >= int64(len(v)) {
		return 0, 0, nil
	}
	// ASCII up to the end of the range: characters are bytes.
	lim := len(v)
	if to < int64(lim) {
		lim = int(to)
	}
	ascii := true
	for _, c := range v[:lim] {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return int(from), lim, nil
	}
	start, pos := -1, int64(0)
	for off := 0; off < len(v); {
		if pos == from {
			start = off
		}
		if pos == to {
			if start < 0 {
				return 0, 0, nil
			}
			return start, off, nil
		}
		_, size := utf8.DecodeRune(v[off:])
		off += size
		pos++
	}
	if start < 0 {
		return 0, 0, nil
	}
	return start, len(v), nil
}
