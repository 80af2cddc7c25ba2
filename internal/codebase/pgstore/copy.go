package pgstore

import (
	"encoding/binary"
	"math"
)

// copyBuf builds the data of a binary COPY (PostgreSQL's "COPY ... FROM
// STDIN (FORMAT binary)") by hand: a header, per row a field count and
// each field as its length and its value in the type's binary send
// format, a trailer. The index service sends tens of megabytes of chunks
// per job; encoding them here costs a fraction of pgx's per-value
// encoding of []any rows, and the tsvector arrives already encoded.
type copyBuf struct {
	b []byte
}

// copySignature starts every binary COPY stream.
const copySignature = "PGCOPY\n\xff\r\n\x00"

// int4OID is the element type of int4[] values.
const int4OID = 23

// postgresEpoch is 2000-01-01 00:00:00 UTC in Unix microseconds, the
// zero of timestamptz.
const postgresEpoch = 946684800 * 1000000

func newCopyBuf(size int) *copyBuf {
	c := &copyBuf{b: make([]byte, 0, size+len(copySignature)+10)}
	c.b = append(c.b, copySignature...)
	c.b = binary.BigEndian.AppendUint32(c.b, 0) // flags
	c.b = binary.BigEndian.AppendUint32(c.b, 0) // header extension length
	return c
}

// row starts a row of n fields.
func (c *copyBuf) row(n int) { c.b = binary.BigEndian.AppendUint16(c.b, uint16(n)) }

// text adds a text field (valid UTF-8 without NUL, as PostgreSQL stores).
func (c *copyBuf) text(s string) {
	c.b = binary.BigEndian.AppendUint32(c.b, uint32(len(s)))
	c.b = append(c.b, s...)
}

// raw adds a field already in its type's binary format.
func (c *copyBuf) raw(v []byte) {
	c.b = binary.BigEndian.AppendUint32(c.b, uint32(len(v)))
	c.b = append(c.b, v...)
}

// null adds a NULL field.
func (c *copyBuf) null() { c.b = binary.BigEndian.AppendUint32(c.b, math.MaxUint32) }

func (c *copyBuf) int4(v int32) {
	c.b = binary.BigEndian.AppendUint32(c.b, 4)
	c.b = binary.BigEndian.AppendUint32(c.b, uint32(v))
}

func (c *copyBuf) int8(v int64) {
	c.b = binary.BigEndian.AppendUint32(c.b, 8)
	c.b = binary.BigEndian.AppendUint64(c.b, uint64(v))
}

// timestamptz adds microseconds since the Unix epoch.
func (c *copyBuf) timestamptz(unixMicro int64) { c.int8(unixMicro - postgresEpoch) }

func (c *copyBuf) uuid(u [16]byte) {
	c.b = binary.BigEndian.AppendUint32(c.b, 16)
	c.b = append(c.b, u[:]...)
}

// vector adds a pgvector vector: dimension (int16), a zero int16, the
// float4 values.
func (c *copyBuf) vector(v []float32) {
	c.b = binary.BigEndian.AppendUint32(c.b, uint32(4+4*len(v)))
	c.b = binary.BigEndian.AppendUint16(c.b, uint16(len(v)))
	c.b = binary.BigEndian.AppendUint16(c.b, 0)
	for _, f := range v {
		c.b = binary.BigEndian.AppendUint32(c.b, math.Float32bits(f))
	}
}

// int4Array adds a one-dimensional int4[] without NULLs: dimensions,
// flags, element type, length and lower bound, then each element with
// its length.
func (c *copyBuf) int4Array(vs []int32) {
	c.b = binary.BigEndian.AppendUint32(c.b, uint32(20+8*len(vs)))
	c.b = binary.BigEndian.AppendUint32(c.b, 1)
	c.b = binary.BigEndian.AppendUint32(c.b, 0)
	c.b = binary.BigEndian.AppendUint32(c.b, int4OID)
	c.b = binary.BigEndian.AppendUint32(c.b, uint32(len(vs)))
	c.b = binary.BigEndian.AppendUint32(c.b, 1)
	for _, v := range vs {
		c.b = binary.BigEndian.AppendUint32(c.b, 4)
		c.b = binary.BigEndian.AppendUint32(c.b, uint32(v))
	}
}

// bytes ends the stream and returns it.
func (c *copyBuf) bytes() []byte {
	return binary.BigEndian.AppendUint16(c.b, math.MaxUint16) // trailer: -1
}
