package cluster

import (
	"sync"
)

// View is one node's current knowledge of its cluster: who the members are
// (what places partitions) and which of them are alive (what may be asked).
// Membership and liveness are apart on purpose: a member that dies still
// owns its partitions, so that rows for them are refused, naming it, rather
// than stored elsewhere where no query would look for them once it is back.
// Only an operator changes the members; a process dying changes liveness.
type View interface {
	// Self is this node's ID.
	Self() string
	// Members returns the members now.
	Members() Members
	// Alive reports whether the member id is believed to be up: its lease
	// in etcd is held, or its last health check answered.
	Alive(id string) bool
}

// Static is the View of a static cluster file: fixed members, each alive
// until a health check says otherwise (SetAlive).
type Static struct {
	self    string
	members Members
	mu      sync.Mutex
	down    map[string]bool
}

// NewStatic returns the view of node self of members.
func NewStatic(self string, members Members) *Static {
	return &Static{self: self, members: members, down: map[string]bool{}}
}

// Self is this node's ID.
func (s *Static) Self() string { return s.self }

// Members returns the file's members.
func (s *Static) Members() Members { return s.members }

// Alive reports whether id is a member whose last health check answered
// (or that was never checked); this node is always alive.
func (s *Static) Alive(id string) bool {
	if id == s.self {
		return true
	}
	if _, ok := s.members.Lookup(id); !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.down[id]
}

// SetAlive records the result of a health check of id.
func (s *Static) SetAlive(id string, alive bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if alive {
		delete(s.down, id)
	} else {
		s.down[id] = true
	}
}
