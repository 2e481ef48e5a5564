//! The `zkinfer` command.

fn main() {
    std::process::exit(zkinfer::cli::main());
}
