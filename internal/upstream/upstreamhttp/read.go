package upstreamhttp

import (
	"errors"
	"io"
)

// ErrBodyTooLarge reports an upstream answer over its size cap.
var ErrBodyTooLarge = errors.New("response body exceeds its size limit")

// ReadCapped reads r whole, failing with ErrBodyTooLarge past limit bytes,
// so that a broken upstream cannot exhaust memory.
func ReadCapped(r io.Reader, limit int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > limit {
		return nil, ErrBodyTooLarge
	}
	return body, nil
}
