package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/jwt-micro-system/shared/revocation"
)

// revocationLock is the transaction-level advisory lock that serialises the
// writers of revoked_sessions: each takes its seq values only while holding
// it, so seq order is commit order and a reader that has seen seq n will
// never find a smaller seq committed later.
const revocationLock = 0x7265766f6b65 // "revoke"

// AddRevocations implements account.Store.
func (p *Postgres) AddRevocations(ctx context.Context, entries []revocation.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	return p.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(revocationLock)); err != nil {
			return fmt.Errorf("record revocation: %w", err)
		}
		for _, e := range entries {
			if _, err := tx.Exec(ctx, `INSERT INTO revoked_sessions (sid, expires_at) VALUES ($1, $2)`,
				e.SessionID, e.ExpiresAt); err != nil {
				return fmt.Errorf("record revocation: %w", err)
			}
		}
		return nil
	})
}

// Revocations implements account.Store.
func (p *Postgres) Revocations(ctx context.Context, cursor int64, now time.Time, limit int) ([]revocation.Entry, int64, bool, error) {
	rows, err := p.pool.Query(ctx, `SELECT seq, sid, expires_at FROM revoked_sessions WHERE seq > $1 ORDER BY seq LIMIT $2`,
		cursor, limit+1)
	if err != nil {
		return nil, cursor, false, fmt.Errorf("read revocations: %w", err)
	}
	defer rows.Close()
	entries := []revocation.Entry{}
	n := 0
	for rows.Next() {
		if n == limit {
			return entries, cursor, true, nil
		}
		n++
		var seq int64
		var sid string
		var exp time.Time
		if err := rows.Scan(&seq, &sid, &exp); err != nil {
			return nil, cursor, false, fmt.Errorf("read revocations: %w", err)
		}
		cursor = seq
		if exp.After(now) {
			entries = append(entries, revocation.Entry{SessionID: sid, ExpiresAt: exp.UTC()})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, cursor, false, fmt.Errorf("read revocations: %w", err)
	}
	if n == 0 && cursor > 0 {
		rows.Close()
		// Nothing after cursor: a cursor beyond the last seq comes from
		// another database (one restored from a backup, say). Hand back
		// the last seq so the reader does not wait for numbers that may
		// never come; reading a few rows again is harmless.
		var last int64
		if err := p.pool.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM revoked_sessions`).Scan(&last); err != nil {
			return nil, cursor, false, fmt.Errorf("read revocations: %w", err)
		}
		if last < cursor {
			cursor = last
		}
	}
	return entries, cursor, false, nil
}

// DeleteExpiredRevocations implements account.Store.
func (p *Postgres) DeleteExpiredRevocations(ctx context.Context, now time.Time) (int64, error) {
	tag, err := p.pool.Exec(ctx, `DELETE FROM revoked_sessions WHERE expires_at <= $1`, now)
	if err != nil {
		return 0, fmt.Errorf("delete expired revocations: %w", err)
	}
	return tag.RowsAffected(), nil
}

// Families implements account.Store.
func (p *Postgres) Families(ctx context.Context, username string) ([]string, error) {
	rows, err := p.pool.Query(ctx, `SELECT family FROM refresh_families WHERE user_key = lower($1) ORDER BY family`, username)
	if err != nil {
		return nil, fmt.Errorf("read refresh families: %w", err)
	}
	families, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("read refresh families: %w", err)
	}
	if families == nil {
		families = []string{}
	}
	return families, nil
}

// RevokeUserRefreshTokens implements account.Store.
func (p *Postgres) RevokeUserRefreshTokens(ctx context.Context, username string, now time.Time) error {
	if _, err := p.pool.Exec(ctx, `UPDATE refresh_families SET revoked_at = $1 WHERE user_key = lower($2) AND revoked_at IS NULL`,
		now, username); err != nil {
		return fmt.Errorf("revoke refresh tokens: %w", err)
	}
	return nil
}
