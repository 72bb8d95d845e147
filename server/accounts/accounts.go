package accounts

import (
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/mysql_db"
	"github.com/dolthub/vitess/go/mysql"

	"logq/partitions"
)

// FileName is the accounts file in a data directory: go-mysql-server's
// serialized mysql database (flatbuffers), written atomically, mode 0600
// since it holds password hashes.
const FileName = "USERS"

// Database is the database the roles grant on.
const Database = "logq"

// Accounts is the account database of one server.
type Accounts struct {
	db       *mysql_db.MySQLDb
	log      *slog.Logger
	failures *failures

	// Counters since start, by protocol.
	MySQLFailures atomic.Int64
	HTTPFailures  atomic.Int64
}

// Open loads the accounts of dataDir into db, go-mysql-server's mysql
// database of the engine, turns it on (from then on every connection must
// authenticate and every statement is checked against the privileges) and
// makes every change persist to DATA/USERS before it is acknowledged.
//
// A data directory without the file gets MySQL's initial account,
// root@localhost without a password: a fresh install answers
// `mysql -h 127.0.0.1 -u root` from the same machine and nothing else.
func Open(dataDir string, db *mysql_db.MySQLDb, log *slog.Logger) (*Accounts, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := load(dataDir, db); err != nil {
		return nil, err
	}
	return &Accounts{db: db, log: log, failures: newFailures()}, nil
}

// load reads dataDir's accounts into db and sets it to persist there.
func load(dataDir string, db *mysql_db.MySQLDb) error {
	path := filepath.Join(dataDir, FileName)
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := db.LoadData(sql.NewEmptyContext(), data); err != nil {
			return fmt.Errorf("accounts %s: %w (restore it from a backup, or move it away to start with root@localhost only)", path, err)
		}
	case errors.Is(err, fs.ErrNotExist):
		db.AddRootAccount()
	default:
		return fmt.Errorf("accounts: %w", err)
	}
	db.SetPersister(filePersister(path))
	db.SetEnabled(true)
	return nil
}

// filePersister writes the serialized accounts to a file, atomically: a
// crash leaves the old accounts or the new ones.
type filePersister string

func (p filePersister) Persist(_ *sql.Context, data []byte) error {
	return partitions.WriteFileAtomic(string(p), data, 0o600)
}

// AnyPassword reports whether some account that can log in has a password:
// what a listener on a non-loopback address needs before it may start.
func (a *Accounts) AnyPassword() bool {
	rd := a.db.Reader()
	defer rd.Close()
	found := false
	rd.VisitUsers(func(u *mysql_db.User) {
		if !u.IsRole && !u.Locked && u.AuthString != "" {
			found = true
		}
	})
	return found
}

// errAccessDenied is what a wrong name or password gets, as MySQL words it
// (ER_ACCESS_DENIED_ERROR, 1045): the same for an unknown user and a wrong
// password, so that answers do not tell which accounts exist.
func errAccessDenied(user, host string, usingPassword bool) error {
	using := "NO"
	if usingPassword {
		using = "YES"
	}
	return mysql.NewSQLError(mysql.ERAccessDeniedError, mysql.SSAccessDeniedError,
		"Access denied for user '%s'@'%s' (using password: %s)", user, host, using)
}

// authenticate finds the account user may use from host with password,
// checking the password as the MySQL handshake does (mysql_native_password
// and caching_sha2_password hashes alike).
func (a *Accounts) authenticate(user, password, host string) (*mysql_db.User, bool) {
	rd := a.db.Reader()
	defer rd.Close()
	u := a.db.GetUser(rd, user, host, false)
	if u == nil || u.Locked || u.IsRole {
		return nil, false
	}
	return u, passwordMatches(u.AuthString, password)
}

// exists reports whether an account matches user from host.
func (a *Accounts) exists(user, host string) bool {
	rd := a.db.Reader()
	defer rd.Close()
	return a.db.GetUser(rd, user, host, false) != nil
}

// passwordMatches checks password against an account's stored hash in
// constant time.
func passwordMatches(authString, password string) bool {
	switch {
	case authString == "":
		return password == ""
	case strings.HasPrefix(authString, "*"): // mysql_native_password: SHA1(SHA1(password))
		s1 := sha1.Sum([]byte(password))
		s2 := sha1.Sum(s1[:])
		want := "*" + strings.ToUpper(hex.EncodeToString(s2[:]))
		return subtle.ConstantTimeCompare([]byte(want), []byte(authString)) == 1
	default: // caching_sha2_password: salted, iterated SHA-256
		digest, iterations, salt, _, err := mysql.DeserializeCachingSha2PasswordAuthString([]byte(authString))
		if err != nil || digest != "SHA256" {
			return false
		}
		got, err := mysql.SerializeCachingSha2PasswordAuthString(password, salt, iterations)
		return err == nil && subtle.ConstantTimeCompare(got, []byte(authString)) == 1
	}
}

// may reports whether the account holds privilege on logq's tables,
// granted globally (ON *.*), on the database (ON logq.*) or on logq.logs.
func may(u *mysql_db.User, privilege sql.PrivilegeType) bool {
	ps := u.PrivilegeSet
	db := ps.Database(Database)
	return u.IsSuperUser || ps.Has(privilege) || db.Has(privilege) || db.Table("logs").Has(privilege)
}
