package bench

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"sync"
	"time"
)

// rssSampler reads a process's VmRSS and VmHWM from /proc/PID/status at a
// fixed interval until stopped. Where /proc does not exist it records no
// samples.
type rssSampler struct {
	path   string
	parent int // our pid: a sample from a process with another parent is from a reused pid
	stopCh chan struct{}
	done   chan struct{}
	once   sync.Once
	res    RSS // owned by the sampling goroutine until done
}

// startRSSSampler starts sampling process pid every interval.
func startRSSSampler(pid int, every time.Duration) *rssSampler {
	s := &rssSampler{
		path:   "/proc/" + strconv.Itoa(pid) + "/status",
		parent: os.Getpid(),
		stopCh: make(chan struct{}),
		done:   make(chan struct{}),
	}
	go s.loop(every)
	return s
}

func (s *rssSampler) loop(every time.Duration) {
	defer close(s.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s.sample()
		select {
		case <-t.C:
		case <-s.stopCh:
			return
		}
	}
}

// sample reads the status file once and folds it into the result.
func (s *rssSampler) sample() {
	data, err := os.ReadFile(s.path)
	if err != nil {
		return
	}
	st, ok := parseProcStatus(data)
	if !ok || st.ppid != s.parent {
		return // exited (a zombie has no VmRSS), or the pid was reused
	}
	s.res.Samples++
	s.res.SampledPeakBytes = max(s.res.SampledPeakBytes, st.rssBytes)
	s.res.HWMBytes = max(s.res.HWMBytes, st.hwmBytes)
}

// stop ends the sampling and returns the figures; it is idempotent.
func (s *rssSampler) stop() RSS {
	s.once.Do(func() { close(s.stopCh) })
	<-s.done
	return s.res
}

// procStatus holds the fields of /proc/PID/status the sampler reads.
type procStatus struct {
	ppid     int
	rssBytes int64
	hwmBytes int64
}

// parseProcStatus extracts PPid, VmRSS and VmHWM ("VmRSS:	  12345 kB"). It
// reports false unless all three are present.
func parseProcStatus(data []byte) (procStatus, bool) {
	var st procStatus
	var have int
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := bytes.Cut(sc.Bytes(), []byte(":"))
		if !ok {
			continue
		}
		fields := bytes.Fields(v)
		if len(fields) == 0 {
			continue
		}
		n, err := strconv.ParseInt(string(fields[0]), 10, 64)
		if err != nil {
			continue
		}
		switch string(k) {
		case "PPid":
			st.ppid, have = int(n), have|1
		case "VmRSS":
			st.rssBytes, have = kbToBytes(n, fields), have|2
		case "VmHWM":
			st.hwmBytes, have = kbToBytes(n, fields), have|4
		}
	}
	return st, have == 7
}

// kbToBytes converts a status value in the unit that follows it (always kB
// on Linux, which means KiB).
func kbToBytes(n int64, fields [][]byte) int64 {
	if len(fields) > 1 && string(fields[1]) != "kB" {
		return n
	}
	return n * 1024
}
