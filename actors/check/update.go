package check

import (
	"encoding/json"
	"errors"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/ttr-rip/ttr/messages"
)

// onUpdate applies a configuration sent by an edge of the previous release, which merged the
// user's change into the whole configuration it knew and sends it as JSON (Update). This
// release's edge sends Edit, which names the fields it changes; Update is accepted only so
// that edits through an older edge keep working during a rolling upgrade, and can go once
// no release in service sends it.
func (a *checkActor) onUpdate(ctx actor.Context, env *messages.Envelope, sender *actor.PID) {
	var m messages.Update
	if !a.decodeOwned(ctx, env, sender, &m) {
		return
	}
	cfg, err := overlayConfig(a.chk.CheckConfig, m.ConfigJson)
	if err != nil {
		respond(ctx, sender, invalid(err.Error()))
		return
	}
	a.reconfigure(ctx, cfg, sender)
}

// overlayConfig returns cur with the fields that b, an older edge's configuration JSON,
// carries. A field the older release does not know (the badge, the ping filter) is absent
// from b and keeps its value: decoding b on its own would reset it to its zero value, so an
// edit through an older edge would silently disable a badge or a method filter.
func overlayConfig(cur messages.CheckConfig, b []byte) (messages.CheckConfig, error) {
	if len(b) == 0 {
		return cur, errors.New("empty configuration")
	}
	// json.Unmarshal decodes into what a pointer points at: work on a copy, so that the
	// actor's configuration does not change before the edit is validated and committed.
	cfg := cur.Clone()
	if err := json.Unmarshal(b, &cfg); err != nil {
		return cur, err
	}
	return cfg, nil
}
