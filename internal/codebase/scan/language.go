package scan

import (
	"bytes"
	"path"
	"strings"
)

// Language returns the language of a file from its name: "go", "python",
// "javascript", "typescript", "tsx", "java", "rust", "c", "cpp", "ruby",
// "php", "csharp", "kotlin", "swift", "scala", "shell", "sql", "markdown",
// "yaml", "json", "toml", "html", "css", ... and "text" for any other name,
// whose content the scanner then checks. It returns "" for kinds that are
// never indexed (images, audio and video, archives, fonts, office
// documents, compiled objects, databases): the scanner skips those as
// unsupported without reading them.
func Language(p string) string {
	name := path.Base(strings.ReplaceAll(p, "\\", "/"))
	if l := languageByName(name); l != "" {
		return l
	}
	ext := strings.ToLower(path.Ext(name))
	if ext == "" {
		return "text"
	}
	if l := languageByExt(ext[1:]); l != "" {
		return l
	}
	if unsupportedExt(ext[1:]) {
		return ""
	}
	return "text"
}

func languageByName(name string) string {
	switch name {
	case "Makefile", "makefile", "GNUmakefile":
		return "make"
	case "Dockerfile", "Containerfile":
		return "dockerfile"
	case "CMakeLists.txt":
		return "cmake"
	case "Gemfile", "Rakefile", "Guardfile", "Podfile", "Vagrantfile":
		return "ruby"
	case "BUILD", "WORKSPACE", "BUILD.bazel", "WORKSPACE.bazel":
		return "starlark"
	case "Jenkinsfile":
		return "groovy"
	case ".bashrc", ".bash_profile", ".profile", ".zshrc":
		return "shell"
	}
	if strings.HasPrefix(name, "Dockerfile.") {
		return "dockerfile"
	}
	return ""
}

func languageByExt(ext string) string {
	switch ext {
	case "go":
		return "go"
	case "py", "pyi", "pyw":
		return "python"
	case "js", "mjs", "cjs", "jsx":
		return "javascript"
	case "ts", "mts", "cts":
		return "typescript"
	case "tsx":
		return "tsx"
	case "java":
		return "java"
	case "rs":
		return "rust"
	case "c", "h":
		return "c"
	case "cc", "cpp", "cxx", "c++", "hh", "hpp", "hxx", "h++", "ipp", "inl":
		return "cpp"
	case "m", "mm":
		return "objc"
	case "rb", "rake", "gemspec":
		return "ruby"
	case "php":
		return "php"
	case "cs":
		return "csharp"
	case "kt", "kts":
		return "kotlin"
	case "swift":
		return "swift"
	case "scala", "sc", "sbt":
		return "scala"
	case "groovy", "gradle":
		return "groovy"
	case "dart":
		return "dart"
	case "lua":
		return "lua"
	case "pl", "pm":
		return "perl"
	case "r":
		return "r"
	case "jl":
		return "julia"
	case "ex", "exs":
		return "elixir"
	case "erl", "hrl":
		return "erlang"
	case "hs":
		return "haskell"
	case "ml", "mli":
		return "ocaml"
	case "clj", "cljs", "cljc", "edn":
		return "clojure"
	case "zig":
		return "zig"
	case "nim":
		return "nim"
	case "vue":
		return "vue"
	case "svelte":
		return "svelte"
	case "sh", "bash", "zsh", "fish", "ksh":
		return "shell"
	case "ps1", "psm1":
		return "powershell"
	case "bat", "cmd":
		return "batch"
	case "sql":
		return "sql"
	case "proto":
		return "protobuf"
	case "graphql", "gql":
		return "graphql"
	case "tf", "tfvars", "hcl":
		return "hcl"
	case "md", "markdown", "mdx":
		return "markdown"
	case "rst":
		return "rst"
	case "adoc":
		return "asciidoc"
	case "yaml", "yml":
		return "yaml"
	case "json", "jsonc", "json5":
		return "json"
	case "toml":
		return "toml"
	case "xml", "xsd", "xsl", "plist":
		return "xml"
	case "html", "htm", "xhtml":
		return "html"
	case "css":
		return "css"
	case "scss", "sass":
		return "scss"
	case "less":
		return "less"
	case "s", "asm":
		return "asm"
	case "txt", "ini", "cfg", "conf", "env", "csv", "tsv":
		return "text"
	}
	return ""
}

// unsupportedExt lists kinds that are never indexed, so they are skipped
// without reading them. Unknown extensions are not here: their content
// decides.
func unsupportedExt(ext string) bool {
	switch ext {
	// images
	case "png", "jpg", "jpeg", "gif", "bmp", "ico", "icns", "webp", "tif", "tiff", "psd", "heic", "avif", "svgz", "xcf", "raw":
		return true
	// audio and video
	case "mp3", "wav", "ogg", "oga", "flac", "aac", "m4a", "opus", "mid", "midi",
		"mp4", "m4v", "mkv", "mov", "avi", "webm", "wmv", "flv", "mpg", "mpeg":
		return true
	// archives and packages
	case "zip", "tar", "gz", "tgz", "bz2", "xz", "zst", "7z", "rar", "lz", "lz4", "lzma", "z",
		"jar", "war", "ear", "apk", "aar", "whl", "egg", "deb", "rpm", "dmg", "iso", "msi", "nupkg", "gem", "crate":
		return true
	// fonts
	case "ttf", "otf", "woff", "woff2", "eot", "fon":
		return true
	// office documents and PDFs
	case "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp", "rtf", "epub":
		return true
	// compiled objects and executables
	case "o", "obj", "a", "lib", "so", "dylib", "dll", "exe", "bin", "elf", "class", "pyc", "pyo", "pyd",
		"wasm", "beam", "ko", "out", "pdb", "idb", "ilk", "rlib", "node":
		return true
	// databases, data dumps and models
	case "db", "sqlite", "sqlite3", "mdb", "parquet", "avro", "orc", "feather", "npy", "npz", "pkl", "pickle",
		"h5", "hdf5", "onnx", "pt", "pth", "ckpt", "safetensors", "gguf", "tfrecord":
		return true
	}
	return false
}

// languageFromShebang refines "text" for extension-less scripts from their
// first line, e.g. "#!/usr/bin/env python3".
func languageFromShebang(head []byte) string {
	if !bytes.HasPrefix(head, []byte("#!")) {
		return ""
	}
	line := head[2:]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	fields := strings.Fields(string(line))
	if len(fields) == 0 {
		return ""
	}
	interp := path.Base(fields[0])
	if interp == "env" {
		for _, f := range fields[1:] {
			if !strings.HasPrefix(f, "-") {
				interp = f
				break
			}
		}
	}
	interp = strings.TrimRight(interp, "0123456789.")
	switch interp {
	case "sh", "bash", "zsh", "ksh", "dash", "ash", "fish":
		return "shell"
	case "python":
		return "python"
	case "node", "nodejs":
		return "javascript"
	case "ruby":
		return "ruby"
	case "perl":
		return "perl"
	case "php":
		return "php"
	}
	return ""
}
