package account

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jwt-micro-system/shared/jwtauth"
	"github.com/jwt-micro-system/shared/revocation"
	"github.com/jwt-micro-system/shared/secretkey"
	"golang.org/x/crypto/bcrypt"
)

// Errors of the account service, beyond the Store's; callers test them with
// errors.Is.
var (
	// ErrBadCredentials: the username and password do not match an
	// account. Unknown users and wrong passwords are not told apart.
	ErrBadCredentials = errors.New("invalid username or password")
	// ErrWrongPassword: the current password given to change it is wrong.
	ErrWrongPassword = errors.New("current password is wrong")
	// ErrDeleteSelf: an admin tried to delete their own account.
	ErrDeleteSelf = errors.New("cannot delete your own account")
	// ErrNotAdmin: the caller needs the admin role, by its token and in the
	// store, and lacks it in one of them.
	ErrNotAdmin = errors.New("this needs the admin role")
	// ErrRefreshRefused: a refresh token was refused; the error is a
	// *RefreshError that says why.
	ErrRefreshRefused = errors.New("refresh token refused")
)

// Outcomes of a refresh, as RefreshError.Outcome names them for logs and
// metrics.
const (
	OutcomeUnknown = "unknown"
	OutcomeReused  = "reused"
	OutcomeRevoked = "revoked"
	OutcomeExpired = "expired"
	// OutcomeSuperseded: the previous token was presented within the reuse
	// interval, but its successor cannot be reproduced (SECRET_KEY changed
	// in between); refused without revoking the family.
	OutcomeSuperseded = "superseded"
)

// ErrTooManyRefreshes: a family was rotated more often than its limit
// allows; the error is a *TooManyRefreshesError that says how long to wait.
var ErrTooManyRefreshes = errors.New("too many refreshes")

// TooManyRefreshesError is a refresh refused by the per-family limit.
type TooManyRefreshesError struct{ Wait time.Duration }

func (e *TooManyRefreshesError) Error() string {
	return fmt.Sprintf("too many refreshes; retry in %s", e.Wait)
}

// Is makes every TooManyRefreshesError match ErrTooManyRefreshes.
func (e *TooManyRefreshesError) Is(target error) bool { return target == ErrTooManyRefreshes }

// Defaults of the refresh configuration.
const (
	DefaultReuseInterval = 30 * time.Second
	// DefaultRefreshLimit rotations of one family per RefreshWindow: a
	// client refreshes once per ACCESS_TOKEN_TTL, at least 1 s, so no
	// well-behaved client reaches it; a loop is held to one rotation a
	// second.
	DefaultRefreshLimit = 60
	RefreshWindow       = time.Minute
)

// RefreshError is a refused refresh token: Outcome says why; Username and
// Family name the token's session when the token was found.
type RefreshError struct {
	Outcome  string
	Username string
	Family   string
	Err      error
}

func (e *RefreshError) Error() string { return "refresh token refused: " + e.Outcome }

// Unwrap returns the store error behind the refusal, if any.
func (e *RefreshError) Unwrap() error { return e.Err }

// Is makes every RefreshError match ErrRefreshRefused.
func (e *RefreshError) Is(target error) bool { return target == ErrRefreshRefused }

// MaxRefreshTokenLen bounds what is worth hashing; real tokens are about
// 90 bytes (43 for those issued before self-describing tokens).
const MaxRefreshTokenLen = 256

// Config configures a Service.
type Config struct {
	// BcryptCost hashes new passwords. The environment configuration
	// enforces at least MinBcryptCost; through this API tests may use
	// bcrypt.MinCost (4).
	BcryptCost int
	// RefreshTokenTTL is how long a refresh family lives after its login.
	RefreshTokenTTL time.Duration
	// AccessTokenTTL is the access token lifetime: a revoked session is
	// remembered until its last access token has expired (this long, plus
	// the largest verifier leeway, after the revocation). 30 minutes when
	// zero.
	AccessTokenTTL time.Duration
	// Revocations, when set, receives this process's revocations at once
	// (the store has them for the other replicas).
	Revocations *revocation.Set
	// Keys are the SECRET_KEY set the refresh tokens' keys are derived
	// from; sessions (StartSession, Refresh, EndSession) need them.
	Keys *secretkey.Keys
	// ReuseInterval is how long after a rotation the replaced token still
	// gets the same successor (REFRESH_REUSE_INTERVAL); 0 turns it off.
	ReuseInterval time.Duration
	// RefreshLimit is how many rotations one family may have per
	// RefreshWindow; 0 takes DefaultRefreshLimit, a negative value turns
	// the limit off.
	RefreshLimit int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Log receives the service's own events (bootstrap admin, cleanup);
	// nothing is logged when nil.
	Log *slog.Logger
}

// Service is the account domain: users and their passwords, refresh-token
// sessions (families, rotation, reuse detection), the bootstrap admin and
// the cleanup of expired tokens. It is safe for concurrent use.
type Service struct {
	store     Store
	cost      int
	ttl       time.Duration
	accessTTL time.Duration
	revoked   *revocation.Set // nil: nothing to tell at once
	now       func() time.Time
	log       *slog.Logger
	// tokenKeys are derived from the current SECRET_KEY, then the
	// previous one: new tokens use the first, checks accept either.
	tokenKeys []tokenKeys
	reuse     time.Duration
	limit     int
	// dummy is checked for unknown users, so that a login costs one bcrypt
	// comparison at the configured cost whether or not the user exists. It
	// is made in the background by New (a bcrypt at the configured cost
	// takes a while, and start-up need not wait for it); dummyOnce makes
	// a login that comes before it is ready wait for it.
	dummyOnce sync.Once
	dummy     []byte
}

// New returns a Service on st.
func New(st Store, cfg Config) (*Service, error) {
	if st == nil {
		return nil, errors.New("account: New needs a store")
	}
	if cfg.BcryptCost < bcrypt.MinCost || cfg.BcryptCost > bcrypt.MaxCost {
		return nil, fmt.Errorf("account: bcrypt cost %d is out of range %d-%d", cfg.BcryptCost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	if cfg.RefreshTokenTTL <= 0 {
		return nil, fmt.Errorf("account: refresh token lifetime must be positive, got %s", cfg.RefreshTokenTTL)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.AccessTokenTTL <= 0 {
		cfg.AccessTokenTTL = 30 * time.Minute
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.ReuseInterval < 0 {
		return nil, fmt.Errorf("account: reuse interval must not be negative, got %s", cfg.ReuseInterval)
	}
	if cfg.RefreshLimit == 0 {
		cfg.RefreshLimit = DefaultRefreshLimit
	}
	s := &Service{store: st, cost: cfg.BcryptCost, ttl: cfg.RefreshTokenTTL, accessTTL: cfg.AccessTokenTTL,
		revoked: cfg.Revocations, now: cfg.Now, log: cfg.Log,
		reuse: cfg.ReuseInterval, limit: cfg.RefreshLimit}
	if cfg.Keys != nil {
		for _, k := range cfg.Keys.All() {
			tk, err := deriveTokenKeys(k)
			if err != nil {
				return nil, fmt.Errorf("account: refresh token keys: %w", err)
			}
			s.tokenKeys = append(s.tokenKeys, tk)
		}
	}
	go s.dummyHash()
	return s, nil
}

// dummyHash returns the hash unknown users are checked against, making it
// on first use (New starts that in the background).
func (s *Service) dummyHash() []byte {
	s.dummyOnce.Do(func() {
		// The cost was checked by New, so this cannot fail (bcrypt's
		// salt comes from crypto/rand, which does not fail either); a
		// nil hash would still be refused by the comparison.
		s.dummy, _ = bcrypt.GenerateFromPassword([]byte("dummy password for unknown users"), s.cost)
	})
	return s.dummy
}

// HashPassword returns the bcrypt hash of password at cost. It does not
// check the password rule; call ValidatePassword first.
func HashPassword(password string, cost int) ([]byte, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}

// passwordMatches reports whether password is the one hashed in hash.
func passwordMatches(hash []byte, password string) bool {
	return bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
}

// Authenticate returns the user whose name (in any case) and password
// match, or ErrBadCredentials. An unknown user costs the same bcrypt
// comparison as a wrong password, so the two cannot be told apart by time.
func (s *Service) Authenticate(ctx context.Context, username, password string) (User, error) {
	// Known and unknown users alike wait for the dummy hash, so even the
	// logins that come before it is ready cannot be told apart by time.
	dummy := s.dummyHash()
	u, err := s.store.User(ctx, username)
	found := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return User{}, err
	}
	hash := u.PasswordHash
	if !found {
		hash = dummy
	}
	// bcrypt ignores bytes past 72, so a longer password would match its
	// prefix, and Go's bcrypt hashes past a NUL that C implementations stop
	// at: refuse both, and any other control character no password may
	// hold, after the same comparison, so the answer and its timing are
	// those of a wrong password.
	ok := passwordMatches(hash, password) && len(password) <= MaxPasswordBytes && !hasControl(password)
	if !ok || !found {
		return User{}, ErrBadCredentials
	}
	return u, nil
}

var errNoKeys = errors.New("account: sessions need Config.Keys")

// StartSession starts a new refresh family for u (a login) and returns its
// first refresh token, to be handed to the client and never stored, and the
// session id (the family) that its access tokens carry as sid.
func (s *Service) StartSession(ctx context.Context, u User) (refreshToken string, _ Session, err error) {
	if len(s.tokenKeys) == 0 {
		return "", Session{}, errNoKeys
	}
	t, err := newFamilyToken()
	if err != nil {
		return "", Session{}, err
	}
	token := t.String(s.tokenKeys[0])
	now := s.now()
	f := RefreshFamily{ID: t.family, Username: u.Username, CreatedAt: now,
		ExpiresAt: now.Add(s.ttl), Generation: t.generation, CurrentHash: hashRefreshToken(token)}
	if err := s.store.CreateRefreshFamily(ctx, f); err != nil {
		return "", Session{}, err
	}
	return token, Session{ID: f.ID, ExpiresAt: f.ExpiresAt}, nil
}

// Session is a refresh family as its client sees it: its id, which its
// access tokens carry as sid, and ExpiresAt, when it ends: REFRESH_TOKEN_TTL
// after the login; rotation never extends it.
type Session struct {
	ID        string
	ExpiresAt time.Time
}

// errSuperseded is the outcome of a previous token, presented within the
// reuse interval, whose successor cannot be reproduced.
var errSuperseded = errors.New("refresh token superseded")

// lookup parses presented and names its family; ok is false for a token
// that cannot be ours.
func (s *Service) lookup(presented string) (FamilyLookup, bool) {
	if presented == "" || len(presented) > MaxRefreshTokenLen {
		return FamilyLookup{}, false
	}
	t, selfDescribing, err := parseRefreshToken(presented, s.tokenKeys)
	if err != nil {
		return FamilyLookup{}, false
	}
	find := FamilyLookup{Hash: hashRefreshToken(presented)}
	if selfDescribing {
		find.ID = t.family
	}
	return find, true
}

// Refresh rotates the presented refresh token: the returned one replaces
// it in the same family. The user is read again, so a changed role takes
// effect. Within the reuse interval after a rotation, the replaced token
// gets the same successor again (concurrent requests of one client, a
// response lost on the way); any other token of the family that is not the
// current one revokes the whole family. A refusal is a *RefreshError
// (ErrRefreshRefused); a family rotated too often gets a
// *TooManyRefreshesError. A token that revokes its family revokes the
// access tokens of the session with it. session is the session (family)
// of the new pair, with its unchanged expiry.
func (s *Service) Refresh(ctx context.Context, presented string) (u User, next string, session Session, err error) {
	if len(s.tokenKeys) == 0 {
		return User{}, "", Session{}, errNoKeys
	}
	find, ok := s.lookup(presented)
	if !ok {
		return User{}, "", Session{}, &RefreshError{Outcome: OutcomeUnknown}
	}
	now := s.now()
	var username, family string
	var expires time.Time
	err = s.store.UpdateRefreshFamily(ctx, find, func(f RefreshFamily) (*RefreshFamily, error) {
		next, username, family, expires = "", f.Username, f.ID, f.ExpiresAt
		switch {
		case !f.RevokedAt.IsZero():
			return nil, ErrTokenRevoked
		case !now.Before(f.ExpiresAt):
			return nil, ErrTokenExpired
		case hmac.Equal(find.Hash, f.CurrentHash):
			n := f
			if s.limit > 0 {
				if now.Before(f.WindowEnd) && f.WindowCount >= s.limit {
					return nil, &TooManyRefreshesError{Wait: f.WindowEnd.Sub(now)}
				}
				if !now.Before(f.WindowEnd) {
					n.WindowEnd, n.WindowCount = now.Add(RefreshWindow), 0
				}
				n.WindowCount++
			}
			k := s.tokenKeys[0]
			next = successor(k, f.ID, f.Generation+1, presented).String(k)
			n.Generation, n.PreviousHash, n.CurrentHash, n.RotatedAt = f.Generation+1, f.CurrentHash, hashRefreshToken(next), now
			return &n, nil
		case f.PreviousHash != nil && hmac.Equal(find.Hash, f.PreviousHash) && s.reuse > 0 && now.Sub(f.RotatedAt) < s.reuse:
			// The successor is derived from the presented token, so it is
			// found again, not stored; under either key, for a SECRET_KEY
			// rotation rolling through the replicas.
			for _, k := range s.tokenKeys {
				if again := successor(k, f.ID, f.Generation, presented).String(k); hmac.Equal(hashRefreshToken(again), f.CurrentHash) {
					next = again
					return nil, nil
				}
			}
			return nil, errSuperseded
		}
		// A token we issued for this family (its tag says so) that is no
		// longer current: someone kept a used token. Revoke the family.
		n := f
		n.RevokedAt = now
		return &n, ErrTokenReused
	})
	if err != nil {
		outcome := ""
		switch {
		case errors.Is(err, ErrTooManyRefreshes):
			return User{}, "", Session{}, err
		case errors.Is(err, ErrNotFound):
			outcome = OutcomeUnknown
		case errors.Is(err, ErrTokenReused):
			outcome = OutcomeReused
			// A stolen token may be in use: its access tokens go too.
			if rerr := s.revokeSessions(ctx, family); rerr != nil {
				return User{}, "", Session{}, rerr
			}
		case errors.Is(err, ErrTokenRevoked):
			outcome = OutcomeRevoked
		case errors.Is(err, ErrTokenExpired):
			outcome = OutcomeExpired
		case errors.Is(err, errSuperseded):
			outcome = OutcomeSuperseded
		default:
			return User{}, "", Session{}, err
		}
		return User{}, "", Session{}, &RefreshError{Outcome: outcome, Username: username, Family: family, Err: err}
	}
	u, err = s.store.User(ctx, username)
	if errors.Is(err, ErrNotFound) {
		return User{}, "", Session{}, &RefreshError{Outcome: OutcomeUnknown, Username: username, Family: family, Err: err}
	}
	if err != nil {
		return User{}, "", Session{}, err
	}
	return u, next, Session{ID: family, ExpiresAt: expires}, nil
}

// EndSession revokes the family of the presented refresh token (a logout),
// and with it every access token of the session; any token of the family
// will do, including an old one. It reports whether there was such a
// family; an unknown token is not an error, since the client is logged out
// either way. The session is recorded as revoked even when its family
// already was, so that a logout retried after a failure completes.
func (s *Service) EndSession(ctx context.Context, presented string) (bool, error) {
	find, ok := s.lookup(presented)
	if !ok {
		return false, nil
	}
	now := s.now()
	var family string
	err := s.store.UpdateRefreshFamily(ctx, find, func(f RefreshFamily) (*RefreshFamily, error) {
		family = f.ID
		if !f.RevokedAt.IsZero() {
			return nil, nil
		}
		n := f
		n.RevokedAt = now
		return &n, nil
	})
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := s.revokeSessions(ctx, family); err != nil {
		return false, err
	}
	return true, nil
}

// EndAllSessions revokes every session of username (sign out everywhere):
// its refresh families and their access tokens. The password stays as it
// is. It reports how many sessions it ended; ErrNotFound.
func (s *Service) EndAllSessions(ctx context.Context, username string) (int, error) {
	u, err := s.store.User(ctx, username)
	if err != nil {
		return 0, err
	}
	families, err := s.store.Families(ctx, u.Username)
	if err != nil {
		return 0, err
	}
	if err := s.revokeSessions(ctx, families...); err != nil {
		return 0, err
	}
	if err := s.store.RevokeUserRefreshTokens(ctx, u.Username, s.now()); err != nil {
		return 0, err
	}
	return len(families), nil
}

// revokeSessions records the sessions as revoked until the last access
// token they may hold has expired (the access token lifetime plus the
// largest leeway any verifier allows), in the store for every replica and
// in this process's set at once. It comes before the refresh tokens are
// revoked or deleted, so that a failure leaves the session whole rather
// than half ended.
func (s *Service) revokeSessions(ctx context.Context, sids ...string) error {
	if len(sids) == 0 {
		return nil
	}
	until := s.now().Add(s.accessTTL + jwtauth.MaxLeeway)
	entries := make([]revocation.Entry, len(sids))
	for i, sid := range sids {
		entries[i] = revocation.Entry{SessionID: sid, ExpiresAt: until}
	}
	if err := s.store.AddRevocations(ctx, entries); err != nil {
		return err
	}
	if s.revoked != nil {
		s.revoked.Add(entries...)
	}
	return nil
}

// MaxRevocationsPage bounds the revocations one RevocationsSince returns.
const MaxRevocationsPage = 1000

// RevocationsSince returns the revoked sessions recorded after cursor (0:
// all that have not expired), at most MaxRevocationsPage of them: what the
// revocation feed serves, and what every replica follows.
func (s *Service) RevocationsSince(ctx context.Context, cursor int64) (revocation.Page, error) {
	if cursor < 0 {
		cursor = 0
	}
	entries, next, more, err := s.store.Revocations(ctx, cursor, s.now(), MaxRevocationsPage)
	if err != nil {
		return revocation.Page{}, err
	}
	return revocation.Page{Revocations: entries, Cursor: next, More: more}, nil
}

// ValidatePasswordChange checks a password change without looking at any
// account: the current password is given, the new one keeps the password
// rule and differs from it.
func ValidatePasswordChange(current, next string) error {
	if current == "" {
		return invalid("current_password is required")
	}
	if err := ValidatePassword(next); err != nil {
		return invalid("new_password: %v", err)
	}
	if next == current {
		return invalid("new_password must differ from current_password")
	}
	return nil
}

// ChangePassword sets a new password for username after checking the
// current one (ErrWrongPassword), and revokes every session of the user:
// its refresh tokens and their access tokens. ErrNotFound when the user no longer exists; ErrInvalid for a
// change ValidatePasswordChange refuses.
func (s *Service) ChangePassword(ctx context.Context, username, current, next string) error {
	if err := ValidatePasswordChange(current, next); err != nil {
		return err
	}
	u, err := s.store.User(ctx, username)
	if err != nil {
		return err
	}
	if !passwordMatches(u.PasswordHash, current) || len(current) > MaxPasswordBytes || hasControl(current) {
		return ErrWrongPassword
	}
	return s.replacePassword(ctx, u.Username, next)
}

// replacePassword hashes password, ends every session of username (its
// refresh families and their access tokens) and then stores the hash: a
// failure leaves the old password with no session rather than the new
// one beside live sessions.
func (s *Service) replacePassword(ctx context.Context, username, password string) error {
	hash, err := HashPassword(password, s.cost)
	if err != nil {
		return err
	}
	families, err := s.store.Families(ctx, username)
	if err != nil {
		return err
	}
	if err := s.revokeSessions(ctx, families...); err != nil {
		return err
	}
	return s.store.SetPassword(ctx, username, hash)
}

// ResetPassword sets a new password for username on an administrator's
// behalf, without the current one, and revokes every session of the user,
// as a password change does: its refresh tokens and their access tokens.
// ErrInvalid for a bad name or a password the rule refuses; ErrNotFound.
func (s *Service) ResetPassword(ctx context.Context, username, password string) error {
	if err := firstError(ValidateUsername(username), ValidatePassword(password)); err != nil {
		return err
	}
	u, err := s.store.User(ctx, username)
	if err != nil {
		return err
	}
	return s.replacePassword(ctx, u.Username, password)
}

// CreateUser adds a user after checking the username, password and role
// rules (ErrInvalid); ErrDuplicate when the name is taken in any case.
func (s *Service) CreateUser(ctx context.Context, username, password, role string) (User, error) {
	// Each rule error says what to fix; the first is enough to act on.
	if err := firstError(ValidateUsername(username), ValidatePassword(password), ValidateRole(role)); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(password, s.cost)
	if err != nil {
		return User{}, err
	}
	u := User{Username: username, PasswordHash: hash, Role: role, CreatedAt: s.now().Truncate(time.Second)}
	if err := s.store.CreateUser(ctx, u); err != nil {
		return User{}, err
	}
	return u, nil
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Admin checks that username, whose access token claims tokenRole, is an
// admin by the token and by the store: a deleted or demoted admin loses
// access at once, not when the token expires. ErrNotAdmin, or the store's
// ErrNotFound for a user that no longer exists.
func (s *Service) Admin(ctx context.Context, username, tokenRole string) error {
	if tokenRole != RoleAdmin {
		return ErrNotAdmin
	}
	u, err := s.store.User(ctx, username)
	if err != nil {
		return err
	}
	if u.Role != RoleAdmin {
		return ErrNotAdmin
	}
	return nil
}

// User returns the user with this name in any case; ErrNotFound.
func (s *Service) User(ctx context.Context, username string) (User, error) {
	return s.store.User(ctx, username)
}

// Users lists every user by name.
func (s *Service) Users(ctx context.Context) ([]User, error) {
	return s.store.Users(ctx)
}

// DeleteUser removes username, on behalf of the user by, and revokes its
// sessions: refresh tokens and access tokens, so that a token of the
// deleted account is refused even once an account of the same name exists
// again. Nobody can delete their own account (ErrDeleteSelf), so
// the last admin cannot lock everyone out by accident; ErrNotFound.
func (s *Service) DeleteUser(ctx context.Context, username, by string) error {
	if err := ValidateUsername(username); err != nil {
		return err
	}
	if strings.EqualFold(username, by) {
		return ErrDeleteSelf
	}
	families, err := s.store.Families(ctx, username)
	if err != nil {
		return err
	}
	if err := s.revokeSessions(ctx, families...); err != nil {
		return err
	}
	return s.store.DeleteUser(ctx, username)
}

// EnsureAdmin creates the bootstrap admin when the store has no users at
// all. With no username it only warns that nobody can log in.
func (s *Service) EnsureAdmin(ctx context.Context, username, password string) error {
	users, err := s.store.Users(ctx)
	if err != nil {
		return fmt.Errorf("bootstrap admin: %w", err)
	}
	switch {
	case len(users) > 0:
		if username != "" {
			s.log.Debug("users exist; BOOTSTRAP_ADMIN_* ignored")
		}
		return nil
	case username == "":
		s.log.Warn("there are no users: set BOOTSTRAP_ADMIN_USERNAME and BOOTSTRAP_ADMIN_PASSWORD, or run: auth-api users add NAME --role admin")
		return nil
	}
	if err := firstError(ValidateUsername(username), ValidatePassword(password)); err != nil {
		return fmt.Errorf("bootstrap admin: %w", err)
	}
	hash, err := HashPassword(password, s.cost)
	if err != nil {
		return fmt.Errorf("bootstrap admin: %w", err)
	}
	created, err := s.store.CreateFirstUser(ctx, User{Username: username, PasswordHash: hash, Role: RoleAdmin, CreatedAt: s.now()})
	if err != nil {
		return fmt.Errorf("bootstrap admin: %w", err)
	}
	if created {
		s.log.Info("created bootstrap admin", "user", username)
	}
	return nil
}

// DeleteExpired deletes the refresh tokens that have expired and reports
// how many.
func (s *Service) DeleteExpired(ctx context.Context) (int64, error) {
	return s.store.DeleteExpiredRefreshTokens(ctx, s.now())
}

// Cleanup deletes expired refresh tokens now and then every interval until
// ctx is done; each tick also calls every function in also (for instance
// to forget stale brute-force counters), logging its error.
func (s *Service) Cleanup(ctx context.Context, every time.Duration, also ...func(ctx context.Context, now time.Time) error) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s.cleanupOnce(ctx, also)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Service) cleanupOnce(ctx context.Context, also []func(context.Context, time.Time) error) {
	n, err := s.DeleteExpired(ctx)
	if err != nil && ctx.Err() == nil {
		s.log.Error("delete expired refresh tokens", "err", err)
	} else if n > 0 {
		s.log.Info("deleted expired refresh tokens", "count", n)
	}
	n, err = s.store.DeleteExpiredRevocations(ctx, s.now())
	if err != nil && ctx.Err() == nil {
		s.log.Error("delete expired revocations", "err", err)
	} else if n > 0 {
		s.log.Info("deleted expired revocations", "count", n)
	}
	now := s.now()
	for _, f := range also {
		if err := f(ctx, now); err != nil && ctx.Err() == nil {
			s.log.Error("cleanup", "err", err)
		}
	}
}
