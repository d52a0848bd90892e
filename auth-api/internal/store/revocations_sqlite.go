package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jwt-micro-system/shared/revocation"
)

// AddRevocations implements account.Store.
func (s *SQLite) AddRevocations(ctx context.Context, entries []revocation.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, e := range entries {
		if _, err := tx.ExecContext(ctx, `INSERT INTO revoked_sessions (sid, expires_at) VALUES (?, ?)`,
			e.SessionID, e.ExpiresAt.Unix()); err != nil {
			return fmt.Errorf("record revocation: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record revocation: %w", err)
	}
	return nil
}

// Revocations implements account.Store.
func (s *SQLite) Revocations(ctx context.Context, cursor int64, now time.Time, limit int) ([]revocation.Entry, int64, bool, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT seq, sid, expires_at FROM revoked_sessions WHERE seq > ? ORDER BY seq LIMIT ?`,
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
		var seq, exp int64
		var sid string
		if err := rows.Scan(&seq, &sid, &exp); err != nil {
			return nil, cursor, false, fmt.Errorf("read revocations: %w", err)
		}
		cursor = seq
		if e := time.Unix(exp, 0).UTC(); e.After(now) {
			entries = append(entries, revocation.Entry{SessionID: sid, ExpiresAt: e})
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
		if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM revoked_sessions`).Scan(&last); err != nil {
			return nil, cursor, false, fmt.Errorf("read revocations: %w", err)
		}
		if last < cursor {
			cursor = last
		}
	}
	return entries, cursor, false, nil
}

// DeleteExpiredRevocations implements account.Store.
func (s *SQLite) DeleteExpiredRevocations(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM revoked_sessions WHERE expires_at <= ?`, now.Unix())
	if err != nil {
		return 0, fmt.Errorf("delete expired revocations: %w", err)
	}
	return res.RowsAffected()
}

// Families implements account.Store.
func (s *SQLite) Families(ctx context.Context, username string) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT family FROM refresh_families WHERE username = ? ORDER BY family`, username)
	if err != nil {
		return nil, fmt.Errorf("read refresh families: %w", err)
	}
	defer rows.Close()
	families := []string{}
	for rows.Next() {
		var f string
		if err := rows.Scan(&f); err != nil {
			return nil, fmt.Errorf("read refresh families: %w", err)
		}
		families = append(families, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read refresh families: %w", err)
	}
	return families, nil
}

// RevokeUserRefreshTokens implements account.Store.
func (s *SQLite) RevokeUserRefreshTokens(ctx context.Context, username string, now time.Time) error {
	if _, err := s.w.ExecContext(ctx, `UPDATE refresh_families SET revoked_at = ? WHERE username = ? AND revoked_at IS NULL`,
		ms(now), username); err != nil {
		return fmt.Errorf("revoke refresh tokens: %w", err)
	}
	return nil
}
