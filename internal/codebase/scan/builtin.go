package scan

import "strings"

// The built-in lists are switch statements rather than package-level maps
// so that no package state exists that anyone could modify.

// isVCSDir reports a version-control directory. These are never entered,
// whatever the ignore files say: git never looks inside them either.
func isVCSDir(name string) bool {
	switch name {
	case ".git", ".hg", ".svn", ".bzr", "_darcs", ".jj":
		return true
	}
	return false
}

// isCacheDir reports dependency, cache and tool directories that hold no
// code of the repository's own. They are ignored at any depth unless an
// ignore file re-includes them.
func isCacheDir(name string) bool {
	switch name {
	case "node_modules", "bower_components", "jspm_packages",
		".venv", "venv", "__pycache__", ".tox", ".nox", ".mypy_cache", ".pytest_cache",
		".ruff_cache", ".hypothesis", ".eggs",
		".gradle", ".m2", ".terraform", ".cargo", ".stack-work", ".dart_tool",
		".next", ".nuxt", ".svelte-kit", ".parcel-cache", ".turbo", ".yarn", ".pnpm-store", ".angular",
		".idea", ".vs", "htmlcov":
		return true
	}
	return strings.HasSuffix(name, ".egg-info")
}

// outputManifests returns, for the name of a build-output or
// vendored-dependency directory, the manifests that mark it as such when
// one of them sits in the same parent directory. Without such a manifest the
// directory is scanned like any other: "build", "dist" and "vendor" are
// also ordinary source directory names (GOROOT has src/go/build and
// src/cmd/dist).
func outputManifests(name string) []string {
	switch name {
	case "build":
		return []string{"package.json", "pyproject.toml", "setup.py", "setup.cfg", "build.gradle", "build.gradle.kts",
			"settings.gradle", "settings.gradle.kts", "CMakeLists.txt", "meson.build", "pubspec.yaml"}
	case "coverage":
		// Jest, nyc and coverage.py reports; GOROOT has src/internal/coverage.
		return []string{"package.json", "pyproject.toml", "setup.py", "setup.cfg", "tox.ini"}
	case "dist":
		return []string{"package.json", "pyproject.toml", "setup.py", "setup.cfg"}
	case "out":
		return []string{"package.json", "tsconfig.json", "build.gradle", "build.gradle.kts", "settings.gradle",
			"settings.gradle.kts", "CMakeLists.txt"}
	case "target":
		return []string{"Cargo.toml", "pom.xml", "build.sbt", "project.clj"}
	case "vendor":
		return []string{"go.mod", "composer.json", "Gemfile"}
	case "bin", "obj":
		return []string{"pom.xml", "build.gradle", "build.gradle.kts", "settings.gradle", "settings.gradle.kts"}
	}
	return nil
}

// isLockFile reports generated dependency pins: large, and useless to
// search.
func isLockFile(name string) bool {
	switch name {
	case "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lock", "bun.lockb",
		"go.sum", "Cargo.lock", "poetry.lock", "Pipfile.lock", "pdm.lock", "uv.lock", "composer.lock",
		"Gemfile.lock", "mix.lock", "flake.lock", "pubspec.lock", "Podfile.lock", "Package.resolved",
		"packages.lock.json", "gradle.lockfile", "deno.lock":
		return true
	}
	return false
}

// builtinIgnored reports whether a directory entry is ignored by the
// built-in rules. siblings holds the names in the same directory, for the
// manifest check of [outputManifests].
func builtinIgnored(name string, isDir bool, siblings map[string]bool) bool {
	if isDir {
		if isCacheDir(name) {
			return true
		}
		for _, m := range outputManifests(name) {
			if siblings[m] {
				return true
			}
		}
		return false
	}
	if isLockFile(name) {
		return true
	}
	// Minified bundles and source maps are generated from sources that
	// are indexed anyway.
	return strings.HasSuffix(name, ".min.js") || strings.HasSuffix(name, ".min.mjs") ||
		strings.HasSuffix(name, ".min.css") || strings.HasSuffix(name, ".map")
}
