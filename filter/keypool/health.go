package keypool

// State is a key's health as /health reports it.
type State uint8

const (
	StateUnknown    State = iota // no record: never used, or its slot was reused
	StateHealthy                 // in use and not set aside
	StateCooling                 // set aside: rate limit, quota or too many failures
	StateInvalid                 // set aside: Gemini rejected the key
	StateRecovering              // its exclusion ended; waiting for (or running) its probe
)

func (s State) String() string {
	switch s {
	case StateHealthy:
		return "healthy"
	case StateCooling:
		return "cooling"
	case StateInvalid:
		return "invalid"
	case StateRecovering:
		return "recovering"
	}
	return "unknown"
}

// Status is one key's health.
type Status struct {
	State       State
	Reason      Reason
	Requests    int     // in the window
	Failures    int     // in the window
	Consecutive int     // failures in a row
	LatencyMs   float64 // EWMA of latency to first byte (0: no sample)
	Until       int64   // Unix ms when a cooling or invalid key may be probed
	LastUse     int64   // Unix ms
}

// Status returns the health of key id.
func (p *Pool) Status(id ID) Status {
	now := p.now()
	r := p.load(id, now)
	if r.lastUse == 0 {
		return Status{}
	}
	return p.status(&r, now)
}

func (p *Pool) status(r *record, now int64) Status {
	s := Status{Reason: r.reason, Consecutive: int(r.consecutive), LatencyMs: float64(r.ewmaMs), LastUse: r.lastUse}
	s.Requests, s.Failures = r.window(now, p.bucketMs)
	switch {
	case r.invalidUntil > now:
		s.State, s.Until = StateInvalid, r.invalidUntil
	case r.coolUntil > now:
		s.State, s.Until = StateCooling, r.coolUntil
	case r.flags&flagNeedsProbe != 0:
		s.State = StateRecovering
	default:
		s.State = StateHealthy
	}
	return s
}

// Summary counts keys across all slots, hence across all worker VMs.
type Summary struct {
	Active     int // used within the window
	Healthy    int // active and not set aside
	Cooling    int // set aside for a rate limit, quota or failures
	Invalid    int // set aside because Gemini rejected them
	Recovering int // waiting for (or running) a probe
	Tracked    int // slots holding a record
	Slots      int // the bound on tracked keys
}

// Summary reads every slot once.
func (p *Pool) Summary() Summary {
	now := p.now()
	sum := Summary{Slots: len(p.slotKeys)}
	var r record
	for _, k := range p.slotKeys {
		v, _, ok := p.store.Get(k)
		if !ok || !r.decode(v) {
			continue
		}
		sum.Tracked++
		st := p.status(&r, now)
		active := r.lastUse+p.cfg.Window.Milliseconds() >= now
		if active {
			sum.Active++
		}
		switch st.State {
		case StateHealthy:
			if active {
				sum.Healthy++
			}
		case StateCooling:
			sum.Cooling++
		case StateInvalid:
			sum.Invalid++
		case StateRecovering:
			sum.Recovering++
		}
	}
	return sum
}
