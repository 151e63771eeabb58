package registry

import (
	"context"
	"fmt"
	"hash/maphash"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anthdm/hollywood/actor"
	"github.com/anthdm/hollywood/cluster"
	"github.com/anthdm/hollywood/remote"

	"github.com/gamend-go/gamend/actors/registry/stackpool"
	"github.com/gamend-go/gamend/persistence/writebehind"
)

// Config configures a Registry.
type Config struct {
	// NodeID names this member (default: random).
	NodeID string
	// ListenAddr is where remoting listens; port 0 picks a free port.
	// Default "127.0.0.1:0".
	ListenAddr string
	// AdvertiseAddr is the address other members dial (default: the
	// resolved listen address).
	AdvertiseAddr string
	// Seeds are addresses of other members to join.
	Seeds []string
	// Standalone runs this node without remoting: it never joins a
	// cluster, so it listens on no port, and the engine has no remote (whose
	// router inbox alone is 24 MB of pointers every collection scans).
	// AdvertiseAddr, Seeds and Discovery must be empty; ListenAddr is not
	// used.
	Standalone bool
	// Discovery, when set, announces this member and finds the others
	// (the PostgreSQL cluster_nodes table in production).
	Discovery Discovery
	// IdleTimeout passivates idle entities (default 5 min).
	IdleTimeout time.Duration
	// RequestTimeout bounds requests without a context deadline, and
	// entity activation (default 5 s).
	RequestTimeout time.Duration
	// HeartbeatInterval is the membership heartbeat (default 1 s); a member
	// silent for 4 intervals is dropped.
	HeartbeatInterval time.Duration
	// RestartDelay is the pause before a panicked entity restarts.
	RestartDelay time.Duration
	// Store is the write-behind queue entities commit through.
	Store  *writebehind.Queue
	Logger *slog.Logger
}

// Registry maps kind+id to entity actors across the cluster.
type Registry struct {
	cfg     Config
	log     *slog.Logger
	engine  *actor.Engine
	remote  *remote.Remote
	cluster *cluster.Cluster
	store   *writebehind.Queue
	self    Member

	kinds   map[string]*Kind
	shards  [64]tableShard
	seed    maphash.Seed
	gen     atomic.Uint64
	members atomic.Pointer[[]Member]

	nodeHandlers map[string]NodeHandler
	// barriers holds keys whose next activation must first wait for the
	// write-behind queue to drain the key (after a panic).
	barriers sync.Map

	replySeq  atomic.Uint64
	routerPID *actor.PID
	eventsPID *actor.PID
	stopOnce  sync.Once
	stopped   atomic.Bool
	sweepStop chan struct{}
	sweepDone chan struct{}
	// stacks runs entity handlers on workers that keep their grown stacks
	// (hollywood starts a fresh goroutine per mailbox burst).
	stacks *stackpool.Pool
}

type tableShard struct {
	mu sync.RWMutex
	m  map[string]*entry
}

const (
	routerKind     = "gamend-router"
	membershipKind = "gamend-membership"
	membershipID   = "node"
	replyKind      = "gamend-reply"
)

// maxIdleHandlers is how many handler workers (see stackpool) wait between
// bursts: more than the handlers that run at once under steady load, few
// enough that their stacks do not matter.
const maxIdleHandlers = 64

// New builds a registry. Register kinds, then Start.
func New(cfg Config) *Registry {
	if cfg.NodeID == "" {
		cfg.NodeID = strconv.FormatUint(rand64(), 36)
	}
	if cfg.ListenAddr == "" {
		cfg.ListenAddr = "127.0.0.1:0"
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 5 * time.Minute
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 5 * time.Second
	}
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = time.Second
	}
	if cfg.RestartDelay <= 0 {
		cfg.RestartDelay = 20 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	r := &Registry{cfg: cfg, log: cfg.Logger, store: cfg.Store, kinds: map[string]*Kind{}, seed: maphash.MakeSeed(),
		stacks: stackpool.New(maxIdleHandlers)}
	for i := range r.shards {
		r.shards[i].m = map[string]*entry{}
	}
	return r
}

// Register adds an entity kind hosted on this node. Call before Start.
func (r *Registry) Register(k Kind) {
	if k.Name == "" || k.New == nil {
		panic("registry: kind needs a Name and New")
	}
	kk := k
	r.kinds[k.Name] = &kk
}

// Start starts remoting (unless Standalone), the cluster membership and
// the idle sweeper.
func (r *Registry) Start() error {
	eng, err := r.startEngine()
	if err != nil {
		return err
	}
	r.engine = eng
	adv := eng.Address()
	kinds := make([]string, 0, len(r.kinds))
	for name := range r.kinds {
		kinds = append(kinds, name)
	}
	r.self = Member{ID: r.cfg.NodeID, Address: adv, Kinds: kinds}
	r.setMembers([]Member{r.self})

	r.eventsPID = eng.SpawnFunc(r.onEvent, "gamend-events", actor.WithID(r.cfg.NodeID))
	eng.Subscribe(r.eventsPID)
	r.routerPID = eng.SpawnFunc(r.onRouter, routerKind, actor.WithID(r.cfg.NodeID), actor.WithInboxSize(4096))

	ccfg := cluster.NewConfig().WithEngine(eng).WithID(r.cfg.NodeID).WithProvider(r.membershipProvider())
	c, err := cluster.New(ccfg)
	if err != nil {
		return err
	}
	for name, k := range r.kinds {
		c.RegisterKind(name, r.clusterProducer(k), cluster.NewKindConfig())
	}
	c.Start()
	r.cluster = c

	r.sweepStop, r.sweepDone = make(chan struct{}), make(chan struct{})
	go r.sweeper()
	r.log.Info("actor registry started", "node", r.cfg.NodeID, "address", adv, "kinds", kinds)
	return nil
}

func (r *Registry) startEngine() (*actor.Engine, error) {
	if r.cfg.Standalone {
		if len(r.cfg.Seeds) > 0 || r.cfg.Discovery != nil || r.cfg.AdvertiseAddr != "" {
			return nil, fmt.Errorf("registry: a standalone node has no seeds, discovery or advertised address")
		}
		return actor.NewEngine(actor.NewEngineConfig())
	}
	listen, err := resolveListen(r.cfg.ListenAddr)
	if err != nil {
		return nil, err
	}
	adv := r.cfg.AdvertiseAddr
	if adv == "" {
		adv = listen
	}
	r.remote = remote.New(listen, remote.NewConfig())
	eng, err := actor.NewEngine(actor.NewEngineConfig().WithRemote(advertised{Remote: r.remote, addr: adv}))
	if err != nil {
		return nil, fmt.Errorf("registry: start remoting on %s: %w", listen, err)
	}
	return eng, nil
}

// advertised makes the engine address (used in every PID) the advertised
// address while remoting listens on the listen address.
type advertised struct {
	*remote.Remote
	addr string
}

func (a advertised) Address() string { return a.addr }

func resolveListen(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("registry: listen address %q: %w", addr, err)
	}
	if port != "0" {
		return addr, nil
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", fmt.Errorf("registry: pick a port on %s: %w", host, err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// NodeID is this member's id.
func (r *Registry) NodeID() string { return r.cfg.NodeID }

// Address is this member's advertised remoting address.
func (r *Registry) Address() string { return r.self.Address }

// Engine is the hollywood engine (for actors that are not entities, such as
// per-node broadcasters).
func (r *Registry) Engine() *actor.Engine { return r.engine }

// Cluster is the hollywood cluster this registry runs on.
func (r *Registry) Cluster() *cluster.Cluster { return r.cluster }

// Store is the write-behind queue entities commit through.
func (r *Registry) Store() *writebehind.Queue { return r.store }

// clusterProducer is what hollywood's cluster would spawn for a kind; the
// registry places entities itself, so it is only advertised, never used.
func (r *Registry) clusterProducer(k *Kind) actor.Producer {
	return func() actor.Receiver { return &host{reg: r, kind: k} }
}

func (r *Registry) idleTimeout(k *Kind) time.Duration {
	if k.IdleTimeout > 0 {
		return k.IdleTimeout
	}
	return r.cfg.IdleTimeout
}

// Request sends msg to the entity kind/id, activating it if needed, and
// waits for its reply. Without a deadline on ctx the registry's
// RequestTimeout applies.
func (r *Registry) Request(ctx context.Context, kind, id string, msg any) (any, error) {
	return r.request(ctx, &call{kind: kind, id: id, msg: msg})
}

func (r *Registry) request(ctx context.Context, c *call) (any, error) {
	kind, id, msg := c.kind, c.id, c.msg
	if r.stopped.Load() {
		return nil, ErrStopped
	}
	// Without a deadline on ctx, RequestTimeout applies through a timer
	// rather than a derived context: deriving from a long-lived context (a
	// socket's) would leave a children map allocated in it.
	var timeout <-chan time.Time
	if _, ok := ctx.Deadline(); !ok {
		t := time.NewTimer(r.cfg.RequestTimeout)
		defer t.Stop()
		timeout = t.C
	}
	type result struct {
		v   any
		err error
	}
	ch := make(chan result, 1)
	c.reply = func(v any, err error) {
		select {
		case ch <- result{v, err}:
		default:
		}
	}
	cleanup, err := r.route(c)
	if err != nil {
		return nil, err
	}
	if cleanup != nil {
		defer cleanup()
	}
	select {
	case res := <-ch:
		return res.v, res.err
	case <-ctx.Done():
		return nil, fmt.Errorf("registry: request %s/%s %T: %w", kind, id, msg, ctx.Err())
	case <-timeout:
		return nil, fmt.Errorf("registry: request %s/%s %T: %w", kind, id, msg, context.DeadlineExceeded)
	}
}

// Send delivers msg to the entity kind/id without waiting for it to be
// handled, activating the entity if needed.
func (r *Registry) Send(kind, id string, msg any) error {
	if r.stopped.Load() {
		return ErrStopped
	}
	_, err := r.route(&call{kind: kind, id: id, msg: msg})
	return err
}

// RequestIfActive is Request for an entity that is already active: it never
// activates one and answers ErrNotActive when kind/id is not active.
func (r *Registry) RequestIfActive(ctx context.Context, kind, id string, msg any) (any, error) {
	return r.request(ctx, &call{kind: kind, id: id, msg: msg, ifActive: true})
}

// SendIfActive delivers msg to kind/id only if it is already active on its
// owner (it never activates one); otherwise the message is dropped. Use it
// for pushes to entities that only matter while alive (an offline user).
func (r *Registry) SendIfActive(kind, id string, msg any) error {
	if r.stopped.Load() {
		return ErrStopped
	}
	_, err := r.route(&call{kind: kind, id: id, msg: msg, ifActive: true})
	return err
}

// route delivers c to the owning member. For a remote request it returns a
// cleanup that deregisters the reply process.
func (r *Registry) route(c *call) (func(), error) {
	owner, ok := r.owner(c.kind, c.id)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownKind, c.kind)
	}
	if owner.Address == r.self.Address {
		// The codec is skipped locally, but the rules are not: a message
		// or reply that could not cross nodes fails here as it would in a
		// cluster.
		if err := checkCrossable(c.msg); err != nil {
			return nil, err
		}
		if c.reply != nil && !c.checked {
			c.reply, c.checked = crossableReply(c.reply), true
		}
		return nil, r.deliverLocal(c)
	}
	return r.sendRemote(owner, c)
}

// crossableReply wraps a local request's reply so that a reply value of a
// type that could not cross nodes answers ErrUnregisteredMessage instead.
func crossableReply(reply ReplyFunc) ReplyFunc {
	return func(v any, err error) {
		if cerr := checkCrossable(v); cerr != nil {
			reply(nil, fmt.Errorf("registry: reply: %w", cerr))
			return
		}
		reply(v, err)
	}
}

func (r *Registry) shard(key string) *tableShard {
	return &r.shards[maphash.String(r.seed, key)%uint64(len(r.shards))]
}

// deliverLocal sends c to the local activation, spawning one if needed. The
// send happens under the shard lock, so a passivating entity (which removes
// itself under the write lock before stopping) has every message sent to it
// in its mailbox before it stops, and re-routes those.
func (r *Registry) deliverLocal(c *call) error {
	k, ok := r.kinds[c.kind]
	if !ok {
		return fmt.Errorf("%w: %q not hosted on node %s", ErrUnknownKind, c.kind, r.cfg.NodeID)
	}
	key := c.kind + "/" + c.id
	sh := r.shard(key)
	sh.mu.RLock()
	if e := sh.m[key]; e != nil {
		r.engine.Send(e.pid, c)
		sh.mu.RUnlock()
		return nil
	}
	sh.mu.RUnlock()
	if c.ifActive {
		if c.reply != nil {
			c.reply(nil, ErrNotActive)
		}
		return nil
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.m[key]
	if e == nil {
		e = r.spawn(k, c.id, key)
		sh.m[key] = e
	}
	r.engine.Send(e.pid, c)
	return nil
}

func (r *Registry) spawn(k *Kind, id, key string) *entry {
	e := &entry{kind: k}
	e.touch()
	gen := strconv.FormatUint(r.gen.Add(1), 36)
	// A restart after a panic gets a fresh host with the same identity.
	e.pid = r.engine.Spawn(func() actor.Receiver {
		return &host{reg: r, kind: k, id: id, key: key, entry: e}
	}, k.Name, actor.WithID(id+"~"+gen), actor.WithRestartDelay(r.cfg.RestartDelay), actor.WithMaxRestarts(5), actor.WithInboxSize(8)) // the inbox grows when needed
	return e
}

// remove drops e from the table if it is still the current activation.
func (r *Registry) remove(key string, e *entry) {
	sh := r.shard(key)
	sh.mu.Lock()
	if sh.m[key] == e {
		delete(sh.m, key)
	}
	sh.mu.Unlock()
}

// Active reports whether kind/id is activated on this node.
func (r *Registry) Active(kind, id string) bool {
	key := kind + "/" + id
	sh := r.shard(key)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	return sh.m[key] != nil
}

// ActiveCount is the number of local activations.
func (r *Registry) ActiveCount() int {
	n := 0
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.RLock()
		n += len(sh.m)
		sh.mu.RUnlock()
	}
	return n
}

// sweeper asks entities idle past their timeout to passivate.
func (r *Registry) sweeper() {
	defer close(r.sweepDone)
	interval := min(r.cfg.IdleTimeout/4, 10*time.Second)
	for _, k := range r.kinds {
		if k.IdleTimeout > 0 {
			interval = min(interval, k.IdleTimeout/4)
		}
	}
	interval = max(interval, 10*time.Millisecond)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-r.sweepStop:
			return
		case <-t.C:
		}
		now := time.Now().UnixNano()
		for i := range r.shards {
			sh := &r.shards[i]
			sh.mu.RLock()
			for _, e := range sh.m {
				if time.Duration(now-e.lastActive.Load()) >= r.idleTimeout(e.kind) {
					r.engine.Send(e.pid, idleCheck{})
				}
			}
			sh.mu.RUnlock()
		}
	}
}

// Stop passivates every local entity (running Passivate hooks), leaves the
// cluster and stops remoting. ctx bounds the wait.
func (r *Registry) Stop(ctx context.Context) error {
	var err error
	r.stopOnce.Do(func() {
		if r.engine == nil {
			return
		}
		r.stopped.Store(true)
		close(r.sweepStop)
		<-r.sweepDone
		var wg sync.WaitGroup
		for i := range r.shards {
			sh := &r.shards[i]
			sh.mu.RLock()
			for _, e := range sh.m {
				wg.Add(1)
				r.engine.Send(e.pid, stopNow{done: &wg})
			}
			sh.mu.RUnlock()
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			err = fmt.Errorf("registry: stop: %w", ctx.Err())
		}
		if r.cfg.Discovery != nil {
			dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = r.cfg.Discovery.Leave(dctx, r.self)
			cancel()
		}
		r.cluster.Stop()
		if r.remote != nil {
			r.remote.Stop().Wait()
		}
		r.stacks.Close()
	})
	return err
}
