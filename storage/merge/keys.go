package merge

import (
	"github.com/apache/arrow-go/v18/arrow"

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
	for i := range n {
		k.buf = keys.AppendRow(k.buf, k.rk, i)
		for _, c := range sortKeys {
			k.buf = keys.AppendSortValue(k.buf, b.Column(c), i)
		}
		k.off = append(k.off, len(k.buf))
	}
	clear(k.rk)
}

func (k *keyBuf) key(i int) []byte { return k.buf[k.off[i]:k.off[i+1]] }

// reset drops the references the buffer holds to arrays.
func (k *keyBuf) reset() { clear(k.rk); k.rk = k.rk[:0] }
