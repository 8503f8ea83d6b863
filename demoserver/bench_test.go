package demoserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"h2ogpte-keys/model"
)

// BenchmarkSeedExtraKeys measures building a server for scale demos.
func BenchmarkSeedExtraKeys(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		New(Options{Seed: 1, ExtraKeys: 100_000})
	}
}

// BenchmarkListKeys measures one page of the admin listing over 100,000
// keys, unfiltered (a slice of the sorted index) and filtered (a scan).
func BenchmarkListKeys(b *testing.B) {
	s := New(Options{Seed: 1, ExtraKeys: 100_000})
	for _, q := range []string{"?offset=50000&limit=100", "?filter=user0042&limit=100"} {
		b.Run(q, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/api/v1/admin/api_keys"+q, nil)
			req.Header.Set("Authorization", "Bearer "+DemoToken)
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatal(rec.Code)
				}
			}
		})
	}
}

// BenchmarkSeedExtraKeys1M measures building a server of a million keys.
func BenchmarkSeedExtraKeys1M(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		New(Options{Seed: 1, ExtraKeys: 1_000_000})
	}
}

// BenchmarkEncodePage encodes one 100-key listing page the old way
// (encoding/json over the wire form) and with the listing encoder.
func BenchmarkEncodePage(b *testing.B) {
	s := New(Options{Seed: 1, ExtraKeys: 1000})
	keys := make([]model.APIKey, 100)
	ptrs := make([]*model.APIKey, 100)
	for i := range keys {
		keys[i] = s.keys[500+i].key
		ptrs[i] = &keys[i]
	}
	want, _ := json.Marshal(s.spelling.wireAll(keys))
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(want)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(s.spelling.wireAll(keys)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("append", func(b *testing.B) {
		b.SetBytes(int64(len(want)))
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			var ok bool
			if buf, ok = s.spelling.appendKeys(buf[:0], ptrs); !ok {
				b.Fatal("refused")
			}
		}
	})
}
