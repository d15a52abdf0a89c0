package events_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/events"
)

// verifyWebhook is what a receiver runs on every delivery (README
// "Events"): recompute the signature from the three headers and the raw
// body, compare in constant time, and refuse a timestamp more than five
// minutes off (a replayed request).
func verifyWebhook(secret string, r *http.Request) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return nil, fmt.Errorf("bad secret")
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	id, ts := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return nil, fmt.Errorf("timestamp missing or too far off")
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	// The header may list several space-separated signatures (key rotation).
	for _, sig := range strings.Fields(r.Header.Get("webhook-signature")) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return body, nil
		}
	}
	return nil, fmt.Errorf("no valid signature")
}

// A receiver verifies each delivery before trusting it; the same event id
// (webhook-id) may arrive again after a failed attempt, so it processes
// each id once.
func Example_verifyWebhook() {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := verifyWebhook(secret, r); err != nil {
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		fmt.Println("verified", r.Header.Get("webhook-id"))
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()

	// What Switchboard sends (here signed by its own signer).
	signer, _ := events.NewSigner(domain.Secret(secret))
	body := []byte(`{"id":"1764676800000-0","type":"call.created","created_at":"2025-12-02T12:00:00Z","data":{"id":"6315"}}`)
	req, _ := http.NewRequest(http.MethodPost, receiver.URL, bytes.NewReader(body))
	signer.SetHeaders(req.Header, "1764676800000-0", time.Now(), body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	// Output:
	// verified 1764676800000-0
	// 204
}
