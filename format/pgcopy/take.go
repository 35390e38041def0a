package pgcopy

import "github.com/apache/arrow-go/v18/arrow"

// TakeBatches returns the batches decoded so far, each of BatchRows rows, and forgets them:
// the caller releases them. Rows not yet in a full batch stay in the decoder until later
// calls or Finish. It lets a caller that reads a large input stream batches on as they fill.
func (d *Decoder) TakeBatches() []arrow.RecordBatch {
	out := d.batches
	d.batches = nil
	return out
}
