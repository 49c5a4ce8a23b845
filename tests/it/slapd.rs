//! A real OpenLDAP slapd for tests: a temporary directory, a free port, the syncprov overlay, the
//! city's auxiliary schema, a read-only account for tobira, and made-up people (R-LC-18: no real
//! personal data). Active Directory's objectGUID (octets), uSNChanged and userAccountControl are
//! defined with AD's OIDs and syntaxes, so an AD-shaped directory can be served too (AD itself does
//! not run here; its server sets uSNChanged, a test sets it by hand).

#![allow(dead_code)]

use ldap3::{LdapConnAsync, Mod};
use std::collections::HashSet;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod certs;
mod fixture;

use certs::make_certificates;
pub use fixture::{AdUser, Fixture};

pub const SUFFIX: &str = "dc=shinonome,dc=lg,dc=jp";
pub const ADMIN_DN: &str = "cn=admin,dc=shinonome,dc=lg,dc=jp";
const ADMIN_PW: &str = "admin-secret-for-tests";
pub const READER_DN: &str = "cn=tobira-reader,dc=shinonome,dc=lg,dc=jp";
pub const READER_PW: &str = "reader-secret-for-tests";

const SCHEMA: &str = r#"
attributetype ( 1.3.6.1.4.1.99999.1.1 NAME 'shinonomeStartDate' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.99999.1.2 NAME 'shinonomeEndDate' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.99999.1.3 NAME 'shinonomeHeadOfSection' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.99999.1.4 NAME 'shinonomeSecondedTo' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.99999.1.5 NAME 'shinonomeContract' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.99999.2.1 NAME 'shinonomePerson' SUP top AUXILIARY
  MAY ( shinonomeStartDate $ shinonomeEndDate $ shinonomeHeadOfSection $ shinonomeSecondedTo $ shinonomeContract ) )
attributetype ( 1.2.840.113556.1.4.2 NAME 'objectGUID' EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.2.120 NAME 'uSNChanged' EQUALITY integerMatch ORDERING integerOrderingMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.8 NAME 'userAccountControl' EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.99999.2.2 NAME 'adLikeUser' SUP top AUXILIARY MAY ( objectGUID $ uSNChanged $ userAccountControl ) )
"#;

pub struct Slapd {
    pub url: String,
    pub dir: tempfile::TempDir,
    child: Option<Child>,
    port: u16,
    extra_config: String,
    /// Lines after `overlay syncprov` (e.g. its session log).
    overlay_config: String,
    /// With TLS: the ldaps:// URL and the test CA's certificate.
    pub ldaps: Option<(String, PathBuf)>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Slapd {
    /// Starts slapd; `extra_config` is added to the global section (e.g. a size limit).
    pub fn start_with(extra_config: &str) -> Slapd {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut s = Slapd {
            url: format!("ldap://127.0.0.1:{port}"),
            dir,
            child: None,
            port,
            extra_config: extra_config.into(),
            overlay_config: String::new(),
            ldaps: None,
        };
        s.write_config();
        s.spawn();
        s
    }

    /// Starts slapd with TLS: StartTLS on `url`, and an ldaps:// port.
    pub fn start_tls() -> Slapd {
        let dir = tempfile::tempdir().unwrap();
        let (port, tls_port) = (free_port(), free_port());
        let extra = make_certificates(dir.path());
        let ca = dir.path().join("ca.pem");
        let mut s = Slapd {
            url: format!("ldap://127.0.0.1:{port}"),
            dir,
            child: None,
            port,
            extra_config: extra,
            overlay_config: String::new(),
            ldaps: Some((format!("ldaps://127.0.0.1:{tls_port}"), ca)),
        };
        s.write_config();
        s.spawn();
        s
    }

    fn write_config(&mut self) {
        let p = self.dir.path();
        std::fs::create_dir_all(p.join("db")).unwrap();
        std::fs::write(p.join("shinonome.schema"), SCHEMA).unwrap();
        let conf = format!(
            "include /etc/ldap/schema/core.schema\ninclude /etc/ldap/schema/cosine.schema\ninclude /etc/ldap/schema/inetorgperson.schema\ninclude {d}/shinonome.schema\n\
             modulepath /usr/lib/ldap\nmoduleload back_mdb\nmoduleload syncprov\npidfile {d}/slapd.pid\nargsfile {d}/slapd.args\n{extra}\n\
             database mdb\nmaxsize 1073741824\nsuffix \"{SUFFIX}\"\nrootdn \"{ADMIN_DN}\"\nrootpw {ADMIN_PW}\ndirectory {d}/db\n\
             index objectClass eq\nindex entryUUID eq\noverlay syncprov\n{overlay}\n",
            d = p.display(),
            extra = self.extra_config,
            overlay = self.overlay_config
        );
        std::fs::write(p.join("slapd.conf"), conf).unwrap();
    }

    pub fn start() -> Slapd {
        Self::start_with("")
    }

    /// Starts slapd whose syncprov keeps a session log, so a content sync lists deletions
    /// (refreshDeletes) instead of naming every present entry.
    pub fn start_with_session_log() -> Slapd {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut s = Slapd {
            url: format!("ldap://127.0.0.1:{port}"),
            dir,
            child: None,
            port,
            extra_config: String::new(),
            overlay_config: "syncprov-sessionlog 1000".into(),
            ldaps: None,
        };
        s.write_config();
        s.spawn();
        s
    }

    fn spawn(&mut self) {
        let slapd = ["/usr/sbin/slapd", "/usr/lib/slapd"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect("slapd is installed (scripts/test.sh installs it)");
        let mut urls = format!("ldap://127.0.0.1:{}/", self.port);
        if let Some((ldaps, _)) = &self.ldaps {
            urls.push_str(&format!(" {ldaps}/"));
        }
        let child = Command::new(slapd)
            .args(["-f", &self.dir.path().join("slapd.conf").display().to_string(), "-h", &urls, "-d", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start slapd");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "slapd did not start listening");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops slapd (the directory goes down).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port with the same data.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    async fn admin(&self) -> ldap3::Ldap {
        let (conn, mut ldap) = LdapConnAsync::new(&self.url).await.unwrap();
        ldap3::drive!(conn);
        ldap.simple_bind(ADMIN_DN, ADMIN_PW).await.unwrap().success().unwrap();
        ldap
    }

    /// The tree, the reader account, departments and `people`.
    pub async fn load(&self, departments: &[(&str, &str, Option<&str>)], people: &[Fixture]) {
        let mut l = self.admin().await;
        let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<HashSet<String>>();
        l.add(
            SUFFIX,
            vec![
                ("objectClass".to_string(), set(&["dcObject", "organization"])),
                ("dc".into(), set(&["shinonome"])),
                ("o".into(), set(&["東雲市"])),
            ],
        )
        .await
        .unwrap()
        .success()
        .unwrap();
        l.add(
            READER_DN,
            vec![
                ("objectClass".to_string(), set(&["person"])),
                ("cn".into(), set(&["tobira-reader"])),
                ("sn".into(), set(&["reader"])),
                ("userPassword".into(), set(&[READER_PW])),
            ],
        )
        .await
        .unwrap()
        .success()
        .unwrap();
        for ou in ["people", "departments", "retired"] {
            l.add(
                &format!("ou={ou},{SUFFIX}"),
                vec![("objectClass".to_string(), set(&["organizationalUnit"])), ("ou".into(), set(&[ou]))],
            )
            .await
            .unwrap()
            .success()
            .unwrap();
        }
        for (code, name, parent) in departments {
            let mut attrs = vec![
                ("objectClass".to_string(), set(&["organizationalUnit"])),
                ("ou".into(), set(&[code])),
                ("description".into(), set(&[name])),
            ];
            if let Some(p) = parent {
                attrs.push(("businessCategory".into(), set(&[p])));
            }
            l.add(&format!("ou={code},ou=departments,{SUFFIX}"), attrs).await.unwrap().success().unwrap();
        }
        for p in people {
            self.add_with(&mut l, p).await;
        }
    }

    async fn add_with(&self, l: &mut ldap3::Ldap, p: &Fixture) {
        l.add(&p.dn(), p.attrs()).await.unwrap().success().unwrap();
    }

    pub async fn add(&self, p: &Fixture) {
        let mut l = self.admin().await;
        self.add_with(&mut l, p).await;
    }

    /// Replaces one attribute's values (empty = delete the attribute).
    pub async fn set(&self, dn: &str, attr: &str, values: &[&str]) {
        let mut l = self.admin().await;
        let vals: HashSet<String> = values.iter().map(|s| s.to_string()).collect();
        l.modify(dn, vec![Mod::Replace(attr.to_string(), vals)]).await.unwrap().success().unwrap();
    }

    pub async fn delete(&self, dn: &str) {
        let mut l = self.admin().await;
        l.delete(dn).await.unwrap().success().unwrap();
    }

    /// Moves an entry under `ou=retired` (how some directories mark leavers).
    pub async fn move_to_retired(&self, p: &Fixture) {
        let mut l = self.admin().await;
        l.modifydn(
            &p.dn(),
            &format!("employeeNumber={}", p.employee_number),
            true,
            Some(&format!("ou=retired,{SUFFIX}")),
        )
        .await
        .unwrap()
        .success()
        .unwrap();
    }

    /// A file holding the reader's password, for TOBIRA__DIRECTORY__PASSWORD_FILE.
    pub fn password_file(&self) -> PathBuf {
        let f = self.dir.path().join("reader.pw");
        std::fs::write(&f, format!("{READER_PW}\n")).unwrap();
        f
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        self.stop();
    }
}
