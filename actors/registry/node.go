package registry

import (
	"github.com/anthdm/hollywood/actor"

	"github.com/gamend-go/gamend/actors/registry/internal/wire"
)

// NodeHandler receives node-addressed messages (for example pushes to the
// sockets a node holds). It runs on the caller's goroutine for local sends
// and on the router for remote ones, so it must not block.
type NodeHandler func(msg any)

// HandleNode registers the node-level handler name. Call before Start.
func (r *Registry) HandleNode(name string, h NodeHandler) {
	if r.nodeHandlers == nil {
		r.nodeHandlers = map[string]NodeHandler{}
	}
	r.nodeHandlers[name] = h
}

func (r *Registry) handleNode(name string, msg any) {
	if h := r.nodeHandlers[name]; h != nil {
		h(msg)
		return
	}
	r.log.Warn("message for unknown node handler", "handler", name)
}

// SendNode delivers msg to the handler name on the member with id nodeID
// (this node included). msg must be registered with RegisterMessage to
// cross nodes. Unknown members are ignored (the node left).
func (r *Registry) SendNode(nodeID, name string, msg any) error {
	if err := checkCrossable(msg); err != nil {
		return err
	}
	if nodeID == r.cfg.NodeID {
		r.handleNode(name, msg)
		return nil
	}
	for _, m := range r.Members() {
		if m.ID == nodeID {
			return r.sendNodeTo(m, name, msg)
		}
	}
	return nil
}

// BroadcastNodes delivers msg to the handler name on every member.
func (r *Registry) BroadcastNodes(name string, msg any) error {
	if err := checkCrossable(msg); err != nil {
		return err
	}
	var first error
	for _, m := range r.Members() {
		var err error
		if m.ID == r.cfg.NodeID {
			r.handleNode(name, msg)
		} else {
			err = r.sendNodeTo(m, name, msg)
		}
		if err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (r *Registry) sendNodeTo(m Member, name string, msg any) error {
	typ, payload, err := encodeMessage(msg)
	if err != nil {
		return err
	}
	r.engine.Send(actor.NewPID(m.Address, routerKind+"/"+m.ID), &wire.Envelope{Type: typ, Payload: payload, Oneway: true, NodeHandler: name})
	return nil
}
