package mirror

import "context"

// RequestFollow implements FollowRequests.
func (s *MemoryStore) RequestFollow(_ context.Context, account string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account(account)
	a.requested++
	return a.requested, nil
}

// Requested implements FollowRequests.
func (s *MemoryStore) Requested(_ context.Context, account string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lookup(account).requested, nil
}

// MarkFollowed implements FollowRequests. The mark never moves back: a
// follow that finishes after a later one did leaves the later mark.
func (s *MemoryStore) MarkFollowed(_ context.Context, account string, fence, seq int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account(account)
	if s.fenced(a, fence) {
		return ErrFenced
	}
	a.followed = max(a.followed, seq)
	return nil
}

// Followed implements FollowRequests.
func (s *MemoryStore) Followed(_ context.Context, account string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lookup(account).followed, nil
}
