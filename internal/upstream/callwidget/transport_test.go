package callwidget

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"switchboard/internal/domain"
)

func TestARevokedTokenCostsOneRefreshAndTheRequestSucceeds(t *testing.T) {
	f := newFakeUpstream(t)
	c := newTestClient(t, f, newFakeClock(), nil)
	mustTags(t, c)

	f.revokeAccess()
	mustTags(t, c)

	logins, refreshes, shares := f.counts()
	if logins != 1 || refreshes != 1 || shares != 3 {
		t.Fatalf("got %d logins, %d refreshes, %d requests; want 1, 1, 3", logins, refreshes, shares)
	}
	seen, refused := f.authorizations()
	if refused != 1 || seen[1] != "Bearer access-1" || seen[2] != "Bearer access-2" {
		t.Fatalf("got Authorization %q with %d refused, want access-1 refused once then access-2", seen, refused)
	}
}

func TestConcurrentRequestsWithARevokedTokenRenewItOnce(t *testing.T) {
	f := newFakeUpstream(t)
	c := newTestClient(t, f, newFakeClock(), nil)
	mustTags(t, c)
	f.revokeAccess()

	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { mustTags(t, c) })
	}
	wg.Wait()

	if logins, refreshes, _ := f.counts(); logins != 1 || refreshes != 1 {
		t.Fatalf("got %d logins and %d refreshes, want 1 and 1", logins, refreshes)
	}
}

func TestASecond401IsUpstreamAuthFailedAfterExactlyOneRetry(t *testing.T) {
	f := newFakeUpstream(t)
	f.set(func(f *fakeUpstream) {
		f.share = func(w http.ResponseWriter, _ *http.Request, _ int) {
			http.Error(w, `{"message":"Unauthenticated."}`, http.StatusUnauthorized)
		}
	})
	c := newTestClient(t, f, newFakeClock(), nil)

	_, _, err := c.Tags(context.Background())
	assertCode(t, err, domain.CodeUpstreamAuthFailed)
	if logins, refreshes, shares := f.counts(); logins != 1 || refreshes != 1 || shares != 2 {
		t.Fatalf("got %d logins, %d refreshes, %d requests; want 1, 1, 2", logins, refreshes, shares)
	}
}

func TestARetriedRequestCarriesItsBodyAgain(t *testing.T) {
	const body = `{"phone":"+17862455063","install":"+17866275049"}`
	tests := []struct {
		name    string
		newBody func() io.Reader
	}{
		{name: "a body with GetBody is replayed from it", newBody: func() io.Reader { return strings.NewReader(body) }},
		{name: "a body without GetBody is buffered", newBody: func() io.Reader { return io.MultiReader(strings.NewReader(body)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeUpstream(t)
			c := newTestClient(t, f, newFakeClock(), nil)
			mustTags(t, c)
			f.revokeAccess()
			f.set(func(f *fakeUpstream) {
				f.share = func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(http.StatusCreated) }
			})

			req, err := http.NewRequest(http.MethodPost, f.baseURL()+"/share/new-contact", tt.newBody())
			if err != nil {
				t.Fatal(err)
			}
			setJSONHeaders(req.Header, true)
			resp, err := c.http.Do(req)
			if err != nil {
				t.Fatalf("POST: %v", err)
			}
			closeBody(resp)

			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("got status %d, want 201", resp.StatusCode)
			}
			if got := f.postedBodies(); len(got) != 2 || got[0] != body || got[1] != body {
				t.Fatalf("got bodies %q, want the body twice", got)
			}
		})
	}
}

func TestATokenIsNeverSentToAnotherOrigin(t *testing.T) {
	f := newFakeUpstream(t)
	var hits int
	var mu sync.Mutex
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		hits++
	}))
	defer other.Close()
	c := newTestClient(t, f, newFakeClock(), nil)

	req, err := http.NewRequest(http.MethodGet, other.URL+"/api/v1/share/tags", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.http.Do(req); !errors.Is(err, errForeignOrigin) {
		t.Fatalf("got %v, want errForeignOrigin", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if logins, _, _ := f.counts(); hits != 0 || logins != 0 {
		t.Fatalf("got %d requests elsewhere and %d logins, want none", hits, logins)
	}
}

func TestARedirectIsNotFollowed(t *testing.T) {
	f := newFakeUpstream(t)
	f.set(func(f *fakeUpstream) {
		f.share = func(w http.ResponseWriter, r *http.Request, _ int) {
			http.Redirect(w, r, "https://evil.example/steal", http.StatusFound)
		}
	})
	c := newTestClient(t, f, newFakeClock(), nil)

	_, resp, err := c.Tags(context.Background())
	assertCode(t, err, domain.CodeUpstreamError)
	if resp == nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("got response %v, want the 302 itself", resp)
	}
}

func TestOriginsCompareCanonically(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{name: "the default https port is implied", a: "https://API.callwidget.co/x", b: "https://api.callwidget.co:443/y", same: true},
		{name: "the default http port is implied", a: "http://127.0.0.1/x", b: "http://127.0.0.1:80", same: true},
		{name: "another port is another origin", a: "http://127.0.0.1:8080", b: "http://127.0.0.1:8081", same: false},
		{name: "another scheme is another origin", a: "http://h.example", b: "https://h.example", same: false},
		{name: "a subdomain is another origin", a: "https://api.callwidget.co", b: "https://api.callwidget.co.evil.example", same: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := http.NewRequest(http.MethodGet, tt.a, nil)
			b, _ := http.NewRequest(http.MethodGet, tt.b, nil)
			if got := originOf(a.URL) == originOf(b.URL); got != tt.same {
				t.Fatalf("same origin = %v (%s vs %s), want %v", got, originOf(a.URL), originOf(b.URL), tt.same)
			}
		})
	}
}
