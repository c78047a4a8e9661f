package checkconfig_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/ttr-rip/ttr/actors/checkconfig"
	"github.com/ttr-rip/ttr/messages"
)

func TestEditBadge(t *testing.T) {
	const (
		idA = "AAAAAAAAAAAAAAAAAAAAAAAA"
		idB = "BBBBBBBBBBBBBBBBBBBBBBBB"
	)
	tests := []struct {
		name    string
		cur     string // the badge id the check has
		edit    *messages.CheckEdit
		want    string
		errCode messages.ErrCode
	}{
		{"enable", "", &messages.CheckEdit{BadgeEnabled: proto.Bool(true), NewBadgeId: idA}, idA, ""},
		{"enable again keeps the id", idA, &messages.CheckEdit{BadgeEnabled: proto.Bool(true), NewBadgeId: idB}, idA, ""},
		{"enable without an id", "", &messages.CheckEdit{BadgeEnabled: proto.Bool(true)}, "", messages.EInvalid},
		{"disable", idA, &messages.CheckEdit{BadgeEnabled: proto.Bool(false)}, "", ""},
		{"reset disables", idA, &messages.CheckEdit{ResetFields: []messages.CheckField{messages.CheckField_CHECK_FIELD_BADGE_ENABLED}}, "", ""},
		{"other fields keep it", idA, &messages.CheckEdit{Name: proto.String("x")}, idA, ""},
		{"rotate", idA, &messages.CheckEdit{RotateBadge: true, NewBadgeId: idB}, idB, ""},
		{"rotate a disabled badge", "", &messages.CheckEdit{RotateBadge: true, NewBadgeId: idB}, "", messages.EConflict},
		{"rotate to the same id", idA, &messages.CheckEdit{RotateBadge: true, NewBadgeId: idA}, "", messages.EInvalid},
		{"enable with a short id", "", &messages.CheckEdit{BadgeEnabled: proto.Bool(true), NewBadgeId: "short"}, "", messages.EInvalid},
		{"set and reset", idA, &messages.CheckEdit{BadgeEnabled: proto.Bool(true),
			ResetFields: []messages.CheckField{messages.CheckField_CHECK_FIELD_BADGE_ENABLED}}, "", messages.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur := checkconfig.Default(uuid)
			cur.BadgeID = tt.cur
			got, err := checkconfig.Edit(cur, tt.edit, uuid, now)
			if tt.errCode != "" {
				if messages.CodeOf(err) != tt.errCode {
					t.Fatalf("err = %v, want code %s", err, tt.errCode)
				}
				return
			}
			if err != nil || got.BadgeID != tt.want {
				t.Fatalf("badge id %q, %v; want %q", got.BadgeID, err, tt.want)
			}
		})
	}
}
