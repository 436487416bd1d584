package apiv1

import "time"

// Repo is the sync state of a watched repo, an element of RepoList.
type Repo struct {
	// Name is the repo's configured name.
	Name string `json:"name"`
	// URL is the clone URL.
	URL string `json:"url,omitempty"`
	// Branch is the tracked branch.
	Branch string `json:"branch,omitempty"`
	// LastCommit is the last commit seen on Branch.
	LastCommit string `json:"last_commit,omitempty"`
	// Status is the repo's sync status, free text.
	Status string `json:"status,omitempty"`
	// LastError is the last sync error, if any.
	LastError string `json:"last_error,omitempty"`
	// UpdatedAt is when the server last recorded the repo's state.
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Stack is a stack discovered in a repo, an element of StackList.
type Stack struct {
	// Repo is the repo name; empty for local stacks.
	Repo string `json:"repo,omitempty"`
	// Name is the stack name, unique within the repo.
	Name string `json:"name"`
	// Dir is the stack directory relative to the repo root.
	Dir string `json:"dir,omitempty"`
	// Attrs holds small metadata by key, such as "workspace", "backend",
	// "drift_schedule" or "on_drift".
	Attrs map[string]string `json:"attrs,omitempty"`
	// UpdatedAt is when the server last recorded the stack.
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}
