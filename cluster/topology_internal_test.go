package cluster

import (
	"slices"
	"testing"
)

func TestPlaceRule(t *testing.T) {
	mi := func(id string, s State, storeOK bool) MemberInfo {
		return MemberInfo{Member: Member{ID: id}, State: s, StoreOK: storeOK, Protocol: 1}
	}
	tests := []struct {
		name   string
		infos  []MemberInfo
		placed []string
	}{
		{"all active", []MemberInfo{mi("a", StateActive, true), mi("b", StateActive, true), mi("c", StateActive, true)}, []string{"a", "b", "c"}},
		{"joining and draining are not placed", []MemberInfo{mi("a", StateJoining, true), mi("b", StateActive, true), mi("c", StateDraining, true)}, []string{"b"}},
		{"a minority lost the store", []MemberInfo{mi("a", StateActive, true), mi("b", StateActive, true), mi("c", StateActive, false)}, []string{"a", "b"}},
		{"half lost it: nobody excluded", []MemberInfo{mi("a", StateActive, true), mi("b", StateActive, false)}, []string{"a", "b"}},
		{"a majority lost it", []MemberInfo{mi("a", StateActive, true), mi("b", StateActive, false), mi("c", StateActive, false)}, []string{"a", "b", "c"}},
		{"everyone lost it", []MemberInfo{mi("a", StateActive, false), mi("b", StateActive, false), mi("c", StateActive, false)}, []string{"a", "b", "c"}},
		{"only active members count for the majority", []MemberInfo{mi("a", StateActive, true), mi("b", StateActive, false), mi("c", StateJoining, true), mi("d", StateJoining, true)}, []string{"a", "b"}},
		{"5 nodes, 2 lost", []MemberInfo{mi("a", StateActive, true), mi("b", StateActive, true), mi("c", StateActive, true), mi("d", StateActive, false), mi("e", StateActive, false)}, []string{"a", "b", "c"}},
		{"bad metadata is never placed", []MemberInfo{mi("a", StateActive, true), {Member: Member{ID: "b"}, Problem: "metadata: x"}}, []string{"a"}},
		{"incompatible protocol", []MemberInfo{mi("a", StateActive, true), {Member: Member{ID: "b"}, State: StateActive, StoreOK: true, Protocol: 2}}, []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			all, placed := placeRule(tt.infos, 1, 1)
			var got []string
			for _, m := range placed {
				got = append(got, m.ID)
			}
			if !slices.Equal(got, tt.placed) {
				t.Fatalf("placed %v, want %v", got, tt.placed)
			}
			for _, m := range all {
				if m.Placed != slices.Contains(tt.placed, m.ID) {
					t.Errorf("%s: Placed = %v", m.ID, m.Placed)
				}
				if m.State == StateActive && !m.Placed && m.Problem == "" {
					t.Errorf("%s: active, not placed, no problem given", m.ID)
				}
			}
		})
	}
}

func TestStoreOutageShared(t *testing.T) {
	mi := func(storeOK bool) MemberInfo { return MemberInfo{State: StateActive, StoreOK: storeOK} }
	tests := []struct {
		name   string
		all    []MemberInfo
		failed int
		want   bool
	}{
		{"everyone lost it", []MemberInfo{mi(false), mi(false), mi(false)}, 0, true},
		{"two of three", []MemberInfo{mi(false), mi(false), mi(true)}, 0, true},
		{"one of three", []MemberInfo{mi(false), mi(true), mi(true)}, 0, false},
		{"alone after the others failed (cut off)", []MemberInfo{mi(false)}, 2, false},
		{"two cut off from three", []MemberInfo{mi(false), mi(false)}, 3, false},
		{"single node", []MemberInfo{mi(false)}, 0, true},
		{"unknown metadata is not a lost store", []MemberInfo{mi(false), {}, {}}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := storeOutageShared(tt.all, tt.failed); got != tt.want {
				t.Fatalf("storeOutageShared = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMetaRoundTrip(t *testing.T) {
	m := meta{ID: "0123456789abcdef", Name: "node-a", Remote: "10.0.0.1:8090", HTTP: "10.0.0.1:8080",
		Protocol: ProtocolVersion, State: StateActive, StoreOK: true}
	b, err := encodeMeta(m)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("metadata: %d bytes: %s", len(b), b)
	got, err := decodeMeta(m.ID, b)
	m.V = metaVersion
	if err != nil || got != m {
		t.Fatalf("decode = %+v, %v", got, err)
	}
	// A later version that only adds fields is still understood.
	got, err = decodeMeta(m.ID, append(b[:len(b)-1], []byte(`,"zone":"eu-1"}`)...))
	if err != nil || got != m {
		t.Fatalf("decode with an unknown field = %+v, %v", got, err)
	}
}

func FuzzDecodeMeta(f *testing.F) {
	b, _ := encodeMeta(meta{ID: "n1", Remote: "127.0.0.1:1", Protocol: 1, State: StateActive, StoreOK: true})
	f.Add("n1", b)
	f.Add("n1", []byte(`{"v":2}`))
	f.Add("n1", []byte(`{"v":1,"id":"n1","remote":"[::1]:99999"}`))
	f.Add("", []byte{0xff, 0})
	f.Fuzz(func(t *testing.T, name string, b []byte) {
		m, err := decodeMeta(name, b) // must not panic
		if err == nil && (m.ID != name || checkHostPort(m.Remote) != nil) {
			t.Fatalf("accepted %+v for %q", m, name)
		}
	})
}
