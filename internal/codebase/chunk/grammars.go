package chunk

import (
	tsc "github.com/tree-sitter/tree-sitter-c/bindings/go"
	tsgo "github.com/tree-sitter/tree-sitter-go/bindings/go"
	tsjava "github.com/tree-sitter/tree-sitter-java/bindings/go"
	tsjs "github.com/tree-sitter/tree-sitter-javascript/bindings/go"
	tspy "github.com/tree-sitter/tree-sitter-python/bindings/go"
	tsrust "github.com/tree-sitter/tree-sitter-rust/bindings/go"
	tsts "github.com/tree-sitter/tree-sitter-typescript/bindings/go"
)

// grammars returns the tables of every tree-sitter language, by the
// scanner's language name.
func grammars() map[string]grammar {
	ts := typescriptNodes()
	return map[string]grammar{
		"go":         {language: tsgo.Language, comments: []string{"comment"}, nodes: goNodes()},
		"python":     {language: tspy.Language, comments: []string{"comment"}, nodes: pythonNodes()},
		"javascript": {language: tsjs.Language, comments: []string{"comment"}, nodes: javascriptNodes(), sigSkip: []string{"decorator"}},
		"typescript": {language: tsts.LanguageTypescript, comments: []string{"comment"}, nodes: ts, sigSkip: []string{"decorator"}},
		"tsx":        {language: tsts.LanguageTSX, comments: []string{"comment"}, nodes: ts, sigSkip: []string{"decorator"}},
		"java":       {language: tsjava.Language, comments: []string{"line_comment", "block_comment"}, nodes: javaNodes(), sigSkip: []string{"marker_annotation", "annotation"}},
		"rust":       {language: tsrust.Language, comments: []string{"line_comment", "block_comment"}, nodes: rustNodes(), sigSkip: []string{"attribute_item"}},
		"c":          {language: tsc.Language, comments: []string{"comment"}, nodes: cNodes()},
	}
}

func goNodes() map[string]spec {
	return map[string]spec{
		"package_clause":       {role: roleHeader},
		"import_declaration":   {role: roleHeader},
		"function_declaration": {role: roleDecl, kind: kFunc},
		"method_declaration":   {role: roleDecl, kind: kFunc, name: goMethodName},
		"type_declaration":     {role: roleDecl, kind: kType, name: firstSpecName},
		"const_declaration":    {role: roleDecl, kind: kConst, name: firstSpecName},
		"var_declaration":      {role: roleDecl, kind: kConst, name: firstSpecName},
	}
}

func pythonNodes() map[string]spec {
	return map[string]spec{
		"import_statement":        {role: roleHeader},
		"import_from_statement":   {role: roleHeader},
		"future_import_statement": {role: roleHeader},
		"function_definition":     {role: roleDecl, kind: kFunc},
		"class_definition":        {role: roleDecl, kind: kClass, container: true},
		"decorated_definition":    {role: roleWrapper, sigFromInner: true},
		"expression_statement":    {role: roleExprStmt},
	}
}

func javascriptNodes() map[string]spec {
	return map[string]spec{
		"import_statement":               {role: roleHeader},
		"function_declaration":           {role: roleDecl, kind: kFunc},
		"generator_function_declaration": {role: roleDecl, kind: kFunc},
		"class_declaration":              {role: roleDecl, kind: kClass, container: true},
		"method_definition":              {role: roleDecl, kind: kFunc, needsBody: true},
		"export_statement":               {role: roleWrapper},
		"lexical_declaration":            {role: roleVarDecl},
		"variable_declaration":           {role: roleVarDecl},
		"expression_statement":           {role: roleExprStmt},
		"decorator":                      {role: rolePrefix},
	}
}

func typescriptNodes() map[string]spec {
	m := javascriptNodes()
	m["abstract_class_declaration"] = spec{role: roleDecl, kind: kClass, container: true}
	m["interface_declaration"] = spec{role: roleDecl, kind: kType}
	m["type_alias_declaration"] = spec{role: roleDecl, kind: kType}
	m["enum_declaration"] = spec{role: roleDecl, kind: kType}
	m["internal_module"] = spec{role: roleNamespace}
	m["module"] = spec{role: roleNamespace}
	m["ambient_declaration"] = spec{role: roleWrapper}
	return m
}

func javaNodes() map[string]spec {
	return map[string]spec{
		"package_declaration":             {role: roleHeader},
		"import_declaration":              {role: roleHeader},
		"class_declaration":               {role: roleDecl, kind: kClass, container: true},
		"record_declaration":              {role: roleDecl, kind: kClass, container: true},
		"interface_declaration":           {role: roleDecl, kind: kType, container: true},
		"enum_declaration":                {role: roleDecl, kind: kType, container: true},
		"annotation_type_declaration":     {role: roleDecl, kind: kType},
		"method_declaration":              {role: roleDecl, kind: kFunc, needsBody: true},
		"constructor_declaration":         {role: roleDecl, kind: kFunc, needsBody: true},
		"compact_constructor_declaration": {role: roleDecl, kind: kFunc, needsBody: true},
		"enum_body_declarations":          {role: roleTransparent},
	}
}

func rustNodes() map[string]spec {
	return map[string]spec{
		"use_declaration":          {role: roleHeader},
		"extern_crate_declaration": {role: roleHeader},
		"inner_attribute_item":     {role: roleNeutral},
		"attribute_item":           {role: rolePrefix},
		"function_item":            {role: roleDecl, kind: kFunc, needsBody: true},
		"struct_item":              {role: roleDecl, kind: kType},
		"enum_item":                {role: roleDecl, kind: kType},
		"union_item":               {role: roleDecl, kind: kType},
		"type_item":                {role: roleDecl, kind: kType},
		"trait_item":               {role: roleDecl, kind: kType, container: true},
		"impl_item":                {role: roleDecl, kind: kType, container: true, name: rustImplName},
		"const_item":               {role: roleDecl, kind: kConst},
		"static_item":              {role: roleDecl, kind: kConst},
		"macro_definition":         {role: roleDecl, kind: kFunc},
		"mod_item":                 {role: roleNamespace},
	}
}

func cNodes() map[string]spec {
	return map[string]spec{
		"preproc_include":       {role: roleHeader},
		"preproc_def":           {role: roleNeutral},
		"preproc_function_def":  {role: roleNeutral},
		"preproc_call":          {role: roleNeutral},
		"function_definition":   {role: roleDecl, kind: kFunc, name: cDeclaratorName},
		"type_definition":       {role: roleDecl, kind: kType, name: cDeclaratorName},
		"struct_specifier":      {role: roleDecl, kind: kType, needsBody: true},
		"union_specifier":       {role: roleDecl, kind: kType, needsBody: true},
		"enum_specifier":        {role: roleDecl, kind: kType, needsBody: true},
		"preproc_ifdef":         {role: roleTransparent},
		"preproc_if":            {role: roleTransparent},
		"preproc_else":          {role: roleTransparent},
		"preproc_elif":          {role: roleTransparent},
		"preproc_elifdef":       {role: roleTransparent},
		"linkage_specification": {role: roleTransparent},
	}
}
