package overload

import (
	"testing"

	"sitegate/models"
)

func TestAxleTable(t *testing.T) {
	want := map[int]float64{2: 18000, 3: 25000, 4: 31000, 5: 43000, 6: 49000, 7: 49000, 12: 49000}
	for axles, kg := range want {
		got, ok := AxleLimitKg(axles)
		if !ok || got != kg {
			t.Errorf("AxleLimitKg(%d) = %v, %v; want %v", axles, got, ok, kg)
		}
	}
	for _, axles := range []int{-1, 0, 1} {
		if _, ok := AxleLimitKg(axles); ok {
			t.Errorf("AxleLimitKg(%d) has a limit", axles)
		}
	}
}

func TestCheck(t *testing.T) {
	reg := func(axles int, maxGross float64) Vehicle {
		return Vehicle{Registered: true, Axles: axles, MaxGrossKg: maxGross}
	}
	cases := []struct {
		name    string
		gross   float64
		stable  bool
		v       Vehicle
		tol     float64
		verdict models.Verdict
		limit   float64
		over    float64
		pct     float64
		basis   string
	}{
		{"2 axles ok", 17000, true, reg(2, 0), 0, models.OK, 18000, 0, 0, BasisAxleTable},
		{"2 axles over", 18500, true, reg(2, 0), 0, models.Alarm, 18000, 500, 2.8, BasisAxleTable},
		{"3 axles at the limit is ok", 25000, true, reg(3, 31000), 0, models.OK, 25000, 0, 0, BasisAxleTable},
		{"3 axles over, registry above table", 31200, true, reg(3, 30000), 0, models.Alarm, 25000, 6200, 24.8, BasisAxleTable},
		{"4 axles over", 32000, true, reg(4, 0), 0, models.Alarm, 31000, 1000, 3.2, BasisAxleTable},
		{"5 axles ok", 42990, true, reg(5, 0), 0, models.OK, 43000, 0, 0, BasisAxleTable},
		{"6 axles over", 49020, true, reg(6, 0), 0, models.Alarm, 49000, 20, 0, BasisAxleTable},
		{"8 axles use the 6+ limit", 48000, true, reg(8, 0), 0, models.OK, 49000, 0, 0, BasisAxleTable},
		{"registry lower than table", 23000, true, reg(3, 22000), 0, models.Alarm, 22000, 1000, 4.5, BasisRegistry},
		{"registry equal to table uses table", 24000, true, reg(3, 25000), 0, models.OK, 25000, 0, 0, BasisAxleTable},
		{"registry without axles", 16000, true, reg(0, 15000), 0, models.Alarm, 15000, 1000, 6.7, BasisRegistry},
		{"within tolerance is ok", 25400, true, reg(3, 0), 500, models.OK, 25000, 400, 1.6, BasisAxleTable},
		{"beyond tolerance", 25600, true, reg(3, 0), 500, models.Alarm, 25000, 600, 2.4, BasisAxleTable},
		{"unregistered light truck is unknown", 20000, true, Vehicle{}, 0, models.Unknown, 0, 0, 0, ""},
		{"unregistered over legal max", 52000, true, Vehicle{}, 0, models.Alarm, 49000, 3000, 6.1, BasisLegalMax},
		{"no stable weight is unknown", 60000, false, reg(3, 0), 0, models.Unknown, 0, 0, 0, ""},
		{"registry entry with nothing known", 20000, true, reg(0, 0), 0, models.Unknown, 0, 0, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Check(c.gross, c.stable, c.v, c.tol)
			if r.Verdict != c.verdict || r.LimitKg != c.limit || r.Basis != c.basis {
				t.Fatalf("got %s limit %v basis %q; want %s limit %v basis %q", r.Verdict, r.LimitKg, r.Basis, c.verdict, c.limit, c.basis)
			}
			if c.verdict == models.Unknown {
				if r.OverKg != nil || r.Reason == "" {
					t.Fatalf("unknown must carry a reason and no figures: %+v", r)
				}
				return
			}
			if *r.OverKg != c.over || *r.OverPct != c.pct {
				t.Fatalf("over %v kg %v%%, want %v kg %v%%", *r.OverKg, *r.OverPct, c.over, c.pct)
			}
		})
	}
}
