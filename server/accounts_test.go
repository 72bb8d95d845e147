package server

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"logq/server/accounts"
)

// secureServer is `logq serve` in the test's process, started with the
// test's flags and reached with the accounts the test made.
type secureServer struct {
	mysqlAddr, httpAddr string
	stderr              *syncBuffer
	stop                func()
}

func startSecureServe(t *testing.T, dir string, args ...string) *secureServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	all := append([]string{"--data", dir, "--mysql-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
		"--accept-past", "0", "--scrub=false", "--log-level", "warn"}, args...)
	go func() { done <- RunServe(ctx, all, stdout, stderr, nil) }()
	require.Eventually(t, func() bool { return strings.HasPrefix(stdout.String(), "ready ") },
		20*time.Second, 10*time.Millisecond, "stderr: %s", stderr.String())
	fields := strings.Fields(stdout.String())
	s := &secureServer{mysqlAddr: strings.TrimPrefix(fields[1], "mysql="), httpAddr: strings.TrimPrefix(fields[2], "http="), stderr: stderr}
	stopped := false
	s.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			require.Equal(t, 0, code, "stderr: %s", stderr.String())
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not stop")
		}
	}
	t.Cleanup(s.stop)
	return s
}

// addUser runs `logq user add` on a stopped server's data directory.
func addUser(t *testing.T, dir, name, role, password string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := RunUser(context.Background(), []string{"add", name, "--role", role, "--data", dir}, strings.NewReader(password+"\n"), &out, &errb)
	require.Equal(t, 0, code, "stderr: %s", errb.String())
}

// writeTestCA writes a self-signed certificate for 127.0.0.1 and its key;
// clients verify the server against the certificate itself.
func writeTestCA(t *testing.T, dir, name string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600))
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// login is one client session: who, how, and the statements it runs.
type login struct {
	user, password string
	ca             string // non-empty: TLS, verifying the server against this PEM
	stmts          []string
}

// session is what a client saw: the error number of a refused connection,
// else per statement its rows or its error number.
type session struct {
	connectErrno int
	results      []stmtResult
}

type stmtResult struct {
	rows  [][]string
	errno int
}

// authClient runs logins through one MySQL client.
type authClient struct {
	name string
	run  func(t *testing.T, addr string, l login) session
}

func authClients(t *testing.T) []authClient {
	return []authClient{
		{"go-sql-driver text", func(t *testing.T, addr string, l login) session { return goDriverSession(t, addr, l, false) }},
		{"go-sql-driver prepared", func(t *testing.T, addr string, l login) session { return goDriverSession(t, addr, l, true) }},
		{"mariadb CLI", cliSession},
		{"mysql2 query", func(t *testing.T, addr string, l login) session {
			return scriptSession(t, addr, l, nodeClient(t), false)
		}},
		{"mysql2 execute", func(t *testing.T, addr string, l login) session {
			return scriptSession(t, addr, l, nodeClient(t), true)
		}},
		{"PyMySQL", func(t *testing.T, addr string, l login) session {
			return scriptSession(t, addr, l, pythonClient(t), false)
		}},
	}
}

func goDriverSession(t *testing.T, addr string, l login, prepared bool) session {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = l.user, l.password, "tcp", addr, "logq"
	cfg.InterpolateParams = !prepared
	if l.ca != "" {
		pem, err := os.ReadFile(l.ca)
		require.NoError(t, err)
		pool := x509.NewCertPool()
		require.True(t, pool.AppendCertsFromPEM(pem))
		cfg.TLS = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	}
	connector, err := mysql.NewConnector(cfg)
	require.NoError(t, err)
	db := sql.OpenDB(connector)
	defer db.Close()
	var s session
	if err := db.Ping(); err != nil {
		s.connectErrno = errnoOf(t, err)
		return s
	}
	for _, q := range l.stmts {
		var rows *sql.Rows
		var err error
		if prepared {
			var stmt *sql.Stmt
			if stmt, err = db.Prepare(q); err == nil {
				rows, err = stmt.Query()
				defer stmt.Close()
			}
		} else {
			rows, err = db.Query(q)
		}
		if err != nil {
			s.results = append(s.results, stmtResult{errno: errnoOf(t, err)})
			continue
		}
		var res stmtResult
		if res.rows, err = rowsText(rows); err != nil {
			res.errno = errnoOf(t, err)
		}
		s.results = append(s.results, res)
	}
	return s
}

func errnoOf(t *testing.T, err error) int {
	var me *mysql.MySQLError
	require.True(t, errors.As(err, &me), "not a MySQL error: %v", err)
	return int(me.Number)
}

var cliErrorRE = regexp.MustCompile(`ERROR (\d+) \(`)

// cliSession runs each statement in its own mariadb CLI invocation, so
// that one refusal does not hide the next statement's answer.
func cliSession(t *testing.T, addr string, l login) session {
	host, port, _ := net.SplitHostPort(addr)
	args := []string{"-h", host, "-P", port, "-u", l.user, "--batch", "--raw", "--skip-column-names", "logq"}
	if l.password != "" {
		args = append(args, "-p"+l.password)
	}
	if l.ca != "" {
		args = append(args, "--ssl", "--ssl-ca="+l.ca, "--ssl-verify-server-cert")
	} else {
		args = append(args, "--skip-ssl")
	}
	var s session
	stmts := append([]string{"SELECT 1"}, l.stmts...) // the first proves the login
	for i, q := range stmts {
		out, err := exec.Command(mysqlCLI(t), append(args, "-e", q)...).CombinedOutput()
		var res stmtResult
		if err != nil {
			m := cliErrorRE.FindSubmatch(out)
			require.NotNil(t, m, "mariadb CLI failed without a MySQL error: %s", out)
			res.errno, _ = strconv.Atoi(string(m[1]))
		} else if text := strings.TrimRight(string(out), "\n"); text != "" {
			for _, line := range strings.Split(text, "\n") {
				res.rows = append(res.rows, strings.Split(line, "\t"))
			}
		}
		if i == 0 {
			if res.errno != 0 {
				s.connectErrno = res.errno
				return s
			}
			continue
		}
		s.results = append(s.results, res)
	}
	return s
}

// scriptSession runs a client script of engine/testdata/clients.
func scriptSession(t *testing.T, addr string, l login, command []string, prepared bool) session {
	type jsonCase struct {
		SQL      string `json:"sql"`
		Prepared bool   `json:"prepared"`
	}
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	req := struct {
		Host     string     `json:"host"`
		Port     int        `json:"port"`
		User     string     `json:"user"`
		Password string     `json:"password"`
		CA       string     `json:"ca,omitempty"`
		Cases    []jsonCase `json:"cases"`
	}{Host: host, Port: p, User: l.user, Password: l.password, CA: l.ca}
	for _, q := range l.stmts {
		req.Cases = append(req.Cases, jsonCase{SQL: q, Prepared: prepared})
	}
	in, err := json.Marshal(req)
	require.NoError(t, err)
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	require.NoError(t, err, "%v: %s", command, stderr.String())
	var out []struct {
		ConnectError string      `json:"connect_error"`
		Errno        int         `json:"errno"`
		Error        string      `json:"error"`
		Rows         [][]*string `json:"rows"`
	}
	require.NoError(t, json.Unmarshal(stdout, &out), "%s", stdout)
	var s session
	if len(out) == 1 && out[0].ConnectError != "" {
		require.NotZero(t, out[0].Errno, "%s", out[0].ConnectError)
		s.connectErrno = out[0].Errno
		return s
	}
	for _, r := range out {
		res := stmtResult{errno: r.Errno}
		if r.Error != "" {
			require.NotZero(t, r.Errno, "%s", r.Error)
		}
		for _, row := range r.Rows {
			var vals []string
			for _, v := range row {
				if v == nil {
					vals = append(vals, "NULL")
				} else {
					vals = append(vals, *v)
				}
			}
			res.rows = append(res.rows, vals)
		}
		s.results = append(s.results, res)
	}
	return s
}

func clientsDir(t *testing.T) string {
	dir, err := filepath.Abs("../engine/testdata/clients")
	require.NoError(t, err)
	return dir
}

func nodeClient(t *testing.T) []string {
	dir := clientsDir(t)
	_, err := os.Stat(filepath.Join(dir, "node_modules", "mysql2"))
	require.NoError(t, err, "mysql2 is not installed: run make test-deps")
	node, err := exec.LookPath("node")
	require.NoError(t, err, "node is needed: make test-deps")
	return []string{node, filepath.Join(dir, "client.js")}
}

func pythonClient(t *testing.T) []string {
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(py); err == nil && exec.Command(path, "-c", "import pymysql").Run() == nil {
			return []string{path, filepath.Join(clientsDir(t), "client.py")}
		}
	}
	t.Fatal("no python3 with pymysql: make test-deps installs python3-pymysql")
	return nil
}

func mysqlCLI(t *testing.T) string {
	for _, name := range []string{"mysql", "mariadb"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	t.Fatal("no mysql or mariadb client: make test-deps installs mariadb-client")
	return ""
}

// MySQL's error numbers the logins must get.
const (
	erAccessDenied       = 1045
	erTableAccessDenied  = 1142
	erSecureTransportReq = 3159
)

// TestAccountsThroughClients logs in with every client the conformance
// tests drive, in plaintext and over TLS: the right password gets in, a
// wrong one and an unknown user get 1045, a read-only account is refused
// INSERT and an ingest account SELECT; accounts made offline and with SQL
// survive a restart, after which --require-secure-transport refuses
// plaintext with 3159 and still lets TLS in.
func TestAccountsThroughClients(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := writeTestCA(t, t.TempDir(), "logq-test")
	srv := startSecureServe(t, dir) // creates the data directory
	const seedRows = 25
	var body strings.Builder
	for i := range seedRows {
		fmt.Fprintf(&body, `{"ts":"2026-12-01T10:00:%02dZ","message":"seed %d","service":"auth"}`+"\n", i, i)
	}
	postIngest(t, "http://"+srv.httpAddr, "", body.String(), 200)
	srv.stop()

	addUser(t, dir, "admin2", "admin", "adm1n pass")
	addUser(t, dir, "reader", "read", "r3ad'er\\pw") // quotes and backslashes survive the SQL the command runs
	addUser(t, dir, "writer", "ingest", "wr1ter")
	srv = startSecureServe(t, dir, "--tls-cert", certFile, "--tls-key", keyFile)

	inserted := 0
	insert := func(who string) string {
		return fmt.Sprintf("INSERT INTO logs (ts, message, service) VALUES ('2026-12-01 11:00:00', 'by %s', 'auth')", who)
	}
	const count = "SELECT COUNT(*) FROM logs"
	for _, c := range authClients(t) {
		for _, ca := range []string{"", certFile} {
			mode := "plaintext"
			if ca != "" {
				mode = "TLS"
			}
			t.Run(c.name+" "+mode, func(t *testing.T) {
				s := c.run(t, srv.mysqlAddr, login{user: "reader", password: "r3ad'er\\pw", ca: ca, stmts: []string{count, insert("reader")}})
				require.Zero(t, s.connectErrno, "reader with the right password")
				require.Len(t, s.results, 2)
				require.Zero(t, s.results[0].errno)
				require.Equal(t, [][]string{{strconv.Itoa(seedRows + inserted)}}, s.results[0].rows)
				require.Equal(t, erTableAccessDenied, s.results[1].errno, "a read-only account may not INSERT")

				s = c.run(t, srv.mysqlAddr, login{user: "writer", password: "wr1ter", ca: ca, stmts: []string{insert("writer"), count}})
				require.Zero(t, s.connectErrno)
				require.Zero(t, s.results[0].errno, "an ingest account may INSERT")
				inserted++
				require.Equal(t, erTableAccessDenied, s.results[1].errno, "an ingest account may not SELECT")

				s = c.run(t, srv.mysqlAddr, login{user: "reader", password: "wrong", ca: ca, stmts: []string{count}})
				require.Equal(t, erAccessDenied, s.connectErrno, "wrong password")
				s = c.run(t, srv.mysqlAddr, login{user: "nobody", password: "wrong", ca: ca, stmts: []string{count}})
				require.Equal(t, erAccessDenied, s.connectErrno, "unknown user")
				s = c.run(t, srv.mysqlAddr, login{user: "nobody", ca: ca, stmts: []string{count}})
				require.Equal(t, erAccessDenied, s.connectErrno, "unknown user without a password")
			})
		}
	}
	require.Contains(t, srv.stderr.String(), `msg="access denied" protocol=mysql user=nobody client=127.0.0.1:`)

	// An admin manages accounts with SQL; they persist.
	admin := login{user: "admin2", password: "adm1n pass", stmts: []string{
		"CREATE USER 'late'@'%' IDENTIFIED BY 'l4te'", "GRANT SELECT ON logq.* TO 'late'@'%'",
		"SHOW GRANTS FOR 'late'@'%'", "SELECT user, host FROM mysql.user WHERE user IN ('late', 'reader') ORDER BY user", count}}
	s := goDriverSession(t, srv.mysqlAddr, admin, false)
	require.Zero(t, s.connectErrno)
	require.Equal(t, [][]string{{"GRANT USAGE ON *.* TO `late`@`%`"}, {"GRANT SELECT ON `logq`.* TO `late`@`%`"}}, s.results[2].rows)
	require.Equal(t, [][]string{{"late", "%"}, {"reader", "%"}}, s.results[3].rows)
	require.Equal(t, [][]string{{strconv.Itoa(seedRows + inserted)}}, s.results[4].rows)
	srv.stop()

	srv = startSecureServe(t, dir, "--tls-cert", certFile, "--tls-key", keyFile, "--require-secure-transport")
	for _, c := range authClients(t) {
		t.Run(c.name+" after restart", func(t *testing.T) {
			s := c.run(t, srv.mysqlAddr, login{user: "late", password: "l4te", ca: certFile, stmts: []string{count}})
			require.Zero(t, s.connectErrno, "an account made with SQL survives the restart")
			require.Equal(t, [][]string{{strconv.Itoa(seedRows + inserted)}}, s.results[0].rows)
			s = c.run(t, srv.mysqlAddr, login{user: "reader", password: "r3ad'er\\pw", stmts: []string{count}})
			require.Equal(t, erSecureTransportReq, s.connectErrno, "plaintext with --require-secure-transport")
		})
	}
}

// postIngest sends body to the ingest endpoint with an Authorization
// header (none if empty) and checks the status.
func postIngest(t *testing.T, base, authorization, body string, status int) string {
	t.Helper()
	return postIngestWith(t, httpClient, base, authorization, body, status)
}

func postIngestWith(t *testing.T, hc *http.Client, base, authorization, body string, status int) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+ingestPath, strings.NewReader(body))
	require.NoError(t, err)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	res, err := hc.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	answer, _ := io.ReadAll(res.Body)
	require.Equal(t, status, res.StatusCode, "%s", answer)
	return string(answer)
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

// TestHTTPAuth: ingest needs an account with INSERT whenever credentials
// are required (--http-auth required here, as on a non-loopback
// listener): a token made by `logq user token` works as Bearer and as
// Basic, a wrong one gets 401 with a challenge, an account without INSERT
// 403, and DROP USER revokes a token at once. Dropping a column needs an
// admin.
func TestHTTPAuth(t *testing.T) {
	dir := t.TempDir()
	startSecureServe(t, dir).stop()
	var out, errb bytes.Buffer
	require.Equal(t, 0, RunUser(context.Background(), []string{"token", "shipper", "--data", dir}, nil, &out, &errb), errb.String())
	token := strings.TrimSpace(out.String())
	name, secret, ok := strings.Cut(token, ":")
	require.True(t, ok, token)
	require.Equal(t, "shipper", name)
	require.GreaterOrEqual(t, len(secret), 32, "a generated secret of at least 24 random bytes")
	addUser(t, dir, "reader", "read", "rpw")
	addUser(t, dir, "boss", "admin", "bpw")

	srv := startSecureServe(t, dir, "--http-auth", "required")
	base := "http://" + srv.httpAddr
	line := func(msg string) string {
		return fmt.Sprintf(`{"ts":"2026-12-01T10:00:00Z","message":%q,"service":"http","extra_field":1}`, msg)
	}
	basic := func(user, pw string) string {
		req, _ := http.NewRequest(http.MethodGet, "/", nil)
		req.SetBasicAuth(user, pw)
		return req.Header.Get("Authorization")
	}
	postIngest(t, base, "", line("anonymous"), http.StatusUnauthorized)
	postIngest(t, base, "Bearer shipper:wrong", line("wrong"), http.StatusUnauthorized)
	postIngest(t, base, "Bearer "+secret, line("no name"), http.StatusUnauthorized)
	postIngest(t, base, "Token abc", line("other scheme"), http.StatusUnauthorized)
	postIngest(t, base, "Bearer nobody:"+secret, line("unknown"), http.StatusUnauthorized)
	postIngest(t, base, basic("reader", "rpw"), line("reader"), http.StatusForbidden)
	postIngest(t, base, "Bearer "+token, line("bearer"), http.StatusOK)
	postIngest(t, base, basic("shipper", secret), line("basic"), http.StatusOK)
	require.Contains(t, srv.stderr.String(), `msg="access denied" protocol=http user=shipper client=127.0.0.1:`)

	res, err := httpClient.Post(base+ingestPath, "application/x-ndjson", strings.NewReader(line("challenge")))
	require.NoError(t, err)
	res.Body.Close()
	require.Contains(t, res.Header.Get("WWW-Authenticate"), "Bearer")

	// The rows of the accepted requests, and only those.
	db, err := sql.Open("mysql", "boss:bpw@tcp("+srv.mysqlAddr+")/logq")
	require.NoError(t, err)
	defer db.Close()
	rows, err := db.Query("SELECT message FROM logs ORDER BY message")
	require.NoError(t, err)
	var got []string
	for rows.Next() {
		var m string
		require.NoError(t, rows.Scan(&m))
		got = append(got, m)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{"basic", "bearer"}, got)

	// Columns: listing needs SELECT, dropping an admin.
	del := func(authorization string) int {
		req, err := http.NewRequest(http.MethodDelete, base+columnsPath+"/extra_field", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", authorization)
		res, err := httpClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	require.Equal(t, http.StatusForbidden, del(basic("reader", "rpw")))
	require.Equal(t, http.StatusForbidden, del("Bearer "+token))
	require.Equal(t, http.StatusOK, del(basic("boss", "bpw")))

	// DROP USER revokes the token for the next request.
	_, err = db.Exec("DROP USER 'shipper'@'%'")
	require.NoError(t, err)
	postIngest(t, base, "Bearer "+token, line("after drop"), http.StatusUnauthorized)
	srv.stop()

	// On a loopback-only listener (--http-auth auto) anonymous ingest
	// keeps working, but credentials that are sent must be right.
	srv = startSecureServe(t, dir)
	base = "http://" + srv.httpAddr
	postIngest(t, base, "", line("anonymous on loopback"), http.StatusOK)
	postIngest(t, base, "Bearer shipper:"+secret, line("dropped token"), http.StatusUnauthorized)
}

// TestExposureRefused: a listener beyond loopback while no account has a
// password refuses to start, before it listens, and says what to do.
func TestExposureRefused(t *testing.T) {
	for _, flag := range []string{"--mysql-addr", "--http-addr"} {
		t.Run(flag, func(t *testing.T) {
			dir := t.TempDir()
			var stdout, stderr syncBuffer
			args := []string{"--data", dir, "--mysql-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--scrub=false", flag, "0.0.0.0:0"}
			code := RunServe(context.Background(), args, &stdout, &stderr, nil)
			require.Equal(t, 1, code)
			require.Empty(t, stdout.String(), "nothing may listen")
			require.Contains(t, stderr.String(), flag+" 0.0.0.0:0 listens beyond this machine, but no account has a password")
			require.Contains(t, stderr.String(), "logq user add NAME --role admin --data "+dir)
		})
	}
	require.True(t, loopbackOnly("127.0.0.1:3306"))
	require.True(t, loopbackOnly("[::1]:3306"))
	require.True(t, loopbackOnly("localhost:3306"))
	require.False(t, loopbackOnly(":3306"))
	require.False(t, loopbackOnly("0.0.0.0:3306"))
	require.False(t, loopbackOnly("[::]:3306"))
	require.False(t, loopbackOnly("192.168.1.10:3306"))
}

// TestUserCommand: `logq user` on a stopped server's data directory, and
// its refusals.
func TestUserCommand(t *testing.T) {
	dir := t.TempDir()
	run := func(stdin string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := RunUser(context.Background(), append(args, "--data", dir), strings.NewReader(stdin), &out, &errb)
		return code, out.String(), errb.String()
	}
	code, out, _ := run("", "list")
	require.Equal(t, 0, code)
	require.Contains(t, out, "'root'@'localhost'  none", "a fresh directory has MySQL's initial account")

	code, _, _ = run("pw1\n", "add", "ana", "--role", "read")
	require.Equal(t, 0, code)
	code, _, errs := run("pw1\n", "add", "ana", "--role", "read")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "ana", "a second add of one account fails")
	code, _, errs = run("\n", "add", "empty", "--role", "read")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "empty password")
	code, _, errs = run("pw\n", "add", "x", "--role", "owner")
	require.Equal(t, 1, code)
	require.Contains(t, errs, `unknown role "owner"`)
	code, _, errs = run("pw\n", "add", "a:b", "--role", "read")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "colon")
	code, _, _ = run("pw\n", "add", "local", "--role", "ingest", "--host", "localhost")
	require.Equal(t, 0, code)
	code, _, _ = run("pw2\n", "passwd", "ana")
	require.Equal(t, 0, code)

	code, out, _ = run("", "list")
	require.Equal(t, 0, code)
	require.Regexp(t, "'ana'@'%' +set +GRANT USAGE ON \\*\\.\\* TO `ana`@`%`; GRANT SELECT ON `logq`\\.\\* TO `ana`@`%`", out)
	require.Regexp(t, "'local'@'localhost' +set +.*GRANT INSERT ON `logq`\\.\\* TO `local`@`localhost`", out)

	// The changed password is the one that logs in.
	srv := startSecureServe(t, dir)
	for pw, want := range map[string]int{"pw1": erAccessDenied, "pw2": 0} {
		s := goDriverSession(t, srv.mysqlAddr, login{user: "ana", password: pw, stmts: []string{"SELECT 1"}}, false)
		require.Equal(t, want, s.connectErrno, pw)
	}
	// A running server's directory is not edited behind its back.
	code, _, errs = run("pw\n", "add", "late", "--role", "read")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "a server is running on it; manage accounts with SQL")
	srv.stop()

	code, _, _ = run("", "del", "ana")
	require.Equal(t, 0, code)
	code, out, _ = run("", "list")
	require.Equal(t, 0, code)
	require.NotContains(t, out, "'ana'")
	code, _, errs = run("", "del", "ana")
	require.Equal(t, 1, code)
	require.NotEmpty(t, errs)
}

// TestShowGrantsAndPlugins: what MySQL tools read about accounts.
func TestShowGrantsAndPlugins(t *testing.T) {
	dir := t.TempDir()
	startSecureServe(t, dir).stop()
	addUser(t, dir, "reader", "read", "rpw")
	srv := startSecureServe(t, dir)
	s := goDriverSession(t, srv.mysqlAddr, login{user: "reader", password: "rpw", stmts: []string{
		"SHOW GRANTS", "SHOW GRANTS FOR CURRENT_USER()", "SHOW GRANTS FOR 'reader'@'%'",
		"SHOW GRANTS FOR 'root'@'localhost'", "SELECT user FROM mysql.user", "SHOW PLUGINS"}}, false)
	require.Zero(t, s.connectErrno)
	own := [][]string{{"GRANT USAGE ON *.* TO `reader`@`%`"}, {"GRANT SELECT ON `logq`.* TO `reader`@`%`"}}
	for i := range 3 {
		require.Equal(t, own, s.results[i].rows, "an account sees its own grants")
	}
	require.Equal(t, 1044, s.results[3].errno, "another account's grants need SELECT on mysql")
	require.NotZero(t, s.results[4].errno, "mysql.user is for admins")
	require.Equal(t, [][]string{
		{"mysql_native_password", "ACTIVE", "AUTHENTICATION", "NULL", "GPL"},
		{"caching_sha2_password", "ACTIVE", "AUTHENTICATION", "NULL", "GPL"}}, s.results[5].rows)

	db, err := sql.Open("mysql", "root@tcp("+srv.mysqlAddr+")/logq")
	require.NoError(t, err)
	defer db.Close()
	rows, err := db.Query("SHOW PLUGINS")
	require.NoError(t, err)
	cols, err := rows.Columns()
	require.NoError(t, err)
	rows.Close()
	require.Equal(t, []string{"Name", "Status", "Type", "Library", "License"}, cols)
	var user, host string
	require.NoError(t, db.QueryRow("SELECT user, host FROM mysql.user WHERE user = 'reader'").Scan(&user, &host))
	require.Equal(t, []string{"reader", "%"}, []string{user, host})
}

// TestHandshakeTimeout: a client that connects and never finishes the
// handshake is closed after connect_timeout; a session that logged in is
// not, however long it idles.
func TestHandshakeTimeout(t *testing.T) {
	defer func(d time.Duration) { accountsConnectTimeout(d) }(accountsConnectTimeout(time.Second))
	srv := startSecureServe(t, t.TempDir())

	idle, err := sql.Open("mysql", "root@tcp("+srv.mysqlAddr+")/logq")
	require.NoError(t, err)
	defer idle.Close()
	conn, err := idle.Conn(context.Background())
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.PingContext(context.Background()))

	silent, err := net.Dial("tcp", srv.mysqlAddr)
	require.NoError(t, err)
	defer silent.Close()
	start := time.Now()
	silent.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = io.Copy(io.Discard, silent) // the greeting, then EOF when the server gives up
	require.NoError(t, err, "the server closes the connection")
	took := time.Since(start)
	require.GreaterOrEqual(t, took, 900*time.Millisecond)
	require.Less(t, took, 5*time.Second)

	time.Sleep(500 * time.Millisecond) // the logged-in session is past the timeout too
	var one int
	require.NoError(t, conn.QueryRowContext(context.Background(), "SELECT 1").Scan(&one))
	require.Equal(t, 1, one)
}

// TestLoginDelay: from the fourth failed login in a row from one address
// the refusal comes later and later.
func TestLoginDelay(t *testing.T) {
	srv := startSecureServe(t, t.TempDir())
	var took []time.Duration
	for range 5 {
		start := time.Now()
		s := goDriverSession(t, srv.mysqlAddr, login{user: "root", password: "guess", stmts: nil}, false)
		took = append(took, time.Since(start))
		require.Equal(t, erAccessDenied, s.connectErrno)
	}
	for i := range 3 {
		require.Less(t, took[i], 900*time.Millisecond, "failure %d", i+1)
	}
	require.GreaterOrEqual(t, took[3], time.Second)
	require.GreaterOrEqual(t, took[4], 2*time.Second)
	// The right password still gets in, and starts the count over.
	s := goDriverSession(t, srv.mysqlAddr, login{user: "root", stmts: []string{"SELECT 1"}}, false)
	require.Zero(t, s.connectErrno)
}

// TestCertificateReload: SIGHUP's reload serves the new certificate to new
// sessions; a reload that fails keeps the old one.
func TestCertificateReload(t *testing.T) {
	dir := t.TempDir()
	certA, keyA, _ := writeTestCA(t, dir, "a")
	certB, keyB, _ := writeTestCA(t, dir, "b")
	c, err := loadCertificate(certA, keyA, nil)
	require.NoError(t, err)
	serial := func() string {
		got, err := c.config().GetCertificate(nil)
		require.NoError(t, err)
		leaf, err := x509.ParseCertificate(got.Certificate[0])
		require.NoError(t, err)
		return leaf.Subject.CommonName
	}
	require.Equal(t, "a", serial())
	copyFile(t, certB, certA)
	copyFile(t, keyB, keyA)
	require.NoError(t, c.reload())
	require.Equal(t, "b", serial())
	require.NoError(t, os.WriteFile(certA, []byte("not a certificate"), 0o600))
	require.Error(t, c.reload())
	require.Equal(t, "b", serial())

	_, err = loadCertificate(certA, "", nil)
	require.ErrorContains(t, err, "both --tls-cert and --tls-key")
}

func copyFile(t *testing.T, from, to string) {
	data, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(to, data, 0o600))
}

// accountsConnectTimeout sets the handshake timeout and returns the old one.
func accountsConnectTimeout(d time.Duration) time.Duration {
	old := accounts.ConnectTimeout
	accounts.ConnectTimeout = d
	return old
}

// TestClientCommandsWithCredentials: logq ingest and logq columns reach an
// HTTPS server that requires credentials, with --token (or LOGQ_TOKEN)
// and --ca; without them they fail and say why.
func TestClientCommandsWithCredentials(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := writeTestCA(t, t.TempDir(), "logq-https")
	startSecureServe(t, dir).stop()
	var out, errb bytes.Buffer
	require.Equal(t, 0, RunUser(context.Background(), []string{"token", "shipper", "--data", dir}, nil, &out, &errb), errb.String())
	token := strings.TrimSpace(out.String())
	addUser(t, dir, "boss", "admin", "bpw")
	srv := startSecureServe(t, dir, "--http-auth", "required", "--tls-cert", certFile, "--tls-key", keyFile)
	base := "https://" + srv.httpAddr

	file := filepath.Join(t.TempDir(), "in.jsonl")
	const lines = 40
	var body strings.Builder
	for i := range lines {
		fmt.Fprintf(&body, `{"ts":"2026-12-01T10:00:%02dZ","message":"line %d","team":"a"}`+"\n", i, i)
	}
	require.NoError(t, os.WriteFile(file, []byte(body.String()), 0o600))

	code, stdout, stderr := runIngest(t, []string{"--server", base, "--ca", certFile, file}, nil)
	require.Equal(t, 1, code, "without a token: %s %s", stdout, stderr)
	require.Contains(t, stdout+stderr, "401")
	code, stdout, stderr = runIngest(t, []string{"--server", base, "--token", token, file}, nil)
	require.Equal(t, 1, code, "without --ca the self-signed certificate is not trusted: %s %s", stdout, stderr)
	require.Contains(t, stdout+stderr, "certificate")
	code, stdout, stderr = runIngest(t, []string{"--server", base, "--ca", certFile, "--token", token, file}, nil)
	require.Equal(t, 0, code, "%s %s", stdout, stderr)
	t.Setenv(tokenEnv, token)
	code, stdout, stderr = runIngest(t, []string{"--server", base, "--ca", certFile, file}, nil)
	require.Equal(t, 0, code, "the token from $LOGQ_TOKEN: %s %s", stdout, stderr)

	db, err := sql.Open("mysql", "boss:bpw@tcp("+srv.mysqlAddr+")/logq")
	require.NoError(t, err)
	defer db.Close()
	var n int
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM logs").Scan(&n))
	require.Equal(t, 2*lines, n)

	code, got := runColumns("list", "--server", base, "--ca", certFile)
	require.Equal(t, 1, code, "an ingest token may not list columns")
	require.Contains(t, got, "403")
	code, got = runColumns("list", "--server", base, "--ca", certFile, "--token", "boss:bpw")
	require.Equal(t, 0, code, got)
	require.Contains(t, got, "team")
}

// TestMaxAllowedPacket: a request larger than --max-allowed-packet closes
// its connection (go-mysql-server would read any size into memory), one
// just under it is answered, and other sessions go on.
func TestMaxAllowedPacket(t *testing.T) {
	const limit = 1 << 20
	srv := startSecureServe(t, t.TempDir(), "--max-allowed-packet", strconv.Itoa(limit))
	// The client is told a larger limit than the server's, so that it
	// sends what the server must refuse instead of refusing it itself.
	db, err := sql.Open("mysql", "root@tcp("+srv.mysqlAddr+")/logq?maxAllowedPacket=67108864")
	require.NoError(t, err)
	defer db.Close()
	other, err := db.Conn(context.Background())
	require.NoError(t, err)
	defer other.Close()

	var reported int64
	require.NoError(t, other.QueryRowContext(context.Background(), "SELECT @@max_allowed_packet").Scan(&reported))
	require.Equal(t, int64(limit), reported)

	fits := strings.Repeat("x", limit-1024)
	var n int
	require.NoError(t, db.QueryRow("SELECT LENGTH('"+fits+"')").Scan(&n))
	require.Equal(t, len(fits), n)

	for _, size := range []int{2 * limit, 64 << 20} {
		big := strings.Repeat("y", size)
		err := db.QueryRow("SELECT LENGTH('" + big + "')").Scan(&n)
		require.Error(t, err, "%d bytes", size)
	}
	var one int
	require.NoError(t, other.QueryRowContext(context.Background(), "SELECT 1").Scan(&one), "the other session goes on")
	require.Contains(t, srv.stderr.String(), "bigger than max_allowed_packet")
}

// TestCachingSha2Accounts: an account made IDENTIFIED WITH
// caching_sha2_password logs in over TLS (its full authentication sends
// the password, which vitess allows only under TLS), is refused a wrong
// password, and its password also works for HTTP.
func TestCachingSha2Accounts(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := writeTestCA(t, t.TempDir(), "logq-sha2")
	srv := startSecureServe(t, dir, "--tls-cert", certFile, "--tls-key", keyFile, "--http-auth", "required")
	admin := goDriverSession(t, srv.mysqlAddr, login{user: "root", stmts: []string{
		"CREATE USER 'sha'@'%' IDENTIFIED WITH caching_sha2_password BY 's3cret'",
		"GRANT SELECT, INSERT ON logq.* TO 'sha'@'%'",
		"SELECT plugin FROM mysql.user WHERE user = 'sha'"}}, false)
	require.Zero(t, admin.connectErrno)
	require.Equal(t, [][]string{{"caching_sha2_password"}}, admin.results[2].rows)

	s := goDriverSession(t, srv.mysqlAddr, login{user: "sha", password: "s3cret", ca: certFile, stmts: []string{"SELECT COUNT(*) FROM logs"}}, false)
	require.Zero(t, s.connectErrno)
	require.Equal(t, [][]string{{"0"}}, s.results[0].rows)
	s = goDriverSession(t, srv.mysqlAddr, login{user: "sha", password: "wrong", ca: certFile}, false)
	require.Equal(t, erAccessDenied, s.connectErrno)

	line := `{"ts":"2026-12-01T10:00:00Z","message":"sha2"}`
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	postIngestWith(t, hc, "https://"+srv.httpAddr, "Bearer sha:wrong", line, http.StatusUnauthorized)
	postIngestWith(t, hc, "https://"+srv.httpAddr, "Bearer sha:s3cret", line, http.StatusOK)
}
