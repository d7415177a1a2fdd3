package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"sitegate/agent/console"
)

func init() {
	register(command{
		name: "console",
		usage: `  console adduser --users-file FILE --role viewer|technician NAME
                             add (or replace) a login of the technician's console; the
                             password is read from the terminal (twice) or from stdin
`,
		run: runConsole,
	})
}

// consoleStdin is where adduser reads the password: the terminal, or a line of stdin.
var consoleStdin = func() io.Reader { return os.Stdin }

func runConsole(_ context.Context, args []string, stdout, stderr io.Writer) int {
	const use = "usage: sitegate console adduser --users-file FILE --role viewer|technician NAME"
	if len(args) == 0 || args[0] != "adduser" {
		fmt.Fprintln(stderr, use)
		return ExitUsage
	}
	fs := newFlags("console adduser", stderr)
	file := fs.String("users-file", "", "the users file (console.users_file)")
	role := fs.String("role", "", "viewer or technician")
	if err := fs.Parse(args[1:]); err != nil {
		return ExitUsage
	}
	if *file == "" || *role == "" || fs.NArg() != 1 {
		fmt.Fprintln(stderr, use)
		return ExitUsage
	}
	name := fs.Arg(0)
	pw, err := readNewPassword(stderr)
	if err != nil {
		fmt.Fprintln(stderr, "sitegate console adduser:", err)
		return ExitUsage
	}
	if err := console.AddUser(*file, name, *role, pw); err != nil {
		fmt.Fprintln(stderr, "sitegate console adduser:", err)
		return ExitUsage
	}
	fmt.Fprintf(stdout, "user %s (%s) saved in %s\n", name, *role, *file)
	return ExitOK
}

// readNewPassword reads the password twice from the terminal without echo, or one line from
// stdin when that is not a terminal.
func readNewPassword(stderr io.Writer) (string, error) {
	in := consoleStdin()
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stderr, "again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the two passwords differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(io.LimitReader(in, 1024)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on stdin")
	}
	return line, nil
}
