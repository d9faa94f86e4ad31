package filter

import "time"

// instant is a reading of the VM's monotonic clock: the time since the
// package was initialised, plus one, so that the zero instant means "not
// set". The contexts keep instants rather than time.Time values: a time.Time
// field in a type the SDK holds as an interface keeps time's whole
// formatting code in the module (time.Time.String, reachable from the
// runtime's panic printing), about 50 KB of Wasm.
type instant int64

var epoch = time.Now()

// monoNow is the current instant (one clock read: time.Since on a
// monotonic reading does not read the wall clock).
func monoNow() instant { return instant(time.Since(epoch)) + 1 }

func (t instant) IsZero() bool { return t == 0 }

// Sub is t−u.
func (t instant) Sub(u instant) time.Duration { return time.Duration(t - u) }

// since is the time elapsed since t.
func since(t instant) time.Duration { return monoNow().Sub(t) }
