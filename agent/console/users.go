package console

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// Roles a console user has.
const (
	// Viewer sees everything and changes nothing.
	Viewer = "viewer"
	// Technician may also change the cameras' regions.
	Technician = "technician"
)

// BcryptCost is the work factor of the stored password hashes: slow for a guesser, paid once
// a login by a technician (BenchmarkPasswordCheck measures it).
const BcryptCost = 11

// hashCost is the cost new hashes get (tests lower it).
var hashCost = BcryptCost

// MinPasswordLen is the shortest password adduser takes.
const MinPasswordLen = 10

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,31}$`)

// User is one login of the users file.
type User struct {
	Name string
	Role string
	Hash []byte // bcrypt
}

// Users are the console's logins, by name.
type Users map[string]User

// ParseUsers reads a users file: one user a line, `NAME ROLE BCRYPT-HASH`, blank lines and
// lines starting with # ignored. Every bad line is reported with its number.
func ParseUsers(b []byte) (Users, error) {
	us := Users{}
	var errs []error
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 4096), 4096)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			errs = append(errs, fmt.Errorf("line %d: want NAME ROLE HASH, got %d fields", n, len(f)))
			continue
		}
		u := User{Name: f[0], Role: f[1], Hash: []byte(f[2])}
		if err := checkName(u.Name); err != nil {
			errs = append(errs, fmt.Errorf("line %d: %w", n, err))
			continue
		}
		if err := checkRole(u.Role); err != nil {
			errs = append(errs, fmt.Errorf("line %d: %w", n, err))
			continue
		}
		if _, err := bcrypt.Cost(u.Hash); err != nil {
			errs = append(errs, fmt.Errorf("line %d: user %s: the password hash is not bcrypt: %v", n, u.Name, err))
			continue
		}
		if _, dup := us[u.Name]; dup {
			errs = append(errs, fmt.Errorf("line %d: user %s is listed twice", n, u.Name))
			continue
		}
		us[u.Name] = u
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("line %d: %w", n+1, err))
	}
	return us, errors.Join(errs...)
}

// LoadUsers reads the users file at path.
func LoadUsers(path string) (Users, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("console.users_file: %w", err)
	}
	us, err := ParseUsers(b)
	if err != nil {
		return nil, fmt.Errorf("console.users_file %s: %w", path, err)
	}
	return us, nil
}

func checkName(name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("user name %q must be 1-32 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit", name)
	}
	return nil
}

func checkRole(role string) error {
	if role != Viewer && role != Technician {
		return fmt.Errorf("role %q is not viewer or technician", role)
	}
	return nil
}

// AddUser adds (or replaces) a user in the users file at path, creating it (mode 0600), and
// writes it atomically.
func AddUser(path, name, role, password string) error {
	if err := checkName(name); err != nil {
		return err
	}
	if err := checkRole(role); err != nil {
		return err
	}
	if len(password) < MinPasswordLen {
		return fmt.Errorf("the password is too short (at least %d characters)", MinPasswordLen)
	}
	if len(password) > 72 {
		return fmt.Errorf("the password is too long (at most 72 bytes, bcrypt's limit)")
	}
	us := Users{}
	if b, err := os.ReadFile(path); err == nil {
		if us, err = ParseUsers(b); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), hashCost)
	if err != nil {
		return err
	}
	us[name] = User{Name: name, Role: role, Hash: h}
	return writeUsers(path, us)
}

func writeUsers(path string, us Users) error {
	names := make([]string, 0, len(us))
	for n := range us {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	b.WriteString("# sitegate console users: NAME ROLE BCRYPT-HASH (sitegate console adduser)\n")
	for _, n := range names {
		fmt.Fprintf(&b, "%s %s %s\n", n, us[n].Role, us[n].Hash)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".users-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b.Bytes()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// dummyHash is compared against when the user does not exist, so that a login for an unknown
// name takes as long as one with a wrong password.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("no such user, no such password"), hashCost)
	return h
})

// Check returns the user when name and password match.
func (us Users) Check(name, password string) (User, bool) {
	u, ok := us[name]
	h := u.Hash
	if !ok {
		h = dummyHash()
	}
	if bcrypt.CompareHashAndPassword(h, []byte(password)) != nil || !ok {
		return User{}, false
	}
	return u, true
}
