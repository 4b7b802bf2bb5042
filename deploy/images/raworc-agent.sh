#!/bin/sh
# The session pod's command. As PID 1 it becomes tini, which forwards SIGTERM/SIGINT to the daemon
# (the daemon pauses on the first signal, exits on the second) and reaps the agent's tool processes.
set -eu
daemon=/app/agent-runtime/bin/raworc-agent.js
if [ "$$" -eq 1 ]; then
  exec /usr/bin/tini -- node "$daemon" "$@"
fi
exec node "$daemon" "$@"
