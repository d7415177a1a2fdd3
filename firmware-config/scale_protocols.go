package config

import (
	"reflect"

	"gopkg.in/yaml.v3"

	"sitegate/drivers/indicator"
)

// ProtocolProfiles holds, by key, the blocks that indicator protocols declare under a lane's
// scale (indicator.Protocol.ProfileKey; ascii's is `ascii:`), each of the type the protocol
// declares (an ascii.Profile). The config knows no protocol by name: a protocol brings its
// block, its defaults and its checks with its registration, so adding one changes nothing
// here.
//
// Every registered block is decoded for every lane, over the protocol's defaults, whatever
// protocol the lane uses: a misspelt key in one is reported like any other, and a lane's
// config marshals back with every block in it. Only the lane's own protocol checks its block.
// (Not to be confused with the device profiles of indicators.yaml, IndicatorProfile.)
type ProtocolProfiles map[string]any

var protocolProfilesType = reflect.TypeOf(ProtocolProfiles(nil))

// protocolProfileDefaults returns the default of every registered protocol block, by key.
func protocolProfileDefaults() map[string]any {
	out := map[string]any{}
	for _, p := range indicator.Protocols() {
		if p.ProfileKey != "" {
			out[p.ProfileKey] = p.DefaultProfile
		}
	}
	return out
}

// inlineProfiles returns the ProtocolProfiles field of the struct v, or an invalid Value if
// it has none.
func inlineProfiles(v reflect.Value) reflect.Value {
	for i := 0; i < v.NumField(); i++ {
		if v.Type().Field(i).Type == protocolProfilesType {
			return v.Field(i)
		}
	}
	return reflect.Value{}
}

// decodeProfile decodes a protocol block n over its default def, strictly, as any other part
// of the config; a block left empty keeps the defaults.
func decodeProfile(n *yaml.Node, def any, path string, ps *problems) any {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return def
	}
	v := reflect.New(reflect.TypeOf(def)).Elem()
	v.Set(reflect.ValueOf(def))
	decodeNode(n, v, path, ps)
	return v.Interface()
}

// IndicatorOptions turns a lane's scale settings into the decoder options of its protocol
// (everything but the clock and the port's writer): the address, the poll timing, the unit
// (for a protocol whose frames carry none) and the protocol's own block, if it has one.
func (s Scale) IndicatorOptions() indicator.Options {
	o := indicator.Options{Address: s.Address, PollInterval: s.PollInterval.D(), ReplyTimeout: s.ReplyTimeout.D()}
	p, ok := indicator.Get(s.Protocol)
	if ok && !p.UnitInFrame {
		o.Unit = indicator.Unit(s.Unit)
	}
	if ok && p.ProfileKey != "" {
		o.Profile = s.ProtocolProfiles[p.ProfileKey]
		if o.Profile == nil { // a Scale built in code rather than loaded
			o.Profile = p.DefaultProfile
		}
	}
	return o
}
