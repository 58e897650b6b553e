#!/usr/bin/env bash
# Finds how many concurrent μ-law calls this machine carries: the largest number whose echo
# round trip p99 stays within P99_MS with no frame lost, by bisection between LOW and HIGH,
# each trial one `scripts/bench-loadtest.sh CALLS DURATION FORMAT --report …` run.
#
#   scripts/bench-capacity.sh [loadtest flags…]     (flags go to every trial's loadtest)
#
# A trial passes when every call streamed to the end (none refused, failed or dropped), no
# frame was lost (`frames.lost`), `echo_rtt.p99_us` is at most P99_MS, and the report does not
# set `harness_behind`: when the load generator fell behind, the machine had no idle core or
# the hypervisor took more than 5 % of a core, the round trips measure the harness (or the
# host) as much as the bridge, so such a trial is a failure: the capacity found errs low.
# LOW is taken to pass and HIGH to fail; neither is run. The capacity is the largest count
# that passed; the search stops when it is known to within STEP calls, after MAX_TRIALS
# trials, or when the next trial would end past BUDGET seconds (estimated at the default
# ramp of 50 calls/s).
#
# Before each trial the script waits until the machine has been under QUIET_PERCENT % busy
# (of all its CPUs) for QUIET_SECONDS seconds in a row, for at most QUIET_WAIT seconds (then it
# runs anyway and says so), and times a fixed CPU workload (`switchboard machine-speed`, the
# fastest of 15 rounds, ~1.5 s, in millions of operations per CPU second), so that figures from
# different days compare. The summary also holds `nproc`, the CPU model, the kernel, and each
# trial's `machine.others_percent_steady` (busy time no measured process accounts for).
#
# Environment (defaults): LOW (100), HIGH (1500), STEP (25), DURATION (60, each trial's steady
# seconds), MAX_TRIALS (6), BUDGET (1800 s for the whole search), P99_MS (20), FORMAT
# (ulaw_8000), QUIET_PERCENT (10), QUIET_SECONDS (15), QUIET_WAIT (300), OUT (the directory
# for each trial's report and log and summary.json; default capacity-<UTC time>),
# SWITCHBOARD_MAX_CALLS (0, no limit, so the bridge's own cap does not decide),
# SWITCHBOARD_OVERLOAD_LATENESS_MS and SWITCHBOARD_OVERLOAD_DATABASE_MS (0: the overload
# checks off, for the same reason), PROFILE and
# SWITCHBOARD_BIN (as bench-loadtest.sh, whose other variables pass through, e.g. PORT and
# the pinning), BENCH_LOADTEST (the trial command, default bench-loadtest.sh beside this one).
# Needs jq.
set -euo pipefail

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
    exit 0
fi

usage_error() {
    echo "$0: $*" >&2
    exit 2
}

# Reads a whole number from the environment variable $1, defaulting to $2.
whole_number() {
    local value=${!1:-$2}
    [[ $value =~ ^[0-9]+$ ]] || usage_error "$1=$value is not a whole number"
    echo $((10#$value))
}

low=$(whole_number LOW 100)
high=$(whole_number HIGH 1500)
step=$(whole_number STEP 25)
duration=$(whole_number DURATION 60)
max_trials=$(whole_number MAX_TRIALS 6)
budget=$(whole_number BUDGET 1800)
p99_ms=$(whole_number P99_MS 20)
quiet_percent=$(whole_number QUIET_PERCENT 10)
quiet_seconds=$(whole_number QUIET_SECONDS 15)
quiet_wait=$(whole_number QUIET_WAIT 300)
format=${FORMAT:-ulaw_8000}
((step >= 1)) || usage_error "STEP must be at least 1"
((duration >= 1)) || usage_error "DURATION must be at least 1 second"
((max_trials >= 1)) || usage_error "MAX_TRIALS must be at least 1"
((low >= 1 && low + step < high)) || usage_error "LOW=$low and HIGH=$high leave no call count to try (need 1 ≤ LOW and LOW + STEP < HIGH)"
[[ $format == ulaw_8000 || $format == pcm_16000 ]] || usage_error "FORMAT=$format: expected ulaw_8000 or pcm_16000"
command -v jq >/dev/null || usage_error "needs jq"

runner=${BENCH_LOADTEST:-$(dirname "$0")/bench-loadtest.sh}
bin=${SWITCHBOARD_BIN:-target/${PROFILE:-release}/switchboard}
out=${OUT:-capacity-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
export SWITCHBOARD_MAX_CALLS=${SWITCHBOARD_MAX_CALLS:-0}
export SWITCHBOARD_OVERLOAD_LATENESS_MS=${SWITCHBOARD_OVERLOAD_LATENESS_MS:-0}
export SWITCHBOARD_OVERLOAD_DATABASE_MS=${SWITCHBOARD_OVERLOAD_DATABASE_MS:-0}

# The whole machine's busy and total jiffies so far, from /proc/stat (iowait counts as idle).
cpu_jiffies() {
    local _cpu user nice system idle iowait irq softirq steal _rest
    read -r _cpu user nice system idle iowait irq softirq steal _rest </proc/stat
    echo "$((user + nice + system + irq + softirq + steal)) $((user + nice + system + idle + iowait + irq + softirq + steal))"
}

# Waits for QUIET_SECONDS quiet seconds in a row; sets quiet_waited_s and quiet_gave_up.
wait_for_quiet() {
    local quiet=0 busy0 total0 busy1 total1
    quiet_waited_s=0
    quiet_gave_up=false
    read -r busy0 total0 < <(cpu_jiffies)
    while ((quiet < quiet_seconds)); do
        if ((quiet_waited_s >= quiet_wait)); then
            quiet_gave_up=true
            echo "  gave up waiting for a quiet machine after ${quiet_wait} s (quiet for only ${quiet} s in a row); running anyway" >&2
            return
        fi
        sleep 1
        quiet_waited_s=$((quiet_waited_s + 1))
        read -r busy1 total1 < <(cpu_jiffies)
        if ((total1 > total0 && 100 * (busy1 - busy0) < quiet_percent * (total1 - total0))); then
            quiet=$((quiet + 1))
        else
            quiet=0
        fi
        busy0=$busy1
        total0=$total1
    done
}

# The machine-speed probe's JSON line, or null when the binary cannot run it.
machine_speed() {
    local speed
    if speed=$("$bin" machine-speed --rounds 15 2>/dev/null) && jq -e .mops_per_cpu_s <<<"$speed" >/dev/null 2>&1; then
        echo "$speed"
    else
        echo "  the machine-speed probe did not run ($bin machine-speed); this trial's figures have no speed beside them" >&2
        echo null
    fi
}

# Why the report in $1 (a run of $2 calls) fails, in words; empty when it passes.
failure_reasons() {
    jq -r --argjson calls "$2" --argjson p99_us "$((p99_ms * 1000))" '[
        (if .calls.completed != $calls then
            "\(.calls.completed) of \($calls) calls streamed to the end (\(.calls.refused) refused, \(.calls.failed_to_connect) failed to connect, \(.calls.dropped) dropped)"
         else empty end),
        (if .frames.lost > 0 then "\(.frames.lost) frames lost" else empty end),
        (if .echo_rtt == null then "no echo round trip measured"
         elif .echo_rtt.p99_us > $p99_us then "echo p99 \(.echo_rtt.p99_us / 1000) ms"
         else empty end),
        (if .harness_behind then "harness behind: " + (.harness_warnings | join("; ")) else empty end)
    ] | join("; ")' "$1"
}

started=$(date +%s)
trials_file="$out/trials.jsonl"
: >"$trials_file"
lo=$low
hi=$high
best_pass=
least_fail=
trial=0
stopped=resolved
echo "capacity search: $format, $lo..$hi calls in steps of $step, ${duration} s per trial, echo p99 ≤ ${p99_ms} ms, at most $max_trials trials within ${budget} s; reports in $out" >&2

while ((hi - lo > step)); do
    if ((trial >= max_trials)); then
        stopped=max_trials
        break
    fi
    calls=$((lo + (hi - lo) / 2 / step * step))
    ((calls > lo)) || calls=$((lo + step))
    estimate=$((calls / 50 + duration + 15))
    if (($(date +%s) - started + estimate > budget)); then
        stopped=budget
        break
    fi
    trial=$((trial + 1))
    wait_for_quiet
    speed=$(machine_speed)
    report="$out/trial-$trial-$calls.json"
    log="$out/trial-$trial-$calls.log"
    trial_started=$(date +%s)
    exit_status=0
    "$runner" "$calls" "$duration" "$format" --quiet --report "$report" "$@" >"$log" 2>&1 || exit_status=$?
    if [[ ! -s $report ]]; then
        echo "trial $trial ($calls calls) wrote no report (exit status $exit_status); the end of $log:" >&2
        tail -n 20 "$log" >&2
        exit 1
    fi
    reasons=$(failure_reasons "$report" "$calls")
    if [[ -z $reasons ]]; then
        verdict=pass
        lo=$calls
        best_pass=$calls
    else
        verdict=FAIL
        hi=$calls
        least_fail=$calls
    fi
    jq -c --argjson trial "$trial" --argjson calls "$calls" --arg verdict "$verdict" \
        --arg reasons "$reasons" --argjson exit_status "$exit_status" --argjson speed "$speed" \
        --argjson quiet_waited_s "$quiet_waited_s" --argjson quiet_gave_up "$quiet_gave_up" \
        --argjson wall_s "$(($(date +%s) - trial_started))" --arg report "$report" '{
            trial: $trial, calls: $calls, passed: ($verdict == "pass"), reasons: $reasons,
            exit_status: $exit_status, wall_s: $wall_s, report: $report,
            echo_rtt_p50_us: .echo_rtt.p50_us, echo_rtt_p99_us: .echo_rtt.p99_us,
            frames_sent: .frames.sent, frames_lost: .frames.lost, calls_completed: .calls.completed,
            harness_behind: .harness_behind, harness_warnings: .harness_warnings,
            server_cpu_percent_steady: .server.cpu_percent_steady,
            machine_busy_percent_steady: .machine.busy_percent_steady,
            others_percent_steady: .machine.others_percent_steady,
            steal_percent_steady: .machine.steal_percent_steady,
            quiet_waited_s: $quiet_waited_s, quiet_gave_up: $quiet_gave_up,
            machine_speed: $speed
        }' "$report" >>"$trials_file"
    jq -r '"trial \(.trial): \(.calls) calls: " + (if .passed then "pass" else "FAIL (\(.reasons))" end)
        + "; echo p50/p99 \((.echo_rtt_p50_us // 0) / 1000)/\((.echo_rtt_p99_us // 0) / 1000) ms, lost \(.frames_lost)"
        + ", others \(.others_percent_steady // "?") %, machine \(.machine_speed.mops_per_cpu_s // "?") Mops/s"
        + (if .quiet_gave_up then ", started on a busy machine" else "" end)' <(tail -n 1 "$trials_file")
done

if [[ -n $best_pass && -n $least_fail ]]; then
    line="capacity: $best_pass calls (passed at $best_pass, failed at $least_fail"
    if [[ $stopped == resolved ]]; then line+=")"; else line+="; stopped by $stopped before resolving to $step)"; fi
elif [[ -n $best_pass ]]; then
    line="capacity: at least $best_pass calls (no trial failed; HIGH=$high was not tried)"
elif [[ -n $least_fail ]]; then
    line="capacity: below $least_fail calls (every trial failed; LOW=$low was not tried)"
else
    line="capacity: unknown (no trial ran: stopped by $stopped)"
fi
line+=" at echo p99 ≤ ${p99_ms} ms with 0 lost frames, $format, ${duration} s per trial"

jq -s --arg line "$line" --arg stopped "$stopped" --argjson best_pass "${best_pass:-null}" \
    --argjson least_fail "${least_fail:-null}" --arg cpu_model "$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)" \
    --argjson nproc "$(nproc)" --arg kernel "$(uname -sr)" --arg started_at "$(date -u -d "@$started" +%FT%TZ)" \
    --argjson settings "$(jq -n --argjson low "$low" --argjson high "$high" --argjson step "$step" \
        --argjson duration_s "$duration" --argjson max_trials "$max_trials" --argjson budget_s "$budget" \
        --argjson p99_ms "$p99_ms" --arg format "$format" --argjson quiet_percent "$quiet_percent" \
        --argjson quiet_seconds "$quiet_seconds" --argjson quiet_wait_s "$quiet_wait" '$ARGS.named')" '{
        capacity: $best_pass, failed_at: $least_fail, stopped_by: $stopped, summary: $line,
        machine: {
            nproc: $nproc, cpu_model: $cpu_model, kernel: $kernel,
            mops_per_cpu_s: ([.[].machine_speed.mops_per_cpu_s // empty] | sort | if length > 0 then .[length / 2 | floor] else null end)
        },
        started_at: $started_at, settings: $settings, trials: .
    }' "$trials_file" >"$out/summary.json"
rm "$trials_file"
echo "summary in $out/summary.json" >&2
echo "$line"
