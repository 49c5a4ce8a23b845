# A synthetic city for the console and provisioning benches (sourced by benches/console.sh and
# benches/provisioning.sh; the HR sync bench keeps its own, uniformly named, city).
#
# city_slapd N        a real slapd (mdb, syncprov with a session log) holding N people with varied
#                     Japanese names (42 surnames x 30 given names, in kanji, kana and romaji, some
#                     with variant kanji: 髙橋, 﨑), 40 departments, loaded with slapadd
# city_env BACKEND    a fresh database (SQLite file, or a scratch PostgreSQL database created on
#                     TOBIRA_TEST_PG_URL's server) and a copy of policies/ in $work; exports TOBIRA__*
# city_sql SQL        runs SQL on the database and prints rows as a|b|c
# city_cleanup        stops slapd and drops the scratch database (call it from the caller's trap)
#
# Needs: $work (a scratch directory), $bin (the tobira binary), slapd, ldap-utils, python3, psql.

suffix="dc=shinonome,dc=lg,dc=jp"
. benches/support/slapd_conf.sh

city_slapd() {
  local n=$1
  ldap_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  write_slapd_conf
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
surnames = [("佐藤", "サトウ", "Sato"), ("鈴木", "スズキ", "Suzuki"), ("高橋", "タカハシ", "Takahashi"), ("田中", "タナカ", "Tanaka"),
    ("伊藤", "イトウ", "Ito"), ("渡辺", "ワタナベ", "Watanabe"), ("山本", "ヤマモト", "Yamamoto"), ("中村", "ナカムラ", "Nakamura"),
    ("小林", "コバヤシ", "Kobayashi"), ("加藤", "カトウ", "Kato"), ("吉田", "ヨシダ", "Yoshida"), ("山田", "ヤマダ", "Yamada"),
    ("佐々木", "ササキ", "Sasaki"), ("山口", "ヤマグチ", "Yamaguchi"), ("松本", "マツモト", "Matsumoto"), ("井上", "イノウエ", "Inoue"),
    ("木村", "キムラ", "Kimura"), ("林", "ハヤシ", "Hayashi"), ("斎藤", "サイトウ", "Saito"), ("清水", "シミズ", "Shimizu"),
    ("山﨑", "ヤマザキ", "Yamazaki"), ("森", "モリ", "Mori"), ("池田", "イケダ", "Ikeda"), ("橋本", "ハシモト", "Hashimoto"),
    ("阿部", "アベ", "Abe"), ("石川", "イシカワ", "Ishikawa"), ("山下", "ヤマシタ", "Yamashita"), ("中島", "ナカジマ", "Nakajima"),
    ("石井", "イシイ", "Ishii"), ("小川", "オガワ", "Ogawa"), ("前田", "マエダ", "Maeda"), ("岡田", "オカダ", "Okada"),
    ("長谷川", "ハセガワ", "Hasegawa"), ("藤田", "フジタ", "Fujita"), ("後藤", "ゴトウ", "Goto"), ("近藤", "コンドウ", "Kondo"),
    ("村上", "ムラカミ", "Murakami"), ("遠藤", "エンドウ", "Endo"), ("青木", "アオキ", "Aoki"), ("坂本", "サカモト", "Sakamoto"),
    ("髙橋", "タカハシ", "Takahashi"), ("本間", "ホンマ", "Homma")]
given = [("花子", "ハナコ", "Hanako"), ("太郎", "タロウ", "Taro"), ("翔太", "ショウタ", "Shota"), ("美咲", "ミサキ", "Misaki"),
    ("大輔", "ダイスケ", "Daisuke"), ("陽子", "ヨウコ", "Yoko"), ("健一", "ケンイチ", "Kenichi"), ("恵子", "ケイコ", "Keiko"),
    ("直樹", "ナオキ", "Naoki"), ("由美", "ユミ", "Yumi"), ("誠", "マコト", "Makoto"), ("京子", "キョウコ", "Kyoko"),
    ("修", "オサム", "Osamu"), ("裕子", "ユウコ", "Yuko"), ("拓也", "タクヤ", "Takuya"), ("愛", "アイ", "Ai"),
    ("浩二", "コウジ", "Koji"), ("真由美", "マユミ", "Mayumi"), ("隆", "タカシ", "Takashi"), ("明美", "アケミ", "Akemi"),
    ("剛", "ツヨシ", "Tsuyoshi"), ("智子", "トモコ", "Tomoko"), ("哲也", "テツヤ", "Tetsuya"), ("千尋", "チヒロ", "Chihiro"),
    ("亮", "リョウ", "Ryo"), ("彩", "アヤ", "Aya"), ("学", "マナブ", "Manabu"), ("舞", "マイ", "Mai"),
    ("大樹", "ダイキ", "Daiki"), ("優", "ユウ", "Yu")]
for i in range(n):
    en = f"{200000 + i}"
    sk, sa, sr = surnames[(i * 7) % len(surnames)]
    gk, ga, gr = given[(i * 11 + i // len(surnames)) % len(given)]
    w(f"dn: employeeNumber={en},ou=people,{s}\nobjectClass: inetOrgPerson\nobjectClass: shinonomePerson\n"
      f"employeeNumber: {en}\ncn: {sk} {gk}\nsn: {sr} {gr}\ndisplayName: {sa} {ga}\n"
      f"departmentNumber: {depts[i % len(depts)]}\nemployeeType: {'会計年度任用' if i % 10 == 0 else '正規'}\n"
      f"description: 在職\nshinonomeStartDate: 20200401\n" + ("shinonomeHeadOfSection: TRUE\n" if i % 50 == 0 else "") + "\n")
PY
  slapadd -q -f "$work/slapd.conf" -l "$work/people.ldif"
  /usr/sbin/slapd -f "$work/slapd.conf" -h "ldap://127.0.0.1:$ldap_port/"
  for _ in $(seq 50); do ldapsearch -x -H "ldap://127.0.0.1:$ldap_port" -b "" -s base >/dev/null 2>&1 && break; sleep 0.1; done
}

city_env() {
  local backend=$1
  export TOBIRA__DIRECTORY__ALLOW_PLAINTEXT=true TOBIRA__DIRECTORY__URL="ldap://127.0.0.1:$ldap_port" TOBIRA__DIRECTORY__BIND_DN="cn=reader,$suffix" TOBIRA__DIRECTORY__PASSWORD=reader
  export TOBIRA__DATA_DIR="$work/data" TOBIRA__LOG__LEVEL=warn
  mkdir -p "$work/policies" "$work/data" && cp policies/*.toml "$work/policies/"
  # A whole city is one initial load: the removal limits do not hold back joiners, but the later
  # steps of the benches delete people.
  sed -i 's/max_removals = 20/max_removals = 1000/; s/max_removal_percent = 2.0/max_removal_percent = 10.0/' "$work/policies/directory.toml"
  export TOBIRA__POLICY_DIR="$work/policies"
  city_backend=$backend
  if [ "$backend" = postgres ]; then
    pgdb="tobira_bench_$$"
    psql -q "$TOBIRA_TEST_PG_URL" -c "CREATE DATABASE $pgdb"
    export TOBIRA__DATABASE__URL="${TOBIRA_TEST_PG_URL%/*}/$pgdb"
  else
    export TOBIRA__DATABASE__URL="sqlite://$work/data/tobira.db"
  fi
  "$bin" migrate >/dev/null
}

city_sql() {
  if [ "$city_backend" = postgres ]; then psql -qtA -v ON_ERROR_STOP=1 "$TOBIRA__DATABASE__URL" -c "$1"
  else python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=30); r = c.execute(sys.argv[2]).fetchall(); c.commit()
print("\n".join("|".join(map(str, x)) for x in r))' "$work/data/tobira.db" "$1"; fi
}

city_cleanup() {
  kill $(cat "$work/slapd.pid" 2>/dev/null) 2>/dev/null || true
  if [ -n "${pgdb:-}" ]; then psql -q "$TOBIRA_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" || true; fi
}
