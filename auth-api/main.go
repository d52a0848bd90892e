// Command auth-api is the Gin service that checks passwords and issues JWTs.
//
// Usage:
//
//	auth-api                          serve (the default; also "auth-api serve")
//	auth-api users add NAME [--role admin|user]   password on stdin
//	auth-api healthcheck              exit 0 when http://127.0.0.1:$PORT/healthz answers 200
//	auth-api hashrate [-duration 3s] [-cost N]   password checks per second at BCRYPT_COST
//	auth-api version
package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/jwt-micro-system/shared/envfile"
	"github.com/jwt-micro-system/shared/healthprobe"
	"github.com/jwt-micro-system/shared/httpserve"
	"github.com/jwt-micro-system/shared/revocation"
	"github.com/jwt-micro-system/shared/secretkey"

	"github.com/jwt-micro-system/auth-api/internal/account"
	"github.com/jwt-micro-system/auth-api/internal/bruteforce"
	"github.com/jwt-micro-system/auth-api/internal/config"
	"github.com/jwt-micro-system/auth-api/internal/server"
	"github.com/jwt-micro-system/auth-api/internal/store"
)

// RevocationPollInterval is how often each replica reads the revocations
// the others recorded: a logout on one replica is honoured by all of them
// within about this long.
const RevocationPollInterval = time.Second

// version is set at build time: -ldflags "-X main.version=...".
var version = "dev"

const usage = `usage:
  auth-api [serve]                         run the service
  auth-api users add NAME [--role ROLE]    create a user (role admin or user, default user);
                                           the password is read from stdin (asked twice,
                                           without echo, on a terminal)
  auth-api healthcheck                     check http://127.0.0.1:$PORT/healthz (exit 0 or 1)
  auth-api hashrate [-duration D] [-cost N]
                                           time the password check of a login (default 3s, at
                                           BCRYPT_COST) and print, as JSON, the checks per second
                                           this machine's cores allow: the ceiling of logins/s
  auth-api version                         print the version`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	httpserve.TuneGC(os.Getenv)
	if err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "auth-api: %v\n", err)
		os.Exit(1)
	}
}

// run dispatches the subcommand in args[1:]. The environment is read only
// through getenv, overlaid on ./.env when that file exists.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	cmd := "serve"
	if len(args) > 1 {
		cmd = args[1]
	}
	switch cmd {
	case "serve":
		return serve(ctx, getenv, stdout)
	case "users":
		if len(args) < 3 || args[2] != "add" {
			return errors.New("usage: auth-api users add NAME [--role admin|user] (password on stdin)")
		}
		return addUser(ctx, args[3:], getenv, stdin, stdout)
	case "healthcheck":
		return healthcheck(ctx, getenv)
	case "hashrate":
		return hashRate(args[2:], getenv, stdout)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

// loadConfig reads the environment through getenv, overlaid on .env.
func loadConfig(getenv func(string) string) (*config.Config, error) {
	getenv, err := envfile.Getenv(".env", getenv)
	if err != nil {
		return nil, err
	}
	return config.Load(getenv)
}

func serve(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	keys, err := secretkey.NewKeys(cfg.SecretKey, cfg.SecretKeyPrevious)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: cfg.Level}))

	st, err := openStore(ctx, cfg)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	defer st.Close()
	// Revoked sessions, refused by every bearer endpoint: this process's
	// revocations go in at once, the other replicas' through the store.
	revoked := revocation.NewSet()
	accounts, err := account.New(st, account.Config{BcryptCost: cfg.BcryptCost, RefreshTokenTTL: cfg.RefreshTokenTTL,
		AccessTokenTTL: cfg.AccessTokenTTL, Revocations: revoked, Log: log,
		Keys: keys, ReuseInterval: cfg.RefreshReuseInterval, RefreshLimit: perMinute(cfg.RefreshRatePerFamily)})
	if err != nil {
		return err
	}
	if err := accounts.EnsureAdmin(ctx, cfg.BootstrapUsername, cfg.BootstrapPassword); err != nil {
		return err
	}
	srv, err := server.NewServer(log, server.Config{
		Issuer:          cfg.Issuer,
		Audience:        cfg.Audience,
		AccessTokenTTL:  cfg.AccessTokenTTL,
		TrustedProxies:  cfg.TrustedProxies,
		AllowedHosts:    cfg.Hosts,
		MetricsToken:    cfg.MetricsToken,
		MetricsSeparate: cfg.MetricsAddress != "",
		Limits:          bruteforce.Limits{RefreshPerAddress: perMinute(cfg.RefreshRatePerAddress), RefreshWindow: time.Minute},
		Instance:        cfg.InstanceName,
		Revocations:     revoked,
	}, accounts, st, keys)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.ListenAddress, strconv.Itoa(cfg.Port)))
	if err != nil {
		return fmt.Errorf("LISTEN_ADDRESS/PORT: %w", err)
	}
	httpSrv := httpserve.New(log, srv, httpserve.Config{})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if cfg.MetricsAddress != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddress)
		if err != nil {
			ln.Close()
			return fmt.Errorf("METRICS_ADDRESS: %w", err)
		}
		done := make(chan struct{})
		defer func() { cancel(); <-done }()
		go func() {
			defer close(done)
			// The service is not worth running half-observed: a failed
			// metrics listener stops it.
			if err := httpserve.Run(ctx, log, httpserve.New(log, srv.MetricsHandler(), httpserve.Config{}), mln); err != nil {
				log.Error("metrics listener", "err", err)
				cancel()
			}
		}()
		log.Info("metrics listening", "addr", mln.Addr().String())
	}
	cleanupCtx, stopCleanup := context.WithCancel(ctx)
	defer stopCleanup()
	go accounts.Cleanup(cleanupCtx, 10*time.Minute, srv.ForgetStaleAttempts)
	go revoked.Follow(cleanupCtx, accounts.RevocationsSince, revocation.FollowConfig{
		Every:   RevocationPollInterval,
		OnError: func(err error) { log.Warn("read revocations from the store; retrying", "err", err) },
	})

	// The heap of the migrations and the bootstrap admin goes back to the
	// OS before serving.
	debug.FreeOSMemory()
	log.Info("listening", "addr", ln.Addr().String(), "version", version, "kid", keys.Current().ID(),
		"issuer", cfg.Issuer, "database", cfg.Database())
	return httpserve.RunDraining(ctx, log, httpSrv, ln, cfg.ShutdownDelay)
}

// perMinute turns a REFRESH_RATE_* value into a limit for the account and
// bruteforce packages, where 0 means the default and a negative value off.
func perMinute(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// openStore opens the store DATABASE_URL names: PostgreSQL for postgres://
// and postgresql://, else the SQLite file.
func openStore(ctx context.Context, cfg *config.Config) (store.Store, error) {
	if cfg.Postgres() {
		st, err := store.OpenPostgres(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, err
		}
		return st, nil
	}
	st, err := store.OpenSQLite(ctx, cfg.DatabasePath)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// addUser implements "users add NAME [--role ROLE]", reading the password
// from the first line of stdin (for docker compose exec -T ... < file, or a
// pipe).
func addUser(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("users add", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	role := fs.String("role", account.RoleUser, "admin or user")
	// Flags may come before or after the name.
	var names []string
	for {
		if err := fs.Parse(args); err != nil {
			return fmt.Errorf("users add: %v\nusage: auth-api users add NAME [--role admin|user]", err)
		}
		if fs.NArg() == 0 {
			break
		}
		names = append(names, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(names) != 1 {
		return errors.New("usage: auth-api users add NAME [--role admin|user] (password on stdin)")
	}
	name := names[0]
	if err := account.ValidateUsername(name); err != nil {
		return err
	}
	if err := account.ValidateRole(*role); err != nil {
		return fmt.Errorf("--role: %w", err)
	}
	password, err := readPassword(stdin, stdout)
	if err != nil {
		return err
	}
	if err := account.ValidatePassword(password); err != nil {
		return err
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	defer st.Close()
	accounts, err := account.New(st, account.Config{BcryptCost: cfg.BcryptCost, RefreshTokenTTL: cfg.RefreshTokenTTL})
	if err != nil {
		return err
	}
	_, err = accounts.CreateUser(ctx, name, password, *role)
	if errors.Is(err, account.ErrDuplicate) {
		return fmt.Errorf("user %q already exists (names are unique regardless of case)", name)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created user %s with role %s\n", name, *role)
	return nil
}

// readPassword reads the new user's password. From a terminal it prompts
// on stdout and reads without echo, twice; from a pipe or file it reads
// the first line.
func readPassword(stdin io.Reader, stdout io.Writer) (string, error) {
	if f, ok := stdin.(interface{ Fd() uintptr }); ok && term.IsTerminal(int(f.Fd())) {
		return readPasswordFromTerminal(int(f.Fd()), stdout)
	}
	r := bufio.NewReader(io.LimitReader(stdin, 4096))
	line, err := r.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on stdin: pipe it in, e.g. printf '%s\\n' \"$PASSWORD\" | auth-api users add NAME")
	}
	return line, nil
}

func readPasswordFromTerminal(fd int, prompt io.Writer) (string, error) {
	read := func(label string) (string, error) {
		fmt.Fprint(prompt, label)
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("read password from the terminal: %w", err)
		}
		return string(b), nil
	}
	password, err := read("Password: ")
	if err != nil {
		return "", err
	}
	if password == "" {
		return "", errors.New("no password given")
	}
	again, err := read("Password again: ")
	if err != nil {
		return "", err
	}
	if again != password {
		return "", errors.New("the two passwords differ")
	}
	return password, nil
}

// healthcheck asks the running service on this host whether it is alive;
// it is the container HEALTHCHECK of an image that has no shell or curl.
func healthcheck(ctx context.Context, getenv func(string) string) error {
	getenv, err := envfile.Getenv(".env", getenv)
	if err != nil {
		return err
	}
	return healthprobe.CheckAt(ctx, getenv("LISTEN_ADDRESS"), cmp.Or(getenv("PORT"), "10000"))
}

// hashRate implements "hashrate [-duration D] [-cost N]": it times the
// password check logins make (account.MeasureHashRate) at -cost, by default
// BCRYPT_COST as the service reads it, and prints the result as one JSON
// object: {"cost","per_check_ns","cores","checks_per_second"}. make load
// compares auth-api's login rate with checks_per_second.
func hashRate(args []string, getenv func(string) string, stdout io.Writer) error {
	getenv, err := envfile.Getenv(".env", getenv)
	if err != nil {
		return err
	}
	cost := account.DefaultBcryptCost
	if v := getenv("BCRYPT_COST"); v != "" {
		if cost, err = strconv.Atoi(v); err != nil {
			return fmt.Errorf("BCRYPT_COST=%q is not a whole number: use %d-31 (default %d)", v, account.MinBcryptCost, account.DefaultBcryptCost)
		}
	}
	fs := flag.NewFlagSet("hashrate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	duration := fs.Duration("duration", 3*time.Second, "how long to time checks for")
	fs.IntVar(&cost, "cost", cost, "bcrypt cost")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return fmt.Errorf("hashrate: %v\nusage: auth-api hashrate [-duration 3s] [-cost N]", cmp.Or(err, errors.New("unexpected arguments")))
	}
	if cost < account.MinBcryptCost || cost > 31 {
		return fmt.Errorf("cost %d is out of range: use %d-31, as BCRYPT_COST", cost, account.MinBcryptCost)
	}
	if *duration < 0 || *duration > time.Minute {
		return fmt.Errorf("-duration %s is out of range: use 0 to 1m", *duration)
	}
	r, err := account.MeasureHashRate(cost, *duration)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(r)
}
