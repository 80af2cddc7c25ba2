package terms

// RawDoc builds a Doc from terms added verbatim (not tokenized), so tests
// can reach lexemes the tokenizer never makes, such as quotes.
func RawDoc(occurrences ...RawTerm) Doc {
	var d Doc
	for _, o := range occurrences {
		d.add([]byte(o.Term), o.Class)
	}
	return d
}

// RawTerm is one occurrence for RawDoc.
type RawTerm struct {
	Term  string
	Class int
}
