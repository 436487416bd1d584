package store

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// LocalRepo is the repo name under which runs and stacks with an empty Repo
// (local runs) are indexed. Filter ListRuns by it to list local runs. It is
// reserved: PutRepo refuses a repo of that name.
const LocalRepo = "local"

// idSource hands out run ids that increase strictly within the process, even
// for ids made in the same millisecond or after the wall clock steps back.
type idSource struct {
	mu      sync.Mutex
	entropy *ulid.MonotonicEntropy
	lastMS  uint64
}

func newIDSource() *idSource {
	return &idSource{entropy: ulid.Monotonic(rand.Reader, 0)}
}

// next returns a new id for a run created at now.
func (g *idSource) next(now time.Time) (ulid.ULID, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	ms := max(ulid.Timestamp(now), g.lastMS)
	for {
		id, err := ulid.New(ms, g.entropy)
		if errors.Is(err, ulid.ErrMonotonicOverflow) {
			ms++ // out of entropy in this millisecond: borrow the next one
			continue
		}
		if err != nil {
			return ulid.ULID{}, fmt.Errorf("make run id: %w", err)
		}
		g.lastMS = ms
		return id, nil
	}
}

// parseRunID parses a run id (a 26-character ULID, case-insensitive) into
// its 16-byte key. Errors wrap ErrInvalid.
func parseRunID(s string) ([]byte, error) {
	id, err := ulid.ParseStrict(s)
	if err != nil {
		return nil, fmt.Errorf("%w: run id %q is not a ULID: %w", ErrInvalid, s, err)
	}
	return id[:], nil
}

// formatRunID is the inverse of parseRunID for a valid 16-byte key.
func formatRunID(key []byte) string {
	var id ulid.ULID
	copy(id[:], key)
	return id.String()
}

// checkName rejects names that would break <repo>\x00<stack> keys.
func checkName(kind, name string) error {
	if strings.IndexByte(name, 0) >= 0 {
		return fmt.Errorf("%w: %s name %q contains a NUL byte", ErrInvalid, kind, name)
	}
	return nil
}

// repoKey maps the empty repo of local runs to LocalRepo.
func repoKey(repo string) string {
	if repo == "" {
		return LocalRepo
	}
	return repo
}

// stackKey builds the <repo>\x00<stack> key of a stack.
func stackKey(repo, stack string) []byte {
	r := repoKey(repo)
	k := make([]byte, 0, len(r)+1+len(stack))
	k = append(k, r...)
	k = append(k, 0)
	return append(k, stack...)
}

// repoPrefix is the common prefix of the stack keys of repo.
func repoPrefix(repo string) []byte {
	return append([]byte(repoKey(repo)), 0)
}

// checkStackKey validates repo and stack names for use in keys.
func checkStackKey(repo, stack string) error {
	if err := checkName("repo", repo); err != nil {
		return err
	}
	if stack == "" {
		return fmt.Errorf("%w: empty stack name", ErrInvalid)
	}
	return checkName("stack", stack)
}
