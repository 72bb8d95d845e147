package accounts

import (
	"errors"
	"net"
	"time"

	"github.com/dolthub/vitess/go/mysql"
)

// ERSecureTransportRequired is MySQL's error for a plaintext session when
// require_secure_transport is ON.
const ERSecureTransportRequired = 3159

// ConnectTimeout is how long a client has from connecting to the end of
// its handshake (MySQL's connect_timeout): a client that connects and
// sends nothing, or stops halfway, is closed then instead of holding its
// connection forever. The server sets the deadline when the connection is
// accepted (StartHandshake); a successful login clears it.
var ConnectTimeout = 10 * time.Second // a variable for tests

// StartHandshake sets conn's connect_timeout deadline. Call it when the
// connection is accepted, before the handshake starts.
func StartHandshake(c *mysql.Conn) {
	c.Conn.SetDeadline(time.Now().Add(ConnectTimeout))
}

// AuthServer returns the authentication of MySQL sessions: inner's
// methods (go-mysql-server's mysql_native_password and
// caching_sha2_password over the accounts), with what go-mysql-server
// leaves out added around each. With requireTLS a session that did not
// start TLS is refused (vitess's own check only writes a warning packet
// and goes on authenticating).
func (a *Accounts) AuthServer(inner mysql.AuthServer, requireTLS bool) mysql.AuthServer {
	methods := inner.AuthMethods()
	guarded := make([]mysql.AuthMethod, len(methods))
	for i, m := range methods {
		guarded[i] = &guardedMethod{AuthMethod: m, a: a, requireTLS: requireTLS}
	}
	return &authServer{AuthServer: inner, methods: guarded}
}

type authServer struct {
	mysql.AuthServer
	methods []mysql.AuthMethod
}

func (s *authServer) AuthMethods() []mysql.AuthMethod { return s.methods }

type guardedMethod struct {
	mysql.AuthMethod
	a          *Accounts
	requireTLS bool
}

// HandleUser lets mysql_native_password take a name no account matches
// from the client's address: its check then refuses it with 1045, as MySQL
// does. go-mysql-server's methods all decline such a name, and vitess then
// answers with a malformed packet (the mysql CLI's ERROR 2027).
func (m *guardedMethod) HandleUser(c *mysql.Conn, user string) bool {
	if m.AuthMethod.HandleUser(c, user) {
		return true
	}
	return m.Name() == mysql.MysqlNativePassword && !m.a.exists(user, hostOf(c.RemoteAddr()))
}

// HandleAuthPluginData checks the client's answer with the wrapped
// method, then logs, slows down and rewords a refusal, or ends the
// handshake's deadline on success.
func (m *guardedMethod) HandleAuthPluginData(c *mysql.Conn, user string, serverData, clientData []byte, remoteAddr net.Addr) (mysql.Getter, error) {
	if m.requireTLS && !c.TLSEnabled() && !c.IsUnixSocket() {
		return nil, mysql.NewSQLError(ERSecureTransportRequired, mysql.SSUnknownSQLState,
			"Connections using insecure transport are prohibited while --require_secure_transport=ON.")
	}
	host := hostOf(remoteAddr)
	getter, err := m.AuthMethod.HandleAuthPluginData(c, user, serverData, clientData, remoteAddr)
	var sqlErr *mysql.SQLError
	if errors.As(err, &sqlErr) && sqlErr.Number() == mysql.ERAccessDeniedError {
		m.a.MySQLFailures.Add(1)
		m.a.refuse("mysql", user, remoteAddr)
		usingPassword := len(clientData) > 0 && !(len(clientData) == 1 && clientData[0] == 0)
		return nil, errAccessDenied(user, host, usingPassword)
	}
	if err != nil {
		return nil, err
	}
	m.a.failures.succeeded(host)
	c.Conn.SetDeadline(time.Time{}) // the handshake is over: connect_timeout no longer applies
	return getter, nil
}

// refuse logs a failed login and waits before the refusal is answered
// (failures.go).
func (a *Accounts) refuse(protocol, user string, remoteAddr net.Addr) {
	n, delay := a.failures.failed(hostOf(remoteAddr))
	a.log.Warn("access denied", "protocol", protocol, "user", user, "client", remoteAddr.String(), "failures_in_a_row", n)
	time.Sleep(delay)
}
