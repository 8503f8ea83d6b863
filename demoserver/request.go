package demoserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// readObject reads a JSON object body. The spec makes the PATCH bodies
// optional, so allowEmpty reads an empty body as {}.
func readObject(w http.ResponseWriter, req *http.Request, allowEmpty bool) (map[string]json.RawMessage, *apiError) {
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, errorf(http.StatusBadRequest, "request body is larger than %d bytes", tooBig.Limit)
		}
		return nil, errorf(http.StatusBadRequest, "read request body: %v", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if allowEmpty {
			return map[string]json.RawMessage{}, nil
		}
		return nil, errorf(http.StatusBadRequest, "request body is required (a JSON object)")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return nil, errorf(http.StatusBadRequest, "malformed request body: want a JSON object")
	}
	return m, nil
}

func isNull(raw json.RawMessage) bool {
	return bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// optString reads a string field; absent and null both read as not set.
func optString(m map[string]json.RawMessage, name string) (string, bool, *apiError) {
	raw, ok := m[name]
	if !ok || isNull(raw) {
		return "", false, nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", false, errorf(http.StatusBadRequest, "%s must be a string", name)
	}
	return v, true, nil
}

// optBool reads a boolean field; absent and null both read as not set.
func optBool(m map[string]json.RawMessage, name string) (bool, bool, *apiError) {
	raw, ok := m[name]
	if !ok || isNull(raw) {
		return false, false, nil
	}
	var v bool
	if err := json.Unmarshal(raw, &v); err != nil {
		return false, false, errorf(http.StatusBadRequest, "%s must be true or false", name)
	}
	return v, true, nil
}

// optInt reads an integer field strictly: 60 is fine, "60", 60.5 and 6e1
// are not. Absent and null both read as not set.
func optInt(m map[string]json.RawMessage, name string) (int64, bool, *apiError) {
	raw, ok := m[name]
	if !ok || isNull(raw) {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64)
	if err != nil {
		return 0, false, errorf(http.StatusBadRequest, "%s must be a whole number", name)
	}
	return n, true, nil
}

// page reads offset and limit (default 0 and 100; the limit no more than
// Options.MaxPageSize when that is set). Anything but a
// non-negative whole number is a 400, as the spec's integer types imply.
func (s *Server) page(q url.Values) (offset, limit int, e *apiError) {
	offset, e = intParam(q, "offset", 0)
	if e != nil {
		return 0, 0, e
	}
	limit, e = intParam(q, "limit", defaultPageSize)
	if s.maxPage > 0 {
		limit = min(limit, s.maxPage)
	}
	return offset, limit, e
}

func intParam(q url.Values, name string, def int) (int, *apiError) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, errorf(http.StatusBadRequest, "%s must be a non-negative integer, got %q", name, v)
	}
	return n, nil
}

func boolParam(q url.Values, name string, def bool) (bool, *apiError) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errorf(http.StatusBadRequest, "%s must be true or false, got %q", name, v)
	}
	return b, nil
}

// window returns the [lo, hi) bounds of a page over n items, without
// overflowing on huge offsets or limits.
func window(n, offset, limit int) (int, int) {
	lo := min(offset, n)
	hi := n
	if limit < n-lo {
		hi = lo + limit
	}
	return lo, hi
}
