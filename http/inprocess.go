package http

import (
	"context"
	"encoding/json"
	"net/http"
)

// In-process answers. The web UI calls the API in-process as the signed-in browser (APIUser):
// every request goes through the same route, authentication, scopes, limits, validation and
// errors as a script's. For the answers a page renders in bulk (the dashboard's aggregate),
// writing JSON only for the page to read it back costs more than building the answer, so a
// caller may ask for the answer's Go value instead: the handler runs unchanged and hands its
// value to the caller's sink where it would have encoded it. Errors are still written as
// JSON, as for anyone. The sink lives in the request's context, which only code in the
// process can set: a client cannot ask for it.

type answerSinkKey struct{}

// AnswerSink takes an answer's Go value; it returns false to have it written as JSON after
// all (a value of a type the caller does not expect).
type AnswerSink func(v any) bool

// WithAnswerSink returns ctx under which the API routes that support it hand their answer's
// value to sink instead of writing it (Aggregate for GET /api/v1/checks/aggregate).
func WithAnswerSink(ctx context.Context, sink AnswerSink) context.Context {
	return context.WithValue(ctx, answerSinkKey{}, sink)
}

// Aggregate is the answer of GET /api/v1/checks/aggregate as an in-process caller receives
// it (its JSON is documented in docs/api.md). Its times convert to time.Time.
type Aggregate = aggregateJSON

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
