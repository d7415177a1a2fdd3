package lane

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"sitegate/drivers/plate"
)

// BenchmarkPlateTaken measures how long a plate server's request waits in Lane.Plate for a read
// to be taken: with the journal (written and synced to this machine's disk before the answer)
// and without it (memory only, as before), side by side. Reports the median and p99 latency;
// the lane's loop is stood in for by a goroutine that drains the queue and removes the entry.
func BenchmarkPlateTaken(b *testing.B) {
	img := make([]byte, 50<<10)
	for _, journalled := range []bool{false, true} {
		name := "memory"
		if journalled {
			name = "journal"
		}
		b.Run(name, func(b *testing.B) {
			o := Options{ID: "exit-1", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
			if journalled {
				o.PlateJournal = b.TempDir()
			}
			l := New(o)
			stop := make(chan struct{})
			go func() {
				for {
					select {
					case in := <-l.plates:
						l.forget(in.ref)
					case <-stop:
						return
					}
				}
			}()
			defer close(stop)
			lat := make([]time.Duration, 0, b.N)
			for i := 0; b.Loop(); i++ {
				t0 := time.Now()
				if err := l.Plate(plate.Read{Lane: "exit-1", Plate: fmt.Sprintf("浙F%05d", i%100000), Confidence: 0.9, ImageJPEG: img}); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "median-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-µs")
		})
	}
}
