package server

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"logq/server/accounts"
)

const userUsage = `usage: logq user add NAME --role read|ingest|admin [--host HOST] [--data DIR]
       logq user passwd NAME [--host HOST] [--data DIR]
       logq user del NAME [--host HOST] [--data DIR]
       logq user token NAME [--host HOST] [--data DIR]
       logq user list [--data DIR]

Manages the accounts of a stopped server's data directory (a running
server's are managed with SQL by an admin: CREATE USER, ALTER USER,
DROP USER, GRANT). add and passwd read the password from the terminal
(asked twice, not echoed) or from the first line of stdin.

Roles: read may SELECT; ingest may INSERT and send HTTP ingest; admin may
do everything, including managing accounts.

token makes an ingest account with a generated password and prints its
HTTP token, NAME:PASSWORD, sent as "Authorization: Bearer NAME:PASSWORD"
(or as Basic credentials). DROP USER or 'logq user del' revokes it.

HOST is where the account may connect from: '%' (anywhere, the default),
'localhost' (this machine only) or an address.
`

// RunUser runs `logq user`.
func RunUser(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, userUsage)
		return 2
	}
	cmd := args[0]
	fs := flag.NewFlagSet("user "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, userUsage) }
	dataDir := fs.String("data", "data", "data directory of the stopped server")
	host := fs.String("host", "%", "where the account may connect from")
	roleName := fs.String("role", "", "read, ingest or admin (add)")
	positional, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return 2
	}
	wantNames := 1
	if cmd == "list" {
		wantNames = 0
	}
	switch cmd {
	case "add", "passwd", "del", "token", "list":
	default:
		fmt.Fprintf(stderr, "logq user: unknown command %q\n\n%s", cmd, userUsage)
		return 2
	}
	if len(positional) != wantNames {
		fmt.Fprintf(stderr, "logq user %s: expected %d account name(s), got %d\n\n%s", cmd, wantNames, len(positional), userUsage)
		return 2
	}
	if err := runUser(cmd, positional, *dataDir, *host, *roleName, stdin, stdout); err != nil {
		fmt.Fprintf(stderr, "logq user %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

func runUser(cmd string, names []string, dataDir, host, roleName string, stdin io.Reader, stdout io.Writer) (err error) {
	var role accounts.Role
	if cmd == "add" {
		if role, err = accounts.ParseRole(roleName); err != nil {
			return err
		}
	}
	var password string
	if cmd == "add" || cmd == "passwd" {
		if password, err = readPassword(stdin, stdout); err != nil {
			return err
		}
		if password == "" {
			return errors.New("empty password: an account made here must have one")
		}
	}
	o, err := accounts.OpenOffline(dataDir)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, o.Close()) }()
	switch cmd {
	case "add":
		if err := o.Add(names[0], host, password, role); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "added %s with role %s\n", accounts.Account(names[0], host), role)
	case "passwd":
		if err := o.Passwd(names[0], host, password); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "password of %s changed\n", accounts.Account(names[0], host))
	case "del":
		if err := o.Del(names[0], host); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "deleted %s\n", accounts.Account(names[0], host))
	case "token":
		token, err := o.Token(names[0], host)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", token)
	case "list":
		entries, err := o.List()
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ACCOUNT\tPASSWORD\tGRANTS")
		for _, e := range entries {
			pw := "none"
			if e.HasPassword {
				pw = "set"
			}
			if e.Locked {
				pw += " (locked)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", accounts.Account(e.Name, e.Host), pw, strings.Join(e.Grants, "; "))
		}
		return tw.Flush()
	}
	return nil
}

// readPassword asks for a password twice on a terminal, or reads the first
// line of stdin otherwise (scripts: echo "$PW" | logq user add ...).
func readPassword(stdin io.Reader, stdout io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stdout, "password: ")
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdout)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stdout, "again: ")
		second, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdout)
		if err != nil {
			return "", err
		}
		if string(first) != string(second) {
			return "", errors.New("the passwords differ")
		}
		return string(first), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", fmt.Errorf("reading the password from stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// parseInterspersed parses flags placed before or after positional
// arguments (logq user add alice --role read).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}
