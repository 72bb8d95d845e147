package columns

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"b\s/`, "\x00\x01\x1f\n\r\t\x7f", "é中😀", "a\u2028b"} {
		got := AppendJSONString(nil, []byte(s))
		var back string
		require.NoError(t, json.Unmarshal(got, &back), "%q", got)
		require.Equal(t, s, back)
	}
	require.Equal(t, "\"a\ufffdb\"", string(AppendJSONString(nil, []byte("a\xffb"))), "invalid UTF-8")
}

func TestDynamicAppendJSON(t *testing.T) {
	f := func(d *Dynamic, want ...string) {
		t.Helper()
		for i, w := range want {
			require.Equal(t, w, string(d.AppendJSON(nil, i)), "%s row %d", d.Name, i)
		}
	}
	ints := NewDynamic("i", TypeInt64)
	ints.AppendInt(-7)
	ints.AppendNull()
	f(ints, "-7", "null")
	floats := NewDynamic("f", TypeFloat64)
	for _, v := range []float64{1.5, 1e21, math.NaN(), math.Inf(1)} {
		floats.AppendFloat(v)
	}
	f(floats, "1.5", "1e+21", "null", "null")
	bools := NewDynamic("b", TypeBool)
	bools.AppendBool(true)
	f(bools, "true")
	strs := NewDynamic("s", TypeString)
	strs.AppendString([]byte(`[1,"x"]`))
	f(strs, `"[1,\"x\"]"`)
}
