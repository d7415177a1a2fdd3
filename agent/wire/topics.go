package wire

import (
	"errors"
	"strings"
)

// Prefix is the first segment of every sitegate topic, with the contract's version.
const Prefix = "sitegate/v1"

// Kinds of gateway topics: the first segment under the gateway's root (CONTRACT 6).
const (
	KindStatus          = "status"
	KindPassage         = "passage"
	KindEvidence        = "evidence"
	KindDrops           = "drops"
	KindDecision        = "decision"
	KindAmendment       = "amendment"
	KindConfig          = "config"
	KindCmd             = "cmd"
	KindRegistryReport  = "registry"  // {root}/registry/reported
	KindManifestsReport = "manifests" // {root}/manifests/reported
)

// Site-wide topics, under sitegate/v1/{site}.
const (
	SiteRegistry  = "registry"
	SiteManifests = "manifests"
)

// Gateway names one gateway's topics; its methods build them. The zero value is not useful.
type Gateway struct{ Site, Gateway string }

// Topics returns the topic builder of one gateway.
func Topics(site, gateway string) Gateway { return Gateway{Site: site, Gateway: gateway} }

// Root is sitegate/v1/{site}/{gateway}.
func (g Gateway) Root() string { return Prefix + "/" + g.Site + "/" + g.Gateway }

// All is the filter of every topic under the root.
func (g Gateway) All() string { return g.Root() + "/#" }

// Status is the retained status topic.
func (g Gateway) Status() string { return g.Root() + "/" + KindStatus }

// Passage is the passage topic.
func (g Gateway) Passage() string { return g.Root() + "/" + KindPassage }

// Evidence is the topic of one evidence file of a passage.
func (g Gateway) Evidence(passageID, name string) string {
	return g.Root() + "/" + KindEvidence + "/" + passageID + "/" + name
}

// Decision is the exit barrier's decisions (CONTRACT 8).
func (g Gateway) Decision() string { return g.Root() + "/" + KindDecision }

// Amendment is the topic of amended passages: a passage again, with a plate read after the
// truck left.
func (g Gateway) Amendment() string { return g.Root() + "/" + KindAmendment }

// Drops is the topic announcing what a bound of the store dropped.
func (g Gateway) Drops() string { return g.Root() + "/" + KindDrops }

// ConfigDesired is the retained desired-config topic (in).
func (g Gateway) ConfigDesired() string { return g.Root() + "/config/desired" }

// ConfigReported is the retained reported-config topic (out).
func (g Gateway) ConfigReported() string { return g.Root() + "/config/reported" }

// RegistryReported is the retained outcome of the latest site registry (out).
func (g Gateway) RegistryReported() string { return g.Root() + "/registry/reported" }

// CmdPrefix is what every command topic starts with; CmdPrefix()+"+" subscribes to them all.
func (g Gateway) CmdPrefix() string { return g.Root() + "/" + KindCmd + "/" }

// Cmd is the topic of command name (in).
func (g Gateway) Cmd(name string) string { return g.CmdPrefix() + name }

// CmdReply is the reply topic of command name (out).
func (g Gateway) CmdReply(name string) string { return g.CmdPrefix() + name + "/reply" }

// ManifestsReported is the retained outcome of the latest site manifests (out).
func (g Gateway) ManifestsReported() string { return g.Root() + "/manifests/reported" }

// SiteManifestsTopic is the site-wide retained manifests topic, sitegate/v1/{site}/manifests.
func SiteManifestsTopic(site string) string { return Prefix + "/" + site + "/" + SiteManifests }

// SiteRegistryTopic is the site-wide retained registry topic, sitegate/v1/{site}/registry.
func SiteRegistryTopic(site string) string { return Prefix + "/" + site + "/" + SiteRegistry }

// Topic is a parsed sitegate topic.
type Topic struct {
	Site    string
	Gateway string // "" for a site-wide topic
	// Kind is the first segment under the gateway's root (status, passage, evidence, ...), or
	// the site-wide topic's name when Gateway is "".
	Kind string
	// Rest is what follows Kind: for evidence [passage_id, name], for cmd [name] or
	// [name, "reply"], for config [desired|reported].
	Rest []string
}

// ErrNotSitegate is returned by Parse for a topic outside the layout.
var ErrNotSitegate = errors.New("not a sitegate/v1 topic")

// Parse splits a topic of the layout into its parts. A topic with two segments after the
// prefix is site-wide (sitegate/v1/{site}/registry); anything longer is a gateway's.
func Parse(topic string) (Topic, error) {
	rest, ok := strings.CutPrefix(topic, Prefix+"/")
	if !ok {
		return Topic{}, ErrNotSitegate
	}
	parts := strings.Split(rest, "/")
	for _, p := range parts {
		if p == "" {
			return Topic{}, ErrNotSitegate
		}
	}
	switch {
	case len(parts) == 2:
		return Topic{Site: parts[0], Kind: parts[1]}, nil
	case len(parts) >= 3:
		return Topic{Site: parts[0], Gateway: parts[1], Kind: parts[2], Rest: parts[3:]}, nil
	}
	return Topic{}, ErrNotSitegate
}

// Topics returns the builder of the gateway a parsed topic belongs to.
func (t Topic) Topics() Gateway { return Gateway{Site: t.Site, Gateway: t.Gateway} }
