//! Loading: the TOML file and the `TOBIRA__` variables layered over the defaults (with `_file`
//! secrets), and the paths derived from the result.

use super::{Config, ConfigError};
use std::path::{Path, PathBuf};
use toml::{Table, Value};

impl Config {
    /// Layers `file` (if any) and the `TOBIRA__` variables of `env` over the defaults.
    pub fn load(file: Option<&Path>, env: impl IntoIterator<Item = (String, String)>) -> Result<Config, ConfigError> {
        let defaults = match Value::try_from(Config::default()) {
            Ok(Value::Table(t)) => t,
            Ok(_) => return Err(ConfigError::Defaults("they are not a table".into())),
            Err(e) => return Err(ConfigError::Defaults(e.to_string())),
        };
        let mut merged = defaults.clone();
        if let Some(path) = file {
            let shown = path.display().to_string();
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError::Read { path: shown.clone(), reason: e.to_string() })?;
            let table: Table = toml::from_str(&text)
                .map_err(|e| ConfigError::Syntax { path: shown.clone(), reason: e.message().to_string() })?;
            merge_file(&defaults, &mut merged, table, &mut Vec::new(), &shown)?;
        }
        let mut vars: Vec<(String, String)> = env.into_iter().filter(|(k, _)| k.starts_with("TOBIRA__")).collect();
        vars.sort();
        for (name, raw) in vars {
            let path: Vec<String> = name["TOBIRA__".len()..].split("__").map(|s| s.to_lowercase()).collect();
            apply_env(&defaults, &mut merged, &path, raw, &name)?;
        }
        let de = Value::Table(merged);
        let config: Config = serde_path_to_error::deserialize(de).map_err(|e| ConfigError::BadValue {
            key: e.path().to_string(),
            source_name: "configuration".into(),
            reason: e.inner().to_string(),
        })?;
        config.check()?;
        Ok(config)
    }

    /// Values that deserialize but would mean nothing: a network that is not a CIDR block matches
    /// no one (a proxy not trusted, metrics refused) and a log level that does not parse would log
    /// at `info`, both silently; refused instead, naming the key.
    fn check(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, reason: String| ConfigError::BadValue {
            key: key.into(),
            source_name: "configuration".into(),
            reason,
        };
        self.http.networks()?;
        // A bare word is a valid filter (a target at every level), so a mistyped level would pass.
        const LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "off"];
        let level = &self.log.level;
        let word = |d: &str| d.contains('=') || LEVELS.contains(&d.trim().to_ascii_lowercase().as_str());
        if !level.split(',').all(word) {
            return Err(bad(
                "log.level",
                format!("`{level}`: each part is a level ({}) or target=level", LEVELS.join(", ")),
            ));
        }
        tracing_subscriber::EnvFilter::try_new(level).map_err(|e| bad("log.level", format!("`{level}`: {e}")))?;
        Ok(())
    }

    /// The master key's path: the configured file or `DATA_DIR/master.key`.
    /// Where audit checkpoints are appended (see [`AuditConfig::checkpoint_file`]).
    pub fn checkpoint_path(&self) -> PathBuf {
        if !self.audit.checkpoint_file.is_empty() {
            return PathBuf::from(&self.audit.checkpoint_file);
        }
        match self.database.url.strip_prefix("sqlite://") {
            Some(db) => PathBuf::from(format!("{db}.audit-checkpoints")),
            None => Path::new(&self.data_dir).join("audit-checkpoints"),
        }
    }

    pub fn master_key_path(&self) -> PathBuf {
        if self.crypto.master_key_file.is_empty() {
            Path::new(&self.data_dir).join("master.key")
        } else {
            PathBuf::from(&self.crypto.master_key_file)
        }
    }
}

fn lookup<'a>(t: &'a Table, path: &[String]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let v = t.get(first)?;
    if rest.is_empty() {
        Some(v)
    } else {
        lookup(v.as_table()?, rest)
    }
}

fn set(t: &mut Table, path: &[String], v: Value) {
    // An empty path names no setting: nothing to set.
    let Some((first, rest)) = path.split_first() else { return };
    if rest.is_empty() {
        t.insert(first.clone(), v);
    } else if let Some(Value::Table(inner)) = t.get_mut(first) {
        set(inner, rest, v);
    }
}

/// If `path` ends in `_file` and names a string setting without the suffix, the setting's path.
fn secret_target(defaults: &Table, path: &[String]) -> Option<Vec<String>> {
    let last = path.last()?.strip_suffix("_file")?;
    let mut target = path.to_vec();
    *target.last_mut()? = last.to_string();
    (lookup(defaults, path).is_none() && matches!(lookup(defaults, &target), Some(Value::String(_)))).then_some(target)
}

fn read_secret(file: &str, key: &[String], source_name: &str) -> Result<Value, ConfigError> {
    let text = std::fs::read_to_string(file).map_err(|e| ConfigError::SecretFile {
        key: key.join("."),
        source_name: source_name.into(),
        reason: e.to_string(),
    })?;
    Ok(Value::String(text.trim_end_matches(['\n', '\r']).to_string()))
}

fn merge_file(
    defaults: &Table,
    merged: &mut Table,
    table: Table,
    prefix: &mut Vec<String>,
    source_name: &str,
) -> Result<(), ConfigError> {
    for (k, v) in table {
        prefix.push(k);
        match (lookup(defaults, prefix), v) {
            (Some(Value::Table(_)), Value::Table(inner)) => merge_file(defaults, merged, inner, prefix, source_name)?,
            (Some(_), v) => set(merged, prefix, v),
            (None, v) => match (secret_target(defaults, prefix), v) {
                (Some(target), Value::String(file)) => {
                    let secret = read_secret(&file, &target, source_name)?;
                    set(merged, &target, secret);
                }
                _ => return Err(ConfigError::UnknownKey { key: prefix.join("."), source_name: source_name.into() }),
            },
        }
        prefix.pop();
    }
    Ok(())
}

fn apply_env(
    defaults: &Table,
    merged: &mut Table,
    path: &[String],
    raw: String,
    name: &str,
) -> Result<(), ConfigError> {
    let key = path.join(".");
    if let Some(target) = secret_target(defaults, path) {
        let secret = read_secret(&raw, &target, name)?;
        set(merged, &target, secret);
        return Ok(());
    }
    let bad =
        |reason: &str| ConfigError::BadValue { key: key.clone(), source_name: name.into(), reason: reason.into() };
    let value = match lookup(defaults, path) {
        None => return Err(ConfigError::UnknownKey { key, source_name: name.into() }),
        Some(Value::Table(_)) => return Err(bad("is a section; set its keys instead")),
        Some(Value::String(_)) => Value::String(raw),
        Some(Value::Integer(_)) => Value::Integer(raw.trim().parse().map_err(|_| bad("expected a whole number"))?),
        Some(Value::Boolean(_)) => Value::Boolean(raw.trim().parse().map_err(|_| bad("expected true or false"))?),
        Some(Value::Float(_)) => Value::Float(raw.trim().parse().map_err(|_| bad("expected a number"))?),
        Some(_) => {
            let t: Table = toml::from_str(&format!("v = {raw}")).map_err(|_| bad("expected a TOML value"))?;
            t["v"].clone()
        }
    };
    set(merged, path, value);
    Ok(())
}
