package demoserver

import (
	"cmp"
	"crypto/sha256"
	"fmt"
	"slices"
	"strconv"
	"time"

	"h2ogpte-keys/model"
)

const (
	day  = 24 * time.Hour
	year = 365 * day
)

// seed lays out the sample data relative to t0. Everything random comes from
// s.rng in a fixed order, so the same seed and t0 give the same data.
func (s *Server) seed(t0 time.Time, opts Options) {
	s.admin = s.addUserLocked("admin", "admin@example.com", true)
	if !opts.Empty {
		s.seedSample(t0)
	}
	if opts.ExtraKeys > 0 {
		s.seedExtra(t0, opts.ExtraKeys)
	}
	sortKeys(s.keys)
}

// sortKeys sorts keys into listing order (keyOrder). A million keys sorted
// through keyOrder chase a pointer per comparison; sorting small
// (time, record) values instead keeps the comparisons in cache.
func sortKeys(keys []*keyRec) {
	type entry struct {
		sec  int64
		nsec int
		rec  *keyRec
	}
	es := make([]entry, len(keys))
	for i, k := range keys {
		es[i] = entry{k.key.Created.Unix(), k.key.Created.Nanosecond(), k}
	}
	slices.SortFunc(es, func(a, b entry) int {
		if c := cmp.Compare(a.sec, b.sec); c != 0 {
			return c
		}
		if c := cmp.Compare(a.nsec, b.nsec); c != 0 {
			return c
		}
		return cmp.Compare(a.rec.key.ID, b.rec.key.ID)
	})
	for i := range es {
		keys[i] = es[i].rec
	}
}

type sampleColl struct {
	owner, name, desc string
	docs, sizeKB      int64
	public            bool
	users, sessions   int
	created, updated  time.Duration // ago
}

// sampleKey describes a key relative to t0. used < 0 means never used;
// expires > 0 is in the future, < 0 in the past, 0 none.
type sampleKey struct {
	owner, name, coll string
	created, used     time.Duration // ago
	calls             int64
	expires           time.Duration
	idleDays          int
	deactivated       bool
}

const never = -1

var sampleUsers = []string{"alice", "malice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"}

var sampleColls = []sampleColl{
	{"admin", "Company wiki", "Policies, how-tos and the org chart", 1240, 812_000, true, 57, 3120, 400 * day, 2 * time.Hour},
	{"alice", "Research papers", "Papers the research group reads", 312, 1_480_000, false, 4, 210, 180 * day, 26 * time.Hour},
	{"alice", "Customer support FAQ", "Answers for the support widget", 88, 9_400, true, 12, 5400, 90 * day, 3 * day},
	{"alice", "Alice's drafts", "", 9, 310, false, 1, 14, 20 * day, 6 * time.Hour},
	{"malice", "Threat intel", "Indicators and reports", 140, 52_000, false, 3, 77, 60 * day, 4 * day},
	{"malice", "Red team notes", "Engagement write-ups", 31, 2_100, false, 2, 19, 30 * day, 3 * day},
	{"bob", "Engineering handbook", "How we build and ship", 420, 61_000, true, 38, 980, 300 * day, 9 * day},
	{"bob", "Q3 financials", "Quarterly statements and board decks", 24, 18_500, false, 3, 41, 35 * day, 2 * day},
	{"carol", "Legal contracts", "Signed customer and vendor contracts", 2210, 3_900_000, false, 6, 15_400, 500 * day, 1 * time.Hour},
	{"dave", "Sales playbooks", "", 57, 7_700, false, 9, 320, 120 * day, 40 * day},
	{"erin", "HR policies", "Handbook, leave and benefits", 73, 4_200, true, 120, 2_600, 250 * day, 15 * day},
	{"grace", "Marketing assets", "Brand guide and campaign copy", 199, 240_000, false, 5, 66, 45 * day, 5 * day},
	{"heidi", "Lab notebooks", "Experiment logs", 12, 900, false, 1, 0, 4 * time.Hour, 4 * time.Hour},
}

// longKeyName is meant to overflow any column it is shown in.
const longKeyName = "Quarterly finance reconciliation exporter for the shared-services team (production; page on-call before rotating)"

// sampleKeys cover every state relative to t0: active global and collection
// keys, deactivated, expired, idle (used long ago, or never), never used,
// heavily used, expiring within a week, and names that try to break a
// terminal (an ANSI clear-screen, a right-to-left override).
var sampleKeys = []sampleKey{
	{"alice", "laptop", "", 120 * day, 2 * time.Hour, 1_432, 60 * day, 0, false},
	{"alice", "ci-pipeline", "", 200 * day, 3 * time.Minute, 482_113, 0, 30, false},
	{"alice", "research-bot", "Research papers", 40 * day, 1 * day, 8_210, 5 * day, 0, false},
	{"alice", "support-widget", "Customer support FAQ", 2 * day, never, 0, 0, 60, false},
	{"alice", "old-laptop", "", 300 * day, 200 * day, 12_044, 0, 0, true},
	{"alice", "trial", "", 40 * day, 12 * day, 57, -10 * day, 0, false},
	{"alice", "jupyter", "", 100 * day, 30 * day, 310, 0, 14, false},
	{"alice", "drafts-sync", "Alice's drafts", 15 * day, 6 * time.Hour, 942, 80 * day, 30, false},
	{"malice", "evil\x1b[2Jname", "", 9 * day, 1 * time.Hour, 666, 0, 0, false},
	{"malice", "red-team", "Red team notes", 25 * day, 3 * day, 4_120, 20 * day, 0, false},
	{"malice", "burner", "", 60 * day, 59 * day, 3, 0, 0, true},
	{"bob", longKeyName, "", 75 * day, 20 * time.Minute, 23_190, 30 * day, 0, false},
	{"bob", "handbook-search", "Engineering handbook", 20 * day, never, 0, 0, 7, false},
	{"bob", "dev", "", 5 * day, never, 0, 0, 0, true},
	{"bob", "finance-export", "Q3 financials", 33 * day, 2 * day, 1_200, 3 * day, 30, false},
	{"carol", "contracts-review", "Legal contracts", 150 * day, 1 * time.Minute, 215_904, 45 * day, 0, false},
	{"carol", "personal", "", 50 * day, never, 0, -1 * day, 0, false},
	{"dave", "crm-sync", "", 180 * day, 10 * time.Minute, 93_412, 0, 90, false},
	{"dave", "sales-bot", "Sales playbooks", 90 * day, 45 * day, 20_400, 0, 30, false},
	{"erin", "hr-bot", "HR policies", 70 * day, 30 * day, 5_100, 0, 0, true},
	{"erin", "payroll\u202efdp.exe", "", 12 * day, 4 * time.Hour, 88, 6 * day, 0, false},
	{"grace", "marketing-site", "", 10 * day, 5 * time.Minute, 150_233, 89 * day, 0, false},
	{"heidi", "notebook", "Lab notebooks", 3 * time.Hour, never, 0, 0, 0, false},
	{"heidi", "Lab key ✓ ünïcode", "", 20 * day, 1 * day, 41, 0, 0, false},
}

func (s *Server) seedSample(t0 time.Time) {
	r := s.rng
	for _, name := range sampleUsers {
		s.addUserLocked(name, name+"@example.com", false)
	}
	collByName := map[string]*collection{}
	for _, c := range sampleColls {
		jitter := time.Duration(r.IntN(3600)) * time.Second
		rec := s.addCollLocked(collection{
			Name: c.name, Description: c.desc, DocumentCount: c.docs, DocumentSize: c.sizeKB * 1024,
			CreatedAt: t0.Add(-c.created - jitter), UpdatedAt: t0.Add(-c.updated),
			UserCount: c.users, IsPublic: c.public, Username: c.owner, SessionsCount: c.sessions,
		})
		collByName[c.owner+"/"+c.name] = rec
	}
	buf := make([]byte, secretLen)
	for _, sk := range sampleKeys {
		u := s.usersByName[sk.owner]
		k := &keyRec{owner: u, key: model.APIKey{
			ID:             s.newID(),
			Username:       sk.owner,
			Name:           sk.name,
			Created:        t0.Add(-sk.created - time.Duration(r.IntN(3600))*time.Second),
			LastUsed:       model.Null[time.Time](),
			InactivityDays: model.Null[int](),
			TotalCalls:     model.Some(sk.calls),
			IsActive:       !sk.deactivated,
			IsGlobal:       true,
		}}
		seededSecret(r, buf)
		k.hash = sha256.Sum256(buf)
		k.key.Hint = string(buf[secretLen-4:])
		if sk.used != never {
			k.key.LastUsed = model.Some(t0.Add(-sk.used - time.Duration(r.IntN(60))*time.Second))
		}
		if sk.expires != 0 {
			at := t0.Add(sk.expires)
			k.key.Expires = &at
		}
		if sk.idleDays > 0 {
			k.key.InactivityDays = model.Some(sk.idleDays)
		}
		if sk.coll != "" {
			c := collByName[sk.owner+"/"+sk.coll]
			k.key.CollectionID, k.key.CollectionName, k.key.IsGlobal = c.ID, c.Name, false
		}
		s.keys = append(s.keys, k)
		s.keysByID[k.key.ID] = k
		s.keysByHash[k.hash] = k
	}
}

var extraKeyPrefixes = []string{"ci", "laptop", "etl", "notebook", "bot", "sync", "prod", "staging", "backup", "report"}

// seedExtra adds n keys over a few hundred generated users, one collection
// each, in a realistic mix of states. It allocates the key records in one
// slab: 100,000 keys take well under a second and a few tens of MB.
func (s *Server) seedExtra(t0 time.Time, n int) {
	r := s.rng
	// rnd returns a random whole-second duration in [0, d].
	rnd := func(d time.Duration) time.Duration {
		return time.Duration(r.Int64N(int64(d/time.Second)+1)) * time.Second
	}
	nUsers := min(max((n+249)/250, 1), 400)
	users := make([]*userRec, 0, nUsers)
	colls := make([]*collection, 0, nUsers)
	for i := 0; len(users) < nUsers; i++ {
		name := fmt.Sprintf("user%04d", i+1)
		if s.usersByName[name] != nil {
			continue
		}
		u := s.addUserLocked(name, name+"@example.com", false)
		created := t0.Add(-day - rnd(2*year))
		c := s.addCollLocked(collection{
			Name: name + " documents", DocumentCount: r.Int64N(500), DocumentSize: r.Int64N(1 << 30),
			CreatedAt: created, UpdatedAt: created.Add(rnd(t0.Sub(created))),
			UserCount: 1 + r.IntN(5), Username: name, SessionsCount: r.IntN(1000),
		})
		users = append(users, u)
		colls = append(colls, c)
	}

	recs := make([]keyRec, n)
	s.keys = slices.Grow(s.keys, n)
	buf := make([]byte, secretLen)
	for i := range recs {
		ui := r.IntN(nUsers)
		k := &recs[i]
		k.owner = users[ui]
		key := &k.key
		key.ID = s.newID()
		key.Username = k.owner.user.Username
		key.Name = extraKeyPrefixes[r.IntN(len(extraKeyPrefixes))] + "-" + strconv.Itoa(1+r.IntN(999))
		key.LastUsed = model.Null[time.Time]()
		key.InactivityDays = model.Null[int]()
		key.TotalCalls = model.Some[int64](0)
		key.IsActive = true
		key.IsGlobal = true
		used := func(from time.Time) {
			key.LastUsed = model.Some(from.Add(rnd(t0.Sub(from))))
			key.TotalCalls = model.Some(1 + r.Int64N(20_000))
			if r.IntN(50) == 0 {
				key.TotalCalls = model.Some(100_000 + r.Int64N(900_000))
			}
		}
		switch p := r.IntN(100); {
		case p < 55: // active, used within the last month
			key.Created = t0.Add(-time.Hour - rnd(year))
			used(maxTime(key.Created, t0.Add(-30*day)))
			if r.IntN(4) == 0 {
				key.InactivityDays = model.Some(60 + 30*r.IntN(2))
			}
		case p < 63: // active, never used
			key.Created = t0.Add(-rnd(30 * day))
		case p < 73: // deactivated
			key.Created = t0.Add(-rnd(year))
			key.IsActive = false
			if r.IntN(3) > 0 {
				used(key.Created)
			}
		case p < 83: // expired
			key.Created = t0.Add(-2*day - rnd(363*day))
			at := key.Created.Add(day + rnd(t0.Sub(key.Created)-2*day))
			key.Expires = &at
			if r.IntN(2) == 0 {
				used(key.Created)
				if lu := key.LastUsed.V; lu.After(at) {
					key.LastUsed = model.Some(at.Add(-time.Minute))
				}
			}
		case p < 91: // idle: unused for longer than the interval
			days := []int{7, 14, 30, 60}[r.IntN(4)]
			key.InactivityDays = model.Some(days)
			key.Created = t0.Add(-time.Duration(days+1)*day - rnd(300*day))
			if r.IntN(5) > 1 {
				used(key.Created)
				key.LastUsed = model.Some(key.Created.Add(rnd(t0.Sub(key.Created) - time.Duration(days+1)*day)))
			}
		default: // active, expires within the limit
			key.Created = t0.Add(-rnd(60 * day))
			at := t0.Add(time.Hour + rnd(89*day))
			key.Expires = &at
			if r.IntN(3) > 0 {
				used(key.Created)
			}
		}
		if r.IntN(5) == 0 {
			c := colls[ui]
			key.CollectionID, key.CollectionName, key.IsGlobal = c.ID, c.Name, false
		}
		seededSecret(r, buf)
		k.hash = sha256.Sum256(buf)
		key.Hint = string(buf[secretLen-4:])
	}
	recs = layOut(recs)
	for i := range recs {
		k := &recs[i]
		s.keys = append(s.keys, k)
		s.keysByID[k.key.ID] = k
		s.keysByHash[k.hash] = k
	}
}

// layOut returns recs in listing order in a new slab, each key's strings
// (and expiry) in fresh memory in that order: a listing then reads the
// records and what they point to front to back. Left in the order they
// were drawn (random creation times), a listing of a million keys reached
// across the whole heap for every key, and serving it cost the demo server
// several times what encoding the same keys in cache costs.
func layOut(recs []keyRec) []keyRec {
	ptrs := make([]*keyRec, len(recs))
	for i := range recs {
		ptrs[i] = &recs[i]
	}
	sortKeys(ptrs)
	out := make([]keyRec, len(recs))
	for i, p := range ptrs {
		out[i] = *p
		k := &out[i].key
		// One allocation for the three: they are read one after another.
		all := k.ID + k.Name + k.Hint
		a, b := len(k.ID), len(k.ID)+len(k.Name)
		k.ID, k.Name, k.Hint = all[:a], all[a:b], all[b:]
		if k.Expires != nil {
			at := *k.Expires
			k.Expires = &at
		}
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
