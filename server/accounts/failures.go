package accounts

import (
	"net"
	"sync"
	"time"
)

// Failed logins from one client address are answered later and later, as
// MySQL's connection_control plugin does: the first freeLogins failures at
// once, then each one step more, up to maxDelay. A success from the
// address, or forgetAfter without failures, starts it over. A password
// guesser then gets a few guesses per connection per maxDelay instead of
// thousands per second, and a user who mistyped twice notices nothing.
const (
	freeLogins  = 3
	delayStep   = time.Second
	maxDelay    = 5 * time.Second
	forgetAfter = 15 * time.Minute
	// maxTracked bounds the table: past it, addresses idle for longest
	// are forgotten first (expired ones), then all.
	maxTracked = 1 << 16
)

type failureRecord struct {
	count int
	last  time.Time
}

// failures counts consecutive failed logins per client address.
type failures struct {
	mu     sync.Mutex
	byHost map[string]*failureRecord
	now    func() time.Time
}

func newFailures() *failures {
	return &failures{byHost: map[string]*failureRecord{}, now: time.Now}
}

// failed records a failed login from host and returns how many failed in a
// row and how long to wait before answering.
func (f *failures) failed(host string) (int, time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	r := f.byHost[host]
	if r == nil || now.Sub(r.last) > forgetAfter {
		if len(f.byHost) >= maxTracked {
			f.pruneLocked(now)
		}
		r = &failureRecord{}
		f.byHost[host] = r
	}
	r.count++
	r.last = now
	return r.count, delayAfter(r.count)
}

// delayAfter is the wait before answering the n-th failure in a row.
func delayAfter(n int) time.Duration {
	if n <= freeLogins {
		return 0
	}
	return min(time.Duration(n-freeLogins)*delayStep, maxDelay)
}

// succeeded forgets host's failures.
func (f *failures) succeeded(host string) {
	f.mu.Lock()
	delete(f.byHost, host)
	f.mu.Unlock()
}

func (f *failures) pruneLocked(now time.Time) {
	for h, r := range f.byHost {
		if now.Sub(r.last) > forgetAfter {
			delete(f.byHost, h)
		}
	}
	if len(f.byHost) >= maxTracked {
		clear(f.byHost)
	}
}

// hostOf is the IP address of a client, without its port.
func hostOf(addr net.Addr) string {
	if addr == nil {
		return ""
	}
	s := addr.String()
	if h, _, err := net.SplitHostPort(s); err == nil {
		return h
	}
	return s
}
