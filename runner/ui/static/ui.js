// driftgate UI: relative times, and the live log of a running run.
"use strict";

function ago(d) {
  var s = Math.max(0, Math.round((Date.now() - d.getTime()) / 1000));
  if (s < 60) return s + "s ago";
  if (s < 3600) return Math.floor(s / 60) + "m ago";
  if (s < 172800) return Math.floor(s / 3600) + "h ago";
  return Math.floor(s / 86400) + "d ago";
}

function refreshTimes() {
  document.querySelectorAll("time[datetime]").forEach(function (t) {
    var d = new Date(t.getAttribute("datetime"));
    if (!isNaN(d)) t.textContent = ago(d);
  });
}

// followLog streams the run's log over Server-Sent Events
// (GET /api/v1/runs/{id}/log?follow=true): each "log" event's data is a
// chunk of the log, its id the byte offset after it (EventSource resends
// it as Last-Event-ID when it reconnects); the "end" event carries the
// final run, and the page reloads to show the status, plan and buttons.
function followLog(status) {
  var id = status.getAttribute("data-run");
  var log = document.getElementById("log");
  if (!id || !log || !window.EventSource) return;
  log.textContent = "";
  var es = new EventSource("/api/v1/runs/" + encodeURIComponent(id) + "/log?follow=true");
  es.addEventListener("log", function (e) {
    var atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    log.appendChild(document.createTextNode(e.data));
    if (atBottom) log.scrollTop = log.scrollHeight;
  });
  // A network error is retried by EventSource itself, resuming at the
  // last id; an answer that is not a stream closes it for good.
  es.addEventListener("error", function () {
    if (es.readyState !== EventSource.CLOSED) return;
    var hint = document.getElementById("live-hint");
    if (hint) hint.textContent = "The live log is not available; reload the page to see the run's progress.";
  });
  es.addEventListener("end", function (e) {
    es.close();
    var run = null;
    try { run = JSON.parse(e.data); } catch (err) { run = null; }
    if (run && run.status) status.setAttribute("data-status", run.status);
    window.location.reload();
  });
}

document.addEventListener("DOMContentLoaded", function () {
  refreshTimes();
  setInterval(refreshTimes, 30000);
  var status = document.getElementById("run-status");
  if (status && status.getAttribute("data-live") === "true") followLog(status);
});
