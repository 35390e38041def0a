//go:build !linux

package bench

import "errors"

// dropPageCache is not available on this system.
func dropPageCache(string) (int, error) {
	return 0, errors.New("dropping the page cache needs Linux")
}
