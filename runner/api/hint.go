package api

import (
	"fmt"
	"net/url"
)

// Hint says what to do after an error answer: API is for users of the
// HTTP API (a route, such as "list runs with GET /api/v1/runs") and CLI
// for users of the driftgate command ("list runs with: driftgate runs").
// Error bodies carry both (see errorBody).
type Hint struct {
	API string
	CLI string
}

// HintedError is a Service error whose client message comes with a Hint.
// Err is the sentinel (or an error wrapping one) that sets the status.
type HintedError struct {
	Msg  string
	Hint Hint
	Err  error
}

// Error returns the message, the API hint and the cause, as an API user
// reads it.
func (e *HintedError) Error() string {
	return e.Msg + "; " + e.Hint.API + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *HintedError) Unwrap() error { return e.Err }

// Hints shared by the API and the daemon's Service.
var (
	// HintRuns lists runs.
	HintRuns = Hint{API: "list runs with GET /api/v1/runs", CLI: "list runs with: driftgate runs"}
	// HintRepos lists repos.
	HintRepos = Hint{API: "list repos with GET /api/v1/repos", CLI: "list repos with: driftgate repos"}
	// HintRepoStatus shows the repos' fetch status.
	HintRepoStatus = Hint{API: "see its status with GET /api/v1/repos", CLI: "see its status with: driftgate repos"}
	// HintLocks lists held and locked stacks.
	HintLocks = Hint{API: "see holds with GET /api/v1/locks", CLI: "see holds with: driftgate locks"}
	// HintAwaiting lists the apply runs awaiting approval.
	HintAwaiting = Hint{
		API: "list them with GET /api/v1/runs?status=awaiting_approval",
		CLI: "list them with: driftgate runs --status awaiting_approval",
	}
)

// HintStacks lists the stacks of repo.
func HintStacks(repo string) Hint {
	return Hint{
		API: "list stacks with GET /api/v1/stacks?repo=" + url.QueryEscape(repo),
		CLI: "list stacks with: driftgate stacks --repo " + shellArg(repo),
	}
}

// HintStateVersions lists a stack's state versions.
func HintStateVersions(repo, stack string) Hint {
	return Hint{
		API: "list them with GET " + stateVersionsPath(repo, stack),
		CLI: "list them with: driftgate state history " + shellArg(repo) + " " + shellArg(stack),
	}
}

// hintWait waits for run id.
func hintWait(id string) Hint {
	return Hint{API: "wait for it with GET /api/v1/runs/" + url.PathEscape(id), CLI: "wait for it with: driftgate wait " + shellArg(id)}
}

// hintFollow follows the log of run id as it is written.
func hintFollow(id string) Hint {
	return Hint{
		API: "follow it with GET /api/v1/runs/" + url.PathEscape(id) + "/log?follow=true",
		CLI: "follow it with: driftgate logs -f " + shellArg(id),
	}
}

// hintLog reads the log of run id.
func hintLog(id string) Hint {
	return Hint{API: "read its log with GET /api/v1/runs/" + url.PathEscape(id) + "/log", CLI: "read its log with: driftgate logs " + shellArg(id)}
}

// shellArg quotes s for a shell when it holds anything but safe characters.
func shellArg(s string) string {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == '/') {
			return fmt.Sprintf("%q", s)
		}
	}
	return s
}
