package trips

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLedgerDamagedFileIsSetAside(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, LedgerFile), []byte("{torn"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := OpenLedger(dir)
	if err == nil || l == nil || l.Len() != 0 {
		t.Fatalf("damaged ledger: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, LedgerFile+".bad")); err != nil {
		t.Errorf("the damaged file was not kept aside: %v", err)
	}
	if err := l.Record("M-1", "v", time.Now()); err != nil {
		t.Fatal(err)
	}
	if l2, err := OpenLedger(dir); err != nil || l2.Len() != 1 {
		t.Errorf("ledger after a use: %v", err)
	}
}

func TestLedgerForgetsOldUses(t *testing.T) {
	l, _ := OpenLedger(t.TempDir())
	t0 := time.Now()
	l.Record("old", "v1", t0.Add(-LedgerKeep-time.Hour))
	l.Record("new", "v2", t0)
	if _, ok := l.Used("old"); ok {
		t.Errorf("a use older than LedgerKeep is remembered")
	}
	if u, ok := l.Used("new"); !ok || u.Visit != "v2" {
		t.Errorf("the recent use is forgotten")
	}
}
