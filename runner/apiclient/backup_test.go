package apiclient_test

import (
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/runner/apiclient"
	"github.com/driftgate/driftgate/runner/runnertest"
	"github.com/driftgate/driftgate/store"
)

func TestBackup(t *testing.T) {
	ctx := t.Context()
	srv := runnertest.Serve(t, nil, "infra", "platform")
	apitest.Seed(t, srv.Store)
	want, _, err := srv.Store.ListRuns(ctx, store.RunFilter{Limit: store.MaxListLimit})
	if err != nil {
		t.Fatal(err)
	}
	client := func(token string) *apiclient.Client {
		return apiclient.New(srv.URL, token)
	}

	dst := filepath.Join(t.TempDir(), "backup.db")
	rep, err := store.SaveBackup(ctx, dst, func(w io.Writer) error { return client(apitest.AdminToken).Backup(ctx, w) })
	if err != nil {
		t.Fatalf("backup over the API: %v", err)
	}
	if rep.Runs != len(want) || len(rep.Problems) > 0 {
		t.Errorf("backup holds %d runs with problems %q, want %d runs and none", rep.Runs, rep.Problems, len(want))
	}

	var apiErr *apiclient.Error
	err = client(apitest.ViewerToken).Backup(ctx, io.Discard)
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusForbidden {
		t.Errorf("backup with a viewer token: %v, want 403", err)
	}

	plain := apitest.NewServer(t, &apitest.Canned{})
	err = apiclient.New(plain.URL, apitest.Token, apiclient.WithHTTPClient(plain.Client())).Backup(ctx, io.Discard)
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
		t.Errorf("backup from a server without backups: %v, want 404", err)
	}
}
