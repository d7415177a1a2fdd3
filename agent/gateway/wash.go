package gateway

import (
	"path/filepath"

	"sitegate/agent/control"
	"sitegate/agent/washbay"
	"sitegate/drivers/modbus"
	config "sitegate/firmware-config"
)

// newWashBay builds lane lc's wash bay, where its config names one (nil otherwise).
func newWashBay(g *Gateway, lc config.Lane) *washbay.Bay {
	w := lc.Wash
	if w.Source != config.WashFromModbus {
		return nil
	}
	table, _ := modbus.ParseTable(w.Modbus.Table) // validated
	in := washbay.ModbusInput{
		Client:    &modbus.Client{Addr: w.Modbus.Address, Unit: byte(w.Modbus.Unit), Timeout: 2 * w.Poll.D()},
		Table:     table,
		Index:     uint16(w.Modbus.Index),
		ActiveLow: w.Modbus.Active == "low",
	}
	return washbay.New(washbay.Options{Lane: lc.ID, Source: w.Source, Input: in, Poll: w.Poll.D(),
		Store: control.Store{Dir: filepath.Join(g.cfg.Store.Dir, "control")}, Logger: g.log})
}
