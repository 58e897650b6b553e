#!/usr/bin/env bash
# Runs one load test on this machine with the bridge, the echo agent and the load generator
# as three separate processes, so that each one's CPU time and memory are its own.
#
#   scripts/bench-loadtest.sh CALLS SECONDS [FORMAT] [loadtest flags…]
#
# FORMAT is the echo agent's audio format: ulaw_8000 (the pass-through path, the default)
# or pcm_16000 (the bridge transcodes both ways). Anything after it goes to
# `switchboard loadtest` as is, e.g. `--ramp 50/s --interrupt-every 5 --report out.json`.
#
# Environment: PROFILE (the cargo profile whose build to run, default release; `profiling` is
# the same code with symbols, for perf and callgrind), SWITCHBOARD_BIN (the binary itself,
# default target/$PROFILE/switchboard), PORT (8080),
# AGENT_PORT (8090), SERVE_LOG (the bridge's RUST_LOG, default warn), KEEP (keep the work
# directory with the logs and the database), SERVE_THREADS, AGENT_THREADS and
# LOADTEST_THREADS (each process's tokio worker threads; default one per CPU), and
# SERVE_CPUS, AGENT_CPUS and LOADTEST_CPUS (CPU lists to pin each process to, for taskset).
set -euo pipefail

calls=${1:?usage: $0 CALLS SECONDS [FORMAT] [loadtest flags…]}
seconds=${2:?usage: $0 CALLS SECONDS [FORMAT] [loadtest flags…]}
format=${3:-ulaw_8000}
shift $(( $# < 3 ? $# : 3 ))

profile=${PROFILE:-release}
bin=${SWITCHBOARD_BIN:-target/$profile/switchboard}
if ! command -v "$bin" >/dev/null; then
    echo "$0: no $bin; build it with: cargo build --profile $profile --locked" >&2
    exit 1
fi
port=${PORT:-8080}
agent_port=${AGENT_PORT:-8090}
number=+15550109999
token="bench$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
work=$(mktemp -d)

cat >"$work/switchboard.toml" <<EOF
[[agents]]
business = "Load test"
name = "Echo"
phone_number = "$number"
elevenlabs_agent_id = "agent_echo"
EOF

# The command prefix that pins a process to the CPUs in $1, if any.
pin() {
    if [[ -n $1 ]]; then echo "taskset -c $1"; fi
}

pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    if [[ -z ${KEEP:-} ]]; then rm -rf "$work"; else echo "logs and database in $work" >&2; fi
}
trap cleanup EXIT

# No call limit on the agent: a soak runs longer than ElevenLabs' default ten minutes.
$(pin "${AGENT_CPUS:-}") env ${AGENT_THREADS:+TOKIO_WORKER_THREADS=$AGENT_THREADS} "$bin" sim agent --mode echo --format "$format" --listen "127.0.0.1:$agent_port" \
    --max-duration 0 >"$work/agent.log" 2>&1 &
agent=$!
pids+=("$agent")

SWITCHBOARD_LISTEN="127.0.0.1:$port" \
SWITCHBOARD_DATABASE_URL="sqlite://$work/bench.db?mode=rwc" \
TWILIO_AUTH_TOKEN="$token" \
ELEVENLABS_API_BASE="http://127.0.0.1:$agent_port" \
RUST_LOG="${SERVE_LOG:-warn}" \
    $(pin "${SERVE_CPUS:-}") env ${SERVE_THREADS:+TOKIO_WORKER_THREADS=$SERVE_THREADS} "$bin" serve --config "$work/switchboard.toml" >"$work/serve.log" 2>&1 &
server=$!
pids+=("$server")

for _ in $(seq 100); do
    if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then break; fi
    sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null
# The config file's business is on the `pro` plan: every call of the run may be up at once,
# and minutes are not counted against it.
SWITCHBOARD_DATABASE_URL="sqlite://$work/bench.db?mode=rwc" \
    "$bin" admin plans set pro --monthly-minutes unlimited --max-concurrent-calls "$calls" >/dev/null

echo "open files: soft $(ulimit -Sn), hard $(ulimit -Hn); local ports $(tr '\t' '-' </proc/sys/net/ipv4/ip_local_port_range)" >&2
$(pin "${LOADTEST_CPUS:-}") env ${LOADTEST_THREADS:+TOKIO_WORKER_THREADS=$LOADTEST_THREADS} "$bin" loadtest --server "http://127.0.0.1:$port" --to "$number" --auth-token "$token" \
    --calls "$calls" --duration "$seconds" --pid "$server" --agent-pid "$agent" "$@"
