package callwidgetsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"switchboard/internal/sandbox/simhttp"
)

// maxBody caps what the simulator reads of a request body.
const maxBody = 1 << 20

// readObject reads the body as a JSON object. The docs send JSON with a
// Content-Type header, but the simulator does not insist on the header: any
// body that is a JSON object is accepted, anything else is an error whose
// message is safe to answer with.
func readObject(r *http.Request) (map[string]any, json.RawMessage, error) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, nil, errors.New("the request body could not be read")
	}
	if len(raw) > maxBody {
		return nil, nil, errors.New("the request body is too large")
	}
	var obj map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep "automation": 2 an integer
	if !json.Valid(raw) || dec.Decode(&obj) != nil || obj == nil {
		return nil, nil, errors.New("the request body must be a JSON object")
	}
	return obj, raw, nil
}

// writeMessage writes the {"message": ...} error body the API uses.
func writeMessage(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]string{"message": message})
}

// bufferBody reads the request body up front and puts it back, so that
// net/http starts watching the connection and a client that gives up during
// the latency cancels the request context (it only does so once the body
// has been read). It reports false when the body could not be read.
func bufferBody(r *http.Request) bool {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	return true
}

// writeJSON writes v as the API's JSON answer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	simhttp.WriteJSON(w, status, v, []byte(`{"message":"Server Error"}`))
}
