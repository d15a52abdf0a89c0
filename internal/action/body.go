package action

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"switchboard/internal/domain"
)

// checkContentType accepts application/json and any application/*+json
// type, case-insensitively, with parameters. A charset other than UTF-8 is
// refused: JSON on the wire is UTF-8 (RFC 8259 §8.1), and a body declared
// otherwise would be misread rather than transcoded.
func checkContentType(contentType string) error {
	if strings.TrimSpace(contentType) == "" {
		return domain.Errorf(domain.CodeUnsupportedMediaType,
			"the Content-Type header is missing; send application/json")
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return domain.Wrap(fmt.Errorf("action: parse content type: %w", err),
			domain.CodeUnsupportedMediaType, "the Content-Type header is malformed; send application/json")
	}
	if !isJSONMediaType(mediaType) {
		return domain.Errorf(domain.CodeUnsupportedMediaType,
			"the Content-Type must be application/json")
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		return domain.Errorf(domain.CodeUnsupportedMediaType,
			"the Content-Type charset must be utf-8")
	}
	return nil
}

// isJSONMediaType reports whether a lower-case media type (as returned by
// mime.ParseMediaType) is application/json or application/<x>+json.
func isJSONMediaType(mediaType string) bool {
	if mediaType == "application/json" {
		return true
	}
	sub, ok := strings.CutPrefix(mediaType, "application/")
	return ok && len(sub) > len("+json") && strings.HasSuffix(sub, "+json")
}

// readBody reads at most domain.MaxBodyBytes from body. A longer body, whether
// this package's own cap or the HTTP layer's *http.MaxBytesError finds it,
// is payload-too-large; another read failure (the client went away) is a
// validation error on "body", since nothing usable arrived.
func readBody(body io.Reader) ([]byte, error) {
	if body == nil {
		return nil, nil
	}
	data, err := io.ReadAll(io.LimitReader(body, domain.MaxBodyBytes+1))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge) || (err == nil && len(data) > domain.MaxBodyBytes):
		e := domain.Errorf(domain.CodePayloadTooLarge, "the request body exceeds %d bytes", domain.MaxBodyBytes)
		if err != nil {
			e.Err = fmt.Errorf("action: read body: %w", err)
		}
		return nil, e
	case err != nil:
		e := domain.ValidationError(domain.FieldError{Field: fieldBody, Message: "could not be read"})
		e.Err = fmt.Errorf("action: read body: %w", err)
		return nil, e
	}
	return data, nil
}
