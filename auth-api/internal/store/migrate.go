package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

// The schema of each dialect is a folder of goose SQL migrations,
// 00001_init.sql onwards; goose records what it applied in goose_db_version.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// versionTable is goose's default version table, named here because the
// legacy adoption and Ping use it too.
const versionTable = "goose_db_version"

// migrate applies the pending migrations of dir to db, each in its own
// transaction.
func migrate(ctx context.Context, dialect goose.Dialect, db *sql.DB, dir string, opts ...goose.ProviderOption) error {
	files, err := fs.Sub(migrationFiles, dir)
	if err != nil {
		return err
	}
	opts = append(opts, goose.WithTableName(versionTable), goose.WithDisableGlobalRegistry(true))
	p, err := goose.NewProvider(dialect, db, files, opts...)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	return nil
}
