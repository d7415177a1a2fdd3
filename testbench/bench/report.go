package bench

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html/template"
	"math"
	"os"
	"sort"
	"strings"
	"time"
)

// Report is the results of one bench run, for every output format.
type Report struct {
	Title    string    `json:"title"`
	Started  time.Time `json:"started"`
	Wall     Duration  `json:"wall"`
	Results  []*Result `json:"results"`
	Passed   bool      `json:"passed"`
	Failures int       `json:"failures"`
	Tests    int       `json:"tests"`
}

// NewReport sums the results up.
func NewReport(title string, started time.Time, results []*Result) *Report {
	r := &Report{Title: title, Started: started, Wall: Duration(time.Since(started)), Results: results, Passed: true}
	for _, res := range results {
		r.Tests += max(1, len(res.Checks))
		for _, c := range res.Checks {
			if !c.OK {
				r.Failures++
				r.Passed = false
			}
		}
	}
	return r
}

// WriteJSON writes the report as JSON.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	Output    string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// WriteJUnit writes one test suite per scenario and one test case per expectation.
func (r *Report) WriteJUnit(path string) error {
	out := junitSuites{Tests: r.Tests, Failures: r.Failures, Time: secs(r.Wall.D())}
	for _, res := range r.Results {
		s := junitSuite{Name: res.Scenario, Time: secs(res.Wall.D())}
		if res.Skipped != "" {
			s.Tests, s.Skipped = 1, 1
			s.Cases = append(s.Cases, junitCase{Name: "scenario", Classname: "bench." + res.Scenario, Time: "0", Skipped: &junitSkipped{Message: res.Skipped}})
		}
		prev := res.Started
		for _, c := range res.Checks {
			tc := junitCase{Name: c.Name, Classname: "bench." + res.Scenario, Time: secs(max(0, c.At.Sub(prev))), Output: c.Detail}
			prev = c.At
			s.Tests++
			if !c.OK {
				s.Failures++
				var log strings.Builder
				for _, l := range c.Log {
					fmt.Fprintf(&log, "%s %s\n", l.At.Format("15:04:05.000"), l.Text)
				}
				tc.Failure = &junitFailure{Message: c.Detail, Text: c.Detail + "\n\nthe agent's log around the failure:\n" + log.String()}
			}
			s.Cases = append(s.Cases, tc)
		}
		out.Suites = append(out.Suites, s)
	}
	b, err := xml.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(xml.Header), append(b, '\n')...), 0o644)
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// WriteHTML writes a self-contained page: no script, no fetch, pictures as data: URIs.
func (r *Report) WriteHTML(path string) error {
	var b bytes.Buffer
	if err := htmlPage.Execute(&b, r); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

var stateColours = map[string]string{"empty": "#ffffff", "occupied": "#fde68a", "captured": "#bbf7d0", "leaving": "#bfdbfe"}

// SVG draws a lane's weight trace over its deck states.
func (t Trace) SVG() template.HTML {
	const w, h, pad = 860.0, 220.0, 40.0
	if len(t.Samples) < 2 {
		return template.HTML("<p>no weight trace</p>")
	}
	t0 := t.Samples[0].At
	span := t.Samples[len(t.Samples)-1].At.Sub(t0).Seconds()
	top := 1000.0
	for _, s := range t.Samples {
		top = math.Max(top, s.Kg)
	}
	top *= 1.1
	x := func(sec float64) float64 { return pad + (w-2*pad)*sec/math.Max(span, 0.001) }
	y := func(kg float64) float64 { return h - pad - (h-2*pad)*math.Max(kg, 0)/top }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" role="img" aria-label="weight of lane %s">`, w, h, w, h, template.HTMLEscapeString(t.Lane))
	for _, st := range t.States {
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.0f" width="%.1f" height="%.0f" fill="%s"><title>%s %.1f–%.1f s</title></rect>`,
			x(st.FromS), pad, math.Max(x(st.ToS)-x(st.FromS), 0.5), h-2*pad, stateColours[st.State], st.State, st.FromS, st.ToS)
	}
	var pts strings.Builder
	for _, s := range t.Samples {
		if s.Kg < 0 {
			continue
		}
		fmt.Fprintf(&pts, "%.1f,%.1f ", x(s.At.Sub(t0).Seconds()), y(s.Kg))
	}
	fmt.Fprintf(&b, `<polyline fill="none" stroke="#1d4ed8" stroke-width="1.5" points="%s"/>`, pts.String())
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#333"/>`, pad, h-pad, w-pad, h-pad)
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#333"/>`, pad, pad, pad, h-pad)
	for i := 0; i <= 4; i++ {
		kg := top * float64(i) / 4
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" font-size="10" text-anchor="end">%.0f</text>`, pad-4, y(kg)+3, kg)
	}
	for i := 0; i <= 5; i++ {
		sec := span * float64(i) / 5
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" font-size="10" text-anchor="middle">%.0f s</text>`, x(sec), h-pad+14, sec)
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="14" font-size="11">kg, lane %s: empty (white), occupied (yellow), captured (green), leaving (blue)</text></svg>`, pad, template.HTMLEscapeString(t.Lane))
	return template.HTML(b.String())
}

// Thumbs are a passage's evidence as data: URIs, by name.
func (s Seen) Thumbs() []thumb {
	var out []thumb
	for name, b := range s.Evidence {
		out = append(out, thumb{Name: name, URI: template.URL("data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(b))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

type thumb struct {
	Name string
	URI  template.URL
}

// Summary is the passage in one line.
func (s Seen) Summary() string { return describe(s.Passage) }

// Offset is how far into the run t is.
func (r *Result) Offset(t time.Time) string { return fmt.Sprintf("%.1f s", t.Sub(r.Started).Seconds()) }

// Failed lists the checks that failed.
func (r *Result) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c)
		}
	}
	return out
}

var htmlPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"clock": func(t time.Time) string { return t.Format("15:04:05.000") },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#111}
h2{margin-top:32px;border-top:1px solid #ccc;padding-top:12px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
.ok{color:#166534;font-weight:bold}.bad{color:#b91c1c;font-weight:bold}.skip{color:#92400e}
pre{background:#f6f6f6;padding:8px;max-height:360px;overflow:auto;font-size:12px}
img.thumb{height:96px;margin:2px;border:1px solid #ccc}
</style></head><body>
<h1>{{.Title}}</h1>
<p>Started {{.Started.Format "2006-01-02 15:04:05 MST"}}, wall time {{.Wall.Round}}.
{{if .Passed}}<span class="ok">Every check passed</span>{{else}}<span class="bad">{{.Failures}} of {{.Tests}} checks failed</span>{{end}}.</p>
<table><tr><th>scenario</th><th>result</th><th>checks</th><th>wall</th></tr>
{{range .Results}}<tr><td><a href="#{{.Scenario}}">{{.Scenario}}</a></td>
<td>{{if .Skipped}}<span class="skip">skipped</span>{{else if .Passed}}<span class="ok">passed</span>{{else}}<span class="bad">FAILED</span>{{end}}</td>
<td>{{len .Checks}}</td><td>{{.Wall.Round}}</td></tr>{{end}}</table>
{{range .Results}}{{$r := .}}
<h2 id="{{.Scenario}}">{{.Scenario}} {{if .Skipped}}<span class="skip">skipped</span>{{else if .Passed}}<span class="ok">passed</span>{{else}}<span class="bad">FAILED</span>{{end}}</h2>
<p>{{.Description}}</p><p><code>{{.File}}</code>{{if .Skipped}}: {{.Skipped}}{{end}}</p>
{{if not .Skipped}}
<h3>Checks</h3>
<table><tr><th></th><th>check</th><th>at</th><th>detail</th></tr>
{{range .Checks}}<tr><td>{{if .OK}}<span class="ok">pass</span>{{else}}<span class="bad">FAIL</span>{{end}}</td><td>{{.Name}}</td><td>{{$r.Offset .At}}</td><td>{{.Detail}}</td></tr>{{end}}</table>
{{range .Previews}}<h3>{{.Name}}: regions on a live frame</h3><img alt="{{.Name}}" style="max-width:860px" src="{{.URI}}"><p><code>{{.File}}</code></p>{{end}}
{{range .Traces}}<h3>Weight, lane {{.Lane}}</h3>{{.SVG}}{{end}}
<h3>Timeline</h3>
<table><tr><th>at</th><th>step</th></tr>{{range .Events}}<tr><td>{{$r.Offset .At}}</td><td>{{.What}}</td></tr>{{end}}</table>
<h3>Passages received</h3>
<table><tr><th>arrived</th><th>passage</th><th>latency</th><th>deliveries</th><th>evidence</th></tr>
{{range .Passages}}<tr><td>{{$r.Offset .Arrived}}</td><td>{{.Summary}}</td><td>{{printf "%.0f" .LatencyMs}} ms</td><td>{{.Deliveries}}</td>
<td>{{range .Thumbs}}<img class="thumb" alt="{{.Name}}" title="{{.Name}}" src="{{.URI}}">{{end}}</td></tr>{{end}}</table>
{{if .Decisions}}<h3>Decisions</h3><table>{{range .Decisions}}<tr><td>{{if .Plate}}{{.Plate.Text}}{{end}}</td><td>{{.Action}}</td><td>{{.Reasons}}</td></tr>{{end}}</table>{{end}}
{{if .Drops}}<h3>Drops announced</h3><table>{{range .Drops}}<tr><td>{{.Reason}}</td><td>{{.Passages}} passages, {{.Evidence}} evidence</td><td>{{.SeqRanges}}</td></tr>{{end}}</table>{{end}}
{{range .Failed}}<h3 class="bad">The agent's log around “{{.Name}}”</h3><pre>{{range .Log}}{{clock .At}} {{.Text}}
{{end}}</pre>{{end}}
{{end}}{{end}}
</body></html>
`))
