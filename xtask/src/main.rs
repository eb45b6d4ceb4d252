//! `cargo run -p xtask -- docs`: regenerates `docs/` from the schemas and `examples/`.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    match std::env::args().nth(1).as_deref() {
        Some("docs") => {
            for (path, text) in xtask::render(&root) {
                let full = root.join(&path);
                if let Some(dir) = full.parent()
                    && let Err(e) = std::fs::create_dir_all(dir)
                {
                    eprintln!("cannot create {}: {e}", dir.display());
                    return ExitCode::FAILURE;
                }
                if let Err(e) = std::fs::write(&full, text) {
                    eprintln!("cannot write {}: {e}", full.display());
                    return ExitCode::FAILURE;
                }
                println!("wrote {}", path.display());
            }
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("usage: cargo run -p xtask -- docs");
            ExitCode::from(2)
        }
    }
}
