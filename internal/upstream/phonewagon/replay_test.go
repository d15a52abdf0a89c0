package phonewagon

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestGETsCarryNoBodyOnTheWire(t *testing.T) {
	var te []string
	var length int64 = -2
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		te, length = r.TransferEncoding, r.ContentLength
		_, _ = w.Write([]byte(`{"companies":[]}`))
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, ClientID: "id", ClientSecret: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Companies(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(te) != 0 || length != 0 {
		t.Fatalf("request framing: got Transfer-Encoding %v and Content-Length %d, want none and 0", te, length)
	}
}
