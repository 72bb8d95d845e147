package server

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestCPUProfileStartStop takes a CPU profile through the start/stop pair
// around work in a known function and reads it back.
func TestCPUProfileStartStop(t *testing.T) {
	mux := http.NewServeMux()
	registerProfiling(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	code, body := request(t, http.MethodPost, srv.URL+"/debug/pprof/cpu/stop")
	require.Equal(t, http.StatusConflict, code)
	require.Contains(t, string(body), "no CPU profile was started")

	code, _ = request(t, http.MethodPost, srv.URL+"/debug/pprof/cpu/start")
	require.Equal(t, http.StatusNoContent, code)
	code, body = request(t, http.MethodPost, srv.URL+"/debug/pprof/cpu/start")
	require.Equal(t, http.StatusConflict, code, "one CPU profile at a time")
	require.Contains(t, string(body), "not yet stopped")
	spinForProfile(300 * time.Millisecond)

	code, body = request(t, http.MethodPost, srv.URL+"/debug/pprof/cpu/stop")
	require.Equal(t, http.StatusOK, code)
	samples, strs := readProfile(t, body)
	require.Positive(t, samples)
	require.Contains(t, strs, "cpu")
	require.Contains(t, strs, "nanoseconds")
	require.Contains(t, strs, "logq/server.spinForProfile", "the profile covers the work between start and stop")

	code, _ = request(t, http.MethodPost, srv.URL+"/debug/pprof/cpu/stop")
	require.Equal(t, http.StatusConflict, code, "a profile is fetched once")
	code, _ = request(t, http.MethodPost, srv.URL+"/debug/pprof/cpu/start")
	require.Equal(t, http.StatusNoContent, code, "and then another may start")
	code, _ = request(t, http.MethodPost, srv.URL+"/debug/pprof/cpu/stop")
	require.Equal(t, http.StatusOK, code)
}

// TestCPUProfileExpires checks that a profile nobody stops stops by
// itself and can still be fetched.
func TestCPUProfileExpires(t *testing.T) {
	p := &cpuProfiler{}
	rec := httptest.NewRecorder()
	p.start(rec, nil)
	require.Equal(t, http.StatusNoContent, rec.Code)
	spinForProfile(100 * time.Millisecond)
	p.expire() // what the timer does after cpuProfileMaxDuration
	p.mu.Lock()
	require.False(t, p.mu.running)
	p.mu.Unlock()
	rec = httptest.NewRecorder()
	p.stop(rec, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	readProfile(t, rec.Body.Bytes())
}

// TestServeProfilingFlag checks that `logq serve` serves the profiles with
// --pprof only.
func TestServeProfilingFlag(t *testing.T) {
	for _, on := range []bool{false, true} {
		args := []string{"--data", t.TempDir()}
		if on {
			args = append(args, "--pprof")
		}
		srv := startServe(t, args...)
		httpAddr := srv.web
		code, body := request(t, http.MethodGet, "http://"+httpAddr+"/debug/pprof/heap?gc=1")
		if !on {
			require.Equal(t, http.StatusNotFound, code)
		} else {
			require.Equal(t, http.StatusOK, code)
			_, strs := readProfile(t, body)
			require.Contains(t, strs, "inuse_space")
		}
		code, _ = request(t, http.MethodPost, "http://"+httpAddr+"/debug/pprof/cpu/start")
		require.Equal(t, map[bool]int{false: http.StatusNotFound, true: http.StatusNoContent}[on], code)
		srv.stop(t)
	}
}

// request sends an empty request and returns the status and body.
func request(t *testing.T, method, url string) (int, []byte) {
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, body
}

// spinForProfile burns CPU for d, in a function the profile can name.
//
//go:noinline
func spinForProfile(d time.Duration) uint64 {
	var x uint64 = 1
	for end := time.Now().Add(d); time.Now().Before(end); {
		for range 10000 {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	return x
}

// readProfile decodes a gzipped pprof profile (profile.proto) far enough
// to test it: it returns the number of samples (field 2) and the string
// table (field 6), failing on anything that is not a well-formed message.
func readProfile(t *testing.T, data []byte) (int, []string) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	require.NoError(t, err, "a profile is gzipped")
	raw, err := io.ReadAll(zr)
	require.NoError(t, err)
	samples := 0
	var strs []string
	for len(raw) > 0 {
		tag, n := binary.Uvarint(raw)
		require.Positive(t, n, "field tag")
		raw = raw[n:]
		switch tag & 7 {
		case 0: // varint
			_, n = binary.Uvarint(raw)
			require.Positive(t, n, "varint field %d", tag>>3)
			raw = raw[n:]
		case 2: // length-delimited
			size, n := binary.Uvarint(raw)
			require.Positive(t, n, "length of field %d", tag>>3)
			require.LessOrEqual(t, size, uint64(len(raw)-n), "field %d runs past the end", tag>>3)
			value := raw[n : n+int(size)]
			raw = raw[n+int(size):]
			switch tag >> 3 {
			case 2:
				samples++
			case 6:
				strs = append(strs, string(value))
			}
		default:
			t.Fatalf("profile.proto has no fields of wire type %d (field %d)", tag&7, tag>>3)
		}
	}
	require.NotEmpty(t, strs, "a profile has a string table")
	return samples, strs
}
