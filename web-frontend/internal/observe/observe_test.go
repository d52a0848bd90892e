package observe

import (
	"context"
	"testing"
)

type secretA struct{ v string }
type secretB struct{}

// A Tracker is found only with its own value type, so a package that
// cannot name that type cannot read or forge what it keeps.
func TestTrackerIsFoundOnlyByItsType(t *testing.T) {
	tr := &Tracker[secretA]{Context: context.Background()}
	tr.Keep(secretA{"kept"})
	var ctx context.Context = tr
	if got, ok := From[secretA](ctx); !ok || got != tr {
		t.Fatalf("From[secretA]: got %v, %v", got, ok)
	}
	if v, ok := tr.Kept(); !ok || v.v != "kept" {
		t.Errorf("Kept: got %v, %v", v, ok)
	}
	if _, ok := From[secretB](ctx); ok {
		t.Error("From[secretB] found a Tracker[secretA]")
	}
	if _, ok := From[secretA](context.Background()); ok {
		t.Error("From found a Tracker in a context without one")
	}
	if _, ok := (&Tracker[secretA]{}).Kept(); ok {
		t.Error("a new Tracker reports a kept value")
	}
}
