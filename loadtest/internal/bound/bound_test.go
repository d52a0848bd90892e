package bound

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		want     Bcrypt
		wantErr  bool
	}{
		{"answer", `{"cost":12,"per_check_ns":250000000,"cores":2,"checks_per_second":8}` + "\n",
			Bcrypt{Cost: 12, PerCheck: 250 * time.Millisecond, Cores: 2, PerSecond: 8}, false},
		{"not JSON", "cost 12", Bcrypt{}, true},
		{"empty", "", Bcrypt{}, true},
		{"zero figures", `{"cost":12,"per_check_ns":0,"cores":2,"checks_per_second":0}`, Bcrypt{}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parse([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
