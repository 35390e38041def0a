package merge

import (
	"encoding/binary"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/storage/keys"
)

// keyBuf holds the encoded (row key, sort key) of every row of a batch: row i's key is
// buf[off[i]:off[i+1]]. Both encodings are storage/keys', the ones ingest sorts files by, so
// bytewise order is file order.
type keyBuf struct {
	buf []byte
	off []int
	rk  []arrow.Array
}

// encode fills k with the keys of every row of b.
func (k *keyBuf) encode(b arrow.RecordBatch, rowKeys, sortKeys []int) {
	n := int(b.NumRows())
	k.buf = k.buf[:0]
	k.off = append(k.off[:0], 0)
	k.rk = k.rk[:0]
	for _, c := range rowKeys {
		k.rk = append(k.rk, b.Column(c))
	}
	if len(k.rk) == 1 && len(sortKeys) == 0 {
		if a, ok := k.rk[0].(*array.Int64); ok {
			// One bigint row key: each key is its 8 bytes, as keys.AppendRow encodes it,
			// written in one typed loop.
			k.buf = resizeBytes(k.buf, 8*n)
			for i, v := range a.Int64Values() {
				binary.BigEndian.PutUint64(k.buf[8*i:], uint64(v)^(1<<63))
				k.off = append(k.off, 8*(i+1))
			}
			clear(k.rk)
			return
		}
	}
	for i := range n {
		k.buf = keys.AppendRow(k.buf, k.rk, i)
		for _, c := range sortKeys {
			k.buf = keys.AppendSortValue(k.buf, b.Column(c), i)
		}
		k.off = append(k.off, len(k.buf))
	}
	clear(k.rk)
}

// resizeBytes returns b with length n, reusing its storage when it is large enough.
func resizeBytes(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

func (k *keyBuf) key(i int) []byte { return k.buf[k.off[i]:k.off[i+1]] }

// reset drops the references the buffer holds to arrays.
func (k *keyBuf) reset() { clear(k.rk); k.rk = k.rk[:0] }
