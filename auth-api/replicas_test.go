package main

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jwt-micro-system/shared/servicetest"

	"github.com/jwt-micro-system/shared/pgtest"
)

// Two auth-api processes on one PostgreSQL database, as replicas behind a
// load balancer without sticky sessions: concurrent refreshes of one token
// spread over both give one successor, the brute-force limit holds across
// both, and reuse after REFRESH_REUSE_INTERVAL revokes the family whichever
// replica sees it.
func TestReplicasShareRefreshAndLimits(t *testing.T) {
	srv := pgtest.Start(t)
	dbURL := srv.NewDatabase(t)
	const reuse = 3 * time.Second
	var apis []client
	for i := range 2 {
		p, err := servicetest.AuthAPI{Bin: binary, Dir: t.TempDir(), Secret: e2eSecret, AdminUser: e2eAdmin, AdminPassword: e2eAdminPwd,
			Env: map[string]string{"DATABASE_URL": dbURL, "REFRESH_REUSE_INTERVAL": reuse.String()}}.Start()
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
		t.Cleanup(func() {
			if err := p.Stop(10 * time.Second); err != nil {
				t.Errorf("replica %d: %v", i, err)
			}
			if t.Failed() {
				t.Logf("replica %d log:\n%s", i, p.Logs())
			}
		})
		apis = append(apis, client{t, p.URL})
	}

	// 16 concurrent refreshes of one token, spread over both replicas.
	adminToken, refresh := apis[0].login(e2eAdmin, e2eAdminPwd)
	const n = 16
	statuses := make([]int, n)
	bodies := make([]map[string]any, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			statuses[i], bodies[i] = apis[i%2].call("POST", "/refresh", "", map[string]string{"refresh_token": refresh})
		})
	}
	close(start)
	wg.Wait()
	successor, _ := bodies[0]["refresh_token"].(string)
	for i := range n {
		if statuses[i] != 200 || bodies[i]["refresh_token"] != successor || successor == "" {
			t.Errorf("refresh %d on replica %d: got %d with refresh_token %v, want 200 and the one successor", i, i%2+1, statuses[i], bodies[i]["refresh_token"])
		}
	}

	// Six wrong passwords for one username, alternating between replicas:
	// five reach the password check, the sixth is refused by the shared
	// counter.
	apis[0].expect(201, "POST", "/users", adminToken, map[string]string{"username": "victim", "password": "victim-password-1"})
	for i := range 6 {
		want := 401
		if i == 5 {
			want = 429
		}
		if got, body := apis[i%2].call("POST", "/login", "", map[string]string{"username": "victim", "password": fmt.Sprint("guess-", i)}); got != want {
			t.Errorf("wrong password %d on replica %d: got %d %v, want %d", i+1, i%2+1, got, body, want)
		}
	}
	if got, _ := apis[1].call("POST", "/login", "", map[string]string{"username": "victim", "password": "victim-password-1"}); got != 429 {
		t.Errorf("the right password while locked: got %d, want 429", got)
	}

	// After the reuse interval the replaced token is reuse: the family is
	// revoked on both replicas.
	time.Sleep(reuse + 500*time.Millisecond)
	apis[1].expect(401, "POST", "/refresh", "", map[string]string{"refresh_token": refresh})
	apis[0].expect(401, "POST", "/refresh", "", map[string]string{"refresh_token": successor})
}
