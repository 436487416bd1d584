package apiclient

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/driftgate/driftgate/runner/api/apiv1"
)

// followRetries is how many times in a row FollowLog reconnects a stream
// that broke without bringing anything new.
const followRetries = 5

// followBackoff is the wait before a reconnect.
const followBackoff = 500 * time.Millisecond

// errStreamEnded is a stream that ended without an end event.
var errStreamEnded = errors.New("the log stream ended before the run did")

// FollowLog streams the log of run id (GET /api/v1/runs/{id}/log?follow=true)
// from byte offset from on, passing each piece of text to onText as it
// arrives, until the run has finished, and returns the finished run. A
// stream that breaks is resumed where it stopped (Last-Event-ID), so
// onText sees every byte once. An error of onText ends the stream with it.
func (c *Client) FollowLog(ctx context.Context, id string, from int64, onText func(text []byte) error) (*apiv1.Run, error) {
	if c.err != nil {
		return nil, c.err
	}
	// A followed log lasts as long as the run: no client timeout.
	hc := *c.hc
	hc.Timeout = 0
	offset, failures := from, 0
	for {
		run, next, err := c.followOnce(ctx, &hc, id, offset, onText)
		if run != nil || err == nil {
			return run, err
		}
		var apiErr *Error
		if errors.As(err, &apiErr) || ctx.Err() != nil || errors.Is(err, errText) {
			return nil, fmt.Errorf("follow the log of run %s: %w", id, err)
		}
		if next > offset {
			failures = 0
		}
		offset = next
		if failures++; failures > followRetries {
			return nil, fmt.Errorf("follow the log of run %s: %w", id, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("follow the log of run %s: %w", id, context.Cause(ctx))
		case <-time.After(followBackoff):
		}
	}
}

// errText marks an error of the caller's onText.
var errText = errors.New("log text rejected")

// followOnce reads one stream from offset. It returns the run at the end
// event, or the offset reached and why the stream stopped.
func (c *Client) followOnce(ctx context.Context, hc *http.Client, id string, offset int64, onText func([]byte) error) (*apiv1.Run, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/api/v1/runs/"+url.PathEscape(id)+"/log?follow=true", nil)
	if err != nil {
		return nil, offset, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("User-Agent", "driftgate-apiclient")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if offset > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(offset, 10))
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, offset, err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, offset, readError(resp)
	}
	var ev sseEvent
	r := bufio.NewReader(resp.Body)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = errStreamEnded
			}
			return nil, offset, err
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if line != "" {
			ev.add(line)
			continue
		}
		switch ev.name {
		case "log":
			if !ev.hasData {
				break
			}
			if err := onText([]byte(ev.data.String())); err != nil {
				return nil, offset, fmt.Errorf("%w: %w", errText, err)
			}
			if n, err := strconv.ParseInt(ev.id, 10, 64); err == nil {
				offset = n
			}
		case "end":
			var run apiv1.Run
			if err := json.Unmarshal([]byte(ev.data.String()), &run); err != nil {
				return nil, offset, fmt.Errorf("decode the end of the log stream: %w", err)
			}
			return &run, offset, nil
		}
		ev = sseEvent{}
	}
}

// sseEvent is one Server-Sent Event as it is read.
type sseEvent struct {
	name    string
	id      string
	data    strings.Builder
	hasData bool
}

// add reads one field line of the event; comments are ignored.
func (e *sseEvent) add(line string) {
	if strings.HasPrefix(line, ":") {
		return
	}
	field, value, _ := strings.Cut(line, ":")
	value = strings.TrimPrefix(value, " ")
	switch field {
	case "event":
		e.name = value
	case "id":
		e.id = value
	case "data":
		if e.hasData {
			e.data.WriteByte('\n')
		}
		e.data.WriteString(value)
		e.hasData = true
	}
}
