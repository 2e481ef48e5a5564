//! Locating solc: `--solc PATH`, then `$SOLC`, then `solc` on PATH, then the project's
//! npm-installed solcjs behind `scripts/solc` (a wrapper with the native command-line face).

use super::EvmError;
use std::path::{Path, PathBuf};

/// The wrapper script around the pinned npm solcjs, if this checkout has it installed.
pub fn bundled_solc() -> Option<PathBuf> {
    // this crate lives in crates/evm of the checkout
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let wrapper = root.join("scripts").join("solc");
    (wrapper.exists() && root.join("node_modules").join("solc").join("package.json").exists()).then_some(wrapper)
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

/// Finds solc in the documented order.
pub fn find_solc(explicit: Option<&Path>) -> Result<PathBuf, EvmError> {
    let mut tried = Vec::new();
    if let Some(p) = explicit {
        if p.is_file() {
            return Ok(p.to_path_buf());
        }
        return Err(EvmError::Solc {
            path: p.display().to_string(),
            reason: "no such file (given with --solc)".into(),
        });
    }
    match std::env::var_os("SOLC") {
        Some(s) if Path::new(&s).is_file() => return Ok(PathBuf::from(s)),
        Some(s) => tried.push(format!("$SOLC={} (not a file)", Path::new(&s).display())),
        None => tried.push("$SOLC (unset)".into()),
    }
    if let Some(p) = on_path("solc") {
        return Ok(p);
    }
    tried.push("solc on PATH".into());
    if let Some(p) = bundled_solc() {
        return Ok(p);
    }
    tried.push("scripts/solc with node_modules/solc".into());
    Err(EvmError::SolcNotFound { tried: tried.join(", ") })
}
