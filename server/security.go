package server

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	gmsserver "github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"

	"logq/server/accounts"
)

// authorizer guards an HTTP handler with the privilege it needs
// (accounts.Require with the server's policy).
type authorizer func(privilege sql.PrivilegeType, h http.Handler) http.Handler

// HTTP authentication policies (--http-auth).
const (
	httpAuthAuto     = "auto"     // credentials required unless the listener is loopback-only
	httpAuthRequired = "required" // credentials required everywhere
)

// loopbackOnly reports whether a listen address accepts connections from
// this machine only: a loopback IP or "localhost". An empty host or
// 0.0.0.0 listens everywhere.
func loopbackOnly(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkExposure refuses to start a listener reachable from other machines
// while no account has a password: the initial root@localhost account has
// none, and HTTP ingest would be anonymous.
func checkExposure(cfg serveConfig, acc *accounts.Accounts) error {
	if acc.AnyPassword() {
		return nil
	}
	for _, l := range []struct{ flag, addr string }{{"--mysql-addr", cfg.mysqlAddr}, {"--http-addr", cfg.httpAddr}} {
		if !loopbackOnly(l.addr) {
			return fmt.Errorf("%s %s listens beyond this machine, but no account has a password: "+
				"add one with `logq user add NAME --role admin --data %s` "+
				"(or give root one with `logq user passwd root --host localhost --data %s`) and start again",
				l.flag, l.addr, cfg.dataDir, cfg.dataDir)
		}
	}
	return nil
}

// httpAuthorizer is the server's HTTP policy: anonymous requests pass only
// on a loopback-only listener under --http-auth auto.
func httpAuthorizer(cfg serveConfig, acc *accounts.Accounts) (authorizer, error) {
	var anonymousOK bool
	switch cfg.httpAuth {
	case httpAuthAuto:
		anonymousOK = loopbackOnly(cfg.httpAddr)
	case httpAuthRequired:
	default:
		return nil, fmt.Errorf("--http-auth %q: auto or required", cfg.httpAuth)
	}
	return func(privilege sql.PrivilegeType, h http.Handler) http.Handler {
		return acc.Require(privilege, anonymousOK, h)
	}, nil
}

// mysqlListenerFactory makes go-mysql-server's MySQL listener authenticate
// through acc's guard (accounts.AuthServer) instead of the bare account
// database.
func mysqlListenerFactory(acc *accounts.Accounts, requireTLS bool) gmsserver.ProtocolListenerFunc {
	return func(cfg gmsserver.Config, lc mysql.ListenerConfig, sel gmsserver.ServerEventListener) (gmsserver.ProtocolListener, error) {
		lc.AuthServer = acc.AuthServer(lc.AuthServer, requireTLS)
		return gmsserver.MySQLProtocolListenerFactory(cfg, lc, sel)
	}
}

// certificate is the server's TLS certificate, read again from its files
// on SIGHUP so that a renewed certificate needs no restart; sessions
// already open keep the one they started with.
type certificate struct {
	certFile, keyFile string
	log               *slog.Logger
	current           atomic.Pointer[tls.Certificate]
}

// loadCertificate reads the pair; both files or neither must be given.
func loadCertificate(certFile, keyFile string, log *slog.Logger) (*certificate, error) {
	if certFile == "" && keyFile == "" {
		return nil, nil
	}
	if certFile == "" || keyFile == "" {
		return nil, fmt.Errorf("TLS needs both --tls-cert and --tls-key")
	}
	c := &certificate{certFile: certFile, keyFile: keyFile, log: log}
	return c, c.reload()
}

func (c *certificate) reload() error {
	pair, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("TLS certificate: %w", err)
	}
	c.current.Store(&pair)
	return nil
}

// config is the TLS configuration of both listeners.
func (c *certificate) config() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return c.current.Load(), nil
		},
	}
}

// reloadOnHangup reloads the certificate on every SIGHUP until stop is
// called; a failed reload keeps the previous certificate.
func (c *certificate) reloadOnHangup() (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-hup:
				if err := c.reload(); err != nil {
					c.log.Error("TLS certificate not reloaded; keeping the previous one", "err", err)
				} else {
					c.log.Info("TLS certificate reloaded", "cert", c.certFile)
				}
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(hup)
		close(done)
	}
}
