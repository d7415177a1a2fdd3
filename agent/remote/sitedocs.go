package remote

import (
	"sitegate/agent/control"
	"sitegate/agent/wire"
	"sitegate/models/manifest"
	"sitegate/models/registry"
)

// siteDoc is a site-wide, retained, versioned document a gateway keeps and works offline with:
// the vehicle registry, the e-manifests.
type siteDoc struct {
	name     string // in logs and errors
	topic    string // sitegate/v1/{site}/{name}, retained
	reported string // {root}/{name}/reported
	schema   string // of the report
	file     string // the copy in the control store
	max      int
	in       chan []byte // latest wins
	// parse validates a document and returns its version and how to put it in use.
	parse func(b []byte) (version int64, take func(), err error)
	// held is the version in use; ok is false when none is, or the last load failed (then
	// any valid version is taken).
	held  func() (version int64, ok bool)
	taken func() // after a newer one is taken
}

// siteDocs are the documents this plane keeps: the registry first (OnRegistry), then the
// manifests when the gateway judges them.
func (p *Plane) siteDocs() []*siteDoc {
	site := p.o.Local.Site
	reg := p.o.Registry
	docs := []*siteDoc{{
		name: "registry", topic: wire.SiteRegistryTopic(site), reported: p.t.RegistryReported(),
		schema: wire.RegistryReportedSchema, file: control.RegistryFile, max: control.MaxRegistryBytes,
		in: make(chan []byte, 1), taken: p.o.OnRegistry,
		parse: func(b []byte) (int64, func(), error) {
			r, err := registry.Parse(b)
			if err != nil {
				return 0, nil, err
			}
			return r.Version, func() { reg.Set(r) }, nil
		},
		held: func() (int64, bool) {
			if r := reg.Load(); r != nil {
				return r.Version, reg.Err() == ""
			}
			return 0, false
		},
	}}
	if m := p.o.Manifests; m != nil {
		docs = append(docs, &siteDoc{
			name: "manifests", topic: wire.SiteManifestsTopic(site), reported: p.t.ManifestsReported(),
			schema: wire.ManifestsReportedSchema, file: control.ManifestsFile, max: control.MaxManifestsBytes,
			in: make(chan []byte, 1), taken: p.o.OnManifests,
			parse: func(b []byte) (int64, func(), error) {
				s, err := manifest.Parse(b)
				if err != nil {
					return 0, nil, err
				}
				return s.Version, func() { m.Set(s) }, nil
			},
			held: func() (int64, bool) {
				if s := m.Load(); s != nil {
					return s.Version, m.Err() == ""
				}
				return 0, false
			},
		})
	}
	return docs
}
