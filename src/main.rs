use clap::Parser;

fn main() -> std::process::ExitCode {
    sessfix::run(sessfix::cli::Cli::parse()).into()
}
