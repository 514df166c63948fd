//! The `twenty-sync` command: parses the command line, sets up logging, runs one command and
//! turns its outcome into an exit code (0 success, 2 bad usage or invalid input, 1 other failure).

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
