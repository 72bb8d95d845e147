package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// genBytes generates o with the given number of workers.
func genBytes(t testing.TB, o GenOptions, workers int) []byte {
	t.Helper()
	var buf bytes.Buffer
	_, err := generate(context.Background(), &buf, o, workers, nil)
	require.NoError(t, err)
	return buf.Bytes()
}

// lines splits generated output into lines, requiring a final newline.
func lines(t testing.TB, data []byte) [][]byte {
	t.Helper()
	require.True(t, len(data) == 0 || data[len(data)-1] == '\n', "output must end with a newline")
	return bytes.Split(data[:max(len(data)-1, 0)], []byte("\n"))
}

func TestGenerateDeterministic(t *testing.T) {
	o := DefaultGenOptions()
	o.Rows = 3*genChunkRows + 123 // several chunks and a partial one
	a := genBytes(t, o, 1)
	for _, workers := range []int{1, 2, 3, 8} {
		require.Equal(t, a, genBytes(t, o, workers), "workers=%d", workers)
	}
	var viaAPI bytes.Buffer
	require.NoError(t, Generate(&viaAPI, o))
	require.Equal(t, a, viaAPI.Bytes())
	require.Len(t, lines(t, a), int(o.Rows))

	other := o
	other.Seed = 2
	b := genBytes(t, other, 2)
	require.NotEqual(t, a, b)
	// Different seeds must differ row by row, not only somewhere.
	la, lb := lines(t, a), lines(t, b)
	same := 0
	for i := range la {
		if bytes.Equal(la[i], lb[i]) {
			same++
		}
	}
	require.Zero(t, same)
}

// TestGenerateGolden pins the bytes of the default seed. If it fails after an
// intended change of the generator, bump genVersion (it names the cached data
// files, which would otherwise be reused with the old contents) and update
// the hash.
func TestGenerateGolden(t *testing.T) {
	o := DefaultGenOptions()
	o.Rows = 1000
	sum := sha256.Sum256(genBytes(t, o, 2))
	require.Equal(t, 1, genVersion)
	require.Equal(t, "49bf53fb542d46e8be87424b22b3b2535fd17f62c0f50c7af4784aa88e9cdf79", hex.EncodeToString(sum[:]))
}

// wantKeys is WORKLOAD.md's line shape: key order and JSON kind of each value.
var wantKeys = []struct {
	key    string
	number bool
}{
	{"ts", false}, {"level", false}, {"service", false}, {"host", false},
	{"trace_id", false}, {"status", true}, {"latency_ms", true}, {"message", false},
}

// parsedRow is one line decoded with encoding/json.
type parsedRow struct {
	TS        string `json:"ts"`
	Level     string `json:"level"`
	Service   string `json:"service"`
	Host      string `json:"host"`
	TraceID   string `json:"trace_id"`
	Status    int    `json:"status"`
	LatencyMS int    `json:"latency_ms"`
	Message   string `json:"message"`
}

// checkShape requires line to be one JSON object with exactly wantKeys, in
// order, each holding a string or an integer as listed.
func checkShape(t testing.TB, line []byte) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	tok, err := dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('{'), tok)
	for _, k := range wantKeys {
		tok, err = dec.Token()
		require.NoError(t, err)
		require.Equal(t, k.key, tok, "line %s", line)
		tok, err = dec.Token()
		require.NoError(t, err)
		if k.number {
			n, ok := tok.(json.Number)
			require.True(t, ok, "%s must be a number in %s", k.key, line)
			_, err = strconv.ParseInt(string(n), 10, 64)
			require.NoError(t, err, "%s must be an integer in %s", k.key, line)
		} else {
			_, ok := tok.(string)
			require.True(t, ok, "%s must be a string in %s", k.key, line)
		}
	}
	tok, err = dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('}'), tok)
	_, err = dec.Token()
	require.Error(t, err, "one object per line")
}

var (
	traceIDRe = regexp.MustCompile(`^[0-9a-f]{16}$`)
	tsRe      = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$`)
)

// tsLayout formats a time the way the generator writes ts.
const tsLayout = "2006-01-02T15:04:05.000000Z07:00"

func TestGenerateLinesValidJSON(t *testing.T) {
	o := DefaultGenOptions()
	o.Rows = 20_000
	for _, line := range lines(t, genBytes(t, o, 2)) {
		require.True(t, json.Valid(line), "%s", line)
		checkShape(t, line)
		var r parsedRow
		require.NoError(t, json.Unmarshal(line, &r))
		require.Regexp(t, tsRe, r.TS)
		require.Regexp(t, traceIDRe, r.TraceID)
		require.Contains(t, []string{"DEBUG", "INFO", "WARN", "ERROR", "FATAL"}, r.Level)
		require.Regexp(t, `^svc-([0-9]|[1-4][0-9])$`, r.Service)
		require.Regexp(t, `^host-([0-9]|[1-9][0-9]|1[0-9][0-9])$`, r.Host)
		require.GreaterOrEqual(t, r.LatencyMS, 0)
		require.GreaterOrEqual(t, len(r.Message), 30)
		require.LessOrEqual(t, len(r.Message), 90)
	}
}

// TestGenerateTimestampsRoundTrip parses every ts with the time package and
// formats it back: the text must survive unchanged, including spans that
// cross a year end and a leap day in every zone.
func TestGenerateTimestampsRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start time.Time
		days  int
	}{
		{"default", defaultStart, 7},
		{"year end", time.Date(1999, 12, 31, 12, 0, 0, 0, time.UTC), 1},
		{"leap day", time.Date(2024, 2, 28, 0, 0, 0, 0, time.UTC), 2},
		{"century", time.Date(2100, 2, 28, 0, 0, 0, 0, time.UTC), 2},
		{"before 1970", time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := GenOptions{Rows: 30_000, Days: tc.days, Seed: 7, Start: tc.start}
			for _, line := range lines(t, genBytes(t, o, 2)) {
				var r parsedRow
				require.NoError(t, json.Unmarshal(line, &r))
				ts, err := time.Parse(time.RFC3339Nano, r.TS)
				require.NoError(t, err)
				require.Equal(t, r.TS, ts.Format(tsLayout))
			}
		})
	}
}

func TestCivilFromDays(t *testing.T) {
	for days := int64(-800_000); days < 2_900_000; days += 97 {
		want := time.Unix(days*86400, 0).UTC()
		y, m, d := civilFromDays(days)
		require.Equal(t, [3]int{want.Year(), int(want.Month()), want.Day()}, [3]int{y, m, d}, "days %d", days)
	}
}

// sample is the decoded 200k-row sample the distribution tests share.
type sample struct {
	o    GenOptions
	rows []parsedRow
	ts   []time.Time
}

func newSample(t *testing.T, rows int64) *sample {
	t.Helper()
	s := &sample{o: GenOptions{Rows: rows, Days: 7, Seed: 42, Start: defaultStart}}
	for _, line := range lines(t, genBytes(t, s.o, 2)) {
		var r parsedRow
		require.NoError(t, json.Unmarshal(line, &r))
		ts, err := time.Parse(time.RFC3339Nano, r.TS)
		require.NoError(t, err)
		s.rows = append(s.rows, r)
		s.ts = append(s.ts, ts)
	}
	require.Len(t, s.rows, int(rows))
	return s
}

func TestGenerateDistributions(t *testing.T) {
	s := newSample(t, 200_000)
	t.Run("levels", s.checkLevels)
	t.Run("timestamps", s.checkTimestamps)
	t.Run("zones", s.checkZones)
	t.Run("services and hosts", s.checkServicesHosts)
	t.Run("values", s.checkValues)
	t.Run("messages", s.checkMessages)
}

func (s *sample) checkLevels(t *testing.T) {
	count := map[string]int{}
	for _, r := range s.rows {
		count[r.Level]++
	}
	n := float64(len(s.rows))
	// Tolerances are about 6 standard deviations of a binomial share.
	for _, w := range []struct {
		level      string
		share, tol float64
	}{{"DEBUG", 0.40, 0.007}, {"INFO", 0.45, 0.007}, {"WARN", 0.10, 0.004}, {"ERROR", 0.045, 0.003}, {"FATAL", 0.005, 0.001}} {
		require.InDelta(t, w.share, float64(count[w.level])/n, w.tol, w.level)
	}
	require.Len(t, count, 5)
}

func (s *sample) checkTimestamps(t *testing.T) {
	start := s.o.Start.UnixMicro()
	span := int64(s.o.Days) * 86400e6
	n := int64(len(s.rows))
	var maxJitter, sumJitter int64
	msAligned, outOfOrder := 0, 0
	for i, ts := range s.ts {
		slot := start + int64(i)*span/n
		jitter := ts.UnixMicro() - slot
		require.LessOrEqual(t, abs(jitter), int64(2e6), "row %d: %s", i, s.rows[i].TS)
		maxJitter = max(maxJitter, abs(jitter))
		sumJitter += jitter
		if ts.Nanosecond()%1e6 == 0 {
			msAligned++
		}
		if i > 0 && ts.Before(s.ts[i-1]) {
			outOfOrder++
		}
	}
	require.Greater(t, maxJitter, int64(1.99e6), "jitter must use the whole +-2 s")
	require.InDelta(t, 0, float64(sumJitter)/float64(n), 2e4, "jitter must be centred")
	require.Less(t, msAligned, len(s.ts)/100, "fractions are microseconds, not milliseconds")
	// Rows 3 s apart cannot swap, so out-of-order arrival is local.
	require.Positive(t, outOfOrder)
	first, last := s.ts[0].UnixMicro(), s.ts[n-1].UnixMicro()
	require.InDelta(t, float64(start), float64(first), 2e6+1)
	require.InDelta(t, float64(start+span-span/n), float64(last), 2e6+1)
}

func (s *sample) checkZones(t *testing.T) {
	svcOffset := map[string]string{}
	offsets := map[string]int{}
	for _, r := range s.rows {
		off := tsRe.FindStringSubmatch(r.TS)[1]
		offsets[off]++
		if prev, ok := svcOffset[r.Service]; ok {
			require.Equal(t, prev, off, "service %s logs in one zone", r.Service)
		}
		svcOffset[r.Service] = off
	}
	keys := make([]string, 0, len(offsets))
	for k := range offsets {
		keys = append(keys, k)
	}
	require.ElementsMatch(t, []string{"Z", "-08:00", "-05:00", "+01:00", "+05:30", "+09:00"}, keys)
}

func (s *sample) checkServicesHosts(t *testing.T) {
	svcRows := map[string]int{}
	hostSvc := map[string]string{}
	for _, r := range s.rows {
		svcRows[r.Service]++
		if prev, ok := hostSvc[r.Host]; ok {
			require.Equal(t, prev, r.Service, "host %s belongs to one service", r.Host)
		}
		hostSvc[r.Host] = r.Service
	}
	require.Len(t, svcRows, 50)
	require.Len(t, hostSvc, 200)
	n := float64(len(s.rows))
	top := float64(svcRows["svc-0"]) / n
	top5 := float64(svcRows["svc-0"]+svcRows["svc-1"]+svcRows["svc-2"]+svcRows["svc-3"]+svcRows["svc-4"]) / n
	require.InDelta(t, 0.30, top, 0.02, "the busiest service logs about 30 %%")
	require.Greater(t, top5, 0.55, "a few services log most")
	require.Less(t, float64(svcRows["svc-49"])/n, 0.005)
}

func (s *sample) checkValues(t *testing.T) {
	traces := map[string]bool{}
	var latencySum float64
	for _, r := range s.rows {
		require.False(t, traces[r.TraceID], "trace_id %s repeats", r.TraceID)
		traces[r.TraceID] = true
		latencySum += float64(r.LatencyMS)
		wantClass := map[string]int{"DEBUG": 2, "INFO": 2, "WARN": 4, "ERROR": 5, "FATAL": 5}[r.Level]
		class := r.Status / 100
		if wantClass == 2 {
			require.Contains(t, []int{2, 3}, class, "status %d at %s", r.Status, r.Level)
		} else {
			require.Equal(t, wantClass, class, "status %d at %s", r.Status, r.Level)
		}
	}
	require.InDelta(t, 40, latencySum/float64(len(s.rows)), 1)
}

func (s *sample) checkMessages(t *testing.T) {
	var total, errs, favoured, timedOut int
	longest := 0
	for _, r := range s.rows {
		total += len(r.Message)
		longest = max(longest, len(r.Message))
		if strings.Contains(r.Message, "timed out") {
			timedOut++
		}
		if r.Level != "ERROR" && r.Level != "FATAL" {
			continue
		}
		errs++
		if strings.HasPrefix(r.Message, "connection to db-primary timed out after ") ||
			strings.HasPrefix(r.Message, "payment provider returned error ") ||
			strings.HasPrefix(r.Message, "NullPointerException in handler ") {
			favoured++
		}
	}
	require.InDelta(t, 60, float64(total)/float64(len(s.rows)), 3, "messages average about 60 bytes")
	require.LessOrEqual(t, longest, 85)
	require.Greater(t, float64(favoured)/float64(errs), 0.75, "errors favour the three WORKLOAD.md templates")
	require.Positive(t, timedOut)
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestRowAt(t *testing.T) {
	o := DefaultGenOptions()
	o.Rows = 2*genChunkRows + 10
	ls := lines(t, genBytes(t, o, 2))
	for _, i := range []int64{0, 1, genChunkRows - 1, genChunkRows, 2*genChunkRows + 9} {
		var want parsedRow
		require.NoError(t, json.Unmarshal(ls[i], &want))
		got, err := RowAt(o, i)
		require.NoError(t, err)
		require.Equal(t, want, parsedRow{
			TS: got.TS.Format(tsLayout), Level: got.Level, Service: got.Service, Host: got.Host,
			TraceID: got.TraceID, Status: got.Status, LatencyMS: got.LatencyMS, Message: got.Message,
		}, "row %d", i)
	}
	for _, i := range []int64{-1, o.Rows} {
		_, err := RowAt(o, i)
		require.Error(t, err)
	}
}

func TestGenOptionsInvalid(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    GenOptions
	}{
		{"negative rows", GenOptions{Rows: -1}},
		{"negative days", GenOptions{Days: -1}},
		{"too many days", GenOptions{Days: 40_000}},
		{"year 10000", GenOptions{Start: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"year 0", GenOptions{Start: time.Date(0, 6, 1, 0, 0, 0, 0, time.UTC)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Error(t, Generate(&bytes.Buffer{}, tc.o))
		})
	}
}

func TestRunGen(t *testing.T) {
	o := GenOptions{Rows: 5000, Days: 2, Seed: 9, Start: defaultStart}
	want := genBytes(t, o, 1)
	args := []string{"--rows", "5000", "--days", "2", "--seed", "9"}

	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, RunGen(context.Background(), args, &stdout, &stderr), stderr.String())
	require.Equal(t, want, stdout.Bytes())

	out := filepath.Join(t.TempDir(), "data.jsonl")
	stdout.Reset()
	require.Equal(t, 0, RunGen(context.Background(), append(args, "--out", out), &stdout, &stderr), stderr.String())
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.Empty(t, stdout.Bytes())
	entries, err := os.ReadDir(filepath.Dir(out))
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file is left behind")

	for _, bad := range [][]string{{"--rows", "0"}, {"--days", "x"}, {"--start", "yesterday"}, {"extra"}} {
		require.Equal(t, 2, RunGen(context.Background(), bad, &stdout, &stderr), "%q", bad)
	}
}

func TestRunGenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := filepath.Join(t.TempDir(), "data.jsonl")
	var stdout, stderr bytes.Buffer
	require.Equal(t, 1, RunGen(ctx, []string{"--rows", "100000", "--out", out}, &stdout, &stderr))
	entries, err := os.ReadDir(filepath.Dir(out))
	require.NoError(t, err)
	require.Empty(t, entries, "a cancelled run leaves no file")
}

// TestGenerateLineCount reads the output with a plain scanner: exactly one
// line per row, none empty.
func TestGenerateLineCount(t *testing.T) {
	o := GenOptions{Rows: 7777, Days: 1, Seed: 3}
	sc := bufio.NewScanner(bytes.NewReader(genBytes(t, o, 2)))
	n := 0
	for sc.Scan() {
		require.NotEmpty(t, sc.Bytes())
		n++
	}
	require.NoError(t, sc.Err())
	require.Equal(t, 7777, n)
}
