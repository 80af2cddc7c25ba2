package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	prof := `mode: set
m/a/x.go:1.1,2.2 3 1
m/a/x.go:3.1,4.2 1 0
m/b/y.go:1.1,2.2 2 0
m/b/y.go:1.1,2.2 2 1
m/b/y.go:5.1,6.2 2 0
`
	var out bytes.Buffer
	if err := run(strings.NewReader(prof), &out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"50.0%", "2/4", "m/b", "75.0%", "3/4", "m/a", "62.5%", "5/8", "total"} {
		if !strings.Contains(s, want) {
			t.Errorf("table lacks %q:\n%s", want, s)
		}
	}
	if strings.Index(s, "m/b") > strings.Index(s, "m/a") {
		t.Errorf("lowest coverage should come first:\n%s", s)
	}
	if err := run(strings.NewReader("mode: set\nbroken line\n"), &out); err == nil {
		t.Error("a broken profile line was accepted")
	}
}
