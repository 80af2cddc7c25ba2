// Package migrations embeds the SQL migrations of both servers. Each server
// has its own database and its own numbered sequence.
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed codebase/*.sql workflow/*.sql
var files embed.FS

// Codebase returns codebase-mcp's migrations.
func Codebase() fs.FS { return sub("codebase") }

// Workflow returns workflow-mcp's migrations.
func Workflow() fs.FS { return sub("workflow") }

func sub(dir string) fs.FS {
	f, err := fs.Sub(files, dir)
	if err != nil {
		panic(err) // unreachable: dir is a literal embedded above
	}
	return f
}
