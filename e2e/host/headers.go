package host

import "strings"

// hmap is an ordered, multi-valued header map with lowercase names, like
// Envoy's HeaderMapImpl (pseudo-headers first). Every mutation lowercases the
// name, including whole-map replacement (context.cc setHeaderMapPairs).
type hmap [][2]string

func (m hmap) get(k string) (string, bool) {
	k = strings.ToLower(k)
	for _, p := range m {
		if p[0] == k {
			return p[1], true
		}
	}
	return "", false
}

// set is Envoy's setCopy: replace the first entry's value, drop the others,
// append if absent.
func (m hmap) set(k, v string) hmap {
	k = strings.ToLower(k)
	out := m[:0:0]
	done := false
	for _, p := range m {
		if p[0] == k {
			if !done {
				out = append(out, [2]string{k, v})
				done = true
			}
			continue
		}
		out = append(out, p)
	}
	if !done {
		out = append(out, [2]string{k, v})
	}
	return out
}

func (m hmap) add(k, v string) hmap {
	return append(m[:len(m):len(m)], [2]string{strings.ToLower(k), v})
}

func (m hmap) remove(k string) hmap {
	k = strings.ToLower(k)
	out := m[:0:0]
	for _, p := range m {
		if p[0] != k {
			out = append(out, p)
		}
	}
	return out
}

func (m hmap) clone() hmap { return append(hmap(nil), m...) }

func lowerPairs(ps [][2]string) hmap {
	out := make(hmap, 0, len(ps))
	for _, p := range ps {
		out = append(out, [2]string{strings.ToLower(p[0]), p[1]})
	}
	return out
}

// hopByHop are connection-specific headers a proxy never forwards.
var hopByHop = map[string]bool{
	"connection": true, "keep-alive": true, "proxy-connection": true,
	"transfer-encoding": true, "upgrade": true, "te": true, "trailer": true,
}
