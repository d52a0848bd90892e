package jwtauth

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwt-micro-system/shared/secretkey"
)

// MaxTokenLen bounds the size of a token the Verifier will look at. Real
// tokens are about 300 bytes; anything longer than this is refused before
// any decoding, so hostile input costs nothing.
const MaxTokenLen = 4096

// MaxLeeway is the largest clock skew a Verifier may allow.
const MaxLeeway = 30 * time.Second

// Reason says why a token was refused. Its string form is stable and safe to
// use as a log attribute or a metric label.
type Reason string

// The reasons a token is refused.
const (
	ReasonMalformed      Reason = "malformed"        // not a well-formed JWT, or too large
	ReasonAlgorithm      Reason = "bad_algorithm"    // alg is not HS256
	ReasonKeyHint        Reason = "forbidden_header" // jku, jwk, x5u, x5c or crit header present
	ReasonUnknownKey     Reason = "unknown_key"      // kid names none of our keys
	ReasonSignature      Reason = "bad_signature"    // signature does not match
	ReasonExpired        Reason = "expired"          // exp is in the past
	ReasonMissingExpiry  Reason = "missing_exp"      // no exp claim
	ReasonNotYetValid    Reason = "not_yet_valid"    // nbf or iat is in the future
	ReasonIssuer         Reason = "wrong_issuer"     // iss missing or not ours
	ReasonAudience       Reason = "wrong_audience"   // aud missing or not ours
	ReasonMissingClaim   Reason = "missing_claim"    // sub or role missing
	ReasonMissingToken   Reason = "missing_token"    // nothing was presented
	ReasonRevoked        Reason = "revoked"          // its session (sid) was revoked
	reasonUnclassifiedV1 Reason = "invalid"          // any other failure
)

// Error is a token rejection: the Reason, and the underlying error for logs.
// When golang-jwt refused the token, Err is its error, so errors.Is(err,
// jwt.ErrTokenExpired) and the like hold for the rejection too.
type Error struct {
	Reason Reason
	Err    error
}

// Error returns the Reason and the underlying error; it never contains the
// token.
func (e *Error) Error() string {
	if e.Err == nil {
		return "token rejected: " + string(e.Reason)
	}
	return fmt.Sprintf("token rejected: %s: %v", e.Reason, e.Err)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

func reject(r Reason, msg string) *Error {
	return &Error{Reason: r, Err: errors.New(msg)}
}

// ReasonOf returns the Reason of a rejection error, or "" for nil.
func ReasonOf(err error) Reason {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return reasonUnclassifiedV1
}

// VerifierConfig configures a Verifier.
type VerifierConfig struct {
	// Issuer is the required iss claim; DefaultIssuer when empty.
	Issuer string
	// Audience, when set, must be among the token's aud claim.
	Audience string
	// Leeway is the allowed clock skew, at most MaxLeeway.
	Leeway time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// CacheSize bounds how many verified tokens are remembered (see
	// DefaultCacheSize, used when zero); negative disables the cache.
	CacheSize int
	// Revocations, when set, refuses tokens whose session it names
	// (ReasonRevoked), after every other check passed. It is consulted on
	// every call, cached tokens included, so it must be cheap
	// (revocation.Set is).
	Revocations Revocations
}

// Revocations tells whether a session was revoked; revocation.Set
// implements it.
type Revocations interface {
	Revoked(sid string) bool
}

// verificationKey is one key a Verifier accepts, captured once at
// construction so that verifying never copies a secret.
type verificationKey struct {
	id     string
	secret []byte
}

// Verifier checks access tokens. It is safe for concurrent use; both
// services use one per process for every token they see.
type Verifier struct {
	keys      []verificationKey // current first, then previous
	anyKey    jwt.VerificationKeySet
	parser    *jwt.Parser
	validator *jwt.Validator
	leeway    time.Duration
	now       func() time.Time
	cache     *verifiedCache
	revoked   Revocations // nil: no revocation check
}

// NewVerifier returns a Verifier that accepts tokens signed with any of keys.
func NewVerifier(keys *secretkey.Keys, cfg VerifierConfig) (*Verifier, error) {
	if keys == nil {
		return nil, errors.New("jwtauth: NewVerifier needs keys")
	}
	if cfg.Leeway < 0 || cfg.Leeway > MaxLeeway {
		return nil, fmt.Errorf("jwtauth: leeway must be between 0 and %s, got %s", MaxLeeway, cfg.Leeway)
	}
	if cfg.Issuer == "" {
		cfg.Issuer = DefaultIssuer
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CacheSize == 0 {
		cfg.CacheSize = DefaultCacheSize
	}
	v := &Verifier{leeway: cfg.Leeway, now: cfg.Now, cache: newVerifiedCache(cfg.CacheSize), revoked: cfg.Revocations}
	for _, k := range keys.All() {
		vk := verificationKey{id: k.ID(), secret: k.Secret()}
		v.keys = append(v.keys, vk)
		v.anyKey.Keys = append(v.anyKey.Keys, vk.secret)
	}
	// golang-jwt checks the claims: HS256 only, exp required, iat and nbf
	// not in the future, iss (and aud when configured) ours, all with the
	// leeway and our clock; then Claims.Validate requires sub and role.
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithStrictDecoding(),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(cfg.Now),
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	v.parser = jwt.NewParser(opts...)
	// The same rules, for tokens answered from the cache: their signature
	// was verified before, their time claims are checked again on each use.
	v.validator = jwt.NewValidator(opts...)
	return v, nil
}

// Verify checks token and returns its claims. Any failure is an *Error with
// a Reason; callers must treat every error as a rejection.
func (v *Verifier) Verify(token string) (*Claims, error) {
	if token == "" {
		return nil, reject(ReasonMissingToken, "no token")
	}
	if len(token) > MaxTokenLen {
		return nil, reject(ReasonMalformed, fmt.Sprintf("token longer than %d bytes", MaxTokenLen))
	}
	if cached, ok := v.cache.get(token); ok {
		// cached is already a copy; its slice must be one too, so no caller
		// can change what the cache holds.
		c := cached.claims
		c.Audience = slices.Clone(c.Audience)
		if now := v.now(); now.Before(cached.from) || !now.Before(cached.until) {
			// Outside the window it was accepted in: golang-jwt decides
			// again, and names the time rule broken.
			if err := v.validator.Validate(&c); err != nil {
				return nil, &Error{Reason: claimsReason(err, &c), Err: err}
			}
		}
		if v.isRevoked(&c) {
			return nil, reject(ReasonRevoked, "the token's session was revoked")
		}
		return &c, nil
	}
	claims := new(Claims)
	t, err := v.parser.ParseWithClaims(token, claims, v.keyFor)
	if err != nil {
		return nil, classify(err, t, claims)
	}
	from, until := v.window(claims)
	v.cache.put(token, verifiedToken{claims: *claims, from: from, until: until})
	if v.isRevoked(claims) {
		return nil, reject(ReasonRevoked, "the token's session was revoked")
	}
	return claims, nil
}

func (v *Verifier) isRevoked(c *Claims) bool {
	return v.revoked != nil && c.SessionID != "" && v.revoked.Revoked(c.SessionID)
}

// window returns the instants between which golang-jwt's time rules accept
// c, an accepted token's claims: from the latest of nbf and iat, less the
// leeway, until exp plus the leeway (exp is required, so present).
func (v *Verifier) window(c *Claims) (from, until time.Time) {
	for _, d := range []*jwt.NumericDate{c.NotBefore, c.IssuedAt} {
		if d != nil && d.Add(-v.leeway).After(from) {
			from = d.Add(-v.leeway)
		}
	}
	return from, c.ExpiresAt.Add(v.leeway)
}

// keyFor picks the key, once golang-jwt has pinned the algorithm to HS256:
// only by kid, only among our own keys, and never from a header that
// points elsewhere. A token without kid (signed by another standard library
// with SECRET_KEY, as the seeds do) is tried against each of our keys, at
// most two.
func (v *Verifier) keyFor(t *jwt.Token) (any, error) {
	for _, h := range []string{"jku", "jwk", "x5u", "x5c", "x5t", "x5t#S256", "crit"} {
		if _, ok := t.Header[h]; ok {
			return nil, reject(ReasonKeyHint, fmt.Sprintf("header %q is not accepted", h))
		}
	}
	raw, present := t.Header["kid"]
	if !present {
		return v.anyKey, nil
	}
	kid, ok := raw.(string)
	if !ok {
		return nil, reject(ReasonUnknownKey, "kid is not a string")
	}
	for _, k := range v.keys {
		if kid == k.id {
			return k.secret, nil
		}
	}
	return nil, reject(ReasonUnknownKey, "kid names none of our keys")
}

// classify maps an error of golang-jwt's ParseWithClaims to our Error; t
// and c are what it parsed before failing.
func classify(err error, t *jwt.Token, c *Claims) error {
	var ours *Error
	r := reasonUnclassifiedV1
	switch {
	case errors.Is(err, jwt.ErrTokenInvalidClaims):
		// Signature good, claims not: checked before our own errors, since
		// Claims.Validate's missing_claim comes last in precedence.
		r = claimsReason(err, c)
	case errors.As(err, &ours):
		r = ours.Reason // from keyFor
	case errors.Is(err, jwt.ErrTokenMalformed):
		r = ReasonMalformed
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		// alg missing, or a signing method golang-jwt does not know
		// ("None", "XYZ"); keyFor's own errors were matched above.
		r = ReasonAlgorithm
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		// WithValidMethods refuses another algorithm as an invalid
		// signature; the parsed header tells the two apart.
		r = ReasonSignature
		if t != nil && t.Method != nil && t.Method.Alg() != jwt.SigningMethodHS256.Alg() {
			r = ReasonAlgorithm
		}
	}
	return &Error{Reason: r, Err: err}
}

// claimsReason maps a claims validation error (which may join several) to
// the Reason of the first rule broken, in a fixed order: exp, nbf and iat,
// iss, aud, then sub and role. golang-jwt reports every missing required
// claim as ErrTokenRequiredClaimMissing, so c tells which one it was.
func claimsReason(err error, c *Claims) Reason {
	missing := errors.Is(err, jwt.ErrTokenRequiredClaimMissing)
	var ours *Error
	switch {
	case missing && c.ExpiresAt == nil:
		return ReasonMissingExpiry
	case errors.Is(err, jwt.ErrTokenExpired):
		return ReasonExpired
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return ReasonNotYetValid
	case errors.Is(err, jwt.ErrTokenInvalidIssuer), missing && c.Issuer == "":
		return ReasonIssuer
	case errors.Is(err, jwt.ErrTokenInvalidAudience), missing:
		// The only other claim required is aud, when an audience is set.
		return ReasonAudience
	case errors.As(err, &ours):
		return ours.Reason // Claims.Validate: sub or role
	}
	return reasonUnclassifiedV1
}
