package server

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"net/http"
	"os"
)

// tokenEnv is where the client commands find a token when --token is not
// given, so that it stays out of shell history and ps.
const tokenEnv = "LOGQ_TOKEN"

// clientAuth is how `logq ingest` and `logq columns` prove who they are to
// a server that requires credentials (server/accounts): a token NAME:PASSWORD
// sent as a bearer token, and for an https server whose certificate no
// system authority signed, the certificate to trust.
type clientAuth struct {
	token     string
	caFile    string
	tlsConfig *tls.Config // from caFile; nil: the system's roots
}

func (a *clientAuth) flags(fs *flag.FlagSet) {
	fs.StringVar(&a.token, "token", "", "credentials NAME:PASSWORD for a server that requires them (see `logq user token`); default $"+tokenEnv)
	fs.StringVar(&a.caFile, "ca", "", "PEM certificate to trust for an https --server (e.g. the server's own --tls-cert)")
}

// load completes the options after parsing: the token from the
// environment, the trusted certificate from its file.
func (a *clientAuth) load() error {
	if a.token == "" {
		a.token = os.Getenv(tokenEnv)
	}
	if a.caFile == "" {
		return nil
	}
	pem, err := os.ReadFile(a.caFile)
	if err != nil {
		return fmt.Errorf("--ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return fmt.Errorf("--ca %s: no PEM certificate in it", a.caFile)
	}
	a.tlsConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return nil
}

// set adds the credentials to a request.
func (a *clientAuth) set(req *http.Request) {
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
}

// client is an HTTP client that trusts the --ca certificate.
func (a *clientAuth) client() *http.Client {
	if a.tlsConfig == nil {
		return http.DefaultClient
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = a.tlsConfig
	return &http.Client{Transport: tr}
}
