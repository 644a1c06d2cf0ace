#!/usr/bin/env bash
# (Copied from the team's shared tools so CI, which has no shared/, runs the same thing.)
# with-secret-service.sh - run a command inside a private D-Bus session bus
# that has an unlocked gnome-keyring Secret Service (org.freedesktop.secrets).
#
#   ./with-secret-service.sh pytest -q
#   ./with-secret-service.sh python -m keyring diagnose
#
# - Fresh, throw-away state: the keyring files live in a private temp dir that
#   is deleted on exit; nothing is written to $HOME, and a desktop session's
#   bus (if any) is not touched: the command gets its own
#   DBUS_SESSION_BUS_ADDRESS. Nothing else in its environment changes.
# - The "login" collection (the default alias) is created with a random
#   password and unlocked, so no GUI prompt is ever needed.
# - The bus has no service activation: if the keyring daemon dies, clients get
#   an error instead of a stray auto-started daemon writing to the real $HOME.
# - Exit status: the command's own; 125 if the Secret Service could not be set
#   up; 126/127 if the command cannot be run; 2 for a usage error.
# - The daemons run in their own session (setsid), so a Ctrl-C meant for the
#   command cannot kill them while the command's teardown still needs them.
#   They are stopped by PID on exit (also on INT/TERM/HUP; TERM and HUP are
#   forwarded to the command first), and a watchdog stops them if this script
#   is killed with SIGKILL.
#
# Needs (Debian 12 / Ubuntu):
#   apt-get install -y --no-install-recommends gnome-keyring dbus-x11
# dbus-x11 satisfies gnome-keyring's dbus-session-bus dependency without
# pulling in systemd through dbus-user-session; dbus-daemon and dbus-bin
# (dbus-send) come with it. Optional, for debugging: libsecret-tools
# (secret-tool).
#
# Environment:
#   WSS_VERBOSE=1    report the steps and the setup time on stderr
#   WSS_TIMEOUT=10   seconds to wait for the daemons to come up
#
# shellcheck disable=SC2016,SC2317  # deliberate single quotes; functions run from traps
set -euo pipefail

prog=${0##*/}
if [ "$#" -eq 0 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
    echo "usage: $prog COMMAND [ARG...]" >&2
    exit 2
fi

say() { if [ "${WSS_VERBOSE:-0}" = 1 ]; then echo "$prog: $*" >&2; fi; }
die() { echo "$prog: $*" >&2; exit 125; }

for bin in dbus-daemon dbus-send gnome-keyring-daemon; do
    command -v "$bin" >/dev/null 2>&1 ||
        die "'$bin' not found; install: apt-get install -y --no-install-recommends gnome-keyring dbus-x11"
done
detach=()
if command -v setsid >/dev/null 2>&1; then detach=(setsid); fi

t0=$(date +%s%N)
timeout_s=${WSS_TIMEOUT:-10}
self=$$
dbus_pid=
gkr_pid=
watchdog_pid=
child_pid=
workdir=$(mktemp -d "${TMPDIR:-/tmp}/with-secret-service.XXXXXX")
chmod 700 "$workdir"

stop_pid() {  # stop_pid PID: TERM, wait up to 3 s, then KILL
    local pid=$1 _
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 30); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    set +e
    trap - EXIT INT TERM HUP
    stop_pid "$child_pid"   # only still running if setup or the wait failed
    stop_pid "$watchdog_pid"
    stop_pid "$gkr_pid"
    stop_pid "$dbus_pid"
    rm -rf "$workdir"
    say "stopped gnome-keyring-daemon (${gkr_pid:-none}) and dbus-daemon (${dbus_pid:-none})"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

show_logs() {
    local f
    for f in "$workdir"/dbus.log "$workdir"/gkr.log; do
        if [ -s "$f" ]; then echo "--- $f" >&2; tail -n 20 "$f" >&2; fi
    done
    return 0
}

wait_for() {  # wait_for WHAT COMMAND...: poll COMMAND until it succeeds
    local what=$1 deadline
    shift
    deadline=$(( $(date +%s) + timeout_s ))
    until "$@"; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            show_logs
            die "timed out after ${timeout_s}s waiting for $what"
        fi
        sleep 0.05
    done
}

# 1. A private session bus on a socket inside $workdir, with no <servicedir>,
#    so that nothing is ever auto-started on it.
cat > "$workdir/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$workdir/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
"${detach[@]}" dbus-daemon --config-file="$workdir/bus.conf" --nofork --nopidfile \
    --nosyslog --print-address=1 </dev/null >"$workdir/bus.address" 2>"$workdir/dbus.log" &
dbus_pid=$!
dbus_alive() { kill -0 "$dbus_pid" 2>/dev/null || { show_logs; die "dbus-daemon exited early"; }; }
bus_listening() { dbus_alive && test -s "$workdir/bus.address"; }
wait_for "dbus-daemon to listen" bus_listening
DBUS_SESSION_BUS_ADDRESS=$(head -n 1 "$workdir/bus.address")
export DBUS_SESSION_BUS_ADDRESS
say "session bus $DBUS_SESSION_BUS_ADDRESS (dbus-daemon pid $dbus_pid)"

# 2. gnome-keyring-daemon, secrets component only. --unlock reads the login
#    keyring's password from stdin (no trailing newline) and creates that
#    keyring if it does not exist yet. All its state stays in $workdir; the
#    control directory must be mode 0700, or it falls back to ~/.cache.
mkdir -m 700 "$workdir/home" "$workdir/data" "$workdir/run" "$workdir/control"
( umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$workdir/password" )
env HOME="$workdir/home" XDG_DATA_HOME="$workdir/data" XDG_RUNTIME_DIR="$workdir/run" \
    XDG_CONFIG_HOME="$workdir/home/.config" XDG_CACHE_HOME="$workdir/home/.cache" \
    "${detach[@]}" gnome-keyring-daemon --foreground --unlock --components=secrets \
    --control-directory="$workdir/control" \
    <"$workdir/password" >"$workdir/gkr.log" 2>&1 &
gkr_pid=$!

gkr_alive() { kill -0 "$gkr_pid" 2>/dev/null || { show_logs; die "gnome-keyring-daemon exited early"; }; }
secrets_owned() {
    dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus \
        /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner \
        string:org.freedesktop.secrets 2>/dev/null | grep -q true
}
default_unlocked() {
    dbus-send --session --print-reply=literal --dest=org.freedesktop.secrets \
        /org/freedesktop/secrets/aliases/default org.freedesktop.DBus.Properties.Get \
        string:org.freedesktop.Secret.Collection string:Locked 2>/dev/null | grep -q false
}
secrets_ready() { gkr_alive && secrets_owned; }
login_unlocked() { gkr_alive && default_unlocked; }
wait_for "org.freedesktop.secrets on the bus" secrets_ready
wait_for "the default collection to be unlocked" login_unlocked
rm -f "$workdir/password"

# 3. Watchdog, in its own session too: if this script dies without running
#    its traps (SIGKILL), stop the daemons and remove $workdir.
"${detach[@]}" bash -c '
    trap "exit 0" TERM
    while kill -0 "$1" 2>/dev/null; do sleep 1 & wait $!; done
    kill -TERM "$2" "$3" 2>/dev/null; sleep 1
    kill -KILL "$2" "$3" 2>/dev/null; rm -rf "$4"' \
    watchdog "$self" "$gkr_pid" "$dbus_pid" "$workdir" </dev/null >/dev/null 2>&1 &
watchdog_pid=$!

t1=$(date +%s%N)
say "Secret Service ready (gnome-keyring-daemon pid $gkr_pid) after $(( (t1 - t0) / 1000000 )) ms"

# 4. Run the command. It runs as a background job so that TERM/HUP sent to
#    this script can be forwarded at once, but with the default SIGINT/SIGQUIT
#    handling and this script's stdin, and in this script's process group, so
#    it still owns the terminal and gets Ctrl-C itself.
if { : <&0; } 2>/dev/null; then
    ( trap - INT QUIT; exec "$@" ) <&0 &
else
    ( trap - INT QUIT; exec "$@" ) </dev/null &   # stdin was closed
fi
child_pid=$!
forward() { kill "-$1" "$child_pid" 2>/dev/null || true; }
trap 'forward TERM' TERM
trap 'forward HUP' HUP
trap ':' INT    # Ctrl-C already reached the command; wait for it to finish
set +e
while :; do
    wait "$child_pid"
    status=$?
    kill -0 "$child_pid" 2>/dev/null || break   # else: a trap interrupted wait
done
wait "$child_pid" 2>/dev/null
s=$?
[ "$s" -eq 127 ] || status=$s   # the saved status, if a trap raced the exit
child_pid=
say "command exited with status $status"
exit "$status"
