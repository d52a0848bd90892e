package jwtauth

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwt-micro-system/shared/secretkey"
)

// DefaultIssuer is the iss claim when ISSUER is not set.
const DefaultIssuer = "auth-api"

// IssuerConfig configures an Issuer.
type IssuerConfig struct {
	// Issuer is the iss claim; DefaultIssuer when empty.
	Issuer string
	// Audience is the aud claim; omitted when empty.
	Audience string
	// TTL is the access token lifetime; it must be positive.
	TTL time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Issuer signs access tokens with the current key (HS256) and sets its kid.
type Issuer struct {
	kid    string
	secret []byte
	iss    string
	aud    string
	ttl    time.Duration
	now    func() time.Time
}

// NewIssuer returns an Issuer that signs with the current key of keys.
func NewIssuer(keys *secretkey.Keys, cfg IssuerConfig) (*Issuer, error) {
	if keys == nil {
		return nil, errors.New("jwtauth: NewIssuer needs keys")
	}
	if cfg.TTL <= 0 {
		return nil, fmt.Errorf("jwtauth: token lifetime must be positive, got %s", cfg.TTL)
	}
	if cfg.Issuer == "" {
		cfg.Issuer = DefaultIssuer
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cur := keys.Current()
	return &Issuer{kid: cur.ID(), secret: cur.Secret(), iss: cfg.Issuer, aud: cfg.Audience, ttl: cfg.TTL, now: cfg.Now}, nil
}

// TTL returns the access token lifetime.
func (is *Issuer) TTL() time.Duration { return is.ttl }

// Issue returns a signed access token for subject with role, and its claims.
// It names no session; see IssueSession.
func (is *Issuer) Issue(subject, role string) (string, *Claims, error) {
	return is.IssueSession(subject, role, "")
}

// IssueSession is Issue for a token of the login session sid (its sid
// claim), which revoking the session refuses; an empty sid is left out.
func (is *Issuer) IssueSession(subject, role, sid string) (string, *Claims, error) {
	if subject == "" || role == "" {
		return "", nil, errors.New("jwtauth: Issue needs a subject and a role")
	}
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", nil, fmt.Errorf("jwtauth: token id: %w", err)
	}
	now := is.now().Truncate(time.Second)
	c := &Claims{
		Subject:   subject,
		Role:      role,
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(is.ttl)),
		Issuer:    is.iss,
		ID:        base64.RawURLEncoding.EncodeToString(id[:]),
		SessionID: sid,
	}
	if is.aud != "" {
		c.Audience = jwt.ClaimStrings{is.aud}
	}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	t.Header["kid"] = is.kid
	signed, err := t.SignedString(is.secret)
	if err != nil {
		return "", nil, fmt.Errorf("jwtauth: sign: %w", err)
	}
	return signed, c, nil
}
