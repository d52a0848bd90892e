package store

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwt-micro-system/shared/pgtest"
)

// postgresBackend starts a throw-away server (or skips, see pgtest) that
// gives every test a database of its own.
func postgresBackend(t *testing.T) (backend, *pgtest.Server) {
	srv := pgtest.Start(t)
	return backend{
		// A connection for each of the 16 concurrent rotations, so they
		// really contend for the token's row.
		fresh: func(tb testing.TB) string { return srv.NewDatabase(tb) + "&pool_max_conns=16" },
		open: func(ctx context.Context, loc string) (Store, error) {
			return OpenPostgres(ctx, loc)
		},
		postgres: true,
	}, srv
}

func TestPostgres(t *testing.T) {
	b, srv := postgresBackend(t)
	t.Run("Contract", func(t *testing.T) { runContract(t, b) })

	t.Run("ReplicasMigrateTogether", func(t *testing.T) {
		loc := srv.NewDatabase(t)
		const n = 4
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				s, err := OpenPostgres(context.Background(), loc)
				if err == nil {
					err = s.Ping(context.Background())
					s.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("replica %d: %v", i, err)
			}
		}
	})

	t.Run("OpenErrors", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, tt := range []struct {
			name string
			url  string
			want string
		}{
			{"not a URL", "postgres://u:hunter2@[::1", "open database"},
			{"no such database", strings.Replace(srv.URL("missing"), "postgres@", "postgres:hunter2@", 1), "missing"},
			{"nothing listening", "postgres://u:hunter2@127.0.0.1:1/db?connect_timeout=2", "127.0.0.1"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := OpenPostgres(ctx, tt.url)
				if err == nil {
					t.Fatal("got no error")
				}
				if msg := err.Error(); !strings.Contains(msg, tt.want) || strings.Contains(msg, "hunter2") {
					t.Errorf("got %q, want it to mention %q and not the password", msg, tt.want)
				}
			})
		}
	})
}
