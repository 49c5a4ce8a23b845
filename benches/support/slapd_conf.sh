# The city's LDAP schema and a slapd configuration like the tests' (tests/it/slapd.rs), for the
# benches: mdb, syncprov with a session log, the suffix $suffix, data in $work/db.
#
# write_slapd_conf    writes $work/shinonome.schema and $work/slapd.conf and makes $work/db
#
# Needs: $work (a scratch directory), $suffix, python3; run from the repository's root.

write_slapd_conf() {
  python3 - "$work" <<'PY'
import sys, re
src = open("tests/it/slapd.rs", encoding="utf-8").read()
schema = re.search(r'const SCHEMA: &str = r#"(.*?)"#;', src, re.S).group(1)
open(sys.argv[1] + "/shinonome.schema", "w").write(schema)
PY
  mkdir -p "$work/db"
  cat > "$work/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include $work/shinonome.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload syncprov
pidfile $work/slapd.pid
sizelimit unlimited
database mdb
maxsize 4294967296
suffix "$suffix"
rootdn "cn=admin,$suffix"
rootpw admin
directory $work/db
index objectClass eq
index entryUUID eq
overlay syncprov
syncprov-sessionlog 10000
CONF
}
