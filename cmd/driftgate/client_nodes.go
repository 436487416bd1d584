package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/driftgate/driftgate/runner/api/apiv1"
)

func newNodesCmd(g *globals) *cobra.Command {
	var f *clientFlags
	cmd := &cobra.Command{
		Use:   "nodes",
		Short: "List the driftgate serve nodes, their version, last heartbeat and the runs each executes",
		Long: `List the driftgate serve processes (nodes) sharing the server's database:
each node's name, driftgate version, state, whether it leads, how long ago
it last wrote its record (its heartbeat) and the runs it was executing
then. A node rewrites its record every third of its lease (15s by default)
and deletes it when it stops cleanly; a node whose heartbeat is older than
the lease is gone (crashed, killed or cut off from the database). Under a
live node that does not take work, a line says why.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.connect()
			if err != nil {
				return err
			}
			nodes, err := c.Nodes(cmd.Context())
			if err != nil {
				return f.explain(err)
			}
			if f.json() {
				return writeJSON(g, map[string]any{"nodes": nonNilSlice(nodes)})
			}
			if len(nodes) == 0 {
				fmt.Fprintln(g.stdout, "No nodes are recorded.")
				return nil
			}
			return writeNodes(g.stdout, nodes, time.Now())
		},
	}
	f = addClientFlags(cmd)
	return cmd
}

// writeNodes writes one row per node, each live node that takes no work
// followed by a line saying why.
func writeNodes(w io.Writer, nodes []apiv1.Node, now time.Time) error {
	rows := make([][]string, 0, len(nodes))
	for _, n := range nodes {
		leader := "-"
		if n.Leader {
			leader = "yes"
		}
		running := make([]string, 0, len(n.Running))
		for _, id := range n.Running {
			running = append(running, shortRunID(id))
		}
		rows = append(rows, []string{n.Name, dash(n.Version), string(n.State), leader, age(now, n.Heartbeat), dash(strings.Join(running, " "))})
	}
	var table bytes.Buffer
	err := writeTable(&table, []column{
		{title: "NAME", flex: true}, {title: "VERSION", flex: true}, {title: "STATE"}, {title: "LEADER"},
		{title: "HEARTBEAT"}, {title: "RUNNING", flex: true},
	}, rows)
	if err != nil {
		return err
	}
	lines := strings.SplitAfter(table.String(), "\n")
	var out strings.Builder
	out.WriteString(lines[0]) // the header
	for i, line := range lines[1:] {
		out.WriteString(line)
		if i < len(nodes) && nodes[i].State == apiv1.NodeLive && !nodes[i].Ready {
			for _, note := range indentWrapped(noteIndent, "not ready: "+oneLine(dash(nodes[i].NotReady))) {
				out.WriteString(note + "\n")
			}
		}
	}
	_, err = io.WriteString(w, out.String())
	return err
}
