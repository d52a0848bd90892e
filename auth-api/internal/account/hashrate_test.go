package account

import "testing"

func TestMeasureHashRate(t *testing.T) {
	r, err := MeasureHashRate(MinBcryptCost, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Cost != MinBcryptCost || r.PerCheck <= 0 || r.Cores < 1 || r.PerSecond <= 0 {
		t.Errorf("got %+v, want cost %d and positive figures", r, MinBcryptCost)
	}
	if _, err := MeasureHashRate(99, 0); err == nil {
		t.Error("cost 99: got no error")
	}
}
