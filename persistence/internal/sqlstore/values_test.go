package sqlstore

import (
	"database/sql"
	"slices"
	"testing"
	"time"
)

func TestTimesRoundTrip(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	tests := []struct {
		name string
		in   []time.Time
		want []time.Time
	}{
		{"empty is NULL", nil, nil},
		{"kept to the millisecond", []time.Time{t0, t0.Add(time.Hour)}, []time.Time{t0.Truncate(time.Millisecond), t0.Add(time.Hour).Truncate(time.Millisecond)}},
		{"before 1970", []time.Time{time.UnixMilli(-5).UTC()}, []time.Time{time.UnixMilli(-5).UTC()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := EncodeTimes(tt.in)
			if len(tt.in) == 0 && b != nil {
				t.Fatalf("EncodeTimes(empty) = %v, want nil", b)
			}
			got, err := decodeTimes(b)
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("decodeTimes(EncodeTimes(%v)) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
	if _, err := decodeTimes(make([]byte, 7)); err == nil {
		t.Error("decodeTimes of 7 bytes: no error")
	}
}

func TestNullableValues(t *testing.T) {
	t0 := time.UnixMilli(1_700_000_000_123).UTC()
	if got := MS(time.Time{}); got != nil {
		t.Errorf("MS(zero) = %v, want NULL", got)
	}
	if got := FromMS(sql.NullInt64{Int64: MS(t0).(int64), Valid: true}); !got.Equal(t0) || got.Location() != time.UTC {
		t.Errorf("FromMS(MS(%v)) = %v", t0, got)
	}
	if got := FromMS(sql.NullInt64{}); !got.IsZero() {
		t.Errorf("FromMS(NULL) = %v", got)
	}
	if got := DurMS(-1); got != nil {
		t.Errorf("DurMS(-1) = %v, want NULL", got)
	}
	if got := fromDurMS(sql.NullInt64{}); got != -1 {
		t.Errorf("fromDurMS(NULL) = %v, want -1", got)
	}
	if got := fromDurMS(sql.NullInt64{Int64: DurMS(1500 * time.Millisecond).(int64), Valid: true}); got != 1500*time.Millisecond {
		t.Errorf("duration round trip = %v", got)
	}
	if Blob(nil) != nil || Blob([]byte{}) != nil || NullStr("") != nil {
		t.Error("empty bytes or string not stored as NULL")
	}
}

func TestTags(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"prod"}, " prod "},
		{[]string{"prod", "db"}, " prod db "},
	}
	for _, tt := range tests {
		got := encodeTags(tt.in)
		if got != tt.want {
			t.Errorf("encodeTags(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if back := decodeTags(got); !slices.Equal(back, tt.in) {
			t.Errorf("decodeTags(%q) = %q, want %q", got, back, tt.in)
		}
	}
}

func TestCleanText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"nul\x00here", "nul\uFFFDhere"},
		{"bad\xffutf8", "bad\uFFFDutf8"},
	}
	for _, tt := range tests {
		if got := CleanText(tt.in); got != tt.want {
			t.Errorf("CleanText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
