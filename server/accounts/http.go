package accounts

import (
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
)

// An HTTP request proves an account in one of two ways:
//
//	Authorization: Bearer NAME:PASSWORD
//	Authorization: Basic base64(NAME:PASSWORD)
//
// A token is then nothing but an account, made with `logq user token NAME`
// (an account with INSERT on logq and a generated password) or with SQL,
// revoked with DROP USER, and scoped by its grants. The account's host
// must match the client's address as for a MySQL login.

// Privileges an HTTP endpoint may require.
const (
	Insert = sql.PrivilegeType_Insert // ingest
	Select = sql.PrivilegeType_Select // listing columns
	Drop   = sql.PrivilegeType_Drop   // dropping a column (admin)
)

// Require wraps h so that a request must name an account holding
// privilege. With anonymousOK (an HTTP listener on loopback only) a
// request without credentials passes as before accounts existed; one that
// brings credentials must still bring right ones. A refusal is 401 with a
// WWW-Authenticate challenge (no or wrong credentials, logged and slowed
// down like MySQL logins) or 403 (the account lacks the privilege).
func (a *Accounts) Require(privilege sql.PrivilegeType, anonymousOK bool, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			if anonymousOK {
				h.ServeHTTP(w, r)
				return
			}
			unauthorized(w, "this endpoint needs credentials: Authorization: Bearer NAME:PASSWORD (see `logq user token`)")
			return
		}
		user, password, ok := credentials(r)
		if !ok {
			unauthorized(w, "unreadable Authorization header: use Bearer NAME:PASSWORD or Basic")
			return
		}
		addr := remoteAddr(r)
		u, passed := a.authenticate(user, password, hostOf(addr))
		if !passed {
			a.HTTPFailures.Add(1)
			a.refuse("http", user, addr)
			unauthorized(w, fmt.Sprintf("access denied for user '%s'", user))
			return
		}
		a.failures.succeeded(hostOf(addr))
		if !may(u, privilege) {
			http.Error(w, fmt.Sprintf("user '%s' lacks the %s privilege on %s", user, privilege.String(), Database), http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="logq", Basic realm="logq"`)
	http.Error(w, msg, http.StatusUnauthorized)
}

// credentials reads NAME:PASSWORD from a Bearer token or Basic auth.
func credentials(r *http.Request) (user, password string, ok bool) {
	if user, password, ok := r.BasicAuth(); ok {
		return user, password, true
	}
	auth := r.Header.Get("Authorization")
	scheme, token, found := strings.Cut(auth, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", "", false
	}
	// The name cannot hold a colon in a token; the password may.
	user, password, found = strings.Cut(strings.TrimSpace(token), ":")
	return user, password, found
}

func remoteAddr(r *http.Request) net.Addr {
	addr, err := net.ResolveTCPAddr("tcp", r.RemoteAddr)
	if err != nil {
		return &net.TCPAddr{}
	}
	return addr
}
