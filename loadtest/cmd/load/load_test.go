package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	for _, tt := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{9, 1, 5}, 5},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseResult(t *testing.T) {
	out := []byte("Running 3s test @ http://127.0.0.1:1/\n  2 threads and 32 connections\n" +
		resultPrefix + `{"requests":30000,"duration_us":3000000,"status_errors":2,"connect":0,"read":1,"write":0,"timeout":0,"p50_us":512,"p99_us":2048}` + "\n")
	r, err := parseResult(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.RPS() != 10000 || r.Bad() != 3 || r.P50US != 512 {
		t.Errorf("got %+v (rps %v, bad %d)", r, r.RPS(), r.Bad())
	}
	for _, bad := range []string{"Requests/sec: 100\n", resultPrefix + "{not json\n"} {
		if _, err := parseResult([]byte(bad)); err == nil {
			t.Errorf("parseResult(%q) accepted it", bad)
		}
	}
}

func TestLuaScript(t *testing.T) {
	get := luaScript(wrkJob{})
	if strings.Contains(get, "wrk.method") || strings.Contains(get, "request =") || !strings.Contains(get, "done = function") {
		t.Errorf("a GET script must only have the done hook:\n%s", get)
	}
	post := luaScript(wrkJob{method: "POST", body: `{"username":"a","password":"b\"c"}`})
	if !strings.Contains(post, `wrk.body = "{\"username\":\"a\",\"password\":\"b\\\"c\"}"`) {
		t.Errorf("POST body not quoted for Lua:\n%s", post)
	}
}

func TestParseConfig(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	c, err := parseConfig(env())
	if err != nil || c.duration != 10*time.Second || c.loginDuration != 20*time.Second || c.rounds != 3 || c.threads != 2 || c.conns != 32 || c.cost != 12 {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
	c, err = parseConfig(env("LOAD_DURATION", "3s", "LOAD_LOGIN_DURATION", "5s", "LOAD_STRICT", "1"))
	if err != nil || c.duration != 3*time.Second || c.loginDuration != 5*time.Second || !c.strict {
		t.Fatalf("CI knobs: %+v, %v", c, err)
	}
	_, err = parseConfig(env("LOAD_DURATION", "soon", "LOAD_ROUNDS", "0", "LOAD_BCRYPT_COST", "40"))
	for _, want := range []string{"LOAD_DURATION", "LOAD_ROUNDS", "LOAD_BCRYPT_COST"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad %s: got %v", want, err)
		}
	}
}

func TestReportMarksMissesAndCountsErrors(t *testing.T) {
	run := func(rps float64, bad int64) wrkResult {
		return wrkResult{Requests: int64(rps), DurationUS: 1e6, StatusErrors: bad, P50US: 100, P99US: 900}
	}
	r := report{
		header: "test",
		targets: []measured{
			{target: target{name: "trivial"}, runs: []wrkResult{run(1000, 0)}, ratios: []float64{1}, sameRatios: []float64{1}},
			{target: target{name: "trivial+cookie", yardstick: true}, runs: []wrkResult{run(600, 0)}, ratios: []float64{0.6}},
			{target: target{name: "fast", min: 0.9}, runs: []wrkResult{run(950, 0)}, ratios: []float64{0.95}, sameRatios: []float64{0.95}},
			{target: target{name: "slow", min: 0.85}, runs: []wrkResult{run(500, 1)}, ratios: []float64{0.5}, sameRatios: []float64{0.5}},
			// 0.55 of the plain trivial, 0.92 of the trivial run of the
			// same request: judged on the second.
			{target: target{name: "cookie", min: 0.85, same: 1}, runs: []wrkResult{run(550, 0)}, ratios: []float64{0.55}, sameRatios: []float64{0.92}},
		},
		login: run(9, 0), loginMin: 0.9, boundPerSec: 10, boundMS: 200, cores: 2,
		idle: map[string]float64{"a": 10}, peak: map[string]float64{"a": 40}, idleMax: 15, peakMax: 32, services: []string{"a"},
	}
	var out bytes.Buffer
	if missed := r.print(&out); missed != 2 {
		t.Errorf("missed %d, want 2 (slow, peak RSS):\n%s", missed, out.String())
	}
	if r.bad() != 1 || !strings.Contains(out.String(), "socket errors: 1") {
		t.Errorf("bad %d:\n%s", r.bad(), out.String())
	}
	if !strings.Contains(out.String(), "| slow ") || !strings.Contains(out.String(), "0.50 ") || !strings.Contains(out.String(), "0.92 ") {
		t.Errorf("table:\n%s", out.String())
	}
}
