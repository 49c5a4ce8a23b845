//! The shipped example policy, for the domain's own tests (compiled in, no file I/O).

use crate::policy::{load, Policy, SourceFile};

macro_rules! example {
    ($name:literal) => {
        SourceFile { name: concat!("policies/", $name).into(), text: include_str!(concat!("../../../policies/", $name)).into() }
    };
}

/// Every file of `policies/`.
pub fn example_files() -> Vec<SourceFile> {
    vec![
        example!("municipality.toml"),
        example!("systems.toml"),
        example!("roles.toml"),
        example!("officers.toml"),
        example!("authentication.toml"),
        example!("review.toml"),
        example!("directory.toml"),
        example!("clients.toml"),
    ]
}

pub fn example_policy() -> Policy {
    load(&example_files()).unwrap_or_else(|e| panic!("{e}"))
}
