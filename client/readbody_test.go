package client

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/go-resty/resty/v2"
)

func TestReadBody(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(`["zipped"]`))
	_ = zw.Close()
	long := strings.Repeat("x", 100_000)
	tests := []struct {
		name    string
		body    string
		length  int64
		gzip    bool
		limit   int
		want    string
		tooBig  bool
		wantCap int // 0: not checked
	}{
		{"sized exactly from Content-Length", long, 100_000, false, 1 << 20, long, false, 100_001},
		{"no length: grows", long, -1, false, 1 << 20, long, false, 0},
		{"at the limit", long, -1, false, 100_000, long, false, 0},
		{"one past the limit", long + "y", -1, false, 100_000, "", true, 0},
		{"length past the limit", long + "y", 100_001, false, 100_000, "", true, 0},
		{"gzip the transport left alone", gz.String(), int64(gz.Len()), true, 1 << 20, `["zipped"]`, false, 0},
		{"empty", "", 0, false, 1 << 20, "", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := &http.Response{Body: io.NopCloser(strings.NewReader(tt.body)), ContentLength: tt.length, Header: http.Header{}}
			if tt.gzip {
				res.Header.Set("Content-Encoding", "gzip")
			}
			got, err := readBody(res, tt.limit, nil)
			if err == nil && len(got) > 0 {
				// Given a buffer with room, readBody reads into it; given
				// one without, into a new one.
				for _, room := range []int{len(got) + 1, len(got) / 2} {
					buf := make([]byte, 3, room)
					res := &http.Response{Body: io.NopCloser(strings.NewReader(tt.body)), ContentLength: tt.length, Header: res.Header}
					again, err := readBody(res, tt.limit, buf)
					if err != nil || !bytes.Equal(again, got) {
						t.Fatalf("into a buffer of %d: got %d bytes, %v", room, len(again), err)
					}
					size := 32 << 10 // what readBody asks for: Content-Length+1 when known
					if tt.length > 0 {
						size = int(tt.length) + 1
					}
					if shared := &again[:1][0] == &buf[:1][0]; shared != (room >= size && room > len(got)) {
						t.Errorf("into a buffer of %d (body %d, length %d): used it = %v", room, len(got), tt.length, shared)
					}
				}
			}
			if tt.tooBig {
				if !errors.Is(err, resty.ErrResponseBodyTooLarge) {
					t.Fatalf("err = %v, want too large", err)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("got %d bytes, %v", len(got), err)
			}
			if tt.wantCap != 0 && cap(got) != tt.wantCap {
				t.Errorf("cap %d, want %d: the buffer was regrown", cap(got), tt.wantCap)
			}
		})
	}
}
