package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestHashRate(t *testing.T) {
	for _, tt := range []struct {
		name     string
		args     []string
		env      map[string]string
		wantCost int
		wantErr  string
	}{
		{"flag", []string{"-duration", "0", "-cost", "10"}, nil, 10, ""},
		{"BCRYPT_COST", []string{"-duration", "0"}, map[string]string{"BCRYPT_COST": "10"}, 10, ""},
		{"flag wins", []string{"-duration=0", "-cost=10"}, map[string]string{"BCRYPT_COST": "12"}, 10, ""},
		{"cost too low", []string{"-duration", "0", "-cost", "4"}, nil, 0, "cost 4 is out of range"},
		{"bad BCRYPT_COST", []string{"-duration", "0"}, map[string]string{"BCRYPT_COST": "twelve"}, 0, "BCRYPT_COST"},
		{"too long", []string{"-duration", "1h"}, nil, 0, "-duration 1h0m0s is out of range"},
		{"unknown flag", []string{"-n", "4"}, nil, 0, "usage: auth-api hashrate"},
		{"stray argument", []string{"now"}, nil, 0, "usage: auth-api hashrate"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir()) // no .env
			var out bytes.Buffer
			err := run(context.Background(), append([]string{"auth-api", "hashrate"}, tt.args...), func(k string) string { return tt.env[k] }, strings.NewReader(""), &out)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var r struct {
				Cost      int     `json:"cost"`
				PerCheck  int64   `json:"per_check_ns"`
				Cores     int     `json:"cores"`
				PerSecond float64 `json:"checks_per_second"`
			}
			if err := json.Unmarshal(out.Bytes(), &r); err != nil {
				t.Fatalf("output %q: %v", out.String(), err)
			}
			if r.Cost != tt.wantCost || r.PerCheck <= 0 || r.Cores < 1 || r.PerSecond <= 0 {
				t.Errorf("got %+v, want cost %d and positive figures", r, tt.wantCost)
			}
		})
	}
}
