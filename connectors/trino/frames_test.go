package trino

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"io"
	"net"
	"testing"
	"time"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// frame builds a framed strict-binary message of type typ (1 call, 2 reply) for method
// name with sequence id 1, followed by body.
func frame(typ byte, name string, body []byte) []byte {
	var msg []byte
	msg = binary.BigEndian.AppendUint32(msg, 0x80010000|uint32(typ))
	msg = binary.BigEndian.AppendUint32(msg, uint32(len(name)))
	msg = append(msg, name...)
	msg = binary.BigEndian.AppendUint32(msg, 1)
	msg = append(msg, body...)
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(msg))), msg...)
}

// TestGoldenFrames checks calls byte for byte at the wire, without generated code: a framed,
// strict binary call of trinoListSchemaNames gets exactly the reply Trino's client expects.
func TestGoldenFrames(t *testing.T) {
	eng := openEngine(t, objstore.NewMem())
	_, addr := serve(t, eng)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))

	call := frame(1, "trinoListSchemaNames", []byte{0x00}) // empty args struct: STOP
	if _, err := conn.Write(call); err != nil {
		t.Fatal(err)
	}
	// Result struct: field 0 (success), type list (15); list of 2 strings (11); STOP.
	body, _ := hex.DecodeString("0f0000" + "0b00000002" + "00000006" + hex.EncodeToString([]byte("public")) +
		"00000007" + hex.EncodeToString([]byte("sleeper")) + "00")
	want := frame(2, "trinoListSchemaNames", body)
	got := make([]byte, len(want))
	if _, err := io.ReadFull(conn, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("reply\n%x\nwant\n%x", got, want)
	}

	// trinoGetTableMetadata of a missing table: success is an empty struct (no field 1).
	// Args: field 1, struct: field 1 string "public", field 2 string "nope", STOP; STOP.
	args, _ := hex.DecodeString("0c0001" + "0b0001" + "00000006" + hex.EncodeToString([]byte("public")) +
		"0b0002" + "00000004" + hex.EncodeToString([]byte("nope")) + "00" + "00")
	if _, err := conn.Write(frame(1, "trinoGetTableMetadata", args)); err != nil {
		t.Fatal(err)
	}
	want = frame(2, "trinoGetTableMetadata", []byte{0x0c, 0x00, 0x00, 0x00, 0x00})
	got = make([]byte, len(want))
	if _, err := io.ReadFull(conn, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("reply\n%x\nwant\n%x", got, want)
	}
}
