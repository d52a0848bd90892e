// Command web-frontend is the chi service that logs people in through
// auth-api, keeps their tokens in an encrypted cookie session and verifies
// the JWT on every request.
//
// Usage:
//
//	web-frontend              serve (configured by environment variables)
//	web-frontend healthcheck  GET http://127.0.0.1:$PORT/healthz; exit 0 when healthy
//	web-frontend version      print the version
package main

import (
	"cmp"
	"context"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/jwt-micro-system/shared/envfile"
	"github.com/jwt-micro-system/shared/healthprobe"
	"github.com/jwt-micro-system/shared/httpserve"
	"github.com/jwt-micro-system/shared/jwtauth"
	"github.com/jwt-micro-system/shared/requestid"
	"github.com/jwt-micro-system/shared/revocation"
	"github.com/jwt-micro-system/web-frontend/internal/authclient"
	"github.com/jwt-micro-system/web-frontend/internal/config"
	"github.com/jwt-micro-system/web-frontend/internal/metrics"
	"github.com/jwt-micro-system/web-frontend/internal/pages"
	"github.com/jwt-micro-system/web-frontend/internal/server"
	"github.com/jwt-micro-system/web-frontend/internal/session"
)

// version is set at build time: -ldflags "-X main.version=…".
var version = "dev"

// assets are the page templates and the static files, compiled in.
//
//go:embed templates static
var assets embed.FS

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	httpserve.TuneGC(os.Getenv)
	if err := run(ctx, os.Args, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "web-frontend: %v\n", err)
		os.Exit(1)
	}
}

// run dispatches the subcommand in args[1:]. The environment is read
// through getenv only, so tests can run in parallel.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cmd := "serve"
	if len(args) > 1 {
		cmd = args[1]
	}
	switch cmd {
	case "serve":
	case "version", "-version", "--version":
		_, err := fmt.Fprintf(stdout, "web-frontend %s\n", version)
		return err
	case "healthcheck":
		return healthcheck(ctx, getenv)
	default:
		return fmt.Errorf("unknown command %q; usage: web-frontend [serve|healthcheck|version]", cmd)
	}

	getenv, err := envfile.Getenv(".env", getenv)
	if err != nil {
		return err
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	// Every line logged with a request's context carries its request_id,
	// the session Manager's included.
	log := slog.New(requestid.LogHandler(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: cfg.LogLevel})))

	// Sessions revoked at auth-api (logout, password change, deleted
	// user, refresh-token reuse): the verifier refuses their tokens, the
	// session cookie included, with no call per request; followRevocations
	// fills the set from auth-api's feed.
	revoked := revocation.NewSet()
	verifier, err := jwtauth.NewVerifier(cfg.Keys, jwtauth.VerifierConfig{
		Issuer: cfg.Issuer, Audience: cfg.Audience, Leeway: jwtauth.MaxLeeway, Revocations: revoked,
	})
	if err != nil {
		return err
	}
	codec, err := session.NewCodec(cfg.Keys, cfg.CookieSecure)
	if err != nil {
		return err
	}
	auth := authclient.New(cfg.AuthAPIURL, nil)
	if err := auth.UseKeys(cfg.Keys); err != nil {
		return err
	}
	pages, err := pages.Parse(assets)
	if err != nil {
		return err
	}
	static, err := fs.Sub(assets, "static")
	if err != nil {
		return err
	}
	metrics, err := metrics.NewMetrics()
	if err != nil {
		return err
	}
	sessions, err := session.NewManager(log, codec, verifier, auth, session.Options{Observe: metrics.Session})
	if err != nil {
		return err
	}
	opts := server.Options{
		Keys: cfg.Keys, Issuer: cfg.Issuer, Audience: cfg.Audience,
		TrustedProxies: cfg.TrustedProxies, Version: version, Instance: cfg.InstanceName,
		HSTS: cfg.CookieSecure, AllowedHosts: cfg.AllowedHosts,
		MetricsToken: cfg.MetricsToken, MetricsSeparate: cfg.MetricsAddress != "",
	}
	handler := server.NewServer(log, opts, server.Deps{
		Sessions: sessions, Auth: auth, Pages: pages, Static: static, Metrics: metrics,
	})

	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.ListenAddress, strconv.Itoa(cfg.Port)))
	if err != nil {
		return fmt.Errorf("listening on LISTEN_ADDRESS %q, PORT %d: %w", cfg.ListenAddress, cfg.Port, err)
	}
	// 64 KiB of headers: the session cookie carries two tokens.
	srv := httpserve.New(log, handler, httpserve.Config{MaxHeaderBytes: 64 << 10})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if cfg.MetricsAddress != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddress)
		if err != nil {
			ln.Close()
			return fmt.Errorf("METRICS_ADDRESS: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", httpserve.RequireBearer(cfg.MetricsToken, "METRICS_TOKEN", metrics.Handler()))
		done := make(chan struct{})
		defer func() { cancel(); <-done }()
		go func() {
			defer close(done)
			// Not worth running half-observed: a failed metrics listener
			// stops the service.
			if err := httpserve.Run(ctx, log, httpserve.New(log, mux, httpserve.Config{}), mln); err != nil {
				log.Error("metrics listener", "err", err)
				cancel()
			}
		}()
		log.Info("metrics listening", "addr", mln.Addr().String())
	}
	log.Info("listening", "addr", ln.Addr().String(), "version", version,
		"auth_api_url", cfg.AuthAPIURL.String(), "cookie_secure", cfg.CookieSecure, "kid", cfg.Keys.Current().ID())
	if !cfg.CookieSecure {
		log.Warn("COOKIE_SECURE=false: the session cookie is sent over plain http; use this for local development only")
	}

	// The start-up key check runs beside the server: auth-api may start
	// after us, and the check logs its verdict once it has one.
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go func() {
		_ = authclient.WatchKeys(watchCtx, log, auth, authclient.Expect{Keys: cfg.Keys, Issuer: cfg.Issuer, Audience: cfg.Audience}, 2*time.Second)
	}()
	go followRevocations(watchCtx, log, revoked, auth)

	return httpserve.RunDraining(ctx, log, srv, ln, cfg.ShutdownDelay)
}

// RevocationPollInterval is how often the revocation feed is read: a
// session revoked at auth-api is refused here within about this long.
const RevocationPollInterval = time.Second

// followRevocations polls auth-api's revocation feed into revoked until ctx
// is done. While auth-api is away the set keeps what it has (revoked
// sessions stay refused, verified ones keep working) and the next poll
// resumes from the last cursor; the outage is logged once, not every second.
func followRevocations(ctx context.Context, log *slog.Logger, revoked *revocation.Set, auth *authclient.Client) {
	failing := false
	revoked.Follow(ctx, auth.Revocations, revocation.FollowConfig{
		Every: RevocationPollInterval,
		OnError: func(err error) {
			if !failing {
				log.Warn("revocation feed unavailable; sessions revoked from now on are refused once it is back", "err", err)
			}
			failing = true
		},
		OnPoll: func(int) {
			if failing {
				log.Info("revocation feed available again")
			}
			failing = false
		},
	})
}

// healthcheck is the container HEALTHCHECK: the image has no shell or curl.
func healthcheck(ctx context.Context, getenv func(string) string) error {
	getenv, err := envfile.Getenv(".env", getenv)
	if err != nil {
		return err
	}
	return healthprobe.CheckAt(ctx, getenv("LISTEN_ADDRESS"), cmp.Or(getenv("PORT"), "8080"))
}
