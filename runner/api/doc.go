// Package api is driftgate's HTTP API: the JSON endpoints that the CLI and
// other clients use to list repos, stacks and runs, read plans and logs,
// trigger plans and cancel runs, read and check stacks' drift, read
// stacks' recorded state versions and their diffs, and gate applies:
// approve, reject and apply runs, list stacks' locks and release held
// stacks.
//
// NewHandler serves the API over a Service, which the daemon implements. The
// handler authenticates every request except the health checks with a
// bearer token, maps the Service's errors to HTTP statuses (see the package's
// sentinel errors), answers every error with a JSON body {"error": "..."},
// and logs each request without its credentials.
//
// The bodies are the types of package apiv1, the API's wire format: the
// handler converts what the Service returns (stored records) into them in
// convert.go, one function per type, so the storage format can change
// without changing the API, and clients never import the store.
//
// Routes (bodies named by their apiv1 type):
//
//	GET  /healthz                          liveness, no token
//	GET  /readyz                           readiness, no token
//	GET  /api/v1/repos                     RepoList {"repos": [...]}
//	GET  /api/v1/stacks?repo=              StackList {"stacks": [...]}
//	GET  /api/v1/runs?repo=&stack=&status=&pr=&limit=&cursor=
//	                                       RunList {"runs": [...], "next_cursor": "..."}
//	GET  /api/v1/runs/{id}                 the Run
//	GET  /api/v1/runs/{id}/plan            the redacted plan JSON
//	GET  /api/v1/runs/{id}/log             the run's log, text/plain
//	POST /api/v1/stacks/{repo}/{stack}/plan  202, the queued run
//	POST /api/v1/runs/{id}/cancel          the run, canceled or asked to stop
//	GET  /api/v1/drift?repo=               DriftList {"stacks": [StackDrift...]}
//	GET  /api/v1/stacks/{repo}/{stack}/drift?history=
//	                                       the StackDrift
//	POST /api/v1/stacks/{repo}/{stack}/drift-check  202, the queued run
//	GET  /api/v1/stacks/{repo}/{stack}/state-versions?limit=
//	                                       StateVersionList, newest first,
//	                                       without their bodies
//	GET  /api/v1/stacks/{repo}/{stack}/state-versions/{serial}
//	                                       the StateVersion with its body
//	GET  /api/v1/stacks/{repo}/{stack}/state-diff?from=&to=
//	                                       the StateDiff
//	POST /api/v1/runs/{id}/approve         the run, queued once approved
//	                                       enough; body {"comment": "..."}
//	                                       or none
//	POST /api/v1/runs/{id}/reject          the run, rejected; same body
//	POST /api/v1/runs/{id}/apply           202, the queued run; no body
//	GET  /api/v1/locks?repo=               LockList {"locks": [StackLock...]}
//	GET  /api/v1/stacks/{repo}/{stack}/lock  the StackLock
//	GET  /api/v1/nodes                     {"nodes": [Node...]}: the nodes
//	                                       sharing the database, live or gone
//	POST /api/v1/stacks/{repo}/{stack}/release  the Release: the hold
//	                                       lifted and the plan queued;
//	                                       body {"comment": "..."} or none
package api
