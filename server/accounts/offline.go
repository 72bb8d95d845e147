package accounts

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/memory"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/mysql_db"

	"logq/partitions"
)

// Role is what an account made by `logq user add` may do.
type Role string

const (
	RoleRead   Role = "read"   // SELECT on logq
	RoleIngest Role = "ingest" // INSERT on logq: SQL INSERT and HTTP ingest
	RoleAdmin  Role = "admin"  // everything, including managing accounts
)

// ParseRole checks a role's name.
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.ToLower(s)); r {
	case RoleRead, RoleIngest, RoleAdmin:
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q: read, ingest or admin", s)
}

// grant is the GRANT statement that gives account the role.
func (r Role) grant(account string) string {
	switch r {
	case RoleRead:
		return "GRANT SELECT ON " + Database + ".* TO " + account
	case RoleIngest:
		return "GRANT INSERT ON " + Database + ".* TO " + account
	}
	return "GRANT ALL ON *.* TO " + account + " WITH GRANT OPTION"
}

// Offline edits the accounts of a stopped server's data directory, holding
// its lock meanwhile. It runs the SQL an admin would (CREATE USER, GRANT,
// ...) on a throwaway go-mysql-server engine over the same account
// database, so that accounts made offline and online are the same.
type Offline struct {
	db      *mysql_db.MySQLDb
	engine  *sqle.Engine
	session sql.Session
	release func() error
}

// cliUser is the account the offline commands act as: a superuser that
// exists in memory only and is never written to the file.
const cliUser = "logq-user-command"

// OpenOffline locks dir and loads its accounts.
func OpenOffline(dir string) (*Offline, error) {
	release, err := partitions.LockDir(dir)
	if errors.Is(err, partitions.ErrLocked) {
		return nil, fmt.Errorf("%w: a server is running on it; manage accounts with SQL as an admin (CREATE USER, ALTER USER, DROP USER, GRANT)", err)
	}
	if err != nil {
		return nil, err
	}
	e := sqle.NewDefault(memory.NewDBProvider(memory.NewDatabase(Database)))
	db := e.Analyzer.Catalog.MySQLDb
	if err := load(dir, db); err != nil {
		release()
		return nil, err
	}
	ed := db.Editor()
	db.AddEphemeralSuperUser(ed, cliUser, "localhost", "")
	ed.Close()
	session := sql.NewBaseSessionWithClientServer("", sql.Client{User: cliUser, Address: "localhost"}, 1)
	return &Offline{db: db, engine: e, session: session, release: release}, nil
}

// Close releases the data directory.
func (o *Offline) Close() error { return o.release() }

func (o *Offline) exec(query string) ([]sql.Row, error) {
	ctx := sql.NewContext(context.Background(), sql.WithSession(o.session))
	_, iter, _, err := o.engine.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	return sql.RowIterToRows(ctx, iter)
}

// Account is 'name'@'host' quoted for SQL.
func Account(name, host string) string { return quote(name) + "@" + quote(host) }

// quote is a SQL string literal of s.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(s) + "'"
}

// checkName refuses names MySQL refuses (empty, longer than 32
// characters) and those a token cannot carry (a colon).
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("an account needs a name")
	case len([]rune(name)) > 32:
		return fmt.Errorf("account name %q is longer than 32 characters", name)
	case strings.Contains(name, ":"):
		return fmt.Errorf("account name %q holds a colon, which HTTP tokens (NAME:PASSWORD) cannot carry", name)
	}
	return nil
}

// Add creates name@host with password and role.
func (o *Offline) Add(name, host, password string, role Role) error {
	if err := checkName(name); err != nil {
		return err
	}
	account := Account(name, host)
	if _, err := o.exec("CREATE USER " + account + " IDENTIFIED BY " + quote(password)); err != nil {
		return err
	}
	if _, err := o.exec(role.grant(account)); err != nil {
		_, dropErr := o.exec("DROP USER " + account)
		return errors.Join(err, dropErr)
	}
	return nil
}

// Token creates name@host as an ingest account with a generated password
// and returns its HTTP bearer token, NAME:PASSWORD.
func (o *Offline) Token(name, host string) (string, error) {
	secret := make([]byte, 24)
	rand.Read(secret)
	password := base64.RawURLEncoding.EncodeToString(secret)
	if err := o.Add(name, host, password, RoleIngest); err != nil {
		return "", err
	}
	return name + ":" + password, nil
}

// Passwd sets name@host's password.
func (o *Offline) Passwd(name, host, password string) error {
	_, err := o.exec("ALTER USER " + Account(name, host) + " IDENTIFIED BY " + quote(password))
	return err
}

// Del drops name@host.
func (o *Offline) Del(name, host string) error {
	_, err := o.exec("DROP USER " + Account(name, host))
	return err
}

// Entry is one account as `logq user list` shows it.
type Entry struct {
	Name, Host  string
	Plugin      string
	HasPassword bool
	Locked      bool
	Grants      []string // SHOW GRANTS
}

// List returns the accounts, by name then host.
func (o *Offline) List() ([]Entry, error) {
	var entries []Entry
	rd := o.db.Reader()
	rd.VisitUsers(func(u *mysql_db.User) {
		if u.IsEphemeral || u.IsRole {
			return
		}
		entries = append(entries, Entry{Name: u.User, Host: u.Host, Plugin: u.Plugin, HasPassword: u.AuthString != "", Locked: u.Locked})
	})
	rd.Close()
	sort.Slice(entries, func(i, j int) bool {
		if entries[i].Name != entries[j].Name {
			return entries[i].Name < entries[j].Name
		}
		return entries[i].Host < entries[j].Host
	})
	for i := range entries {
		rows, err := o.exec("SHOW GRANTS FOR " + Account(entries[i].Name, entries[i].Host))
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			entries[i].Grants = append(entries[i].Grants, fmt.Sprint(r[0]))
		}
	}
	return entries, nil
}
