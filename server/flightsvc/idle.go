package flightsvc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow/flight"

	"logq/partitions"
)

// A node streaming a plan's result sends a keepalive (a FlightData message
// with no data, only keepaliveTag as app metadata) whenever it has sent
// nothing for keepaliveInterval: while it plans, scans batches that all
// fail the filter, or builds an aggregate. The coordinator drops keepalives
// before Arrow's reader sees them, and gives up a stream that stays silent
// past its idle timeout: a node that is hung (SIGSTOP, a dead disk, a cut
// network) fails the query within that time instead of never.
const keepaliveInterval = 250 * time.Millisecond

// DefaultIdleTimeout is how long a coordinator waits for any message of a
// node's stream.
const DefaultIdleTimeout = 2 * time.Second

var keepaliveTag = []byte("logq-keepalive")

// damagePrefix starts the app metadata of the message a node sends after
// its last record when it skipped damaged data: a JSON list of
// partitions.Damage.
var damagePrefix = []byte("logq-damage:")

// damageMessage is the message telling of damaged.
func damageMessage(damaged []partitions.Damage) (*flight.FlightData, error) {
	body, err := json.Marshal(damaged)
	if err != nil {
		return nil, err
	}
	return &flight.FlightData{AppMetadata: append(slices.Clip(damagePrefix), body...)}, nil
}

// isKeepalive reports whether m is a keepalive rather than Arrow data.
func isKeepalive(m *flight.FlightData) bool {
	return len(m.DataHeader) == 0 && len(m.DataBody) == 0 && m.FlightDescriptor == nil &&
		bytes.Equal(m.AppMetadata, keepaliveTag)
}

// keptAlive serializes the sends of one DoGet (gRPC streams take one send
// at a time) and sends a keepalive when the stream has been silent for
// keepaliveInterval, until stop.
type keptAlive struct {
	out  flight.FlightService_DoGetServer
	mu   sync.Mutex
	sent atomic.Bool // since the last tick
	stop chan struct{}
	done chan struct{}
}

func keepAlive(out flight.FlightService_DoGetServer) *keptAlive {
	k := &keptAlive{out: out, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(k.done)
		t := time.NewTicker(keepaliveInterval)
		defer t.Stop()
		for {
			select {
			case <-k.stop:
				return
			case <-t.C:
				if !k.sent.Swap(false) {
					// A failed send ends the stream; run sees it on its
					// own next send.
					_ = k.Send(&flight.FlightData{AppMetadata: keepaliveTag})
				}
			}
		}
	}()
	return k
}

// Send sends m, after any send in progress.
func (k *keptAlive) Send(m *flight.FlightData) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.sent.Store(true)
	return k.out.Send(m)
}

// Stop ends the keepalives and waits for them.
func (k *keptAlive) Stop() {
	close(k.stop)
	<-k.done
}

// idleReader reads a DoGet's messages, dropping keepalives, and cancels
// the call when the node sends no message at all for idle while the
// coordinator waits for one. (Time the coordinator spends elsewhere, say
// behind a slow MySQL client, does not count.)
type idleReader struct {
	s        flight.FlightService_DoGetClient
	idle     time.Duration
	timer    *time.Timer
	timedOut atomic.Bool
	damaged  []partitions.Damage // what the node said it skipped
}

// errIdle is the error of a stream given up for its silence.
var errIdle = errors.New("idle timeout")

func newIdleReader(s flight.FlightService_DoGetClient, idle time.Duration, cancel context.CancelFunc) *idleReader {
	r := &idleReader{s: s, idle: idle}
	r.timer = time.AfterFunc(time.Hour, func() {
		r.timedOut.Store(true)
		cancel()
	})
	r.timer.Stop()
	return r
}

// Recv returns the next data message.
func (r *idleReader) Recv() (*flight.FlightData, error) {
	for {
		r.timer.Reset(r.idle)
		m, err := r.s.Recv()
		r.timer.Stop()
		if err != nil {
			if r.timedOut.Load() {
				return nil, fmt.Errorf("%w: the node sent nothing for %v", errIdle, r.idle)
			}
			return nil, err
		}
		if isKeepalive(m) {
			continue
		}
		if len(m.DataHeader) == 0 && len(m.DataBody) == 0 && bytes.HasPrefix(m.AppMetadata, damagePrefix) {
			var d []partitions.Damage
			if err := json.Unmarshal(m.AppMetadata[len(damagePrefix):], &d); err != nil {
				return nil, fmt.Errorf("the node's damage report: %w", err)
			}
			r.damaged = append(r.damaged, d...)
			continue
		}
		return m, nil
	}
}

// stop ends the idle timer, once the stream is done.
func (r *idleReader) stop() { r.timer.Stop() }
