#!/usr/bin/env bash
# HR sync at city scale: N synthetic people (default 20,000) in a real slapd, loaded with slapadd.
# Prints wall time, CPU and peak RSS of: a bare paged read (ldapsearch), the initial load, a no-change
# reconcile (full read, and incremental), and 100 changes (hires, transfers, retirements) read
# incrementally; then, with `tobira serve` syncing every 2 seconds, the time from an entry's deletion
# in LDAP to that person's session being revoked, for 5 deletions.
#
#   benches/hr_sync.sh [sqlite|postgres] [N]
#
# Needs slapd, ldap-utils and a release build (cargo build --release). PostgreSQL from
# TOBIRA_TEST_PG_URL (a scratch database is created and dropped).
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}
n=${2:-20000}
bin=${TOBIRA_BIN:-${CARGO_TARGET_DIR:-target}/release/tobira}
work=$(mktemp -d)
trap 'kill ${serve_pid:-} $(cat "$work/slapd.pid" 2>/dev/null) 2>/dev/null; [ -n "${pgdb:-}" ] && psql -q "$TOBIRA_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)"; rm -rf "$work"' EXIT
suffix="dc=shinonome,dc=lg,dc=jp"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

. benches/support/slapd_conf.sh
write_slapd_conf

# Synthetic people (R-LC-18): 40 departments, 20,000 people, a few fixed-term and heads of section.
python3 - "$work/people.ldif" "$n" <<'PY'
import sys
out, n = open(sys.argv[1], "w", encoding="utf-8"), int(sys.argv[2])
s = "dc=shinonome,dc=lg,dc=jp"
w = out.write
w(f"dn: {s}\nobjectClass: dcObject\nobjectClass: organization\ndc: shinonome\no: Shinonome\n\n")
w(f"dn: cn=reader,{s}\nobjectClass: person\ncn: reader\nsn: reader\nuserPassword: reader\n\n")
for ou in ("people", "departments"):
    w(f"dn: ou={ou},{s}\nobjectClass: organizationalUnit\nou: {ou}\n\n")
depts = ["shimin", "zeimu", "somu"] + [f"d{i:02}" for i in range(37)]
for d in depts:
    w(f"dn: ou={d},ou=departments,{s}\nobjectClass: organizationalUnit\nou: {d}\ndescription: 課{d}\n\n")
for i in range(n):
    en = f"{200000 + i}"
    w(f"dn: employeeNumber={en},ou=people,{s}\nobjectClass: inetOrgPerson\nobjectClass: shinonomePerson\n"
      f"employeeNumber: {en}\ncn: 東雲 職員{en}\nsn: Shokuin{en}\ndisplayName: シノノメ ショクイン{en}\n"
      f"departmentNumber: {depts[i % len(depts)]}\nemployeeType: {'会計年度任用' if i % 10 == 0 else '正規'}\n"
      f"description: 在職\nshinonomeStartDate: 20200401\n" + ("shinonomeHeadOfSection: TRUE\n" if i % 50 == 0 else "") + "\n")
PY
slapadd -q -f "$work/slapd.conf" -l "$work/people.ldif"
/usr/sbin/slapd -f "$work/slapd.conf" -h "ldap://127.0.0.1:$port/"
for _ in $(seq 50); do ldapsearch -x -H "ldap://127.0.0.1:$port" -b "" -s base >/dev/null 2>&1 && break; sleep 0.1; done

export TOBIRA__DIRECTORY__ALLOW_PLAINTEXT=true TOBIRA__DIRECTORY__URL="ldap://127.0.0.1:$port" TOBIRA__DIRECTORY__BIND_DN="cn=reader,$suffix" TOBIRA__DIRECTORY__PASSWORD=reader
export TOBIRA__DATA_DIR="$work/data" TOBIRA__LOG__LEVEL=warn
# The example policy with limits that let 100 changes through.
mkdir -p "$work/policies" && cp policies/*.toml "$work/policies/"
sed -i 's/max_removals = 20/max_removals = 1000/; s/max_removal_percent = 2.0/max_removal_percent = 10.0/' "$work/policies/directory.toml"
export TOBIRA__POLICY_DIR="$work/policies"
if [ "$backend" = postgres ]; then
  pgdb="tobira_bench_$$"
  psql -q "$TOBIRA_TEST_PG_URL" -c "CREATE DATABASE $pgdb"
  export TOBIRA__DATABASE__URL="${TOBIRA_TEST_PG_URL%/*}/$pgdb"
else
  export TOBIRA__DATABASE__URL="sqlite://$work/data/tobira.db"
fi
"$bin" migrate >/dev/null

measure() { # label, command...
  local label=$1; shift
  /usr/bin/time -f "%e %M %U %S" -o "$work/time" "$@" >"$work/out" 2>"$work/err" || { echo "$label failed: $(tail -3 "$work/err")"; }
  read -r wall rss user sys <"$work/time"
  local read=""
  grep -q "incremental read" "$work/err" && read="(read: incremental)"
  grep -q "content sync" "$work/err" && read="(read: content sync)"
  printf '%-28s wall %6.2f s   cpu %6.2f s   peak RSS %6.1f MB %s\n' "$label" "$wall" "$(echo "$user+$sys" | bc -l)" "$(echo "$rss/1024" | bc -l)" "$read"
}

echo "backend $backend, $n people"
measure "bare paged read (ldapsearch)" ldapsearch -x -LLL -E pr=500/noprompt -H "ldap://127.0.0.1:$port" -D "cn=reader,$suffix" -w reader -b "ou=people,$suffix" "(objectClass=inetOrgPerson)"
measure "initial load" "$bin" sync
sleep 1   # modifyTimestamp has whole seconds: later changes fall after the high-water mark
measure "no-change, full read" "$bin" sync --full
measure "no-change, incremental" "$bin" sync
# 100 changes: 40 hires, 30 transfers, 30 retirements.
python3 - "$work/changes.ldif" <<'PY'
import sys
s = "dc=shinonome,dc=lg,dc=jp"
w = open(sys.argv[1], "w", encoding="utf-8").write
for i in range(40):
    en = f"{900000 + i}"
    w(f"dn: employeeNumber={en},ou=people,{s}\nchangetype: add\nobjectClass: inetOrgPerson\nobjectClass: shinonomePerson\n"
      f"employeeNumber: {en}\ncn: 東雲 新人{en}\nsn: Shinjin{en}\ndisplayName: シノノメ シンジン{en}\ndepartmentNumber: shimin\n"
      f"employeeType: 正規\ndescription: 在職\n\n")
for i in range(30):
    w(f"dn: employeeNumber={200100 + i},ou=people,{s}\nchangetype: modify\nreplace: departmentNumber\ndepartmentNumber: zeimu\n\n")
for i in range(30):
    w(f"dn: employeeNumber={200200 + i},ou=people,{s}\nchangetype: modify\nreplace: description\ndescription: 退職\n\n")
PY
ldapmodify -x -H "ldap://127.0.0.1:$port" -D "cn=admin,$suffix" -w admin -f "$work/changes.ldif" >/dev/null
measure "100 changes, incremental" "$bin" sync
measure "no-change, full read again" "$bin" sync --full

# Deletion to revocation: `tobira serve` syncs every 2 seconds (content sync sees a deletion without a
# full read); each of 5 people gets a session, their entry is deleted, and the session table is polled
# every 20 ms until it is revoked.
sql() {
  if [ "$backend" = postgres ]; then psql -qtA "$TOBIRA__DATABASE__URL" -c "$1"
  else python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=5); r = c.execute(sys.argv[2]).fetchall(); c.commit()
print("\n".join("|".join(map(str, x)) for x in r))' "$work/data/tobira.db" "$1"; fi
}
sed -i 's/^every_seconds = [0-9]*/every_seconds = 2/' "$work/policies/directory.toml"
victims=$(seq 200300 200304)
sql "INSERT INTO sessions (id, account_id, created_at, last_seen_at, expires_at, factors, privileged) SELECT 'bench-' || login_id, id, 0, 0, 9000000000000000, '[]', false FROM accounts WHERE login_id IN ($(printf "'%s'," $victims | sed 's/,$//'))" >/dev/null
applied() { sql "SELECT COUNT(*) FROM audit_events WHERE action = 'sync.applied'"; }
before=$(applied)
TOBIRA__HTTP__BIND=127.0.0.1:0 "$bin" serve >"$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 300); do [ "$(applied)" -gt "$before" ] && break; sleep 0.1; done
latencies=()
pauses=(0.5 1.2 0.9 1.7 0.2)   # each deletion at another phase of the 2-second schedule
i=0
for en in $victims; do
  sleep "${pauses[$i]}"; i=$((i + 1))
  t0=$(date +%s%N)
  ldapdelete -x -H "ldap://127.0.0.1:$port" -D "cn=admin,$suffix" -w admin "employeeNumber=$en,ou=people,$suffix"
  until [ -n "$(sql "SELECT revoked_at FROM sessions WHERE id = 'bench-$en' AND revoked_at IS NOT NULL")" ]; do
    sleep 0.02
    [ $(( ($(date +%s%N) - t0) / 1000000000 )) -lt 30 ] || { echo "deletion of $en not revoked in 30 s"; break; }
  done
  latencies+=($(( ($(date +%s%N) - t0) / 1000000 )))
done
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true
sorted=$(printf '%s\n' "${latencies[@]}" | sort -n)
printf 'deletion -> session revoked (serve, every 2 s): %s ms; median %s ms, max %s ms\n' "${latencies[*]}" "$(echo "$sorted" | sed -n 3p)" "$(echo "$sorted" | tail -1)"
