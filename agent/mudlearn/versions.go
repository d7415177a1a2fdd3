package mudlearn

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"sitegate/models/vision/head"
)

// Model is one version of a camera's learned model (v{N}.json).
type Model struct {
	Version  int       `json:"version"`
	Camera   string    `json:"camera"`
	FittedAt time.Time `json:"fitted_at"`
	Head     head.Head `json:"head"`
	// What the fit was judged on: the reviewed frames, and the cross-validated F1 of the
	// model it replaced and of this one.
	Frames   int     `json:"frames"`
	F1Before float64 `json:"f1_before"`
	F1After  float64 `json:"f1_after"`
}

// current is current.json: the versions adopted, in order; the last is in force, 0 the
// shipped model.
type current struct {
	History []int `json:"history"`
}

// Versions is a camera's model folder.
type Versions struct {
	dir    string
	camera string
}

// Open returns the model folder of camera under dir ({store.dir}/models/mud).
func Open(dir, camera string) Versions {
	return Versions{dir: filepath.Join(dir, camera), camera: camera}
}

// Name is a model's version as a passage's check and the status name it: "{scorer}/shipped"
// for version 0, else "{scorer}/{camera}-v{N}".
func Name(scorer, camera string, version int) string {
	if version == 0 {
		return scorer + "/shipped"
	}
	return scorer + "/" + camera + "-v" + strconv.Itoa(version)
}

func (v Versions) readCurrent() (current, error) {
	b, err := os.ReadFile(filepath.Join(v.dir, "current.json"))
	if os.IsNotExist(err) {
		return current{History: []int{0}}, nil
	}
	if err != nil {
		return current{}, err
	}
	var c current
	if err := json.Unmarshal(b, &c); err != nil || len(c.History) == 0 {
		return current{}, fmt.Errorf("mudlearn %s: current.json is not a version history", v.dir)
	}
	return c, nil
}

func (v Versions) writeCurrent(c current) error {
	b, _ := json.Marshal(c)
	return writeAtomic(filepath.Join(v.dir, "current.json"), b)
}

func writeAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o640); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Current is the model in force: nil and version 0 for the shipped one.
func (v Versions) Current() (*Model, error) {
	c, err := v.readCurrent()
	if err != nil {
		return nil, err
	}
	n := c.History[len(c.History)-1]
	if n == 0 {
		return nil, nil
	}
	return v.load(n)
}

// Stamp is what changes when another version comes into force: the modification time and size
// of current.json (zero when there is none), for a reader to notice cheaply.
func (v Versions) Stamp() (time.Time, int64) {
	info, err := os.Stat(filepath.Join(v.dir, "current.json"))
	if err != nil {
		return time.Time{}, 0
	}
	return info.ModTime(), info.Size()
}

func (v Versions) load(n int) (*Model, error) {
	b, err := os.ReadFile(filepath.Join(v.dir, "v"+strconv.Itoa(n)+".json"))
	if err != nil {
		return nil, fmt.Errorf("mudlearn: version %d: %w", n, err)
	}
	var m Model
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("mudlearn: version %d: %w", n, err)
	}
	if err := m.Head.Check(); err != nil {
		return nil, fmt.Errorf("mudlearn: version %d: %w", n, err)
	}
	return &m, nil
}

// Adopt writes m as the next version and puts it in force.
func (v Versions) Adopt(m Model) (Model, error) {
	c, err := v.readCurrent()
	if err != nil {
		return Model{}, err
	}
	last := 0
	for _, n := range c.History {
		last = max(last, n)
	}
	entries, _ := os.ReadDir(v.dir)
	for _, e := range entries {
		var n int
		if _, err := fmt.Sscanf(e.Name(), "v%d.json", &n); err == nil {
			last = max(last, n)
		}
	}
	m.Version, m.Camera = last+1, v.camera
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := writeAtomic(filepath.Join(v.dir, "v"+strconv.Itoa(m.Version)+".json"), b); err != nil {
		return Model{}, err
	}
	c.History = append(c.History, m.Version)
	return m, v.writeCurrent(c)
}

// ErrNothingToRollBack is returned by Rollback when the shipped model is in force.
var ErrNothingToRollBack = errors.New("the shipped model is in force: nothing to roll back")

// Rollback puts the version in force before the current one back, and returns its number.
func (v Versions) Rollback() (int, error) {
	c, err := v.readCurrent()
	if err != nil {
		return 0, err
	}
	if len(c.History) < 2 {
		return 0, ErrNothingToRollBack
	}
	c.History = c.History[:len(c.History)-1]
	return c.History[len(c.History)-1], v.writeCurrent(c)
}
