package fault

import (
	"net/http"
	"sync"
)

// Switch holds the fault currently injected into a simulator. The zero value
// is ready to use and has no fault. A Switch is safe for concurrent use: a
// test may inject or clear while requests are in flight.
type Switch struct {
	mu      sync.Mutex
	active  bool
	fault   Fault
	left    int           // remaining requests when fault.Times > 0
	release chan struct{} // closed by Clear or Inject to let hung requests go
}

// Inject replaces the current fault with f. Requests hung by a previous
// KindHang fault are released.
func (s *Switch) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releaseLocked()
	s.active = true
	s.fault = f
	s.left = f.Times
}

// Clear removes the current fault and releases requests it is hanging.
func (s *Switch) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releaseLocked()
	s.active = false
	s.fault = Fault{}
	s.left = 0
}

// releaseLocked wakes every request hung by the current fault.
func (s *Switch) releaseLocked() {
	if s.release != nil {
		close(s.release)
		s.release = nil
	}
}

// take returns the fault for a request to one of paths, consuming one of its
// Times, and the channel that releases a hang.
func (s *Switch) take(paths []string) (Fault, <-chan struct{}, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.active || !s.fault.matches(paths) {
		return Fault{}, nil, false
	}
	f := s.fault
	if f.Times > 0 {
		s.left--
		if s.left <= 0 {
			s.active = false
		}
	}
	if s.release == nil {
		s.release = make(chan struct{})
	}
	return f, s.release, true
}

// Serve answers r with the injected fault when one applies and reports
// whether it did; when it returns false nothing was written and the caller
// serves the request normally. paths are the forms of the request path the
// fault's PathPrefix may match (a simulator under /api/v1 passes both the
// full path and the path below /api/v1); with none, r.URL.Path is used.
func (s *Switch) Serve(w http.ResponseWriter, r *http.Request, paths ...string) bool {
	if len(paths) == 0 {
		paths = []string{r.URL.Path}
	}
	f, release, ok := s.take(paths)
	if !ok {
		return false
	}
	write(w, r, f, release)
	return true
}
