//! Command handlers of the `tobira` binary that are more than a few lines.

pub mod sync;
