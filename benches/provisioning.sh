#!/usr/bin/env bash
# Provisioning to a SCIM server at city scale (issue 22): N people (default 20,000) from a real
# slapd, the groupware system (every staff member's birthright) provisioned to a real scim2-server
# (Python, in memory; from ~/.cache/tobira-rp-venv, as the tests use it), pushed by `tobira serve`.
#
#   benches/provisioning.sh [sqlite|postgres] [N] [BATCH] [DELETIONS]
#
# 1. from nothing: `tobira sync` loads the city (and queues one item per person in the same
#    transactions); `tobira serve` then delivers (`every_seconds = 1`, `batch = BATCH`, default
#    10000, the most the policy allows) until no item is pending. Printed: the time from serve's
#    start to an empty queue, Users/s, CPU seconds and peak RSS of tobira and of scim2-server.
# 2. 100 HR changes (40 hires, 30 transfers, 30 retirements) written to LDAP while serve runs with
#    the HR sync every 2 s: the time from the last LDAP write until every item they queued has been
#    answered by the SCIM server.
# 3. DELETIONS (default 15) people deleted from LDAP one at a time, at different phases of the 2 s
#    sync schedule: the time from `ldapdelete` until the SCIM server answers `active: false` for
#    that person's User (polled every 50 ms); median and max.
#
# Needs slapd, ldap-utils, curl, python3, the rp venv (scripts/setup-rp.sh), a release build
# (TOBIRA_BIN overrides), for postgres TOBIRA_TEST_PG_URL (a scratch database is made and dropped).
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}
n=${2:-20000}
batch=${3:-10000}
deletions=${4:-15}
bin=${TOBIRA_BIN:-${CARGO_TARGET_DIR:-target}/release/tobira}
venv=${TOBIRA_TEST_RP_VENV:-$HOME/.cache/tobira-rp-venv}
work=$(mktemp -d /tmp/tobira-prov-bench.XXXXXX)
. benches/support/city.sh
cleanup() {
  [ -n "${serve_pid:-}" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  [ -n "${scim_pid:-}" ] && kill "$scim_pid" 2>/dev/null
  city_cleanup
  [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
ms() { echo $(($(date +%s%N) / 1000000)); }
cpu_s() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$1/stat"; }   # user + sys of a live process, seconds (USER_HZ 100)
hwm() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

echo "provisioning bench: backend $backend, $n people, batch $batch, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
token="scim-bench-token-not-a-secret"
scim_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$venv/bin/scim2-server" --port "$scim_port" --bearer-token "$token" >"$work/scim.log" 2>&1 &
scim_pid=$!
scim() { curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$scim_port/v2$1"; }
for _ in $(seq 100); do scim /ServiceProviderConfig >/dev/null 2>&1 && break; sleep 0.1; done
echo "scim2-server $("$venv/bin/pip" show scim2-server 2>/dev/null | awk '/^Version/ {print $2}') on port $scim_port"

city_slapd "$n"
city_env "$backend"
echo "$token" > "$work/scim-token" && chmod 0400 "$work/scim-token"
python3 - "$work/policies/systems.toml" "$scim_port" "$work/scim-token" "$batch" <<'PY'
import sys
path, port, tok, batch = sys.argv[1:]
s = open(path, encoding="utf-8").read()
anchor = 'approved_on = "2026-05-10", service_manager = "情報政策課 係長" }\n'
assert anchor in s, "groupware's approval line not found in systems.toml"
s = s.replace(anchor, anchor + f'[systems.provisioning]\nkind = "scim"\nbase_url = "http://127.0.0.1:{port}/v2"\ntoken_file = "{tok}"\nbatch = {batch}\nevery_seconds = 1\n', 1)
open(path, "w", encoding="utf-8").write(s)
PY
sed -i 's/^every_seconds = [0-9]*/every_seconds = 2/' "$work/policies/directory.toml"
"$bin" policy check >/dev/null

pending() { city_sql "SELECT count(*) FROM provisioning_outbox WHERE status = 'pending'"; }
t0=$(ms)
/usr/bin/time -f "%e %M %U %S" -o "$work/time" "$bin" sync >/dev/null 2>"$work/sync.err" || { echo "sync failed: $(tail -3 "$work/sync.err")"; exit 1; }
read -r wall rss user sys <"$work/time"
echo "initial HR load with queueing: wall ${wall} s, cpu $(echo "$user+$sys" | bc -l) s, peak RSS $((rss / 1024)) MB; items pending: $(pending)"

# 1. From nothing.
scim_cpu0=$(cpu_s "$scim_pid")
t0=$(ms)
TOBIRA__HTTP__BIND=127.0.0.1:0 "$bin" serve >"$work/serve.log" 2>&1 &
serve_pid=$!
while [ "$(pending)" -gt 0 ]; do
  sleep 0.5
  kill -0 "$serve_pid" 2>/dev/null || { echo "serve ended: $(tail -3 "$work/serve.log")"; exit 1; }
done
t1=$(ms)
users=$(scim "/Users?count=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["totalResults"])')
stopped=$(city_sql "SELECT count(*) FROM provisioning_outbox WHERE status = 'stopped'")
secs=$(echo "($t1 - $t0) / 1000" | bc -l)
printf 'from nothing: %s Users in the SCIM server, %.1f s from serve start, %.0f Users/s; stopped items %s\n' "$users" "$secs" "$(echo "$users / $secs" | bc -l)" "$stopped"
printf '  tobira serve: cpu %s s, peak RSS %s MB; scim2-server: cpu %.2f s (%.0f %% of one core), peak RSS %s MB\n' \
  "$(cpu_s "$serve_pid")" "$(hwm "$serve_pid")" "$(echo "$(cpu_s "$scim_pid") - $scim_cpu0" | bc -l)" "$(echo "100 * ($(cpu_s "$scim_pid") - $scim_cpu0) / $secs" | bc -l)" "$(hwm "$scim_pid")"

# 2. 100 HR changes through serve's own schedule.
python3 - "$work/changes.ldif" <<'PY'
import sys
s = "dc=shinonome,dc=lg,dc=jp"
w = open(sys.argv[1], "w", encoding="utf-8").write
for i in range(40):
    en = f"{900000 + i}"
    w(f"dn: employeeNumber={en},ou=people,{s}\nchangetype: add\nobjectClass: inetOrgPerson\nobjectClass: shinonomePerson\n"
      f"employeeNumber: {en}\ncn: 東雲 新人{en}\nsn: Shinjin{en}\ndisplayName: シノノメ シンジン{en}\ndepartmentNumber: shimin\n"
      f"employeeType: 正規\ndescription: 在職\n\n")
depts = ["shimin", "zeimu", "somu"] + [f"d{i:02}" for i in range(37)]
for i in range(30):   # each to the department after their own (benches/support/city.sh assigns them in turn)
    w(f"dn: employeeNumber={200100 + i},ou=people,{s}\nchangetype: modify\nreplace: departmentNumber\ndepartmentNumber: {depts[(100 + i + 1) % 40]}\n\n")
for i in range(30):
    w(f"dn: employeeNumber={200200 + i},ou=people,{s}\nchangetype: modify\nreplace: description\ndescription: 退職\n\n")
PY
items0=$(city_sql "SELECT count(*) FROM provisioning_outbox")
sleep 1.3
ldapmodify -x -H "ldap://127.0.0.1:$ldap_port" -D "cn=admin,$suffix" -w admin -f "$work/changes.ldif" >/dev/null
t0=$(ms)
until [ "$(city_sql "SELECT count(*) FROM provisioning_outbox")" -ge $((items0 + 100)) ] && [ "$(pending)" -eq 0 ]; do
  sleep 0.05
  [ $(($(ms) - t0)) -lt 120000 ] || { echo "100 changes not delivered in 120 s"; break; }
done
t1=$(ms)
printf '100 HR changes: %s items queued and answered %.2f s after the LDAP writes (sync every 2 s, delivery every 1 s)\n' \
  "$(($(city_sql "SELECT count(*) FROM provisioning_outbox") - items0))" "$(echo "($t1 - $t0) / 1000" | bc -l)"
scim "/Users?filter=$(python3 -c 'import urllib.parse; print(urllib.parse.quote("userName sw \"9000\""))')" >/dev/null || true

# 3. Deletion in HR to `active: false` in the business system.
victims=$(seq 200300 $((200300 + deletions - 1)))
pauses=(0.5 1.2 0.9 1.7 0.2)
latencies=()
i=0
for en in $victims; do
  rid=$(city_sql "SELECT l.remote_id FROM provisioning_links l JOIN accounts a ON a.id = l.account_id JOIN people p ON p.id = a.person_id WHERE p.employee_number = '$en' AND l.system_id = 'groupware'")
  [ -n "$rid" ] || { echo "no User for $en"; exit 1; }
  sleep "${pauses[$((i % 5))]}"; i=$((i + 1))
  t0=$(ms)
  ldapdelete -x -H "ldap://127.0.0.1:$ldap_port" -D "cn=admin,$suffix" -w admin "employeeNumber=$en,ou=people,$suffix"
  until scim "/Users/$rid" | grep -q '"active": *false'; do
    sleep 0.05
    [ $(($(ms) - t0)) -lt 30000 ] || { echo "deletion of $en not deactivated in 30 s"; break; }
  done
  latencies+=($(($(ms) - t0)))
done
sorted=$(printf '%s\n' "${latencies[@]}" | sort -n)
printf 'deletion -> active:false (sync every 2 s, delivery every 1 s): %s ms; median %s ms, max %s ms\n' "$(echo $sorted)" \
  "$(echo "$sorted" | sed -n "$(((deletions + 1) / 2))p")" "$(echo "$sorted" | tail -1)"
printf 'end: tobira serve cpu %s s, peak RSS %s MB; scim2-server cpu %s s, peak RSS %s MB; load %s\n' "$(cpu_s "$serve_pid")" "$(hwm "$serve_pid")" "$(cpu_s "$scim_pid")" "$(hwm "$scim_pid")" "$(cut -d' ' -f1-3 /proc/loadavg)"
