package collate_test

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"

	"logq/partitions/collate"
)

// TestKeysAgreeWithGoMySQLServer checks that two strings have equal keys
// exactly when go-mysql-server's comparison under the collation says they
// are equal, over strings built from letters in several cases and accents,
// ignorable-looking characters, digits and punctuation.
func TestKeysAgreeWithGoMySQLServer(t *testing.T) {
	typ := types.MustCreateString(sqltypes.VarChar, 255, collate.ID)
	alphabet := []rune("aAáÁàeEéÉèêsSßſｓＳiIİı0-_ .\x00\x01\t\u200b\u00ad€😀z")
	rng := rand.New(rand.NewPCG(1, 2))
	random := func() string {
		var b strings.Builder
		for n := rng.IntN(4); n > 0; n-- {
			b.WriteRune(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	ctx := context.Background()
	equal := 0
	for range 200_000 {
		a, b := random(), random()
		c, err := typ.Compare(ctx, a, b)
		if err != nil {
			t.Fatal(err)
		}
		if got := collate.Key(a) == collate.Key(b); got != (c == 0) {
			t.Fatalf("%q %q: keys equal %v, go-mysql-server compares %d", a, b, got, c)
		}
		if got := collate.Equal(a, b); got != (c == 0) {
			t.Fatalf("%q %q: Equal %v, go-mysql-server compares %d", a, b, got, c)
		}
		if c == 0 {
			equal++
		}
	}
	if equal < 1000 {
		t.Fatalf("only %d equal pairs: the alphabet does not exercise the collation", equal)
	}
}

// TestPrintableASCIIKeysToLowerCase holds the key of printable ASCII text
// to its lower case, which shard routing has always hashed.
func TestPrintableASCIIKeysToLowerCase(t *testing.T) {
	for c := byte(' '); c < 0x7f; c++ {
		want := strings.ToLower(string(c))
		if got := collate.Key(string(c)); got != want {
			t.Errorf("key of %q = %q, want %q", c, got, want)
		}
		if collate.IsKey([]byte{c}) != (string(c) == want) {
			t.Errorf("IsKey(%q) wrong", c)
		}
	}
	if k := collate.Key("Svc-É"); k == "Svc-É" || k != collate.Key("svc-e") {
		t.Errorf("Svc-É keys to %q, svc-e to %q", k, collate.Key("svc-e"))
	}
}
