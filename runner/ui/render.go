package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/store"
)

// pageNames are the templates under templates/, each rendered inside
// layout.html.
var pageNames = []string{"login", "overview", "stack", "run", "audit", "error"}

// funcs are the templates' helpers. They format; html/template escapes.
var funcs = template.FuncMap{
	"ago":   ago,
	"stamp": stamp,
	"short": short,
	"value": value,
	"path":  url.PathEscape,
	"query": url.QueryEscape,
	"join":  strings.Join,
}

// parsePages parses every page with the layout.
func parsePages() map[string]*template.Template {
	pages := map[string]*template.Template{}
	for _, name := range pageNames {
		t := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
		pages[name] = t
	}
	return pages
}

// pageData is what the layout renders around a page.
type pageData struct {
	Title  string
	Who    *api.Principal
	CSRF   string
	Admin  bool
	Flash  string
	Page   any
	Active string
}

// render writes page name with data, for visitor v (zero: signed out).
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, name string, v visitor, data any) {
	pd := pageData{Title: name, Page: data, Active: name, Flash: r.URL.Query().Get("done")}
	if v.id != "" {
		p := v.p
		pd.Who, pd.CSRF, pd.Admin = &p, v.csrf, p.Role.AtLeast(api.RoleAdmin)
	}
	var buf bytes.Buffer
	if err := s.pages[name].Execute(&buf, pd); err != nil {
		s.logger.Error("ui: render page", "page", name, "error", err)
		http.Error(w, "internal error; the driftgate server log has the details", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail renders the error page with status and msg.
func (s *server) fail(w http.ResponseWriter, r *http.Request, v visitor, status int, msg string) {
	s.render(w, r, status, "error", v, map[string]any{"Status": status, "Text": http.StatusText(status), "Message": msg})
}

// failErr renders a Service error with the status the API would answer.
func (s *server) failErr(w http.ResponseWriter, r *http.Request, v visitor, err error) {
	status, msg := http.StatusInternalServerError, "internal error; the driftgate server log has the details"
	switch {
	case errors.Is(err, api.ErrNotFound), errors.Is(err, store.ErrNotFound):
		status, msg = http.StatusNotFound, err.Error()
	case errors.Is(err, api.ErrBadRequest), errors.Is(err, store.ErrInvalid):
		status, msg = http.StatusBadRequest, err.Error()
	default:
		s.logger.Error("ui: page", "path", r.URL.Path, "error", err)
	}
	s.fail(w, r, v, status, msg)
}

// ago renders t relative to now, for pages read without JS; ui.js keeps it
// fresh.
func ago(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	d := time.Since(t).Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

// stamp renders t in RFC 3339, UTC, for the time elements' datetime.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// short shortens a commit or hash.
func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// value renders an attribute value as JSON (strings unquoted).
func value(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if v == nil {
		return "null"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
