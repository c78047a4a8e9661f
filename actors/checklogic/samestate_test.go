package checklogic_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/checklogic"
	"github.com/ttr-rip/ttr/messages"
)

// TestSameStateCoversEveryField changes each field of CheckState in turn and expects
// SameState to notice: a field added to CheckState but not compared fails here.
func TestSameStateCoversEveryField(t *testing.T) {
	base := messages.CheckState{Status: messages.StatusUp, FlapHistory: []time.Time{time.Unix(1, 0).UTC()}}
	typ := reflect.TypeOf(base)
	for i := range typ.NumField() {
		f := typ.Field(i)
		changed := base
		changed.FlapHistory = append([]time.Time(nil), base.FlapHistory...)
		v := reflect.ValueOf(&changed).Elem().Field(i)
		switch v.Interface().(type) {
		case string, messages.CheckStatus, messages.PingLogKind:
			v.SetString("x")
		case bool:
			v.SetBool(true)
		case int32, int64:
			v.SetInt(7)
		case time.Duration:
			v.SetInt(int64(time.Second))
		case time.Time:
			v.Set(reflect.ValueOf(time.Unix(2, 0).UTC()))
		case []time.Time:
			v.Set(reflect.ValueOf([]time.Time{time.Unix(3, 0).UTC()}))
		default:
			t.Fatalf("field %s has type %s: teach this test (and SameState) about it", f.Name, f.Type)
		}
		if checklogic.SameState(base, changed) {
			t.Errorf("SameState ignores a change of %s", f.Name)
		}
		if !checklogic.SameState(changed, changed) {
			t.Errorf("SameState(x, x) is false after setting %s", f.Name)
		}
	}
	// A nil history equals an empty one; histories compare as instants.
	a, b := base, base
	a.FlapHistory, b.FlapHistory = nil, []time.Time{}
	if !checklogic.SameState(a, b) {
		t.Error("a nil flap history differs from an empty one")
	}
	a.FlapHistory = []time.Time{time.Unix(1, 0).UTC()}
	b.FlapHistory = []time.Time{time.Unix(1, 0).In(time.FixedZone("X", 3600))}
	if !checklogic.SameState(a, b) {
		t.Error("equal instants in another zone differ")
	}
}
