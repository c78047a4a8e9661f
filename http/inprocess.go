package http

import (
	"context"
	"encoding/json"
	"net/http"
)

// In-process answers. The web UI calls the API in-process as the signed-in browser (APIUser):
// every request goes through the same route, authentication, scopes, limits, validation and
// errors as a script's. For the answers the pages render (the check JSON, a check's logs, a
// channel's rate and test send, the badge key), a caller may ask for the
// answer's Go value instead of its JSON: the handler runs unchanged and hands its value to the
// caller's sink where it would have encoded it, so the pages read the API's own types rather
// than a copy of them, and nothing is written only to be read back. Errors are still written
// as JSON, as for anyone. The sink lives in the request's context, which only code in the
// process can set: a client cannot ask for it.

type answerSinkKey struct{}

// AnswerSink takes an answer's Go value; it returns false to have it written as JSON after
// all (a value of a type the caller does not expect).
type AnswerSink func(v any) bool

// WithAnswerSink returns ctx under which the API routes that support it hand their answer's
// value to sink instead of writing it:
//   - *Aggregate for GET /api/v1/checks/aggregate
//   - *CheckJSON for GET /api/v1/checks/{id} (and PATCH and the actions that answer the check)
//   - *PingLogJSON, *FlipLogJSON, *DeliveryLogJSON for GET /api/v1/checks/{id}/pings, …/flips
//     and …/deliveries
//   - *RateJSON for GET /api/v1/checks/{id}/{channel}/rate
//   - *TestSendJSON for POST /api/v1/checks/{id}/{channel}/test
//   - *BadgeKeyJSON for GET /api/v1/user/badge-key
func WithAnswerSink(ctx context.Context, sink AnswerSink) context.Context {
	return context.WithValue(ctx, answerSinkKey{}, sink)
}

// writeAnswer answers v with status: to the request's answer sink when it has one that takes
// v, as JSON otherwise. Headers set on w before (ETag) are kept either way.
func writeAnswer(w http.ResponseWriter, r *http.Request, status int, v any) error {
	if sink, ok := r.Context().Value(answerSinkKey{}).(AnswerSink); ok && sink(v) {
		w.WriteHeader(status)
		return nil
	}
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
	return nil
}
