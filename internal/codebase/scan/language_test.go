package scan_test

import (
	"context"
	"testing"

	"github.com/mcp-memory/servers/internal/codebase/scan"
)

// TestLanguage_BuildFilesAndLessCommonKinds covers the well-known file
// names and the extensions TestLanguage leaves out.
func TestLanguage_BuildFilesAndLessCommonKinds(t *testing.T) {
	tests := map[string]string{
		"CMakeLists.txt": "cmake", "a/Gemfile": "ruby", "Rakefile": "ruby", "Vagrantfile": "ruby",
		"BUILD": "starlark", "WORKSPACE.bazel": "starlark", "Jenkinsfile": "groovy", "home/.bashrc": "shell",
		".zshrc": "shell", "Dockerfile.dev": "dockerfile", "Containerfile": "dockerfile", `win\path\Makefile`: "make",
		"x.m": "objc", "x.mm": "objc", "b.gradle": "groovy", "x.groovy": "groovy", "x.dart": "dart",
		"x.lua": "lua", "x.pl": "perl", "x.pm": "perl", "x.r": "r", "x.R": "r", "x.jl": "julia",
		"x.ex": "elixir", "x.exs": "elixir", "x.erl": "erlang", "x.hrl": "erlang", "x.hs": "haskell",
		"x.ml": "ocaml", "x.mli": "ocaml", "x.clj": "clojure", "deps.edn": "clojure", "x.zig": "zig",
		"x.nim": "nim", "x.vue": "vue", "x.svelte": "svelte", "x.ps1": "powershell", "x.bat": "batch",
		"x.cmd": "batch", "x.proto": "protobuf", "x.graphql": "graphql", "x.gql": "graphql",
		"main.tf": "hcl", "x.tfvars": "hcl", "x.hcl": "hcl", "x.rst": "rst", "x.adoc": "asciidoc",
		"x.xml": "xml", "Info.plist": "xml", "x.scss": "scss", "x.sass": "scss", "x.less": "less",
		"x.s": "asm", "x.asm": "asm",
		// Models and data dumps are never indexed.
		"model.safetensors": "", "w.gguf": "", "d.parquet": "", "x.onnx": "", "x.pkl": "",
	}
	for p, want := range tests {
		if got := scan.Language(p); got != want {
			t.Errorf("Language(%q) = %q, want %q", p, got, want)
		}
	}
}

// TestScan_ShebangRefinesText checks that an extension-less script gets
// its language from its "#!" line, through env and versioned names, and
// that other first lines leave it text.
func TestScan_ShebangRefinesText(t *testing.T) {
	files := map[string]string{
		"bin/sh-script":  "#!/bin/sh\necho hi\n",
		"bin/env-python": "#!/usr/bin/env -S python3.12 -u\nprint(1)\n",
		"bin/node":       "#!/usr/bin/env node\nconsole.log(1)\n",
		"bin/ruby":       "#!/usr/bin/ruby\nputs 1\n",
		"bin/perl":       "#!/usr/bin/perl -w\nprint 1;\n",
		"bin/php":        "#!/usr/bin/php\n<?php echo 1;\n",
		"bin/blank":      "#!   \nnothing here\n",
		"bin/awk":        "#!/usr/bin/awk -f\n{ print }\n",
		"bin/notes":      "just words\n",
	}
	want := map[string]string{
		"bin/sh-script": "shell", "bin/env-python": "python", "bin/node": "javascript", "bin/ruby": "ruby",
		"bin/perl": "perl", "bin/php": "php", "bin/blank": "text", "bin/awk": "text", "bin/notes": "text",
	}
	root := t.TempDir()
	writeTree(t, root, files)
	res, err := scan.Scan(context.Background(), root, scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range res.Files {
		got[f.Path] = f.Language
	}
	for p, w := range want {
		if got[p] != w {
			t.Errorf("%s: language %q, want %q", p, got[p], w)
		}
	}
}
