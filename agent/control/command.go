package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"sitegate/agent/wire"
)

// Request is a cmd/{name} message.
type Request = wire.Request

// Reply is a cmd/{name}/reply message.
type Reply = wire.Reply

// ReplySchema is the schema name of command replies.
const ReplySchema = wire.ReplySchema

var (
	idRe   = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)
	nameRe = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)
)

// ErrBadArgs is returned (wrapped) by a handler given arguments it cannot use.
var ErrBadArgs = wire.ErrBadArgs

// ParseRequest decodes a cmd/{name} payload. The id is returned even when the rest is bad, so the
// refusal can name it.
func ParseRequest(payload []byte) (Request, error) {
	if err := CheckSize("command", payload, MaxCommandBytes); err != nil {
		return Request{}, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(payload, &raw); err != nil || raw == nil {
		return Request{}, errors.New("not a JSON object")
	}
	var r Request
	if v, ok := raw["id"]; !ok || json.Unmarshal(v, &r.ID) != nil || !idRe.MatchString(r.ID) {
		r.ID = ""
		return r, errors.New("id must be 1-128 characters of A-Z a-z 0-9 . _ : -")
	}
	for k, v := range raw {
		switch k {
		case "id", SigField:
		case "args":
			if string(v) != "null" {
				if err := json.Unmarshal(v, &r.Args); err != nil || r.Args == nil {
					return r, fmt.Errorf("%w: args must be an object", ErrBadArgs)
				}
			}
		case ExpiresField:
			if json.Unmarshal(v, &r.ExpiresAt) != nil {
				return r, fmt.Errorf("%s must be an RFC 3339 time", ExpiresField)
			}
			if _, err := time.Parse(time.RFC3339, r.ExpiresAt); err != nil {
				return r, fmt.Errorf("%s must be an RFC 3339 time", ExpiresField)
			}
		default:
			return r, fmt.Errorf("unknown key %q", k)
		}
	}
	return r, nil
}

// Handler runs one command and returns its result.
type Handler func(ctx context.Context, r Request) (any, error)

// Commands dispatches cmd/{name} requests to handlers on a worker of its own, so the MQTT
// client is never held, and hands each reply to Reply.
type Commands struct {
	// Verify checks a request's signature for its topic and returns its expiry (see Trust).
	Verify func(topic string, payload []byte) (time.Time, error)
	// Reply publishes a reply for command name.
	Reply func(name string, payload []byte)
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Timeout bounds one handler (default 30s).
	Timeout time.Duration
	Logger  *slog.Logger
	// Replay remembers the signed requests run (nil: DefaultReplayMax in memory). The gateway
	// gives one kept in its control store, so a restart does not forget them.
	Replay *Replay

	mu       sync.Mutex
	handlers map[string]Handler
	queue    chan job
	replay   *Replay
}

type job struct {
	name, topic string
	payload     []byte
}

// Handle registers h for command name.
func (c *Commands) Handle(name string, h Handler) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.handlers == nil {
		c.handlers = map[string]Handler{}
	}
	c.handlers[name] = h
}

// Names lists the registered commands.
func (c *Commands) Names() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for n := range c.handlers {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (c *Commands) init() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.queue == nil {
		c.queue = make(chan job, 32)
		c.replay = c.Replay
		if c.replay == nil {
			c.replay = NewReplay(DefaultReplayMax)
		}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Deliver queues a request received on topic for command name; it never blocks. A full queue
// is answered busy at once.
func (c *Commands) Deliver(name, topic string, payload []byte) {
	c.init()
	select {
	case c.queue <- job{name: name, topic: topic, payload: payload}:
	default:
		r, _ := ParseRequest(payload)
		c.reply(name, r.ID, nil, errors.New("busy: too many commands waiting"))
	}
}

// Run executes queued requests one at a time until ctx is done.
func (c *Commands) Run(ctx context.Context) {
	c.init()
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-c.queue:
			c.execute(ctx, j)
		}
	}
}

// Execute runs one request now and returns its reply (for tests and the queue).
func (c *Commands) Execute(ctx context.Context, name, topic string, payload []byte) Reply {
	c.init()
	r, result, err := c.run(ctx, name, topic, payload)
	return c.build(name, r.ID, result, err)
}

func (c *Commands) execute(ctx context.Context, j job) {
	r, result, err := c.run(ctx, j.name, j.topic, j.payload)
	c.reply(j.name, r.ID, result, err)
}

func (c *Commands) run(ctx context.Context, name, topic string, payload []byte) (Request, any, error) {
	r, err := ParseRequest(payload)
	if err != nil {
		return r, nil, err
	}
	now := c.Now()
	if r.Expired(now) {
		return r, nil, fmt.Errorf("%w at %s", ErrExpired, r.ExpiresAt)
	}
	if c.Verify != nil {
		exp, err := c.Verify(topic, payload)
		if err != nil {
			return r, nil, fmt.Errorf("refused: %w", err)
		}
		if !exp.IsZero() {
			if err := c.replay.Check(name+"/"+r.ID, exp, now); err != nil {
				return r, nil, fmt.Errorf("refused: %w", err)
			}
		}
	}
	c.mu.Lock()
	h, ok := c.handlers[name]
	c.mu.Unlock()
	if !ok || !nameRe.MatchString(name) {
		return r, nil, fmt.Errorf("unknown command %q (known: %s)", name, strings.Join(c.Names(), ", "))
	}
	hctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	res, err := h(hctx, r)
	return r, res, err
}

func (c *Commands) build(name, id string, result any, err error) Reply {
	rep := Reply{Schema: ReplySchema, ID: id, Cmd: name, OK: err == nil}
	if err != nil {
		rep.Error = err.Error()
	} else {
		rep.Result = result
	}
	return rep
}

func (c *Commands) reply(name, id string, result any, err error) {
	rep := c.build(name, id, result, err)
	b, merr := json.Marshal(rep)
	if merr != nil {
		b, _ = json.Marshal(c.build(name, id, nil, fmt.Errorf("result not encodable: %w", merr)))
	}
	if err != nil {
		c.Logger.Warn("command refused", "cmd", name, "id", id, "err", err)
	}
	if c.Reply != nil {
		c.Reply(name, b)
	}
}
