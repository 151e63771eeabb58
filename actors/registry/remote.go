package registry

import (
	"strconv"

	"github.com/anthdm/hollywood/actor"

	"github.com/gamend-go/gamend/actors/registry/internal/wire"
)

// sendRemote encodes c into an Envelope for the owner's router. A request
// registers a reply process; the returned cleanup removes it.
func (r *Registry) sendRemote(owner Member, c *call) (func(), error) {
	typ, payload, err := encodeMessage(c.msg)
	if err != nil {
		return nil, err
	}
	env := &wire.Envelope{Kind: c.kind, Id: c.id, Type: typ, Payload: payload, Oneway: c.reply == nil, IfActive: c.ifActive}
	var cleanup func()
	if c.reply != nil {
		rp := &replyProc{
			pid:   actor.NewPID(r.engine.Address(), replyKind+"/"+strconv.FormatUint(r.replySeq.Add(1), 36)),
			reply: c.reply,
		}
		r.engine.SpawnProc(rp)
		env.ReplyToAddress, env.ReplyToId = rp.pid.Address, rp.pid.ID
		cleanup = func() { r.engine.Registry.Remove(rp.pid) }
	}
	r.engine.Send(actor.NewPID(owner.Address, routerKind+"/"+owner.ID), env)
	return cleanup, nil
}

// replyProc is a minimal process receiving one reply Envelope. Unlike
// engine.Request it has a unique id per request and never blocks.
type replyProc struct {
	pid   *actor.PID
	reply ReplyFunc
}

func (p *replyProc) Start()                  {}
func (p *replyProc) PID() *actor.PID         { return p.pid }
func (p *replyProc) Invoke([]actor.Envelope) {}
func (p *replyProc) Shutdown()               {}
func (p *replyProc) Send(_ *actor.PID, msg any, _ *actor.PID) {
	env, ok := msg.(*wire.Envelope)
	if !ok {
		return
	}
	v, err := decodeMessage(env.Type, env.Payload)
	if err != nil {
		p.reply(nil, err)
		return
	}
	p.reply(v, decodeError(env.ErrorType, env.ErrorPayload, env.ErrorMessage))
}

// onRouter receives Envelopes from other members and delivers them to local
// entities; replies go back to the caller's reply process.
func (r *Registry) onRouter(ac *actor.Context) {
	env, ok := ac.Message().(*wire.Envelope)
	if !ok {
		return
	}
	var reply ReplyFunc
	if !env.Oneway && env.ReplyToAddress != "" {
		to := actor.NewPID(env.ReplyToAddress, env.ReplyToId)
		eng := r.engine
		reply = func(v any, err error) {
			out := &wire.Envelope{}
			typ, payload, encErr := encodeMessage(v)
			if encErr != nil {
				err = encErr
			} else {
				out.Type, out.Payload = typ, payload
			}
			out.ErrorType, out.ErrorPayload, out.ErrorMessage = encodeError(err)
			eng.Send(to, out)
		}
	}
	msg, err := decodeMessage(env.Type, env.Payload)
	if err != nil {
		r.log.Warn("dropping undecodable remote message", "kind", env.Kind, "id", env.Id, "type", env.Type, "err", err)
		if reply != nil {
			reply(nil, err)
		}
		return
	}
	if env.NodeHandler != "" {
		r.handleNode(env.NodeHandler, msg)
		return
	}
	if err := r.deliverLocal(&call{kind: env.Kind, id: env.Id, msg: msg, reply: reply, ifActive: env.IfActive}); err != nil && reply != nil {
		reply(nil, err)
	}
}
