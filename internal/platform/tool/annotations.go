package tool

import (
	"fmt"
	"strings"
)

// CheckAnnotations reports hints that contradict a tool's name: clients
// decide from readOnlyHint whether to ask the user before a call and from
// destructiveHint whether to warn, so a get_ tool without readOnlyHint or
// a delete_ tool without destructiveHint misleads them.
func CheckAnnotations(m Meta) error {
	var errs []string
	for _, p := range []string{"delete_", "cancel_"} {
		if strings.HasPrefix(m.Name, p) && !m.Annotations.Destructive {
			errs = append(errs, fmt.Sprintf("starts with %q but has no destructiveHint", p))
		}
	}
	for _, p := range []string{"get_", "list_", "search_", "query_"} {
		if strings.HasPrefix(m.Name, p) {
			if !m.Annotations.ReadOnly {
				errs = append(errs, fmt.Sprintf("starts with %q but has no readOnlyHint", p))
			}
			if m.Annotations.Destructive {
				errs = append(errs, fmt.Sprintf("starts with %q but has destructiveHint", p))
			}
		}
	}
	if m.Annotations.ReadOnly && m.Annotations.Destructive {
		errs = append(errs, "readOnlyHint and destructiveHint together")
	}
	if len(errs) > 0 {
		return fmt.Errorf("tool %s: %s", m.Name, strings.Join(errs, "; "))
	}
	return nil
}
