// Package clustertest starts the real components the cluster tests need:
// etcd from Debian's etcd-server package (make test-deps installs it),
// never a fake.
package clustertest

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Etcd is an etcd server a test started.
type Etcd struct {
	Endpoint string // host:port of its client listener
	cmd      *exec.Cmd
	log      string
}

// StartEtcd starts a one-member etcd on two free loopback ports, with its
// data in a temporary directory, and waits until it answers. The test's
// cleanup kills it (by its PID). The test fails, and says how to install
// it, when there is no etcd binary.
func StartEtcd(t testing.TB) *Etcd {
	t.Helper()
	bin, err := exec.LookPath("etcd")
	if err != nil {
		t.Fatalf("no etcd binary (%v): run `make test-deps`, which installs Debian's etcd-server", err)
	}
	dir := t.TempDir()
	client, peer := freeAddr(t), freeAddr(t)
	e := &Etcd{Endpoint: client, log: filepath.Join(dir, "etcd.log")}
	logf, err := os.Create(e.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	e.cmd = exec.Command(bin,
		"--name", "test",
		"--data-dir", filepath.Join(dir, "data"),
		"--listen-client-urls", "http://"+client,
		"--advertise-client-urls", "http://"+client,
		"--listen-peer-urls", "http://"+peer,
		"--initial-advertise-peer-urls", "http://"+peer,
		"--initial-cluster", "test=http://"+peer,
		"--log-outputs", "stderr")
	e.cmd.Stdout, e.cmd.Stderr = logf, logf
	if err := e.cmd.Start(); err != nil {
		t.Fatalf("starting etcd: %v", err)
	}
	t.Cleanup(e.stop)
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get("http://" + client + "/health")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return e
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(e.log)
			t.Fatalf("etcd did not become healthy in 20 s: %v\n%s", err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop kills the etcd this test started.
func (e *Etcd) stop() {
	_ = e.cmd.Process.Kill()
	_ = e.cmd.Wait()
}

// URL is the --cluster value naming this etcd.
func (e *Etcd) URL() string { return fmt.Sprintf("etcd://%s", e.Endpoint) }

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
