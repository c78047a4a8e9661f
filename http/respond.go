package http

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/ttr-rip/ttr/messages"
)

// statusOf is the one table from application error codes to HTTP statuses.
var statusOf = map[messages.ErrCode]int{
	messages.ENotFound:     http.StatusNotFound,
	messages.EInvalid:      http.StatusBadRequest,
	messages.EConflict:     http.StatusConflict,
	messages.EPrecondition: http.StatusPreconditionFailed,
	messages.EUnauthorized: http.StatusUnauthorized,
	messages.EForbidden:    http.StatusForbidden,
	messages.ERateLimited:  http.StatusTooManyRequests,
	messages.EUnavailable:  http.StatusServiceUnavailable,
	messages.ETooLarge:     http.StatusRequestEntityTooLarge,
	messages.EStale:        http.StatusServiceUnavailable, // only if re-resolving did not help
	messages.EInternal:     http.StatusInternalServerError,
}

// StatusOf maps an error to its HTTP status.
func StatusOf(err error) int {
	if s, ok := statusOf[messages.CodeOf(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// writeJSON writes v as JSON with status. v is encoded before anything is sent: a value
// JSON cannot carry (a time beyond the year 9999) answers 500 instead of the status with an
// empty body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"detail":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// writeError writes {"detail": …} for err: its user-safe message and mapped status, with
// Retry-After where the error carries one. Internal errors are reported as such without
// detail; the caller logs them.
func writeError(w http.ResponseWriter, err error) {
	status := StatusOf(err)
	var e *messages.Error
	if (errors.As(err, &e) && e.RetryAfter > 0) || status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.FormatInt(RetryAfterSeconds(err), 10))
	}
	writeJSON(w, status, map[string]string{"detail": messages.MessageOf(err)})
}

// invalid returns an EInvalid error with a formatted message.
func invalid(format string, args ...any) error {
	return messages.Errorf(messages.EInvalid, format, args...)
}

// decodeJSON reads one JSON object from r's body into v: at most limit bytes (ETooLarge
// beyond), unknown fields rejected, trailing data rejected, and type errors named by field.
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	if err := requireJSON(r); err != nil {
		return err
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return jsonError(err)
		}
		return invalid("request body must hold one JSON object")
	}
	return nil
}

// errNotJSON answers a request whose body is not declared as JSON.
var errNotJSON = messages.Errorf(messages.EInvalid, "Content-Type must be application/json")

// requireJSON accepts a request whose Content-Type is application/json, parameters allowed
// ("application/json; charset=utf-8"); anything else, an absent type included, is EInvalid.
// A browser sends such a type across sites only after a CORS preflight, which ttr's API never
// grants.
func requireJSON(r *http.Request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return errNotJSON
	}
	return nil
}

func jsonError(err error) error {
	var (
		mbe  *http.MaxBytesError
		syn  *json.SyntaxError
		typ  *json.UnmarshalTypeError
		perr *messages.Error
	)
	switch {
	case errors.As(err, &mbe):
		return messages.Errorf(messages.ETooLarge, "request body larger than %d bytes", mbe.Limit)
	case errors.As(err, &perr):
		return perr
	case errors.As(err, &syn):
		return invalid("malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return invalid("field %q must be %s", typ.Field, jsonKind(typ.Type.Kind().String()))
		}
		return invalid("request body must be a JSON object")
	case errors.Is(err, io.EOF):
		return invalid("request body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("malformed JSON: unexpected end")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return invalid("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	default:
		return invalid("malformed JSON: %s", fmt.Sprint(err))
	}
}

func jsonKind(k string) string {
	switch k {
	case "int", "int32", "int64", "uint", "uint32", "uint64":
		return "an integer"
	case "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	case "slice":
		return "an array"
	case "struct", "map", "ptr":
		return "an object"
	}
	return "of another type"
}

// CodeOfStatus is statusOf read backwards: the application error code of an HTTP error
// status the edge answers (the web UI reads the API's answers in-process). 503 is
// EUnavailable; a status the table does not hold is EInternal.
func CodeOfStatus(status int) messages.ErrCode {
	if status == http.StatusServiceUnavailable {
		return messages.EUnavailable
	}
	for code, s := range statusOf {
		if s == status {
			return code
		}
	}
	return messages.EInternal
}
