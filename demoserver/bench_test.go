package demoserver

import (
	"net/http"
	"net/http/httptest"
	"testing"
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
